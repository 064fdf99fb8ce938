"""Staging by province shard (staging/shards.py): the same rows, in the same order, as cleaning the drop
nationally, also with the records a province cannot place (a person whose family is not in the drop, a
family whose village code has no province, one family id in two provinces); and through the Dagster assets."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.assets.staging import staging_assets
from dtsen_assets.assets.staging_shards import staging_shard_assets
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop
from dtsen_assets.staging import shards
from dtsen_assets.staging.person import PERSON_RECORD_TABLE

ALL_STAGING = [*raw_source_assets, *staging_assets]


def _materialize(drop: Path, database: Path, assets, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, resources={"source_drop": SourceDrop(source_dir=str(drop)),
                                             "warehouse": DuckDBWarehouse(database_path=str(database))}, **kwargs)


@pytest.fixture(scope="module")
def raw_warehouse(generated_drop: Path, tmp_path_factory) -> Path:
    """The generated drop's raw and reference tables, with records no province holds added by hand."""
    database = tmp_path_factory.mktemp("staging_shards") / "warehouse.duckdb"
    assert _materialize(generated_drop, database, ALL_STAGING).success
    with duckdb.connect(str(database)) as connection:
        # a person whose family is not in the drop (its card and village stay empty: family_missing)
        connection.execute("INSERT INTO raw.dtks_art SELECT * REPLACE (ID_KELUARGA || '-GONE' AS ID_KELUARGA, "
                           "_line_number + 100000 AS _line_number) FROM raw.dtks_art WHERE _line_number = 2")
        # a family whose village code is broken: no province (its persons go with it)
        connection.execute("UPDATE raw.regsosek_keluarga SET KODE_DESA = '99.X' WHERE _line_number = 3")
        # one P3KE family id listed twice, in two provinces (the family_record check refuses it: both rows stay)
        connection.execute("""INSERT INTO raw.p3ke_keluarga SELECT * REPLACE (
                                  (SELECT KODE_DESA FROM raw.p3ke_keluarga WHERE left(KODE_DESA, 2) <> left(k.KODE_DESA, 2) LIMIT 1) AS KODE_DESA,
                                  _line_number + 100000 AS _line_number)
                              FROM raw.p3ke_keluarga AS k WHERE _line_number = 2""")
        # three Dukcapil persons living in a province no source family is in
        connection.execute("""UPDATE raw.dukcapil_penduduk SET KODE_DESA = (
                                  SELECT min(kode) FROM staging.wilayah WHERE tingkat = 'desa_kelurahan' AND left(kode, 2) NOT IN (
                                      SELECT DISTINCT left(KODE_DESA, 2) FROM raw.p3ke_keluarga UNION SELECT DISTINCT left(KODE_DESA, 2)
                                      FROM raw.regsosek_keluarga UNION SELECT DISTINCT left(KODE_WILAYAH, 2) FROM raw.dtks_keluarga))
                              WHERE _line_number IN (2, 3, 4)""")
        connection.execute("DROP SCHEMA IF EXISTS national CASCADE")
    return database


def _national(connection, table: str) -> list[tuple]:
    build, _ = shards.SHARDED_TABLES[table]
    connection.execute("CREATE SCHEMA IF NOT EXISTS national")
    name = f"national.{table.split('.')[1]}"
    if table == PERSON_RECORD_TABLE:   # persons read the published family_record: the national one
        connection.execute("ALTER TABLE staging.family_record RENAME TO family_record_before")
        connection.execute("CREATE TABLE staging.family_record AS SELECT * FROM national.family_record")
    build(connection, name)
    if table == PERSON_RECORD_TABLE:
        connection.execute("DROP TABLE staging.family_record")
        connection.execute("ALTER TABLE staging.family_record_before RENAME TO family_record")
    return connection.execute(f"SELECT * FROM {name}").fetchall()


