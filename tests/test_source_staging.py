"""Staging one source file: the bytes are scanned while DuckDB loads the rows, and the result is what it
would be had the scan come first (a file that is not UTF-8 or cannot be read leaves no staged table)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dtsen_assets.contract import SOURCE_FILES_BY_KEY
from dtsen_assets.sources import stage as source_stage
from dtsen_assets.sources.files import read_header_line
from dtsen_assets.warehouse import table_exists
from tests.fixtures.tiny_drop import ROWS, write_csv, write_tiny_drop

ART = SOURCE_FILES_BY_KEY["dtks_art"]


@pytest.fixture()
def connection(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("CREATE SCHEMA raw")
        yield connection


@pytest.mark.parametrize(("content", "header"), [
    (b"", None), (b"A,B", "A,B"), (b"A,B\n", "A,B"), (b"\xef\xbb\xbfA,B\r\n1,2\r\n", "A,B"), (b"\nA,B\n", ""),
    (b"A,\xe9B\n1,2\n", "A,\ufffdB"), (b"A;B\n" + b"x" * 100, "A;B"),
])
def test_the_header_line_is_the_first_line_without_bom_or_line_ending(tmp_path: Path, content: bytes,
                                                                       header: str | None) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert read_header_line(path) == header


def test_a_valid_file_is_staged_with_its_scan(tmp_path: Path, connection) -> None:
    drop = write_tiny_drop(tmp_path / "drop")
    staged = source_stage.stage_source_file(connection, drop, ART)
    assert staged.loaded and staged.load_error is None and staged.unreadable is None
    assert staged.rows == len(ROWS["dtks_art"]) == connection.execute(f"SELECT count(*) FROM {staged.staged_table}").fetchone()[0]
    assert [s.path.name for s in staged.scans] == ["art.csv"] and staged.headers
    assert staged.data_version == staged.scans[0].sha256


def test_a_file_that_is_not_utf8_is_not_staged_although_duckdb_loaded_it(tmp_path: Path, connection) -> None:
    drop = write_tiny_drop(tmp_path / "drop")
    rows = [dict(r) for r in ROWS["dtks_art"]]
    rows[1]["NAMA"] = "Siti Aisyah Ramé"
    write_csv(drop / ART.path, rows, list(ART.columns), ";", encoding="latin-1")
    staged = source_stage.stage_source_file(connection, drop, ART)
    assert staged.scans[0].invalid_utf8_lines == [3]
    # as when the scan came first: no headers judged, no load error, nothing staged
    assert not staged.loaded and staged.headers == [] and staged.load_error is None
    assert not table_exists(connection, staged.staged_table)
    assert not table_exists(connection, f"{staged.staged_table}_rejects")


def test_a_file_the_scan_cannot_read_is_not_staged(tmp_path: Path, connection, monkeypatch) -> None:
    drop = write_tiny_drop(tmp_path / "drop")

    def unreadable(path: Path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(source_stage, "scan_file", unreadable)
    staged = source_stage.stage_source_file(connection, drop, ART)
    assert staged.unreadable is not None and staged.unreadable[0].name == "art.csv"
    assert not staged.loaded and not table_exists(connection, staged.staged_table)


def test_a_header_without_the_contract_columns_is_scanned_but_not_loaded(tmp_path: Path, connection) -> None:
    drop = write_tiny_drop(tmp_path / "drop")
    write_csv(drop / ART.path, ROWS["dtks_art"], list(ART.columns), ",")     # the contract says ';'
    staged = source_stage.stage_source_file(connection, drop, ART)
    assert staged.scans and staged.headers and staged.headers[0].delimiter_found == ","
    assert not staged.loaded and not table_exists(connection, staged.staged_table)
