"""Releases on hand-made tables: a run's tables are its own until dtsen/release publishes all of them at once."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dtsen_assets.release import CheckTally, ReleaseRefused, contract_tables, current_release, release_run
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.warehouse import (
    RunScopedConnection, all_run_tables, publish, raw_connection, staging_table, table_exists,
)

PASSED = CheckTally(passed=3, failed=[], failed_steps=[])


def stage(connection, table: str, select: str) -> None:
    connection.execute(f"CREATE OR REPLACE TABLE {staging_table(table)} AS {select}")


def build_release(warehouse: DuckDBWarehouse, run_key: str, persons: int, tally: CheckTally = PASSED,
                  fail_before_release: bool = False) -> dict | None:
    """What the assets of one run do: stage, publish (as the run's), read each other's tables, release."""
    with warehouse.connect() as plain:
        connection = RunScopedConnection(plain, run_key)
        stage(connection, "raw.drop_file", f"SELECT 'dtks/art.csv' AS path, '{run_key}' AS sha256, 'dtks_art' AS source_key, 1 AS size_bytes")
        stage(connection, "dtsen.person", f"SELECT 'P' || i AS person_id, i % 4 <> 0 AS is_active FROM range({persons}) t(i)")
        publish(connection, ["raw.drop_file", "dtsen.person"])
        # a later asset of the same run reads this run's dtsen.person, not the published one
        stage(connection, "dtsen.family", "SELECT person_id AS family_id FROM dtsen.person WHERE is_active")
        publish(connection, ["dtsen.family"])
        if fail_before_release:
            return None
        return release_run(connection, run_key, f"{run_key}-run", "code-1", tally)


def counts(warehouse: DuckDBWarehouse) -> dict[str, int]:
    with warehouse.connect(read_only=True) as connection:
        return {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("dtsen.person", "dtsen.family", "raw.drop_file") if table_exists(connection, t)}


@pytest.fixture
def warehouse(tmp_path: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse(database_path=str(tmp_path / "w.duckdb"))


def test_names_resolve_to_the_run_outside_literals_and_comments() -> None:
    connection = RunScopedConnection(duckdb.connect(), "abcd1234", {"dtsen.person": "dtsen.person__run_abcd1234"})
    sql = ("-- dtsen.person's rows\nSELECT 'dtsen.person', p.x FROM dtsen.person AS p "
           "JOIN dtsen_warehouse.dtsen.person q ON dtsen.person.x = 1 JOIN dtsen.person_source s "
           "JOIN memory.dtsen.person m JOIN dtsen.person__staging t /* dtsen.person */")
    assert connection.resolve_sql(sql) == (
        "-- dtsen.person's rows\nSELECT 'dtsen.person', p.x FROM dtsen.person__run_abcd1234 AS p "
        "JOIN dtsen_warehouse.dtsen.person__run_abcd1234 q ON dtsen.person__run_abcd1234.x = 1 "
        "JOIN dtsen.person_source s JOIN memory.dtsen.person m JOIN dtsen.person__staging t /* dtsen.person */")
    assert connection.cursor().versions is connection.versions   # cursors see what the run publishes later


def test_a_run_publishes_nothing_until_its_release(warehouse: DuckDBWarehouse) -> None:
    first = build_release(warehouse, "aaaa0001", persons=8)
    assert counts(warehouse) == {"dtsen.person": 8, "dtsen.family": 6, "raw.drop_file": 1}
    assert first["persons_active"] == 6 and first["families"] == 6 and first["tables_released"] == 3

    build_release(warehouse, "bbbb0002", persons=20, fail_before_release=True)
    assert counts(warehouse) == {"dtsen.person": 8, "dtsen.family": 6, "raw.drop_file": 1}
    with warehouse.connect(read_only=True) as connection:
        # the failed run's tables stay for inspection, under its own names, built from its own person table
        left = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for _, table, _ in all_run_tables(connection)}
        assert left == {"dtsen.family__run_bbbb0002": 15, "dtsen.person__run_bbbb0002": 20,
                        "raw.drop_file__run_bbbb0002": 1}
        assert current_release(connection)["release_id"] == first["release_id"]

    second = build_release(warehouse, "cccc0003", persons=12)
    assert counts(warehouse) == {"dtsen.person": 12, "dtsen.family": 9, "raw.drop_file": 1}
    assert sorted(second["leftovers_removed"]) == sorted(left)
    with warehouse.connect(read_only=True) as connection:
        rows = connection.execute("SELECT release_id, is_current, persons_active, drop_sha256 FROM dtsen.release "
                                  "ORDER BY published_at").fetchall()
        assert [(r[0], r[1], r[2]) for r in rows] == [(first["release_id"], False, 6), (second["release_id"], True, 9)]
        assert rows[0][3] != rows[1][3] and len(rows[1][3]) == 64   # a different drop, a different hash
        assert all_run_tables(connection) == []
        assert contract_tables(connection) == ["dtsen.family", "dtsen.person", "dtsen.release"]


def test_a_release_with_a_failed_blocking_check_is_refused_and_changes_nothing(warehouse: DuckDBWarehouse) -> None:
    build_release(warehouse, "aaaa0001", persons=8)
    failed = CheckTally(passed=2, failed=["welfare/decile:desil_shares"], failed_steps=[])
    with pytest.raises(ReleaseRefused, match="desil_shares"):
        build_release(warehouse, "bbbb0002", persons=20, tally=failed)
    assert counts(warehouse) == {"dtsen.person": 8, "dtsen.family": 6, "raw.drop_file": 1}
    with warehouse.connect(read_only=True) as connection:
        assert connection.execute("SELECT count(*), count(*) FILTER (is_current) FROM dtsen.release").fetchone() == (1, 1)


def test_without_a_run_publish_is_direct(warehouse: DuckDBWarehouse) -> None:
    with warehouse.connect() as connection:
        assert raw_connection(connection) is connection
        stage(connection, "dtsen.person", "SELECT 1 AS person_id")
        publish(connection, ["dtsen.person"])
        assert table_exists(connection, "dtsen.person") and not table_exists(connection, "dtsen.person__staging")


def test_release_consistency_check_finds_a_family_missing_from_dtsen_family() -> None:
    """The stand-alone check on dtsen/release reads across the published tables."""
    import duckdb as _duckdb

    from dtsen_assets.checks.release import check_release_tables_consistent

    connection = _duckdb.connect(":memory:")
    for schema in ("dtsen", "welfare"):
        connection.execute(f"CREATE SCHEMA {schema}")
    connection.execute("CREATE TABLE dtsen.family AS SELECT * FROM (VALUES ('f1'), ('f2')) t(family_id)")
    connection.execute("CREATE TABLE welfare.decile AS SELECT * FROM (VALUES ('f1', 1), ('f2', 2)) t(family_id, desil)")
    passed = check_release_tables_consistent(connection)
    assert passed.passed and not passed.blocking
    connection.execute("INSERT INTO welfare.decile VALUES ('f9', 3)")
    failed = check_release_tables_consistent(connection)
    assert not failed.passed
    assert failed.metadata["missing_welfare.decile.family_id"] == 1
    assert "welfare.decile.family_id: 1 row(s) not found" in failed.summary