@pytest.mark.parametrize("min_records, rows_per_range", [(1, 400), (1200, shards.MERGE_ROWS_PER_RANGE)])
def test_shards_clean_the_rows_of_the_national_build_in_its_order(raw_warehouse: Path, tmp_path: Path,
                                                                   min_records: int, rows_per_range: int) -> None:
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(raw_warehouse, database)
    directory = tmp_path / "staging"
    warehouse = DuckDBWarehouse(database_path=str(database))
    with warehouse.connect() as connection:
        planned = shards.prepare(connection, directory, min_records, run_id="test")
    assert len(planned) >= 3
    assert any(shards.NO_REGION in shard.provinces for shard in planned)
    built = [shards.build(directory, shard.name) for shard in planned]
    if min_records == 1:     # the shard of records without a province has no Dukcapil row: an empty table
        empty = [b for b in built if b["rows"][shards.DUKCAPIL_PERSON_TABLE] == 0]
        assert empty and all(b["records"] > 0 for b in empty)
        # the province only Dukcapil has is a shard of its own, not an extra load on another shard
        only_dukcapil = [b for b in built if b["rows"][shards.FAMILY_RECORD_TABLE] == 0]
        assert [b["rows"] for b in only_dukcapil] == [{shards.FAMILY_RECORD_TABLE: 0, shards.PERSON_RECORD_TABLE: 0,
                                                       shards.DUKCAPIL_PERSON_TABLE: 3}]
    with warehouse.connect() as connection:
        for table in shards.SHARDED_TABLES:
            national = _national(connection, table)
            merged_rows = shards.merge(connection, directory, table, f"{table}__merged", rows_per_range)
            merged = connection.execute(f"SELECT * FROM {table}__merged").fetchall()
            assert merged_rows == len(national) > 100, table
            assert sorted(merged, key=repr) == sorted(national, key=repr), table        # the same rows
            # in the same order, but for a person joined to both rows of the family id listed twice (a tie)
            columns = [d[0] for d in connection.execute(f"SELECT * FROM {table}__merged LIMIT 0").description]
            key = [columns.index(c) for c in shards.SHARDED_TABLES[table][1]]
            counts = Counter(tuple(r[i] for i in key) for r in national)
            assert [r for r in merged if counts[tuple(r[i] for i in key)] == 1] == \
                [r for r in national if counts[tuple(r[i] for i in key)] == 1], table
        # the hand-made records: the orphan person with no card, the broken village's family, the family twice
        assert connection.execute(f"SELECT no_kk, list_contains(problems, 'family_missing') FROM "
                                  f"{PERSON_RECORD_TABLE}__merged WHERE source_family_id LIKE '%-GONE'").fetchall() \
            == [(None, True)]
        twice = "(SELECT ID_KELUARGA_P3KE FROM raw.p3ke_keluarga WHERE _line_number = 2)"
        assert connection.execute("SELECT count(*) FROM staging.family_record__merged WHERE source = 'p3ke' AND "
                                  f"source_family_id = {twice}").fetchone()[0] == 2
        members = connection.execute(f"SELECT count(*) FROM raw.p3ke_individu WHERE ID_KELUARGA_P3KE = {twice}").fetchone()[0]
        assert members > 0 and connection.execute(
            f"SELECT count(*) FROM {PERSON_RECORD_TABLE}__merged WHERE source = 'p3ke' AND source_family_id = {twice}"
        ).fetchone()[0] == 2 * members


def test_a_shard_without_its_step_outcome_stops_the_merge(raw_warehouse: Path, tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(raw_warehouse, database)
    directory = tmp_path / "staging"
    warehouse = DuckDBWarehouse(database_path=str(database))
    with warehouse.connect() as connection:
        planned = shards.prepare(connection, directory, 1200)
    for shard in planned[1:]:
        shards.build(directory, shard.name)
    with warehouse.connect() as connection, pytest.raises(FileNotFoundError, match=planned[0].name):
        shards.merge(connection, directory, PERSON_RECORD_TABLE, f"{PERSON_RECORD_TABLE}__merged")


def test_the_staging_assets_merge_the_shards_of_their_run(generated_drop: Path, tmp_path: Path) -> None:
    national_db, sharded_db = tmp_path / "national" / "w.duckdb", tmp_path / "sharded" / "w.duckdb"
    assert _materialize(generated_drop, national_db, ALL_STAGING).success
    result = _materialize(generated_drop, sharded_db, [*ALL_STAGING, *staging_shard_assets], run_config={
        "ops": {"staging__shards": {"ops": {"staging_shard_plan": {"config": {"min_shard_records": 1000}}}}}})
    assert result.success
    metadata = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    shard_count = metadata["shards"]["shards"].value
    assert shard_count >= 2
    for name in ("family_record", "person_record", "dukcapil_person"):
        assert metadata[name]["staged_in"].value == f"{shard_count} province shards (staging/shards)"
    assert metadata["susenas_household"]["staged_in"].value == "this step"
    checks = [c for c in result.get_asset_check_evaluations() if c.asset_key.path[-1] == "person_record"]
    assert checks and all(c.passed for c in checks if c.check_name != "problem_shares")
    with duckdb.connect(str(national_db), read_only=True) as national, \
            duckdb.connect(str(sharded_db), read_only=True) as sharded:
        for table in shards.SHARDED_TABLES:
            assert sharded.execute(f"SELECT * FROM {table}").fetchall() == \
                national.execute(f"SELECT * FROM {table}").fetchall(), table
