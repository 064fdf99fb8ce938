"""PMT scoring by province shard: each shard's families scored and explained in its own DuckDB file.

    plan    (warehouse) dtsen.family's provinces (first two digits of kode_desa) packed into shards of at
            least `min_families` families; the families and their quarantine rows written as Parquet by
            shard, staging.wilayah whole; `plan.json` names the published model's file and the settings;
    score   (shard files only) its Parquet into its own DuckDB file, then `score_families` with the
            national model, exactly as on the whole warehouse;
    merge   (warehouse) every shard's staged tables into the warehouse's staged tables, in the order the
            national run writes them; the checks and the publication are pmt_score's as always.

Why it is the same answer as one national run: a family's score depends on its own row and the national
model; its explanation on its own row and the typical family of its regency (kode_kab), computed over the
regency's scored families, and a regency lies in one province, so in one shard. Desil cut points are
national and stay in welfare/decile, after the merge.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dtsen_assets.platform.sql import quote_literal
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.staging.reference import WILAYAH_TABLE
from dtsen_assets.unify.plausibility import KARANTINA_TABLE
from dtsen_assets.unify.shards import (PLAN_FILE, SHARD_NAME, Shard, attached_shards, input_files, pack, province_of,
                                       province_shard_table, read_plan, shard_outcomes, shard_summary)
from dtsen_assets.warehouse import staging_table, table_exists
from dtsen_assets.welfare.explain import ExplanationResult, ExplanationSettings
from dtsen_assets.welfare.registry import load_model
from dtsen_assets.welfare.scoring import (BELUM_TABLE, EXPLANATION_TABLE, FAMILY_TABLE, SCORE_DETAIL_TABLE,
                                          SCORE_TABLE, Eligibility, ScoringResult, score_families)

# the merge sorts each national staged table range by range, about this many rows at a time
MERGE_ROWS_PER_RANGE = 2_000_000
DEFAULT_MIN_FAMILIES = 100_000
# what a shard stages, and the order the national run writes each table in
STAGED_ORDER = {SCORE_TABLE: "family_id", SCORE_DETAIL_TABLE: "family_id", BELUM_TABLE: "family_id",
                EXPLANATION_TABLE: "family_id, peringkat"}

Log = Callable[[str], None]


def score_directory(run_directory: Path) -> Path:
    """The scoring shards' folder inside a run's shard folder (build outputs, removed after the merge)."""
    return Path(run_directory) / "score"


def prepare(connection, directory: Path, model_file: Path, model_version: str, settings: dict[str, Any],
            min_families: int = DEFAULT_MIN_FAMILIES, log: Log = lambda m: None, **plan_extra: Any) -> list[Shard]:
    """Plan the shards and write each one's inputs (Parquet by shard) and `plan.json`."""
    if directory.exists():
        shutil.rmtree(directory)
    (directory / "input").mkdir(parents=True)
    planned = pack(connection, FAMILY_TABLE, min_families)
    province_shard_table(connection, "score_shard_of_province", planned)
    exports = {FAMILY_TABLE: f"SELECT t.*, m.shard AS _shard FROM {FAMILY_TABLE} AS t "
                             f"JOIN score_shard_of_province AS m ON m.prov = {province_of('t.kode_desa')}"}
    if table_exists(connection, KARANTINA_TABLE):
        exports[KARANTINA_TABLE] = (f"SELECT k.*, m._shard FROM {KARANTINA_TABLE} AS k JOIN ("
                                    f"SELECT f.family_id, s.shard AS _shard FROM {FAMILY_TABLE} AS f "
                                    f"JOIN score_shard_of_province AS s ON s.prov = {province_of('f.kode_desa')}"
                                    ") AS m USING (family_id)")
    for table, query in exports.items():
        began = time.perf_counter()
        connection.execute(f"COPY ({query}) TO {quote_literal(str(directory / 'input' / table))} "
                           "(FORMAT parquet, PARTITION_BY (_shard), OVERWRITE_OR_IGNORE)")
        log(f"score shards: {table} written by shard in {time.perf_counter() - began:.1f} s")
    # the regions (names, kota) are small and national: every shard gets all of them
    connection.execute(f"COPY {WILAYAH_TABLE} TO {quote_literal(str(directory / 'input' / 'wilayah.parquet'))} "
                       "(FORMAT parquet)")
    connection.execute("DROP TABLE IF EXISTS score_shard_of_province")
    (directory / PLAN_FILE).write_text(json.dumps({
        "shards": shard_summary(planned), "model_file": str(Path(model_file).resolve()),
        "model_version": model_version, "settings": settings, **plan_extra}, indent=1))
    return planned


