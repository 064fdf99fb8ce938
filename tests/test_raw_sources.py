"""Raw source assets: a valid drop is published; each contract violation stops the run with a
message naming the file, the column and example lines, and leaves the published table as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import markdown
import pytest

from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.contract import SOURCE_FILES, SOURCE_FILES_BY_KEY
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop
from tests.test_broken_deliveries import append, duplicate_id
from dtsen_assets.resources.duckdb import CATALOG_ALIAS
from tests.fixtures.tiny_drop import ROWS, write_csv


def materialize(drop: Path, database: Path, selection: list[str] | None = None) -> dg.ExecuteInProcessResult:
    assets = raw_source_assets
    if selection:
        assets = [a for a in raw_source_assets if a.key.path[-1] in selection]
    return dg.materialize(
        assets,
        resources={"source_drop": SourceDrop(source_dir=str(drop)), "warehouse": DuckDBWarehouse(database_path=str(database))},
        raise_on_error=False,
    )


def published(database: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(f"SELECT * FROM {table} ORDER BY _source_file, _line_number").fetchall()


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "expected a failed step"
    return "\n".join(str(e.event_specific_data.error.message) for e in failures)


def check_results(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], bool]:
    """(raw file key, check name) -> passed."""
    return {
        (e.event_specific_data.asset_key.path[-1], e.event_specific_data.check_name): e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_valid_drop_is_published_with_every_row_as_text(tiny_drop: Path, warehouse_path: Path) -> None:
    result = materialize(tiny_drop, warehouse_path)
    assert result.success
    for source_file in SOURCE_FILES:
        rows = published(warehouse_path, source_file.table)
        assert len(rows) == len(ROWS[source_file.key]), source_file.key
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        # original text kept: the apostrophe before the NIK and the leading zeros of RT survive
        nik, = connection.execute("SELECT NIK FROM raw.dtks_art WHERE ID_ART = 'ART-0001'").fetchone()
        assert nik == "'3204101203780001"
        rt, = connection.execute("SELECT RT FROM raw.dukcapil_penduduk ORDER BY _line_number LIMIT 1").fetchone()
        assert rt == "001"
        types = {r[1] for r in connection.execute("DESCRIBE raw.regsosek_keluarga").fetchall()
                 if not r[0].startswith("_")}
        assert types == {"VARCHAR"}
    checks = check_results(result)
    blocking = {key: passed for key, passed in checks.items() if key[1] != "value_formats"}
    assert len(blocking) >= 6 * len(SOURCE_FILES) and all(blocking.values())
    # informative only: one of the two DTKS NIKs carries an apostrophe, under the 80% format share
    assert checks[("dtks_art", "value_formats")] is False
    assert checks[("dukcapil_penduduk", "value_formats")] is True


def test_metadata_carries_hash_schema_and_masked_preview(tiny_drop: Path, warehouse_path: Path) -> None:
    result = materialize(tiny_drop, warehouse_path, ["dukcapil_penduduk"])
    materialization = result.asset_materializations_for_node("raw__dukcapil_penduduk")[0]
    metadata = materialization.metadata
    assert metadata["dagster/row_count"].value == 3
    assert len(metadata["sha256"].value) == 64
    assert metadata["size_bytes"].value == (tiny_drop / "dukcapil/penduduk.csv").stat().st_size
    assert {c.name for c in metadata["dagster/column_schema"].value.columns} >= {"NIK", "NAMA_LGKP", "_line_number"}
    preview = metadata["preview"].value
    assert "3204********0002" in markdown.markdown(preview, extensions=["tables"])   # as the UI renders it
    for clear in ("3204105508800002", "SITI AMINAH", "1980-08-15", "JL. MAWAR"):
        assert clear not in preview
    assert materialization.tags["dagster/data_version"] == metadata["sha256"].value


def test_columns_in_another_order_and_extra_columns_are_accepted(tiny_drop: Path, warehouse_path: Path) -> None:
    source_file = SOURCE_FILES_BY_KEY["p3ke_individu"]
    columns = list(reversed(source_file.columns)) + ["KETERANGAN_LAIN"]
    rows = [dict(r, KETERANGAN_LAIN="x") for r in ROWS["p3ke_individu"]]
    write_csv(tiny_drop / source_file.path, rows, columns, ",")
    result = materialize(tiny_drop, warehouse_path, ["p3ke_individu"])
    assert result.success
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        names = [r[0] for r in connection.execute("DESCRIBE raw.p3ke_individu").fetchall()]
    assert names[2:2 + len(source_file.columns)] == list(source_file.columns)
    assert names[-1] == "KETERANGAN_LAIN"


def _header_only(drop: Path) -> None:
    source_file = SOURCE_FILES_BY_KEY["dtks_art"]
    write_csv(drop / source_file.path, [], list(source_file.columns), ";")


# The contract violations (missing column, duplicate id, wrong delimiter, Latin-1, header only, missing
# file, malformed row, mixed line endings) are cases of the corpus in tests/test_broken_deliveries.py,
# which asserts the failed check, the file and column named, no value in the clear and nothing changed.


def test_failed_blocking_check_stops_downstream(tiny_drop: Path, warehouse_path: Path) -> None:
    @dg.asset(deps=[dg.AssetKey(["raw", "dtks_art"])])
    def downstream_of_dtks_art() -> None:
        return None

    _header_only(tiny_drop)
    result = dg.materialize(
        [a for a in raw_source_assets if a.key.path[-1] == "dtks_art"] + [downstream_of_dtks_art],
        resources={"source_drop": SourceDrop(source_dir=str(tiny_drop)),
                   "warehouse": DuckDBWarehouse(database_path=str(warehouse_path))},
        raise_on_error=False,
    )
    assert not result.success
    step_events = {e.step_key: e.event_type_value for e in result.all_events if e.step_key == "downstream_of_dtks_art"}
    assert step_events.get("downstream_of_dtks_art") in ("STEP_SKIPPED", None)
    assert not result.asset_materializations_for_node("downstream_of_dtks_art")


def test_no_verivali_files_is_a_valid_drop(tiny_drop: Path, warehouse_path: Path) -> None:
    shutil.rmtree(tiny_drop / "verivali")
    result = materialize(tiny_drop, warehouse_path, ["verivali_musdes"])
    assert result.success
    assert published(warehouse_path, "raw.verivali_musdes") == []


def test_several_verivali_files_are_loaded_together(tiny_drop: Path, warehouse_path: Path) -> None:
    source_file = SOURCE_FILES_BY_KEY["verivali_musdes"]
    write_csv(tiny_drop / "verivali" / "musdes_3273.csv", ROWS["verivali_musdes"] * 2, list(source_file.columns), ",")
    assert materialize(tiny_drop, warehouse_path, ["verivali_musdes"]).success
    rows = published(warehouse_path, "raw.verivali_musdes")
    assert [(r[0], r[1]) for r in rows] == [("musdes_3204.csv", 2), ("musdes_3273.csv", 2), ("musdes_3273.csv", 3)]


def test_catalog_alias_avoids_clash_with_schema_names(tmp_path: Path) -> None:
    # A file called dtsen.duckdb would otherwise make `dtsen.x` ambiguous (catalog or schema?).
    warehouse = DuckDBWarehouse(database_path=str(tmp_path / "dtsen.duckdb"))
    with warehouse.connect() as connection:
        connection.execute("CREATE TABLE dtsen.person AS SELECT 1 AS person_id")
        assert connection.execute("SELECT current_database()").fetchone()[0] == CATALOG_ALIAS
        assert connection.execute("SELECT count(*) FROM dtsen.person").fetchone()[0] == 1


def test_a_file_with_two_different_problems_reports_both(tiny_drop: Path, warehouse_path: Path) -> None:
    """A malformed row and a duplicated record id: both checks fail, both are named in the failure."""
    duplicate_id(tiny_drop)
    append("dtks/art.csv", "ART-0009;DTKS-0001;3204101203780001;AHMAD SOLEH;12-03-1978;1;1;PADAN;0;X;Y\r\n")(tiny_drop)
    result = materialize(tiny_drop, warehouse_path, ["dtks_art"])
    assert not result.success
    checks = check_results(result)
    assert checks[("dtks_art", "rows_well_formed")] is False
    assert checks[("dtks_art", "record_id_unique")] is False
    message = failure_message(result)
    assert "2 blocking check(s) failed" in message
    assert "rows_well_formed" in message and "too many columns" in message
    assert "record_id_unique" in message and "ID_ART" in message
    for clear in ("3204101203780001", "AHMAD SOLEH"):
        assert clear not in message


def test_a_check_that_was_not_evaluated_is_not_reported_as_failed(tiny_drop: Path, warehouse_path: Path) -> None:
    """drift_within_bounds runs only when every other raw check passed: a file failing earlier leaves it
    unevaluated, which Dagster shows as not executed (its planned evaluation, no failed result)."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    _header_only(tiny_drop)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [a for a in raw_source_assets if a.key.path[-1] == "dtks_art"],
        resources={"source_drop": SourceDrop(source_dir=str(tiny_drop)),
                   "warehouse": DuckDBWarehouse(database_path=str(warehouse_path))},
        raise_on_error=False, instance=instance,
    )
    assert not result.success
    checks = check_results(result)
    assert checks[("dtks_art", "not_empty")] is False
    assert ("dtks_art", "drift_within_bounds") not in checks          # no result, so never "Failed"
    key = dg.AssetCheckKey(dg.AssetKey(["raw", "dtks_art"]), "drift_within_bounds")
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    assert record.status == AssetCheckExecutionRecordStatus.PLANNED   # planned, never evaluated
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "Not evaluated (they run only after the checks above pass): drift_within_bounds" in \
        failure.event_specific_data.error.message


def test_a_vital_code_is_known_in_any_spacing_and_case_and_unknown_otherwise(tmp_path: Path) -> None:
    """The vital-code check takes a value that is a code as it stands, or once spaces and case are
    normalized ('  meninggal', 'HIDUP\u00a0'); any other value, and an empty cell, is unknown, with its line."""
    from dtsen_assets.checks.sources import check_vital_columns
    from tests.staging.raw import row, write_raw

    statuses = ["HIDUP", "  meninggal", "HIDUP\u00a0", "Hidup", "MATI", None, "HIDUP"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS raw")
        write_raw(connection, "dukcapil_penduduk", [row("dukcapil_penduduk", STATUS=s) for s in statuses])
        outcome = check_vital_columns(connection, "raw.dukcapil_penduduk", SOURCE_FILES_BY_KEY["dukcapil_penduduk"])
    assert not outcome.passed
    assert outcome.metadata["STATUS_unknown_codes"] == 2
    assert outcome.metadata["column"] == "STATUS" and outcome.metadata["example_lines"] == [6, 7]
