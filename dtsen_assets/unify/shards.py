"""Unify by province: the linkage run per province shard, each in its own DuckDB file, then merged.

    plan    (warehouse) records per province (first two digits of the family's KODE_DESA), provinces
            packed into shards of at least `min_records` source records (a large province alone);
    export  (warehouse) one Parquet pass per staging table, partitioned by shard, likewise each shard's
            slice of the previous release; a DuckDB file per shard with the id key;
    link    (shard files only) its Parquet into its DuckDB file, then `stage_unify` on it, exactly as on a
            whole warehouse;
    merge   (warehouse) the shards' staged tables in one table each, persons and families a shard
            shares with another made one (the national step), the figures added up.

Why this is the same linkage as one national run, and where it is not:
- Family members, their family records and village decisions go with the family's village, so a
  family is never split. Dukcapil goes with its domicile, and each shard also gets the Dukcapil
  families whose NIK one of its records or decisions names (a family that moved province with a
  right NIK is still PADAN; its Dukcapil card comes along, for the relatives' search).
- A record no NIK confirms is sent the Dukcapil cards, living elsewhere, of persons with its birth date
  and whole name, and the card it shows (sql/unify/shard_movers.sql): a mover without a usable NIK is
  linked as nationally. Not across shards: such a mover whose name or date the source misspelt, and two
  records of one person without Dukcapil in two provinces (docs/scale.md).
- The Splink model and the name frequencies are estimated per shard (hence the minimum size).
- The same NIK confirmed in two shards is one person_id (a keyed hash of the NIK): merge keeps one
  row for it, from the shard with most of its records, and all its records point to it.
- A card whose members were linked in two shards (a daughter listed where she studies) is built by
  each shard from the members it has; merge counts such split families, and the unify step then links
  the drop nationally instead (assets/unify.py, merge_or_link_nationally).

Shards run anywhere a function runs: one after another here (`stage_unify_sharded`), or as parallel
Dagster steps (`dtsen_assets.assets.unify_shards`), each opening only its own file.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.platform.sql import count_rows, quote_literal, run_sql, scalar
from dtsen_assets.unify import ids
from dtsen_assets.unify.config import UnifyConfig
from dtsen_assets.unify.pipeline import (ALL_TABLES, PERSON_ID_HISTORY_TABLE,
                                         PERSON_SOURCE_TABLE, PERSON_TABLE, UnifyResult, stage_unify)
from dtsen_assets.warehouse import staging_table, table_exists

DEFAULT_MIN_RECORDS = 250_000
NO_REGION = "xx"            # records whose village code has no province: a group of their own
SHARD_NAME = re.compile(r"^prov_[0-9a-z_]+$")
# staging table -> the province of a row (family's village; Dukcapil's domicile)
INPUT_TABLES = ("person_record", "family_record", "verivali_decision", "dukcapil_person")
# published table -> the key a row belongs to; rows with the same key from two shards are one
MERGE_KEYS = {
    "dtsen.person": "person_id",
    "dtsen.family": "family_id",
    "unify.person_value_source": "person_id",
    "unify.family_value_source": "family_id",
    "unify.family_karantina": "family_id",
}

Log = Callable[[str], None]


@dataclass(frozen=True)
class Shard:
    name: str                       # prov_32, prov_61_62_65 (a Dagster mapping key)
    provinces: tuple[str, ...]      # the two-digit codes (NO_REGION for records without one)
    records: int                    # source person records


def province_of(column: str) -> str:
    """SQL: the province group of a village code (its first two digits), NO_REGION when it has none."""
    return f"coalesce(CASE WHEN regexp_full_match({column}, '[0-9]{{10}}') THEN substr({column}, 1, 2) END, '{NO_REGION}')"


def plan(connection, min_records: int = DEFAULT_MIN_RECORDS) -> list[Shard]:
    """Provinces packed into shards: a province of at least `min_records` records is a shard of its own,
    the smaller ones are packed together (largest first) until a shard has `min_records`. Deterministic."""
    return pack(connection, "staging.person_record", min_records)


def pack(connection, table: str, min_rows: int, rows: str = "count(*)") -> list[Shard]:
    """The provinces of `table`'s rows (by their kode_desa) packed into shards of at least `min_rows` rows
    (`rows`: the SQL aggregate a province's rows are counted by, for a table already counted by village)."""
    counts = connection.execute(f"""
        SELECT {province_of('kode_desa')} AS prov, {rows} AS n FROM {table}
        GROUP BY ALL ORDER BY n DESC, prov""").fetchall()
    groups: list[list[tuple[str, int]]] = []
    pending: list[tuple[str, int]] = []
    for prov, n in counts:
        if n >= min_rows:
            groups.append([(prov, int(n))])
            continue
        pending.append((prov, int(n)))
        if sum(c for _, c in pending) >= min_rows:
            groups.append(pending)
            pending = []
    if pending:
        if groups and sum(c for _, c in pending) < min_rows // 2:
            # a small remainder joins the last (smallest) group rather than stand alone
            groups[-1] = groups[-1] + pending
        else:
            groups.append(pending)
    if not groups:      # no records at all: one empty shard, unified (to nothing) like a national run
        return [Shard(f"prov_{NO_REGION}", (NO_REGION,), 0)]
    return [_packed(group) for group in groups]


def _packed(group: list[tuple[str, int]]) -> Shard:
    provinces = tuple(sorted(p for p, _ in group))
    return Shard("prov_" + "_".join(provinces), provinces, sum(n for _, n in group))


def shard_directory(warehouse_file: str | Path, run_key: str | None) -> Path:
    """Where a run's shard files go: beside the warehouse (build outputs, removed after the merge)."""
    return Path(warehouse_file).resolve().parent / ".dtsen_shards" / (run_key or "local")


def remove_other_runs(directory: Path, keep: Collection[str] = ()) -> list[str]:
    """The folders beside `directory` but those named in `keep`, removed: shard folders of runs that failed
    before their merge, which hold copies of source rows (the run's tables under run names stay for
    inspection; these copies do not). A province run's plan removes every other run's folder (one province
    run at a time on a warehouse: a run killed outright still looks in progress to Dagster); a good release
    of either job keeps those of the runs Dagster lists as in progress."""
    removed = []
    parent = Path(directory).parent
    for other in sorted(parent.iterdir()) if parent.is_dir() else []:
        if other.is_dir() and other != Path(directory) and other.name not in keep:
            shutil.rmtree(other, ignore_errors=True)
            removed.append(other.name)
    return removed


def export(connection, shards: list[Shard], directory: Path, log: Log = lambda m: None) -> dict[str, int]:
    """Write every shard's inputs (Parquet by shard, and its DuckDB file); returns the records per shard."""
    if directory.exists():
        shutil.rmtree(directory)
    (directory / "input").mkdir(parents=True)
    province_shard_table(connection, "shard_of_province", shards)
    # every NIK a shard's records or decisions name, and the Dukcapil families of those living elsewhere
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE shard_named_nik AS
        SELECT DISTINCT nik, m.shard FROM (
            SELECT nik, kode_desa FROM staging.person_record WHERE nik IS NOT NULL
            UNION ALL SELECT nik, kode_desa FROM staging.verivali_decision WHERE nik IS NOT NULL
            UNION ALL SELECT nik_baru, kode_desa FROM staging.verivali_decision WHERE nik_baru IS NOT NULL
        ) AS n JOIN shard_of_province AS m ON m.prov = {province_of('n.kode_desa')}""")
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE shard_extra_kk AS
        SELECT DISTINCT d.no_kk, n.shard
        FROM staging.dukcapil_person AS d
        JOIN shard_named_nik AS n ON n.nik = d.nik
        LEFT JOIN shard_of_province AS m ON m.prov = {province_of('d.kode_desa')}
        WHERE m.shard IS DISTINCT FROM n.shard AND d.no_kk IS NOT NULL""")
    # and the cards, living elsewhere, of persons a record no NIK confirms is found by in a national run
    began = time.perf_counter()
    run_sql(connection, "unify/name_macros")
    run_sql(connection, "unify/shard_movers", record_province=province_of("r.kode_desa"),
            dukcapil_province=province_of("d.kode_desa"))
    log(f"shards: {count_rows(connection, 'shard_extra_kk'):,} Dukcapil cards sent to a shard outside their "
        f"province in {time.perf_counter() - began:.1f} s")
    selects = {
        table: f"SELECT t.*, m.shard AS _shard FROM staging.{table} AS t "
               f"JOIN shard_of_province AS m ON m.prov = {province_of('t.kode_desa')}"
        for table in INPUT_TABLES}
    # a Dukcapil person at home in one shard and named (with its card) by another: in both; a card member
    # at home in the naming shard is there already (once: dukcapil_key is the person's line in the file)
    selects["dukcapil_person"] = f"""
        {selects['dukcapil_person']}
        UNION ALL
        SELECT t.*, x.shard AS _shard FROM staging.dukcapil_person AS t JOIN shard_extra_kk AS x ON x.no_kk = t.no_kk
        LEFT JOIN shard_of_province AS h ON h.prov = {province_of('t.kode_desa')}
        WHERE h.shard IS DISTINCT FROM x.shard"""
    # the previous release, for stable ids: the records' lineage and the persons they were, by shard
    if table_exists(connection, PERSON_SOURCE_TABLE) and table_exists(connection, PERSON_TABLE):
        connection.execute(f"""
            CREATE OR REPLACE TEMP TABLE shard_previous_source AS
            SELECT ps.*, m.shard AS _shard FROM {PERSON_SOURCE_TABLE} AS ps
            JOIN staging.person_record AS r USING (source, source_record_id)
            JOIN shard_of_province AS m ON m.prov = {province_of('r.kode_desa')}""")
        selects[PERSON_SOURCE_TABLE] = "SELECT * FROM shard_previous_source"
        selects[PERSON_TABLE] = f"""
            SELECT p.*, s._shard FROM {PERSON_TABLE} AS p
            JOIN (SELECT DISTINCT person_id, _shard FROM shard_previous_source) AS s USING (person_id)"""
    for table, query in selects.items():
        began = time.perf_counter()
        connection.execute(f"COPY ({query}) TO {quote_literal(str(directory / 'input' / table))} "
                           "(FORMAT parquet, PARTITION_BY (_shard), OVERWRITE_OR_IGNORE)")
        log(f"shards: {table if '.' in table else 'staging.' + table} written by shard in {time.perf_counter() - began:.1f} s")
    for shard in shards:
        _write_shard_file(connection, shard, directory, tuple(selects))
    for temp in ("shard_named_nik", "shard_extra_kk", "shard_previous_source"):
        connection.execute(f"DROP TABLE IF EXISTS {temp}")
    return {s.name: s.records for s in shards}


