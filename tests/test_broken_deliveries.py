"""A corpus of broken deliveries: each one must stop with a message that names the file and the
column (or line), print no personal value in the clear, and leave every published table as it was.

The tiny hand-written drop is built once (raw and staging) into a template warehouse; each case
copies drop and warehouse, breaks one thing, materializes the affected assets in process and
compares every table of the warehouse with the template. Drift cases need files of a realistic
size and use the session's generated drop. The end-to-end cases through the CLI are in
tests/test_dtsen_build.py.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dtsen_assets.sources import stage as source_stage
from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.assets.staging import staging_assets
from dtsen_assets.checks.staging import check_problem_shares
from dtsen_assets.contract import SOURCE_FILES_BY_KEY
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop
from dtsen_assets.sources.files import physical_line_shifts
from dtsen_assets.staging.quality import ProblemCount
from dtsen_assets.vital import VITAL_CODES, VITAL_COLUMNS, problem_severity
from tests.fixtures.tiny_drop import ROWS, write_csv, write_tiny_drop

ALL_ASSETS = [*raw_source_assets, *staging_assets]
# Every NIK, card, name and birth date of the tiny drop: none may appear in a message.
CLEAR_VALUES = sorted({
    value.lstrip("'")
    for rows in ROWS.values() for row in rows for column, value in row.items()
    if value and column in ("NIK", "NO_KK", "NAMA", "NAMA_LGKP", "TGL_LHR", "TGL_LAHIR", "TANGGAL_LAHIR",
                            "NIK_KEPALA_KELUARGA", "ALAMAT")
})


def materialize(drop: Path, database: Path, keys: list[str], run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    selection = [k for a in ALL_ASSETS for k in a.keys if k.path[-1] in keys]
    return dg.materialize(
        ALL_ASSETS, selection=selection, run_config=run_config, raise_on_error=False,
        resources={"source_drop": SourceDrop(source_dir=str(drop)),
                   "warehouse": DuckDBWarehouse(database_path=str(database))},
    )


def fingerprint(database: Path) -> dict[str, tuple]:
    """Row count and a hash of every row of every table of the warehouse."""
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = [f"{s}.{t}" for s, t in connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "ORDER BY ALL").fetchall()]
        return {t: connection.execute(f"SELECT count(*), sum(hash(x)) FROM {t} AS x").fetchone() for t in tables}


def failures(result: dg.ExecuteInProcessResult) -> str:
    events = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return "\n".join(str(e.event_specific_data.error.message) for e in events)


def failed_checks(result: dg.ExecuteInProcessResult) -> set[tuple[str, str]]:
    return {(e.asset_key.path[-1], e.check_name) for e in result.get_asset_check_evaluations()
            if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny drop and a warehouse with its raw and staging tables published."""
    root = tmp_path_factory.mktemp("template")
    drop = write_tiny_drop(root / "drop")
    database = root / "warehouse" / "warehouse.duckdb"
    result = dg.materialize(ALL_ASSETS, resources={"source_drop": SourceDrop(source_dir=str(drop)),
                                                   "warehouse": DuckDBWarehouse(database_path=str(database))})
    assert result.success
    return drop, database


