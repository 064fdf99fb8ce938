"""The staging assets materialized over a tiny hand-made drop, together with the raw assets."""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg
import duckdb

from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.assets.staging import PERSON_RECORD_KEY, staging_assets
from dtsen_assets.contract import SOURCE_FILES_BY_KEY
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop

STAGING_TABLES = ("codebook", "wilayah", "family_record", "person_record", "dukcapil_person",
                  "susenas_household", "verivali_decision")


def _materialize(drop: Path, warehouse: Path, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*raw_source_assets, *staging_assets],
        resources={"source_drop": SourceDrop(source_dir=str(drop)),
                   "warehouse": DuckDBWarehouse(database_path=str(warehouse))},
        **kwargs,
    )


def test_staging_assets_publish_every_table(tiny_drop: Path, warehouse_path: Path) -> None:
    result = _materialize(tiny_drop, warehouse_path)
    assert result.success
    checks = result.get_asset_check_evaluations()
    staged_checks = [c for c in checks if c.asset_key.path[0] == "staging"]
    assert staged_checks and all(c.passed for c in staged_checks if c.check_name != "problem_shares")
    materialized = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()
                    if e.asset_key.path[0] == "staging"}
    assert set(materialized) == set(STAGING_TABLES)
    persons = materialized["person_record"]
    assert persons["dagster/row_count"].value == 5
    assert {c.name for c in persons["dagster/column_schema"].schema.columns} >= {"nik", "nik_valid", "problems"}
    assert "nik_apostrophe" in persons["problem_counts"].value
    assert "unknown_code_shares" in persons
    # personal data is masked in every piece of metadata, raw columns included
    shown = " ".join(str(v.value) for metadata in materialized.values() for v in metadata.values())
    for secret in ("3204101203780001", "AHMAD SOLEH", "SITI AMINAH", "3204100101150001"):
        assert secret not in shown
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        counts = dict(connection.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'staging'").fetchall())
        assert set(counts) == set(STAGING_TABLES)    # no __staging table left behind
        assert connection.execute(
            "SELECT nama, problems FROM staging.person_record WHERE source_record_id = 'ART-0001'"
        ).fetchone() == ("AHMAD SOLEH", ["nik_apostrophe", "name_title_removed"])


def test_a_source_that_changed_its_codes_publishes_nothing(tiny_drop: Path, warehouse_path: Path) -> None:
    # Six DTKS families whose floor codes the codebook does not know: far above the threshold.
    source_file = SOURCE_FILES_BY_KEY["dtks_keluarga"]
    path = tiny_drop / source_file.path
    with path.open(encoding="utf-8", newline="") as handle:
        first = next(csv.DictReader(handle, delimiter=";"))
    rows = [{**first, "ID_KELUARGA": f"DTKS-000{i}", "LANTAI": "L-04"} for i in range(1, 7)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)

    result = _materialize(tiny_drop, warehouse_path, raise_on_error=False)
    assert not result.success
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed and c.asset_key.path[0] == "staging"]
    assert [(c.asset_key.path[-1], c.check_name) for c in failed if c.check_name != "problem_shares"] == [
        ("family_record", "unknown_codes_under_threshold")]
    assert "dtks.lantai 6 of 6 (100.0%)" in failed[0].metadata["summary"].value
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert PERSON_RECORD_KEY not in materialized      # downstream of the failed table: not run
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        tables = {r[0] for r in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging'").fetchall()}
    assert "family_record" not in tables and "family_record__staging" not in tables
    assert "dukcapil_person" in tables              # independent tables still published


def test_staging_assets_load_with_the_raw_assets() -> None:
    defs = dg.Definitions(assets=[*raw_source_assets, *staging_assets],
                          resources={"source_drop": SourceDrop(), "warehouse": DuckDBWarehouse()})
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    for key in (a.key for a in staging_assets):
        node = graph.get(key)
        assert node.group_name == "staging" and node.owners and node.kinds == {"duckdb"} and node.code_version
        assert len(node.description) > 30
        assert all(parent.path[0] in ("raw", "staging") for parent in node.parent_keys)
    person_checks = {c.name: graph.get_check_spec(c) for c in graph.get_check_keys_for_assets([PERSON_RECORD_KEY])}
    assert {n for n, spec in person_checks.items() if spec.blocking} == {
        "one_row_per_raw_record", "unknown_codes_under_threshold", "family_exists"}
    assert not person_checks["problem_shares"].blocking