def _table_name(table: str) -> str:
    """A shard file's name for an exported table: staging tables by their bare name, the rest qualified."""
    return table if "." in table else f"staging.{table}"


def input_files(directory: Path, table: str, shard: str) -> list[Path]:
    """The Parquet files a plan step wrote for `shard`'s rows of `table` (`input/<table>/_shard=<shard>/`)."""
    return sorted((Path(directory) / "input" / table / f"_shard={shard}").glob("*.parquet"))


def _write_shard_file(connection, shard: Shard, directory: Path, tables: tuple[str, ...]) -> None:
    """The shard's DuckDB file as the plan leaves it: the id key, the retired ids and an empty table for each
    exported table the shard has no rows of; the link step loads the rest from the shard's Parquet files."""
    path = directory / f"{shard.name}.duckdb"
    alias = "shard_out"
    connection.execute(f"ATTACH {quote_literal(str(path))} AS {alias}")
    try:
        for schema in ("staging", "dtsen", "unify", ids.KEY_SCHEMA):
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {alias}.{schema}")
        for table in tables:
            if not input_files(directory, table, shard.name):
                connection.execute(f"CREATE TABLE {alias}.{_table_name(table)} AS SELECT * FROM {_table_name(table)} WHERE false")
        if table_exists(connection, ids.KEY_TABLE):
            connection.execute(f"CREATE TABLE {alias}.{ids.KEY_TABLE} AS SELECT * FROM {ids.KEY_TABLE}")
        if table_exists(connection, PERSON_ID_HISTORY_TABLE):
            connection.execute(f"CREATE TABLE {alias}.{PERSON_ID_HISTORY_TABLE} AS SELECT * FROM {PERSON_ID_HISTORY_TABLE}")
    finally:
        connection.execute(f"DETACH {alias}")


