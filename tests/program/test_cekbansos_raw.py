"""The optional cekbansos/ folder goes through the same raw machinery and checks as every source."""

from __future__ import annotations

import shutil
from pathlib import Path

from dtsen_assets.contract import SOURCE_FILES_BY_KEY
from tests.fixtures.tiny_drop import ROWS, write_csv
from tests.test_raw_sources import check_results, failure_message, materialize, published

CEKBANSOS = ["cekbansos_usul", "cekbansos_sanggah"]


def test_a_drop_without_the_cekbansos_folder_is_valid(tiny_drop: Path, warehouse_path: Path) -> None:
    shutil.rmtree(tiny_drop / "cekbansos")
    result = materialize(tiny_drop, warehouse_path, CEKBANSOS)
    assert result.success
    assert published(warehouse_path, "raw.cekbansos_usul") == []
    assert published(warehouse_path, "raw.cekbansos_sanggah") == []
    checks = check_results(result)
    assert checks[("cekbansos_usul", "file_present")] and checks[("cekbansos_sanggah", "record_id_unique")]


def test_cekbansos_files_are_loaded_as_text(tiny_drop: Path, warehouse_path: Path) -> None:
    assert materialize(tiny_drop, warehouse_path, CEKBANSOS).success
    rows = published(warehouse_path, "raw.cekbansos_usul")
    assert len(rows) == len(ROWS["cekbansos_usul"]) and rows[0][2] == "USL-000001"
    assert len(published(warehouse_path, "raw.cekbansos_sanggah")) == 1


def test_a_cekbansos_file_missing_a_column_stops_with_file_and_column(tiny_drop: Path, warehouse_path: Path) -> None:
    source_file = SOURCE_FILES_BY_KEY["cekbansos_usul"]
    write_csv(tiny_drop / source_file.path, ROWS["cekbansos_usul"], [c for c in source_file.columns if c != "PROGRAM"], ",")
    result = materialize(tiny_drop, warehouse_path, ["cekbansos_usul"])
    assert not result.success
    message = failure_message(result)
    assert "cekbansos/usul.csv" in message and "PROGRAM" in message


def test_a_repeated_proposal_id_stops_the_file_without_showing_personal_text(tiny_drop: Path, warehouse_path: Path) -> None:
    source_file = SOURCE_FILES_BY_KEY["cekbansos_usul"]
    write_csv(tiny_drop / source_file.path, ROWS["cekbansos_usul"] * 2, list(source_file.columns), ",")
    result = materialize(tiny_drop, warehouse_path, ["cekbansos_usul"])
    assert not result.success
    message = failure_message(result)
    assert "ID_USUL" in message and "lines 2, 3" in message
    assert "Siti" not in message and "3204105508800002" not in message