@pytest.fixture
def delivery(template: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    drop, database = template
    shutil.copytree(drop, tmp_path / "drop")
    (tmp_path / "warehouse").mkdir()
    shutil.copy(database, tmp_path / "warehouse" / database.name)
    return tmp_path / "drop", tmp_path / "warehouse" / database.name


# --- how to break a file -------------------------------------------------------------------------

def rewrite(drop: Path, key: str, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    source_file = SOURCE_FILES_BY_KEY[key]
    path = drop / source_file.path.replace("*", "musdes_3204")
    write_csv(path, rows, columns or list(source_file.columns), source_file.delimiter)


def with_cells(key: str, **cells: str) -> Callable[[Path], None]:
    """Every row of `key` with `cells` replaced."""
    return lambda drop: rewrite(drop, key, [dict(r, **cells) for r in ROWS[key]])


def edit_text(relative: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def corrupt(drop: Path) -> None:
        path = drop / relative
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    return corrupt


def p3ke_niks(*niks: str) -> Callable[[Path], None]:
    rows = [dict(ROWS["p3ke_individu"][0], ID_INDIVIDU=f"IND-{i}", NIK=nik) for i, nik in enumerate(niks)]
    return lambda drop: rewrite(drop, "p3ke_individu", rows)


def header_repeated(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:2] + [lines[0]] + lines[2:])


def trailing_separator(text: str) -> str:
    return "".join(line.rstrip("\r\n") + ";\n" for line in text.splitlines())


def duplicated_column(text: str) -> str:
    lines = text.splitlines()
    return "\n".join([lines[0] + ";NAMA"] + [line + ";X" for line in lines[1:]]) + "\n"


def verivali_extra(name: str, content: str) -> Callable[[Path], None]:
    return lambda drop: (drop / "verivali" / name).write_text(content, encoding="utf-8")


def missing_column(drop: Path) -> None:
    source_file = SOURCE_FILES_BY_KEY["dtks_art"]
    write_csv(drop / source_file.path, ROWS["dtks_art"], [c for c in source_file.columns if c != "TGL_LAHIR"], ";")


def duplicate_id(drop: Path) -> None:
    rewrite(drop, "dtks_art", ROWS["dtks_art"] + [dict(ROWS["dtks_art"][0], NAMA="DUPLIKAT")])


def latin1(drop: Path) -> None:
    source_file = SOURCE_FILES_BY_KEY["dtks_art"]
    rows = ROWS["dtks_art"] + [dict(ROWS["dtks_art"][1], ID_ART="ART-0003", NAMA="JOSÉ MARÍA")]
    write_csv(drop / source_file.path, rows, list(source_file.columns), ";", encoding="latin-1")


def append(relative: str, line: str) -> Callable[[Path], None]:
    def corrupt(drop: Path) -> None:
        with (drop / relative).open("a", encoding="utf-8", newline="") as handle:
            handle.write(line)
    return corrupt


@dataclass(frozen=True)
class Case:
    corrupt: Callable[[Path], None]
    keys: tuple[str, ...]              # assets to materialize (raw file and the staging table it feeds)
    check: tuple[str, str]             # (asset, blocking check) that must fail
    fragments: tuple[str, ...]         # what the message must name: file, column, lines


DUKCAPIL = ("dukcapil_penduduk", "dukcapil_person")
VERIVALI = ("verivali_musdes", "verivali_decision")
P3KE = ("p3ke_individu", "p3ke_keluarga", "person_record")
ART = ("dtks_art", "dtks_keluarga")

CASES: dict[str, Case] = {
    # finding 1: an undocumented status must not bring the dead back to life
    "dukcapil STATUS MATI": Case(edit_text("dukcapil/penduduk.csv", lambda t: t.replace(",MENINGGAL,", ",MATI,")),
                                 DUKCAPIL, ("dukcapil_penduduk", "vital_columns_usable"),
                                 ("dukcapil/penduduk.csv", "column STATUS", "lines 4")),
    "dukcapil STATUS empty": Case(with_cells("dukcapil_penduduk", STATUS=""), DUKCAPIL,
                                  ("dukcapil_penduduk", "vital_columns_usable"),
                                  ("dukcapil/penduduk.csv", "column STATUS", "lines 2, 3, 4")),
    "verivali AKSI unknown": Case(with_cells("verivali_musdes", AKSI="WAFAT"), VERIVALI,
                                  ("verivali_musdes", "vital_columns_usable"), ("verivali/*.csv", "column AKSI", "lines 2")),
    # finding 4: unusable vital columns
    "p3ke NIK as Excel numbers": Case(p3ke_niks("3.20401E+15", "3.27301E+15"), P3KE,
                                      ("p3ke_individu", "vital_columns_usable"), ("p3ke/individu.csv", "column NIK", "lines 2, 3")),
    "p3ke NIK 12/18 digits, letters": Case(p3ke_niks("320410120378", "320410120378000199", "32041O12O378OOO1"), P3KE,
                                           ("p3ke_individu", "vital_columns_usable"), ("p3ke/individu.csv", "column NIK")),
    "dukcapil NIK of 17 digits": Case(edit_text("dukcapil/penduduk.csv", lambda t: t.replace("\n3", "\n93")),
                                      DUKCAPIL, ("dukcapil_penduduk", "vital_columns_usable"),
                                      ("dukcapil/penduduk.csv", "column NIK", "lines 2, 3, 4")),
    "dukcapil birth dates unreadable": Case(with_cells("dukcapil_penduduk", TGL_LHR="15/08/80"), DUKCAPIL,
                                            ("dukcapil_penduduk", "vital_columns_usable"),
                                            ("dukcapil/penduduk.csv", "column TGL_LHR")),
    # finding 5: accepted though wrong
    "header repeated mid-file": Case(edit_text("dtks/art.csv", header_repeated), ART,
                                     ("dtks_art", "rows_well_formed"), ("dtks/art.csv", "header line is repeated", "lines 3")),
    "verivali file that is not CSV": Case(verivali_extra("musdes_3273.xlsx", "PK\x03\x04"), VERIVALI,
                                          ("verivali_musdes", "file_present"), ("musdes_3273.xlsx", "not CSV")),
    # finding 6: messages
    "trailing separator on every line": Case(edit_text("dtks/art.csv", trailing_separator), ART,
                                             ("dtks_art", "header_well_formed"), ("dtks/art.csv", "line 1", "separator")),
    "duplicated column": Case(edit_text("dtks/art.csv", duplicated_column), ART,
                              ("dtks_art", "header_well_formed"), ("dtks/art.csv", "NAMA", "twice")),
    # the contract cases of tests/test_raw_sources.py
    "missing column": Case(missing_column, ART, ("dtks_art", "required_columns_present"), ("dtks/art.csv", "TGL_LAHIR")),
    "duplicate id": Case(duplicate_id, ART, ("dtks_art", "record_id_unique"), ("dtks/art.csv", "ID_ART", "lines 2, 4")),
    "wrong delimiter": Case(lambda d: write_csv(d / "dtks/art.csv", ROWS["dtks_art"],
                                                list(SOURCE_FILES_BY_KEY["dtks_art"].columns), ","),
                            ART, ("dtks_art", "delimiter_as_contract"), ("dtks/art.csv", "',' (comma)")),
    "latin-1 file": Case(latin1, ART, ("dtks_art", "encoding_utf8"), ("dtks/art.csv", "not UTF-8", "lines 4")),
    "header only": Case(lambda d: rewrite(d, "dtks_art", []), ART, ("dtks_art", "not_empty"), ("dtks/art.csv", "no data rows")),
    "missing file": Case(lambda d: (d / "dtks/art.csv").unlink(), ART, ("dtks_art", "file_present"), ("dtks/art.csv", "missing")),
    "malformed row": Case(append("dtks/art.csv", "ART-0009;DTKS-0001;3204101203780001;AHMAD SOLEH;12-03-1978;1;1;PADAN;0;X;Y\r\n"),
                          ART, ("dtks_art", "rows_well_formed"), ("dtks/art.csv", "line 4", "too many columns")),
    "mixed line endings": Case(append("dtks/art.csv", "ART-0009;DTKS-0001;3204101203780001;AHMAD SOLEH;12-03-1978;1;1;PADAN;0;X\n"),
                               ART, ("dtks_art", "rows_well_formed"), ("dtks/art.csv", "could not be parsed")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_delivery_stops_names_the_place_and_changes_nothing(case: str, delivery: tuple[Path, Path]) -> None:
    drop, database = delivery
    spec = CASES[case]
    before = fingerprint(database)
    spec.corrupt(drop)

    result = materialize(drop, database, list(spec.keys))

    assert not result.success
    assert spec.check in failed_checks(result)
    message = failures(result)
    assert spec.check[1] in message
    for fragment in spec.fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    for clear in CLEAR_VALUES:
        assert clear not in message, f"{clear!r} printed in the clear"
    assert fingerprint(database) == before


# --- finding 3: a missing or empty drop ------------------------------------------------------------

@pytest.mark.parametrize("state", ["missing", "empty"])
def test_missing_or_empty_drop_fails_every_file_and_publishes_nothing(state: str, delivery: tuple[Path, Path]) -> None:
    drop, database = delivery
    before = fingerprint(database)
    shutil.rmtree(drop)
    if state == "empty":
        drop.mkdir()

    result = materialize(drop, database, [*SOURCE_FILES_BY_KEY, "verivali_decision"])

    assert not result.success
    assert {("verivali_musdes", "file_present"), ("dukcapil_penduduk", "file_present")} <= failed_checks(result)
    assert ("does not exist" if state == "missing" else "is empty") in failures(result)
    assert fingerprint(database) == before   # verivali above all: 1 decision stays 1, not 0


def test_an_empty_verivali_folder_is_zero_decisions(delivery: tuple[Path, Path]) -> None:
    drop, database = delivery
    for path in (drop / "verivali").iterdir():
        path.unlink()
    assert materialize(drop, database, list(VERIVALI)).success
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM staging.verivali_decision").fetchone()[0] == 0


# --- finding 5: .CSV is read; finding 6: lines, unreadable file, warehouse path -------------------------

def test_verivali_file_named_upper_case_csv_is_read_with_physical_line_numbers(delivery: tuple[Path, Path]) -> None:
    drop, database = delivery
    source_file = SOURCE_FILES_BY_KEY["verivali_musdes"]
    rows = [dict(ROWS["verivali_musdes"][0], KETERANGAN="meninggal\n\ndi rumah"),
            dict(ROWS["verivali_musdes"][0], NO_BA="BA/2", KODE_DESA="32.04.10.2001")]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(source_file.columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    text = buffer.getvalue().replace("\nBA/2", "\n\nBA/2")   # and a blank line before the last record
    (drop / "verivali" / "MUSDES_3273.CSV").write_text(text, encoding="utf-8")

    result = materialize(drop, database, list(VERIVALI))

    assert result.success
    with duckdb.connect(str(database), read_only=True) as connection:
        lines = connection.execute(
            "SELECT _source_file, _line_number FROM raw.verivali_musdes ORDER BY ALL").fetchall()
        decisions = connection.execute("SELECT count(*) FROM staging.verivali_decision").fetchone()[0]
    # record 1 spans lines 2-4, line 5 is blank, record 2 is on line 6
    assert lines == [("MUSDES_3273.CSV", 2), ("MUSDES_3273.CSV", 6), ("musdes_3204.csv", 2)]
    assert decisions == 3
    # the dotted village code that sources.md allows is no format warning
    formats = {e.check_name: e.passed for e in result.get_asset_check_evaluations()
               if e.asset_key.path[-1] == "verivali_musdes"}
    assert formats["value_formats"] is True


def test_physical_line_shifts_follow_quotes_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b'A,B\n1,"x\ny"\n2,z\n\n3,"a ""q"" b"\n4,"\n\n"\n5,w\n')
    # records 1..5 start on lines 2, 4, 6, 7, 10
    assert physical_line_shifts(path) == [(2, 4), (3, 6), (5, 10)]


def test_unreadable_file_is_named_without_a_traceback(delivery: tuple[Path, Path], monkeypatch) -> None:
    drop, database = delivery
    before = fingerprint(database)
    real_scan = source_stage.scan_file

    def scan(path: Path):
        if path.name == "art.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scan(path)

    monkeypatch.setattr(source_stage, "scan_file", scan)
    result = materialize(drop, database, list(ART))
    assert not result.success
    assert ("dtks_art", "file_present") in failed_checks(result)
    assert "dtks/art.csv cannot be read: Permission denied" in failures(result)
    assert fingerprint(database) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file whatever its permissions")
def test_unreadable_file_by_permissions(delivery: tuple[Path, Path]) -> None:
    drop, database = delivery
    (drop / "dtks/art.csv").chmod(0)
    result = materialize(drop, database, list(ART))
    assert "cannot be read" in failures(result)


def test_warehouse_path_that_is_a_csv_is_refused_and_left_alone(delivery: tuple[Path, Path], tmp_path: Path) -> None:
    drop, _ = delivery
    csv_path = tmp_path / "penduduk.csv"
    shutil.copy(drop / "dukcapil/penduduk.csv", csv_path)
    content = csv_path.read_bytes()
    result = materialize(drop, csv_path, ["dukcapil_penduduk"])
    assert not result.success
    assert "is not a DuckDB database" in failures(result)
    assert csv_path.read_bytes() == content


def test_warehouse_inside_the_drop_is_refused(delivery: tuple[Path, Path]) -> None:
    drop, _ = delivery
    before = sorted(p.relative_to(drop) for p in drop.rglob("*"))
    result = materialize(drop, drop / "out" / "warehouse.duckdb", ["dukcapil_penduduk"])
    assert not result.success
    assert "inside the drop folder" in failures(result)
    assert sorted(p.relative_to(drop) for p in drop.rglob("*")) == before


def test_warehouse_folder_that_cannot_be_created_is_a_clear_message(delivery: tuple[Path, Path], tmp_path: Path) -> None:
    drop, _ = delivery
    (tmp_path / "a_file").write_text("not a folder")
    result = materialize(drop, tmp_path / "a_file" / "warehouse.duckdb", ["dukcapil_penduduk"])
    assert not result.success
    assert "cannot be created" in failures(result)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_warehouse_folder(delivery: tuple[Path, Path], tmp_path: Path) -> None:
    drop, _ = delivery
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    result = materialize(drop, folder / "warehouse.duckdb", ["dukcapil_penduduk"])
    assert not result.success
    assert "cannot be opened for writing" in failures(result)


# --- finding 7: checks that cry wolf --------------------------------------------------------------------

def test_problem_shares_are_judged_per_severity() -> None:
    harmless = [ProblemCount("p3ke", "name_casing", 610, 0.61), ProblemCount("p3ke", "nik_apostrophe", 300, 0.30)]
    assert check_problem_shares(harmless, 0.25, "staging.person_record").passed
    severe = [ProblemCount("p3ke", "nik_excel_number", 100, 0.10)]
    outcome = check_problem_shares(severe, 0.25, "staging.person_record")
    assert not outcome.passed and "nik_excel_number (severe)" in outcome.summary
    moderate = [ProblemCount("regsosek", "nik_missing", 150, 0.15)]
    assert check_problem_shares(moderate, 0.25, "staging.person_record").passed
    assert not check_problem_shares([ProblemCount("regsosek", "nik_missing", 300, 0.30)], 0.25, "t").passed


def test_vital_declaration_is_consistent() -> None:
    assert problem_severity("code_unknown:is_alive", "dukcapil") == "severe"
    assert problem_severity("code_unknown:hub_kk", "regsosek") == "warn"   # a registry's relation code: by share
    for vital in VITAL_COLUMNS:
        assert vital.column in SOURCE_FILES_BY_KEY[vital.file_key].columns
    for code in VITAL_CODES:
        assert any(code.column in f.columns and f.path == code.file for f in SOURCE_FILES_BY_KEY.values())


# --- finding 4: drift against the last published file ---------------------------------------------------

@pytest.fixture(scope="module")
def generated_template(generated_drop: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("generated_template") / "warehouse.duckdb"
    keys = ["regsosek_keluarga", "dukcapil_penduduk"]
    assert materialize(generated_drop, database, keys).success
    return database


@pytest.fixture
def generated_delivery(generated_drop: Path, generated_template: Path, tmp_path: Path) -> tuple[Path, Path]:
    drop = tmp_path / "drop"
    for relative in ("regsosek/keluarga.csv", "dukcapil/penduduk.csv"):
        (drop / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(generated_drop / relative, drop / relative)
    shutil.copy(generated_template, tmp_path / "warehouse.duckdb")
    return drop, tmp_path / "warehouse.duckdb"


def keep_lines(path: Path, keep: Callable[[int], bool]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "".join(line for i, line in enumerate(lines[1:]) if keep(i)), encoding="utf-8")


@pytest.mark.parametrize("file_key, relative, keep, fragment", [
    ("regsosek_keluarga", "regsosek/keluarga.csv", lambda i: i % 5 != 0, "are gone"),   # a fifth of the families
    ("dukcapil_penduduk", "dukcapil/penduduk.csv", lambda i: i % 2 == 0, "rows"),       # half the registry
])
def test_sudden_change_blocks_until_accepted(file_key: str, relative: str, keep, fragment: str,
                                             generated_delivery: tuple[Path, Path]) -> None:
    drop, database = generated_delivery
    before = fingerprint(database)
    keep_lines(drop / relative, keep)

    result = materialize(drop, database, [file_key])
    assert not result.success
    assert (file_key, "drift_within_bounds") in failed_checks(result)
    message = failures(result)
    assert relative in message and fragment in message and "accept_drift_reason" in message
    assert fingerprint(database) == before

    reason = "re-delivered without the pilot kabupaten"
    accepted = materialize(drop, database, [file_key],
                           run_config={"ops": {f"raw__{file_key}": {"config": {"accept_drift_reason": reason}}}})
    assert accepted.success
    with duckdb.connect(str(database), read_only=True) as connection:
        recorded = connection.execute("SELECT file, reason, run_id FROM raw.drift_acceptance").fetchall()
    assert recorded == [(relative, reason, accepted.run_id)]


def test_the_same_file_again_is_within_bounds(generated_delivery: tuple[Path, Path]) -> None:
    drop, database = generated_delivery
    result = materialize(drop, database, ["regsosek_keluarga"])
    assert result.success
    passed = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert passed["drift_within_bounds"] is True


def test_drift_compares_empty_cells_as_a_code(tmp_path: Path) -> None:
    """The same file twice is no drift, also in a column that is mostly empty (skipped questions)."""
    from dtsen_assets.checks.drift import DriftBounds, compare_with_published

    source_file = SOURCE_FILES_BY_KEY["regsosek_individu"]
    columns = ", ".join(f"CASE WHEN i % 2 = 1 THEN 'a' END AS {c}" if c == "LAPANGAN_USAHA"
                        else f"'x' || (i % 3) AS {c}" for c in source_file.columns)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("CREATE SCHEMA raw")
        connection.execute(f"CREATE TABLE raw.old AS SELECT i AS _line_number, {columns} FROM range(1000) t(i)")
        connection.execute("CREATE TABLE raw.new AS SELECT * FROM raw.old")
        changes, figures = compare_with_published(connection, "raw.new", "raw.old", source_file, DriftBounds())
        assert changes == [] and figures["largest_code_shift"] == 0.0
        connection.execute("UPDATE raw.new SET LAPANGAN_USAHA = 'b' WHERE _line_number < 400 AND LAPANGAN_USAHA IS NULL")
        changes, _ = compare_with_published(connection, "raw.new", "raw.old", source_file, DriftBounds())
        assert changes == ["column LAPANGAN_USAHA: empty cells 50.0% -> 30.0%",
                           "column LAPANGAN_USAHA: 20.0% of the rows moved to other codes (bound 10%)"]


def test_drift_compares_a_column_as_codes_up_to_the_bound(tmp_path: Path) -> None:
    """A column with MAX_CODE_VALUES distinct values is compared as codes, one with a value more is not
    (the approximate count that spares the exact one must not move that line)."""
    from dtsen_assets.checks.drift import MAX_CODE_VALUES, DriftBounds, compare_with_published

    source_file = SOURCE_FILES_BY_KEY["regsosek_individu"]
    widths = {"HUB_KK": MAX_CODE_VALUES, "PENDIDIKAN": MAX_CODE_VALUES + 1}
    columns = ", ".join(f"(i % {widths[c]})::VARCHAR AS {c}" if c in widths else f"'x' AS {c}"
                        for c in source_file.columns)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("CREATE SCHEMA raw")
        connection.execute(f"CREATE TABLE raw.old AS SELECT i AS _line_number, {columns} FROM range(5000) t(i)")
        # a quarter of the rows move to code '0' in both columns
        connection.execute("CREATE TABLE raw.new AS SELECT * FROM raw.old")
        connection.execute("UPDATE raw.new SET HUB_KK = '0', PENDIDIKAN = '0' WHERE _line_number < 1250")
        changes, figures = compare_with_published(connection, "raw.new", "raw.old", source_file, DriftBounds())
    assert [c for c in changes if "moved to other codes" in c] == [
        "column HUB_KK: 24.5% of the rows moved to other codes (bound 10%)"]
    assert figures["largest_code_shift"] == 0.245


def test_warehouse_that_cannot_be_opened_is_a_clear_message(delivery: tuple[Path, Path], monkeypatch) -> None:
    """What DuckDB says for a read-only folder (as root, permissions cannot be tested): one clear sentence."""
    from dtsen_assets.resources import duckdb as resource_module

    real_connect = resource_module.duckdb.connect

    class NoAttach:
        def __init__(self, connection):
            self._connection = connection

        def execute(self, sql, *args):
            if sql.startswith("ATTACH"):
                raise duckdb.IOException('IO Error: Cannot open file "/ro/w.duckdb": Permission denied')
            return self._connection.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self._connection, name)

    monkeypatch.setattr(resource_module.duckdb, "connect", lambda *a, **k: NoAttach(real_connect(*a, **k)))
    drop, database = delivery
    result = materialize(drop, database, ["dukcapil_penduduk"])
    assert not result.success
    message = failures(result)
    assert f"The warehouse {database} cannot be opened for writing" in message and "Permission denied" in message


def test_files_of_events_are_not_compared_for_drift(tmp_path: Path) -> None:
    """A new semester's village decisions and Cek Bansos claims are other events, not the same records
    again: a third more rows and other decisions pass; the same change to a registry extract blocks."""
    from dtsen_assets.checks.drift import DriftBounds, check_drift

    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("CREATE SCHEMA raw")
        for key, coded in (("verivali_musdes", "AKSI"), ("regsosek_keluarga", "LANTAI")):
            source_file = SOURCE_FILES_BY_KEY[key]
            columns = ", ".join(f"(['A', 'B', 'C'])[i % 3 + 1] AS {c}" if c == coded else f"'x' || i AS {c}"
                                for c in source_file.columns)
            connection.execute(f"CREATE TABLE raw.{key}_old AS SELECT i AS _line_number, {columns} FROM range(1500) t(i)")
            connection.execute(f"CREATE TABLE raw.{key}_new AS SELECT i AS _line_number, {columns} FROM range(2000) t(i)")
            connection.execute(f"UPDATE raw.{key}_new SET {coded} = 'A' WHERE _line_number < 600")
            outcome = check_drift(connection, f"raw.{key}_new", f"raw.{key}_old", source_file, DriftBounds())
            if source_file.event_log:
                assert outcome.passed and "records events" in outcome.summary
            else:
                assert not outcome.passed and "rows 1,500 -> 2,000" in outcome.summary
    assert {f.key for f in SOURCE_FILES_BY_KEY.values() if f.event_log} == {
        "verivali_musdes", "cekbansos_usul", "cekbansos_sanggah"}