def score(directory: Path, shard: str, memory_limit: str | None = None, threads: int | None = None,
          log: Log = lambda m: None) -> dict[str, Any]:
    """Score and explain one shard's families in its own file (no other DuckDB file is opened); its outcome is
    kept as `<shard>.json` for the merge."""
    if not SHARD_NAME.match(shard):
        raise ValueError(f"not a shard name: {shard!r}")
    directory = Path(directory)
    plan = read_plan(directory)
    model = load_model(Path(plan["model_file"]))
    if model.model_version != plan["model_version"]:
        raise RuntimeError(f"the model file {plan['model_file']} is {model.model_version}, the plan scored with "
                           f"{plan['model_version']}: plan the shards again")
    settings = plan["settings"]
    began = time.perf_counter()
    path = directory / f"{shard}.duckdb"
    path.unlink(missing_ok=True)
    with DuckDBWarehouse(database_path=str(path), memory_limit=memory_limit, threads=threads).connect() as connection:
        for schema in ("dtsen", "unify", "staging", "welfare"):
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        _load(connection, directory, FAMILY_TABLE, shard, required=True)
        _load(connection, directory, KARANTINA_TABLE, shard, required=False)
        connection.execute(f"CREATE TABLE {WILAYAH_TABLE} AS SELECT * FROM "
                           f"read_parquet({quote_literal(str(directory / 'input' / 'wilayah.parquet'))})")
        result = score_families(
            connection, model, staging_table(SCORE_TABLE), staging_table(BELUM_TABLE),
            Eligibility(settings["min_known_share"]), FAMILY_TABLE, settings["batch_rows"], log=log,
            detail_table=staging_table(SCORE_DETAIL_TABLE), explanation_table=staging_table(EXPLANATION_TABLE),
            explanation=ExplanationSettings(**settings["explanation"]))
        families = connection.execute(f"SELECT count(*) FROM {FAMILY_TABLE}").fetchone()[0]
        connection.execute("CHECKPOINT")
    outcome = {"shard": shard, "families": families, "seconds": round(time.perf_counter() - began, 2),
               "model_version": model.model_version, "result": _result_dict(result)}
    (directory / f"{shard}.json").write_text(json.dumps(outcome))
    return outcome


def _load(connection, directory: Path, table: str, shard: str, required: bool) -> None:
    files = input_files(directory, table, shard)
    if files:
        listed = "[" + ", ".join(quote_literal(str(f)) for f in files) + "]"
        connection.execute(f"CREATE TABLE {table} AS SELECT * EXCLUDE (_shard) "
                           f"FROM read_parquet({listed}, hive_partitioning = true)")
    elif required:
        raise FileNotFoundError(f"score shard {shard} has no {table} files in {directory / 'input'}: "
                                "the plan step of this run did not write them")


def _result_dict(result: ScoringResult) -> dict[str, Any]:
    fields = asdict(result)
    fields["missing_columns"] = list(result.missing_columns)
    return fields


def _key_ranges(connection, aliases, table: str, rows_per_range: int) -> list[str]:
    """Conditions cutting family_id's values into ranges of about `rows_per_range` rows of `table` (over all
    shards), in key order. One ORDER BY of a national table (20 million explanation rows at 10M) runs out of
    DuckDB's memory; sorted range by range, each range is a small sort, and a shard's rows being in family_id
    order already, a range reads only the row groups that hold it."""
    union = " UNION ALL ".join(f"SELECT family_id FROM {alias}.{table}" for alias in aliases)
    total = connection.execute(f"SELECT count(*) FROM ({union})").fetchone()[0]
    ranges = max(1, -(-total // rows_per_range))
    if ranges == 1:
        return ["true"]
    cuts = connection.execute(f"SELECT quantile_disc(family_id, {[i / ranges for i in range(1, ranges)]}) "
                              f"FROM ({union})").fetchone()[0]
    bounds = sorted(set(cuts))
    conditions = [f"family_id < {quote_literal(bounds[0])}"]
    conditions += [f"family_id >= {quote_literal(low)} AND family_id < {quote_literal(high)}"
                   for low, high in zip(bounds, bounds[1:])]
    conditions.append(f"(family_id >= {quote_literal(bounds[-1])} OR family_id IS NULL)")
    return conditions


def merge(connection, directory: Path, model_version: str, settings: dict[str, Any],
          rows_per_range: int = MERGE_ROWS_PER_RANGE) -> ScoringResult:
    """Every shard's staged tables as the warehouse's staged tables, and the shards' figures added up.
    Refuses shards scored with another model or other settings than the ones pmt_score checks against."""
    directory = Path(directory)
    plan = read_plan(directory)
    if plan["model_version"] != model_version:
        raise RuntimeError(f"the score shards used the model {plan['model_version']}, the published one is "
                           f"{model_version}: materialize welfare/score_shards again")
    if plan["settings"] != settings:
        raise ValueError("welfare/score_shards was configured with other scoring settings than welfare/pmt_score "
                         f"({plan['settings']} against {settings}): give both the same values")
    outcomes = shard_outcomes(directory, "score")
    began = time.perf_counter()
    with attached_shards(connection, directory, [o["shard"] for o in outcomes], "score") as aliases:
        for table, order in STAGED_ORDER.items():
            target = staging_table(table)
            union = " UNION ALL ".join(f"SELECT * FROM {alias}.{target}" for alias in aliases.values())
            connection.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM ({union}) WHERE false")
            for where in _key_ranges(connection, aliases.values(), target, rows_per_range):
                connection.execute(f"INSERT INTO {target} SELECT * FROM ({union}) WHERE {where} ORDER BY {order}")
    results = [o["result"] for o in outcomes]
    by_tier: dict[str, int] = {}
    for r in results:
        for tier, count in r["by_tier"].items():
            by_tier[tier] = by_tier.get(tier, 0) + count
    explained = [r["explained"] for r in results if r["explained"]]
    merged = ScoringResult(
        scored=sum(r["scored"] for r in results), belum_terdata=sum(r["belum_terdata"] for r in results),
        seconds=max((o["seconds"] for o in outcomes), default=0.0) + time.perf_counter() - began,
        batches=sum(r["batches"] for r in results),
        missing_columns=tuple(sorted({c for r in results for c in r["missing_columns"]})), by_tier=by_tier,
        explained=ExplanationResult(*(sum(e[k] for e in explained) for k in ("families", "rows", "families_without_factor"))))
    return merged