def _load_inputs(connection, directory: Path, shard: str) -> None:
    """In the link step (side by side with the other shards): the shard's Parquet files into its file."""
    input_root = Path(directory) / "input"
    for folder in sorted(p for p in input_root.iterdir() if p.is_dir()):
        files = input_files(directory, folder.name, shard)
        if files:
            listed = "[" + ", ".join(quote_literal(str(f)) for f in files) + "]"
            connection.execute(f"CREATE TABLE {_table_name(folder.name)} AS SELECT * EXCLUDE (_shard) "
                               f"FROM read_parquet({listed}, hive_partitioning = true)")


def link(directory: Path, shard: str, config: UnifyConfig | None = None, id_key: str | None = None,
         memory_limit: str | None = None, threads: int | None = None, log: Log = lambda m: None) -> dict[str, Any]:
    """Unify one shard in its own file (no other file is opened); returns its figures, model and timings."""
    if not SHARD_NAME.match(shard):
        raise ValueError(f"not a shard name: {shard!r}")
    path = Path(directory) / f"{shard}.duckdb"
    if not path.is_file():
        raise FileNotFoundError(f"shard file {path} is missing: the plan step of this run did not write it")
    began = time.perf_counter()
    # the warehouse resource's own connection, on the shard's file (spill folder beside it, same settings)
    with DuckDBWarehouse(database_path=str(path), memory_limit=memory_limit, threads=threads).connect() as connection:
        _load_inputs(connection, directory, shard)
        records = count_rows(connection, "staging.person_record")
        result = stage_unify(connection, config, log, id_key)
        # the previous release's slice was only an input: the merge must not take it for output
        for table in (PERSON_TABLE, PERSON_SOURCE_TABLE, PERSON_ID_HISTORY_TABLE):
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.execute("CHECKPOINT")
    return {"shard": shard, "records": records, "seconds": round(time.perf_counter() - began, 2),
            "figures": result.figures, "timings": result.timings, "trained_model": result.trained_model}


