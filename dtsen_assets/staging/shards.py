"""Staging by province shard: each shard's raw records cleaned in its own DuckDB file.

    plan    (warehouse) every raw family's province (the first two digits of its cleaned village code),
            its persons with it (through the source's family id), Dukcapil's persons by their own village;
            the provinces packed into shards of at least `min_records` rows (source person records and
            Dukcapil persons); the raw rows
            written as Parquet by shard, staging.codebook and staging.wilayah whole; `plan.json`;
    build   (shard files only) the shard's raw rows into its own DuckDB file, then the same
            `build_family_record`, `build_person_record` and `build_dukcapil_person` as on the warehouse;
    merge   (warehouse, in each staging asset's gate) every shard's table into the staged table, sorted by
            (source, line_number) as the national build writes it; the checks and the publication are the
            staging asset's as always.

Why it is the same answer as one national build: staging is row by row (its distinct-value lookups of
codes, names, dates and village codes are memoization, not context), a person's card and village come
from its own family, and a family and its persons are cut into the same shard. A person whose family is
not in the drop goes with the records that have no province (`NO_REGION`), as does a family whose
village code has none; the staging checks run on the merged table, so they see the whole drop.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dtsen_assets.platform.sql import quote_literal, run_sql
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.staging.dukcapil import DUKCAPIL_PERSON_TABLE, build_dukcapil_person
from dtsen_assets.staging.family import FAMILY_RECORD_TABLE, FAMILY_SOURCES, build_family_record
from dtsen_assets.staging.person import PERSON_RECORD_TABLE, PERSON_SOURCES, build_person_record
from dtsen_assets.staging.reference import CODEBOOK_TABLE, WILAYAH_TABLE, install_cleaning_rules
from dtsen_assets.unify.shards import (NO_REGION, PLAN_FILE, SHARD_NAME, Shard, attached_shards, input_files, pack,
                                       province_of, province_shard_table, read_plan, shard_outcomes, shard_summary)

DEFAULT_MIN_RECORDS = 400_000     # source person records and Dukcapil persons: 5 shards at 1M persons
# the merge sorts each table range by range of line_number, about this many rows at a time
MERGE_ROWS_PER_RANGE = 2_000_000
DUKCAPIL_RAW = "raw.dukcapil_penduduk"
# by source, the raw column of the family id (in its family and person files) and of the village code (family
# files, Dukcapil), as sql/staging/shard_provinces.sql reads them
FAMILY_ID_COLUMNS = {"dtks": "ID_KELUARGA", "p3ke": "ID_KELUARGA_P3KE", "regsosek": "ID_KELUARGA"}
VILLAGE_COLUMNS = {"dtks": "KODE_WILAYAH", "p3ke": "KODE_DESA", "regsosek": "KODE_DESA", "dukcapil": "KODE_DESA"}
PERSON_TABLES = tuple(raw for _, raw in PERSON_SOURCES)
# what a shard builds, in this order (persons read the shard's family_record), and how each is sorted
SHARDED_TABLES = {
    FAMILY_RECORD_TABLE: (build_family_record, ("source", "line_number")),
    PERSON_RECORD_TABLE: (build_person_record, ("source", "line_number")),
    DUKCAPIL_PERSON_TABLE: (build_dukcapil_person, ("line_number",)),
}
RAW_TABLES = tuple(raw for _, raw in FAMILY_SOURCES) + tuple(raw for _, raw in PERSON_SOURCES) + (DUKCAPIL_RAW,)

Log = Callable[[str], None]


def staging_directory(run_directory: Path) -> Path:
    """The staging shards' folder inside a run's shard folder (build outputs, removed with it)."""
    return Path(run_directory) / "staging"


def prepare(connection, directory: Path, min_records: int = DEFAULT_MIN_RECORDS, log: Log = lambda m: None,
            **plan_extra: Any) -> list[Shard]:
    """Plan the shards and write each one's raw rows (Parquet by shard), the reference tables and `plan.json`."""
    directory = Path(directory)
    if directory.exists():
        shutil.rmtree(directory)
    (directory / "input").mkdir(parents=True)
    install_cleaning_rules(connection)
    began = time.perf_counter()
    _province_tables(connection)
    planned = pack(connection, "staging_shard_village", min_records, rows="sum(records)")
    province_shard_table(connection, "staging_shard_of_province", planned)
    # a province no row was counted in (a family without members, of a village Dukcapil has nobody in)
    # still needs a shard: the first one
    fallback = quote_literal(planned[0].name)
    log(f"staging shards: provinces of {len(planned)} shards found in {time.perf_counter() - began:.1f} s")
    for source, raw in (*FAMILY_SOURCES, *PERSON_SOURCES, ("dukcapil", DUKCAPIL_RAW)):
        if raw in PERSON_TABLES:        # a person goes with its family
            province = (f"LEFT JOIN staging_shard_family AS v ON v.source = {quote_literal(source)} "
                        f"AND v.source_family_id = r.{FAMILY_ID_COLUMNS[source]}")
        else:                           # a family, a Dukcapil person: by its own village
            province = (f"LEFT JOIN staging_shard_village_code AS v "
                        f"ON v.kode_desa_raw IS NOT DISTINCT FROM r.{VILLAGE_COLUMNS[source]}")
        query = (f"SELECT r.*, coalesce(m.shard, {fallback}) AS _shard FROM {raw} AS r {province} "
                 f"LEFT JOIN staging_shard_of_province AS m ON m.prov = v.prov")
        began = time.perf_counter()
        connection.execute(f"COPY ({query}) TO {quote_literal(str(directory / 'input' / raw))} "
                           "(FORMAT parquet, PARTITION_BY (_shard), OVERWRITE_OR_IGNORE)")
        # the columns, for a shard that has no row of this table
        connection.execute(f"COPY (SELECT * FROM {raw} WHERE false) TO "
                           f"{quote_literal(str(directory / 'input' / f'{raw}.empty.parquet'))} (FORMAT parquet)")
        log(f"staging shards: {raw} written by shard in {time.perf_counter() - began:.1f} s")
    for table in (CODEBOOK_TABLE, WILAYAH_TABLE):
        connection.execute(f"COPY {table} TO {quote_literal(str(directory / 'input' / f'{table}.parquet'))} "
                           "(FORMAT parquet)")
    for temp in ("staging_shard_family", "staging_shard_village_code", "staging_shard_village",
                 "staging_shard_of_province"):
        connection.execute(f"DROP TABLE IF EXISTS {temp}")
    (directory / PLAN_FILE).write_text(json.dumps({"shards": shard_summary(planned), **plan_extra}, indent=1))
    return planned


