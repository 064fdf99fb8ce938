"""The codebook and region tables, and how codes are decoded through them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dtsen_assets.checks.staging import (
    check_codebook_keys_unique, check_codebook_rows_complete, check_region_codes,
)
from dtsen_assets.staging.codes import decode_codes
from dtsen_assets.platform.reference import CODEBOOK_PATH
from dtsen_assets.staging.reference import install_cleaning_rules, load_codebook
from tests.staging.raw import records, row, write_raw


def test_codebook_holds_every_row_including_dukcapil_and_verivali(connection: duckdb.DuckDBPyConnection) -> None:
    shipped = sum(1 for _ in CODEBOOK_PATH.open(encoding="utf-8")) - 1
    from_shipped = connection.execute(
        "SELECT count(*) FROM staging.codebook WHERE codebook_file = 'codebook.csv'").fetchone()[0]
    assert from_shipped == shipped
    assert connection.execute(
        "SELECT canonical_value FROM staging.codebook WHERE source = 'dukcapil' AND variable = 'STAT_HBKEL' "
        "AND code_key = 'FAMILI LAIN'").fetchone()[0] == "lainnya"
    assert check_codebook_keys_unique(connection, "staging.codebook").passed
    assert check_codebook_rows_complete(connection, "staging.codebook").passed
    assert check_region_codes(connection, "staging.wilayah").passed


def test_a_code_with_two_values_for_one_variable_is_caught(connection: duckdb.DuckDBPyConnection,
                                                           tmp_path: Path) -> None:
    clash = tmp_path / "clash.csv"
    clash.write_text("source,variable,code,label,canonical_variable,canonical_value\n"
                     "dtks,LANTAI,01,Tanah lagi,lantai,keramik\n", encoding="utf-8")
    load_codebook(connection, "staging.codebook_test", (CODEBOOK_PATH, clash))
    outcome = check_codebook_keys_unique(connection, "staging.codebook_test")
    assert not outcome.passed and "dtks.LANTAI code '1'" in outcome.summary


def test_decoding_looks_each_column_up_in_the_codebook(connection: duckdb.DuckDBPyConnection) -> None:
    write_raw(connection, "dtks_keluarga", [
        row("dtks_keluarga", ID_KELUARGA="A", PENERANGAN="2", ASET_EMAS="1", LANTAI=" 07 "),
        row("dtks_keluarga", ID_KELUARGA="B", PENERANGAN="99", ASET_EMAS="", LANTAI="7.0"),
    ])
    install_cleaning_rules(connection)
    coded = decode_codes(connection, "dtks", "raw.dtks_keluarga", "ID_KELUARGA",
                         ["penerangan", "daya_listrik", "aset_emas", "lantai", "jenis_kloset"], "codes")
    assert "ASET_EMAS" in coded and "PKH" not in coded and "NO_KK" not in coded
    decoded = records(connection, "codes", "record_id")
    assert {k: decoded["A"][k] for k in ("penerangan", "daya_listrik", "aset_emas", "lantai", "jenis_kloset")} == {
        "penerangan": "pln_meteran", "daya_listrik": "va_900", "aset_emas": "ya", "lantai": "keramik",
        "jenis_kloset": None}
    assert decoded["A"]["code_problems"] == []
    assert (decoded["B"]["penerangan"], decoded["B"]["daya_listrik"], decoded["B"]["lantai"]) == (
        None, None, "keramik")
    assert decoded["B"]["code_problems"] == [
        "code_empty:aset_emas", "code_unknown:daya_listrik", "code_unknown:penerangan"]