def linked_outcomes(directory: Path) -> list[dict[str, Any]]:
    """The outcome every unify shard of the plan in `directory` wrote; an error names a missing one."""
    return shard_outcomes(directory, "unify")


def merge(connection, directory: Path, outcomes: list[dict[str, Any]], log: Log = lambda m: None) -> UnifyResult:
    """The shards' staged tables as the warehouse's staged tables (`<table>__staging`), one row per person and
    family: a person_id or family_id two shards both built (one NIK confirmed in two provinces, a card
    whose members live in two) keeps the row of the shard with most of its records."""
    began = time.perf_counter()
    names = [o["shard"] for o in sorted(outcomes, key=lambda o: o["shard"])]
    with attached_shards(connection, directory, names, "s") as aliases:
        # which shard speaks for a person (a family): most of its records (members), then the shard name
        _owners(connection, aliases, "shard_person_owner", "person_id", staging_table(PERSON_SOURCE_TABLE))
        _owners(connection, aliases, "shard_family_owner", "family_id", staging_table(PERSON_TABLE))
        for table in ALL_TABLES:
            target = staging_table(table)
            parts = []
            for name, alias in aliases.items():
                source = f"{alias}.{target}"
                key = MERGE_KEYS.get(table)
                if key is None:
                    parts.append(f"SELECT * FROM {source}")
                else:
                    owner = "shard_person_owner" if key == "person_id" else "shard_family_owner"
                    parts.append(f"SELECT t.* FROM {source} AS t LEFT JOIN {owner} AS o USING ({key}) "
                                 f"WHERE o.shard IS NULL OR o.shard = {quote_literal(name)}")
            union = " UNION ALL BY NAME ".join(parts)
            if table == PERSON_ID_HISTORY_TABLE:     # every shard had all retired ids
                union = f"SELECT DISTINCT * FROM ({union})"
            connection.execute(f"CREATE OR REPLACE TABLE {target} AS {union}")
        shared_persons = scalar(connection, "SELECT count(*) FROM shard_person_owner WHERE shards > 1")
        shared_families = scalar(connection, "SELECT count(*) FROM shard_family_owner WHERE shards > 1")
        split = _split_families(connection, aliases)
        connection.execute("DROP TABLE IF EXISTS shard_person_owner")
        connection.execute("DROP TABLE IF EXISTS shard_family_owner")
    figures = merged_figures([o["figures"] for o in outcomes])
    figures["shards"] = {o["shard"]: {"records": o["records"], "seconds": o["seconds"]} for o in outcomes}
    figures["shared_across_shards"] = {"persons": int(shared_persons), "families": int(shared_families),
                                       "split_families": split}
    log(f"shards merged: {len(outcomes)} shards, {shared_persons} persons and {shared_families} families in more than "
        f"one, {split} families with members linked in different shards")
    timings: dict[str, float] = {}
    for o in outcomes:
        for key, seconds in o["timings"].items():
            timings[key] = timings.get(key, 0.0) + seconds      # CPU-like: summed over shards
    timings["merge"] = time.perf_counter() - began
    largest = max(outcomes, key=lambda o: o["records"])
    return UnifyResult(trained_model=largest["trained_model"], figures=figures, timings=timings)


