"""staging.family_record: codes through the codebook, cards, villages, flags and numbers."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dtsen_assets.staging.family import build_family_record
from tests.staging.raw import records, row, write_tiny_raw

DTKS_ROWS = [
    row("dtks_keluarga", ID_KELUARGA="DTKS-0001"),
    row("dtks_keluarga", ID_KELUARGA="DTKS-unknown-floor", LANTAI="11", NO_KK="'3204100101150001", PKH="ya"),
    row("dtks_keluarga", ID_KELUARGA="DTKS-empty", ATAP="", TGL_UPDATE="", KODE_WILAYAH="32.04.10.9999"),
]
P3KE_ROWS = [
    row("p3ke_keluarga", ID_KELUARGA_P3KE="P3KE-01", STATUS_RUMAH=" milik  SENDIRI ", JENIS_LANTAI="semen/bata merah"),
    row("p3ke_keluarga", ID_KELUARGA_P3KE="P3KE-02", KODE_KECAMATAN="320499", DESIL_P3KE="7",
        SUMBER_PENERANGAN="Tidak Tahu"),
]
REGSOSEK_ROWS = [
    row("regsosek_keluarga", ID_KELUARGA="RS-001"),
    row("regsosek_keluarga", ID_KELUARGA="RS-002", NO_KK="", FASILITAS_BAB="6", JENIS_KLOSET="", PEMBUANGAN_TINJA="",
        LUAS_LANTAI="36,5", TERNAK_KAMBING="dua", KODE_DESA="3204102001"),
    row("regsosek_keluarga", ID_KELUARGA="RS-003", LUAS_LANTAI="nan", LUAS_LAHAN="-5", TERNAK_SAPI="1.0", JUMLAH_ART="2.5"),
]


@pytest.fixture(scope="module")
def families(tmp_path_factory, reference_warehouse) -> dict[object, dict[str, object]]:
    path = tmp_path_factory.mktemp("family_record") / "warehouse.duckdb"
    path.write_bytes(reference_warehouse.read_bytes())
    connection = duckdb.connect(str(path))
    write_tiny_raw(connection, dtks_keluarga=DTKS_ROWS, p3ke_keluarga=P3KE_ROWS, regsosek_keluarga=REGSOSEK_ROWS)
    build_family_record(connection)
    result = records(connection, "staging.family_record", "source_family_id")
    connection.close()
    return result


def test_one_row_per_source_family(families) -> None:
    assert len(families) == len(DTKS_ROWS) + len(P3KE_ROWS) + len(REGSOSEK_ROWS)
    assert {f["source"] for f in families.values()} == {"dtks", "p3ke", "regsosek"}


def test_dtks_family(families) -> None:
    family = families["DTKS-0001"]
    assert (family["no_kk"], family["kode_desa"], family["kode_kab"]) == ("3204100101150001", "3204102001", "3204")
    assert family["tgl_update"] == dt.date(2025, 3, 15)
    assert (family["pkh"], family["bpnt"], family["pbi_jk"]) == (True, True, True)
    assert family["desil_p3ke"] is None and family["jumlah_art"] is None
    # one DTKS code gives two canonical variables
    assert (family["penerangan"], family["daya_listrik"]) == ("pln_meteran", "va_900")
    assert (family["lantai"], family["dinding"], family["atap"]) == ("semen_bata_merah", "tembok", "genteng")
    assert (family["bahan_bakar"], family["fasilitas_bab"], family["luas_lantai"]) == ("elpiji_3kg", "sendiri", 36.0)
    # ASET_* stands for every asset column; DTKS lacks most of them
    assert (family["aset_sepeda_motor"], family["aset_mobil"], family["aset_televisi"]) == ("ya", "tidak", None)
    assert family["problems"] == []


def test_unknown_code_apostrophe_card_and_bad_flag(families) -> None:
    family = families["DTKS-unknown-floor"]
    assert family["lantai"] is None and family["no_kk"] == "3204100101150001"
    assert family["pkh"] is None
    assert family["problems"] == ["no_kk_apostrophe", "flag_invalid:pkh", "code_unknown:lantai"]


def test_empty_cells_and_unknown_village(families) -> None:
    family = families["DTKS-empty"]
    assert family["atap"] is None and family["tgl_update"] is None
    assert family["kode_desa"] == "3204109999"      # kept: the village may be newer than the list
    assert family["problems"] == ["kode_desa_unknown", "tgl_update_missing", "code_empty:atap"]


def test_p3ke_labels_in_any_casing(families) -> None:
    family = families["P3KE-01"]
    assert (family["status_bangunan"], family["lantai"]) == ("milik_sendiri", "semen_bata_merah")
    assert family["penerangan"] == "pln_meteran" and family["daya_listrik"] is None
    assert family["desil_p3ke"] == 2
    assert family["problems"] == []


def test_p3ke_inconsistent_region_bad_desil_unknown_label(families) -> None:
    family = families["P3KE-02"]
    assert family["desil_p3ke"] is None and family["penerangan"] is None
    assert family["problems"] == ["kode_wilayah_inconsistent", "desil_p3ke_invalid", "code_unknown:penerangan"]


def test_regsosek_family(families) -> None:
    family = families["RS-001"]
    assert (family["jumlah_art"], family["daya_listrik"], family["jenis_kloset"]) == (2, "va_900", "leher_angsa")
    assert (family["aset_smartphone"], family["rumah_lain"], family["ternak_kambing"]) == ("tidak", "tidak", 2)
    assert family["problems"] == []


def test_regsosek_no_card_skipped_toilet_questions_and_numbers(families) -> None:
    family = families["RS-002"]
    assert family["no_kk"] is None
    assert (family["fasilitas_bab"], family["jenis_kloset"], family["pembuangan_tinja"]) == ("tidak_ada", None, None)
    assert family["luas_lantai"] == 36.5 and family["ternak_kambing"] is None
    assert family["problems"] == ["no_kk_missing", "number_invalid:ternak_kambing"]


def test_numbers_are_not_guessed(families) -> None:
    family = families["RS-003"]
    assert (family["luas_lantai"], family["luas_lahan"], family["ternak_sapi"], family["jumlah_art"]) == (
        None, None, 1, None)
    assert family["problems"] == ["number_invalid:jumlah_art", "number_invalid:luas_lantai", "number_invalid:luas_lahan"]