def _province_tables(connection) -> None:
    """Temp tables: each raw village code's province, each raw family's, and the rows (source person records,
    Dukcapil persons) by province (`staging_shard_village`: kode_desa, records) that the shards are packed by."""
    run_sql(connection, "staging/shard_provinces", province=province_of("clean_region_code(kode_desa_raw, 10)"),
            no_region=NO_REGION)


def build(directory: Path, shard: str, memory_limit: str | None = None, threads: int | None = None,
          log: Log = lambda m: None) -> dict[str, Any]:
    """Clean one shard's raw rows in its own file (no other DuckDB file is opened); its outcome is kept as
    `<shard>.json` for the merge."""
    if not SHARD_NAME.match(shard):
        raise ValueError(f"not a shard name: {shard!r}")
    directory = Path(directory)
    began = time.perf_counter()
    path = directory / f"{shard}.duckdb"
    path.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    with DuckDBWarehouse(database_path=str(path), memory_limit=memory_limit, threads=threads).connect() as connection:
        for schema in ("raw", "staging"):
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in (CODEBOOK_TABLE, WILAYAH_TABLE):
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM "
                               f"read_parquet({quote_literal(str(directory / 'input' / f'{table}.parquet'))})")
        for raw in RAW_TABLES:
            _load_raw(connection, directory, raw, shard)
        for table, (build_table, _) in SHARDED_TABLES.items():
            step = time.perf_counter()
            build_table(connection, table)
            rows[table] = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            log(f"staging shard {shard}: {table} {rows[table]:,} rows in {time.perf_counter() - step:.1f} s")
        for raw in RAW_TABLES:   # the shard's copy of the source rows is not needed past here
            connection.execute(f"DROP TABLE {raw}")
        connection.execute("CHECKPOINT")
    outcome = {"shard": shard, "rows": rows, "records": rows[PERSON_RECORD_TABLE],
               "seconds": round(time.perf_counter() - began, 2)}
    (directory / f"{shard}.json").write_text(json.dumps(outcome))
    return outcome


def _load_raw(connection, directory: Path, raw: str, shard: str) -> None:
    files = input_files(directory, raw, shard)
    if files:
        listed = "[" + ", ".join(quote_literal(str(f)) for f in files) + "]"
        source = f"(SELECT * EXCLUDE (_shard) FROM read_parquet({listed}, hive_partitioning = true))"
    else:
        source = f"read_parquet({quote_literal(str(directory / 'input' / f'{raw}.empty.parquet'))})"
    # in raw line order, as the warehouse's raw table (staging keeps no order of its own but this one)
    connection.execute(f"CREATE TABLE {raw} AS SELECT * FROM {source} ORDER BY _line_number")


def _line_ranges(connection, union: str, order: Sequence[str], rows_per_range: int) -> list[str]:
    """Conditions cutting the rows of `union` into ranges of about `rows_per_range` rows, in `order`
    ((source,) line_number): per source, equal spans of line numbers (raw lines are dense, so equal spans
    hold about equal rows). One ORDER BY of a national table runs out of memory at 10M persons."""
    grouped = len(order) == 2
    group = order[0] if grouped else "NULL"
    spans = connection.execute(f"SELECT {group}, min(line_number), max(line_number), count(*) FROM ({union}) "
                               "GROUP BY ALL ORDER BY 1").fetchall()
    conditions = []
    for value, low, high, rows in spans:
        prefix = f"{group} = {quote_literal(value)} AND " if grouped else ""
        parts = max(1, -(-rows // rows_per_range))
        width = -(-(high - low + 1) // parts)
        for i in range(parts):
            conditions.append(f"{prefix}line_number >= {low + i * width} AND line_number < {low + (i + 1) * width}")
    if grouped:
        conditions.append(f"{group} IS NULL OR line_number IS NULL")
    else:
        conditions.append("line_number IS NULL")
    return conditions


def merge(connection, directory: Path, table: str, target: str, rows_per_range: int = MERGE_ROWS_PER_RANGE) -> int:
    """Every shard's `table` as `target` in the warehouse, in the national build's order; returns the rows."""
    directory = Path(directory)
    order = SHARDED_TABLES[table][1]
    done = shard_outcomes(directory, "staging")
    with attached_shards(connection, directory, [o["shard"] for o in done], "staging_shard") as aliases:
        union = " UNION ALL BY NAME ".join(f"SELECT * FROM {alias}.{table}" for alias in aliases.values())
        connection.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM ({union}) WHERE false")
        for where in _line_ranges(connection, union, order, rows_per_range):
            connection.execute(f"INSERT INTO {target} SELECT * FROM ({union}) WHERE {where} ORDER BY {', '.join(order)}")
    return connection.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