def _split_families(connection, aliases: dict[str, str]) -> int:
    """Families whose published members (each person from the shard that owns it) are not the members the
    shard that owns the family built it from: a card whose members' records lie in two shards (e.g. a
    child listed by a source in the province where she studies, on her parents' card). The owning shard's
    family row (size, head, composition) does not describe them; `merge` cannot rebuild it."""
    members = " UNION ALL ".join(
        f"SELECT person_id, family_id, {quote_literal(name)} AS shard FROM {alias}.{staging_table(PERSON_TABLE)} "
        f"WHERE is_active AND family_id IS NOT NULL" for name, alias in aliases.items())
    return int(scalar(connection, f"""
        WITH member AS ({members}),
        published AS (SELECT m.family_id, m.person_id FROM member AS m JOIN shard_person_owner AS o USING (person_id)
                      WHERE m.shard = o.shard),
        built AS (SELECT m.family_id, m.person_id FROM member AS m JOIN shard_family_owner AS o USING (family_id)
                  WHERE m.shard = o.shard)
        SELECT count(DISTINCT family_id) FROM (
            (SELECT * FROM published EXCEPT SELECT * FROM built)
            UNION ALL (SELECT * FROM built EXCEPT SELECT * FROM published))"""))


def _owners(connection, aliases: dict[str, str], owner_table: str, key: str, counted_in: str) -> None:
    """`owner_table`: for each `key`, the shard with most rows of `counted_in` for it, and in how many shards."""
    votes = " UNION ALL ".join(
        f"SELECT {key}, {quote_literal(name)} AS shard, count(*) AS n FROM {alias}.{counted_in} "
        f"WHERE {key} IS NOT NULL GROUP BY {key}" for name, alias in aliases.items())
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE {owner_table} AS
        SELECT {key}, arg_min(shard, (-n, shard)) AS shard, count(*) AS shards FROM ({votes}) GROUP BY {key}""")


def merged_figures(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The shards' figures as one run's: counts added, rates recomputed from the added counts."""
    if len(parts) == 1:
        return dict(parts[0])
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            merged[key] = _add(merged.get(key), value)
    records = merged.get("records_by_source", {})
    confirmed = {}
    padan = {}
    for part in parts:    # the rates are shares of the source's records: add the numerators back up
        for source, n in part.get("records_by_source", {}).items():
            padan[source] = padan.get(source, 0.0) + (part["padan_rate_by_source"].get(source) or 0.0) * n
            confirmed[source] = confirmed.get(source, 0.0) + (part["nik_confirmed_rate_by_source"].get(source) or 0.0) * n
    merged["padan_rate_by_source"] = {s: round(padan[s] / n, 6) if n else None for s, n in records.items()}
    merged["nik_confirmed_rate_by_source"] = {s: round(confirmed[s] / n, 6) if n else None for s, n in records.items()}
    total = merged.get("records", 0)
    comparisons = merged.get("comparisons", {})
    merged["comparisons_per_record"] = round(sum(comparisons.values()) / total, 3) if total else 0.0
    searched = merged.get("records_searched", 0)
    merged["candidates_per_searched_record"] = round(comparisons.get("search", 0) / searched, 3) if searched else 0.0
    families = [p["families"] for p in parts]
    count = sum(f["total"] for f in families)
    merged["families"] = {"total": count, "mean_jumlah_art": round(
        sum(f["total"] * f["mean_jumlah_art"] for f in families) / count, 3) if count else 0.0}
    merged["nik_correction_examples"] = _join_markdown([p.get("nik_correction_examples", "") for p in parts])
    return merged


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return copy.deepcopy(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _add(a.get(k), b.get(k)) if k in b else a[k] for k in [*a, *(k for k in b if k not in a)]}
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return a + b
    return a


def _join_markdown(tables: Iterable[str]) -> str:
    tables = [t for t in tables if t]
    if not tables:
        return ""
    head = tables[0].splitlines()[:2]
    rows = sorted({line for t in tables for line in t.splitlines()[2:]})
    return "\n".join(head + rows)


PLAN_FILE = "plan.json"     # in each stage's shard folder (staging, unify, score): the shards and their settings


def read_plan(directory: Path) -> dict[str, Any]:
    return json.loads((Path(directory) / PLAN_FILE).read_text())


# --- what every kind of shard (staging, unify, score) does the same way ---

def province_shard_table(connection, table: str, shards: Sequence[Shard]) -> None:
    """Temp table `table` (prov, shard): the shard each planned province went to."""
    values = ", ".join(f"({quote_literal(p)}, {quote_literal(s.name)})" for s in shards for p in s.provinces)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} (prov VARCHAR, shard VARCHAR)")
    connection.execute(f"INSERT INTO {table} VALUES {values}")


def shard_outcomes(directory: Path, stage: str) -> list[dict[str, Any]]:
    """The outcome (`<shard>.json`) every shard of the plan in `directory` wrote, in the plan's order; an error
    names a shard whose step did not finish."""
    outcomes = []
    for shard in read_plan(directory)["shards"]:
        path = Path(directory) / f"{shard['name']}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{stage} shard {shard['name']} has no outcome ({path}): its step did not finish")
        outcomes.append(json.loads(path.read_text()))
    return outcomes


@contextmanager
def attached_shards(connection, directory: Path, names: Sequence[str], prefix: str) -> Iterator[dict[str, str]]:
    """The shards' DuckDB files attached read-only to the warehouse connection for a merge: shard -> alias."""
    aliases: dict[str, str] = {}
    try:
        for i, name in enumerate(names):
            connection.execute(f"ATTACH {quote_literal(str(Path(directory) / f'{name}.duckdb'))} "
                               f"AS {prefix}_{i} (READ_ONLY)")
            aliases[name] = f"{prefix}_{i}"
        yield aliases
    finally:
        for alias in aliases.values():
            connection.execute(f"DETACH {alias}")


def prepare(connection, directory: Path, min_records: int = DEFAULT_MIN_RECORDS, id_key: str | None = None,
            log: Log = lambda m: None, **plan_extra: Any) -> list[Shard]:
    """plan and export, and `plan.json` (the shards and `plan_extra`) in `directory`: what every link reads."""
    ids.ensure_id_key(connection, id_key)
    removed = remove_other_runs(directory)
    if removed:
        log(f"shards: removed the shard folders of earlier runs that did not merge: {', '.join(removed)}")
    planned = plan(connection, min_records)
    export(connection, planned, directory, log)
    (Path(directory) / PLAN_FILE).write_text(json.dumps({"shards": shard_summary(planned), **plan_extra}, indent=1))
    return planned


def link_and_keep(directory: Path, shard: str, config: UnifyConfig | None = None, id_key: str | None = None,
                  memory_limit: str | None = None, threads: int | None = None, log: Log = lambda m: None) -> dict[str, Any]:
    """`link`, and its outcome kept as `<shard>.json` beside the shard file for the merge."""
    outcome = link(directory, shard, config, id_key, memory_limit, threads, log)
    (Path(directory) / f"{shard}.json").write_text(json.dumps(outcome, default=str))
    return outcome


def stage_unify_sharded(connection, directory: Path, config: UnifyConfig | None = None, log: Log = lambda m: None,
                        id_key: str | None = None, min_records: int = DEFAULT_MIN_RECORDS,
                        keep_files: bool = False) -> UnifyResult:
    """All of it in one process, one shard after another: prepare, link every shard, merge."""
    planned = prepare(connection, directory, min_records, id_key, log)
    for shard in planned:
        link_and_keep(directory, shard.name, config, id_key, log=log)
    try:
        return merge(connection, directory, linked_outcomes(directory), log)
    finally:
        if not keep_files:
            shutil.rmtree(directory, ignore_errors=True)


def shard_summary(shards: list[Shard]) -> list[dict[str, Any]]:
    return [asdict(s) for s in shards]
