"""staging.person_record on hand-written tricky records: the exact cleaned values and problems."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dtsen_assets.staging.family import build_family_record
from dtsen_assets.staging.person import build_person_record
from tests.staging.raw import records, row, write_tiny_raw

# One DTKS record per case, all in family DTKS-0001 (a man born 12-03-1978 unless said otherwise):
# id -> (raw cells, expected nik, nik_valid, problems)
MAN = dict(TGL_LAHIR="12-03-1978", JENIS_KELAMIN="1", NAMA="AHMAD SOLEH")
NIK_CASES: dict[str, tuple[dict[str, str], str | None, bool, list[str]]] = {
    "apostrophe": ({"NIK": "'3204101203780001"}, "3204101203780001", True, ["nik_apostrophe"]),
    "spaces": ({"NIK": " 320410 120378 0001 "}, "3204101203780001", True, ["nik_spaces"]),
    "too_short": ({"NIK": "320410120378001"}, None, False, ["nik_length"]),
    "too_long": ({"NIK": "32041012037800011"}, None, False, ["nik_length"]),
    "all_zero": ({"NIK": "0000000000000000"}, None, False, ["nik_all_zero"]),
    "excel_number": ({"NIK": "3.20410120378E+15"}, None, False, ["nik_excel_number"]),
    "dots": ({"NIK": "3204.1012.0378.0001"}, "3204101203780001", True, ["nik_non_digit"]),
    "missing": ({"NIK": ""}, None, False, ["nik_missing"]),
    "day_differs": ({"NIK": "3204101303780001"}, "3204101303780001", False, ["nik_birthdate_mismatch"]),
    "year_differs": ({"NIK": "3204101203790001"}, "3204101203790001", False, ["nik_birthdate_mismatch"]),
    "impossible_digits": ({"NIK": "3204103513780001"}, "3204103513780001", False, ["nik_birthdate_impossible"]),
    "woman_without_40": ({"NIK": "3204101508800002", "TGL_LAHIR": "15-08-1980", "JENIS_KELAMIN": "2",
                          "NAMA": "SITI AMINAH"}, "3204101508800002", False, ["nik_sex_mismatch"]),
    "woman": ({"NIK": "3204105508800002", "TGL_LAHIR": "15-08-1980", "JENIS_KELAMIN": "2",
               "NAMA": "SITI AMINAH"}, "3204105508800002", True, []),
    # 3250 is no regency today, 32 (Jawa Barat) is a province: a NIK from before a split
    "old_regency": ({"NIK": "3250101203780001"}, "3250101203780001", True, ["nik_region_old"]),
    "unknown_province": ({"NIK": "9910101203780001"}, "9910101203780001", True, ["nik_region_unknown"]),
    "serial_zero": ({"NIK": "3204101203780000"}, "3204101203780000", True, ["nik_serial_zero"]),
}
DATE_CASES: dict[str, tuple[dict[str, str], dt.date | None, list[str]]] = {
    "impossible": ({"TGL_LAHIR": "31-02-1980", "NIK": "3204103102800001"}, None, ["date_impossible"]),
    "placeholder": ({"TGL_LAHIR": "01-01-1900", "NIK": "3204100101000001"}, None, ["date_placeholder"]),
    "missing_no_age": ({"TGL_LAHIR": ""}, None, ["date_missing"]),
    "iso_in_dtks": ({"TGL_LAHIR": "1978-03-12"}, dt.date(1978, 3, 12), []),
    "slashes": ({"TGL_LAHIR": "12/03/1978"}, dt.date(1978, 3, 12), []),
    "two_digit_year": ({"TGL_LAHIR": "12-03-78"}, None, ["date_unparseable"]),
    "future": ({"TGL_LAHIR": "12-03-2978", "NIK": "3204101203780001"}, None, ["date_out_of_range"]),
}
NAME_CASES: dict[str, tuple[str, str | None, list[str]]] = {
    "haji_muh_bin": ("H. MUH. SOLEH BIN ABDULLAH", "MUHAMMAD SOLEH",
                     ["name_title_removed", "name_bin_binti_removed", "name_abbreviation_expanded"]),
    "degree_and_casing": ("Siti Aminah, S.Pd", "SITI AMINAH", ["name_title_removed", "name_casing"]),
    "glued_titles": ("DRS.H.MOCH RIZKI", "MUHAMMAD RIZKI", ["name_title_removed", "name_abbreviation_expanded"]),
    "binti_father_title": ("HJ. NUR'AINI BINTI H. SAMSUDIN", "NURAINI",
                           ["name_title_removed", "name_bin_binti_removed"]),
    "degree_after_binti": ("SITI BINTI CAHYA, S.PD.I", "SITI", ["name_title_removed", "name_bin_binti_removed"]),
    "spelling": ("MOHAMMAD  ALI", "MUHAMMAD ALI", ["name_spelling_unified"]),
    "prof_dr_ir_initial": ("PROF. DR. IR. BAMBANG S.", "BAMBANG S", ["name_title_removed", "name_initial"]),
    "alias": ("ABD. RAHMAN ALS MAMAN", "ABDUL RAHMAN", ["name_alias_removed", "name_abbreviation_expanded"]),
    "hyphen": ("sri-wahyuni", "SRI WAHYUNI", ["name_casing"]),
    "only_a_title": ("H", "H", []),
    "balinese_i": ("I WAYAN SUDARSA", "I WAYAN SUDARSA", []),
    "empty": ("", None, ["name_missing"]),
}
CODE_CASES: dict[str, tuple[dict[str, str], dict[str, str | None], list[str]]] = {
    "unknown_relation": ({"HUB_KK": "99"}, {"hub_kk": None}, ["code_unknown:hub_kk"]),
    "empty_sex": ({"JENIS_KELAMIN": ""}, {"jenis_kelamin": None}, ["code_empty:jenis_kelamin"]),
    "leading_zero": ({"HUB_KK": "03"}, {"hub_kk": "anak"}, []),
    "disability": ({"DISABILITAS": "1"}, {"disabilitas": "ya"}, []),
}


def _dtks_rows() -> list[dict[str, str]]:
    rows = []
    for case, (cells, *_) in NIK_CASES.items():
        rows.append(row("dtks_art", ID_ART=f"NIK-{case}", **{**MAN, **cells}))
    for case, (cells, *_) in DATE_CASES.items():
        rows.append(row("dtks_art", ID_ART=f"DATE-{case}", **{**MAN, "NIK": "3204101203780001", **cells}))
    for case, (name, *_) in NAME_CASES.items():
        rows.append(row("dtks_art", ID_ART=f"NAME-{case}", **{**MAN, "NIK": "3204101203780001", "NAMA": name}))
    for case, (cells, *_) in CODE_CASES.items():
        rows.append(row("dtks_art", ID_ART=f"CODE-{case}", **{**MAN, "NIK": "3204101203780001", **cells}))
    return rows


P3KE_ROWS = [
    row("p3ke_individu", ID_INDIVIDU="IND-work", PEKERJAAN=" buruh   TANI ", JENIS_KELAMIN="laki-LAKI "),
    row("p3ke_individu", ID_INDIVIDU="IND-none", PEKERJAAN="Tidak Bekerja"),
    row("p3ke_individu", ID_INDIVIDU="IND-unknown", PEKERJAAN="Belum Didata"),
    row("p3ke_individu", ID_INDIVIDU="IND-age-only", TANGGAL_LAHIR="", USIA="47"),
    row("p3ke_individu", ID_INDIVIDU="IND-bad-age", USIA="empat puluh"),
    row("p3ke_individu", ID_INDIVIDU="IND-orphan", ID_KELUARGA_P3KE="P3KE-99"),
]
REGSOSEK_ROWS = [
    row("regsosek_individu", 0),
    row("regsosek_individu", 1),   # no NIK, no date (age 42), not working: work questions skipped
    row("regsosek_individu", 0, NO_ART="3", NIK="3204101203780001", LAPANGAN_USAHA=""),
]


@pytest.fixture(scope="module")
def persons(tmp_path_factory, reference_warehouse) -> dict[object, dict[str, object]]:
    path = tmp_path_factory.mktemp("person_record") / "warehouse.duckdb"
    path.write_bytes(reference_warehouse.read_bytes())
    connection = duckdb.connect(str(path))
    write_tiny_raw(connection, dtks_art=_dtks_rows(), p3ke_individu=P3KE_ROWS, regsosek_individu=REGSOSEK_ROWS)
    build_family_record(connection)
    build_person_record(connection)
    result = records(connection, "staging.person_record", "source_record_id")
    connection.close()
    return result


def test_one_row_per_raw_record(persons) -> None:
    assert len(persons) == len(_dtks_rows()) + len(P3KE_ROWS) + len(REGSOSEK_ROWS)


@pytest.mark.parametrize("case", NIK_CASES)
def test_nik_cleaning_and_validation(persons, case: str) -> None:
    cells, nik, valid, problems = NIK_CASES[case]
    record = persons[f"NIK-{case}"]
    assert record["nik_raw"] == (cells["NIK"] or None)
    assert record["nik"] == nik
    assert record["nik_valid"] is valid
    assert record["problems"] == problems


@pytest.mark.parametrize("case", DATE_CASES)
def test_birth_dates(persons, case: str) -> None:
    _, tgl_lahir, problems = DATE_CASES[case]
    record = persons[f"DATE-{case}"]
    assert record["tgl_lahir"] == tgl_lahir
    assert record["umur"] is None          # DTKS gives no age
    assert record["problems"] == problems


@pytest.mark.parametrize("case", NAME_CASES)
def test_name_standardization(persons, case: str) -> None:
    raw, nama, problems = NAME_CASES[case]
    record = persons[f"NAME-{case}"]
    assert record["nama_raw"] == (raw or None)
    assert record["nama"] == nama
    assert record["problems"] == problems


@pytest.mark.parametrize("case", CODE_CASES)
def test_person_codes(persons, case: str) -> None:
    _, values, problems = CODE_CASES[case]
    record = persons[f"CODE-{case}"]
    for column, value in values.items():
        assert record[column] == value
    assert record["problems"] == problems


def test_family_card_and_village_come_from_the_family(persons) -> None:
    record = persons["NIK-apostrophe"]
    assert (record["source"], record["source_family_id"]) == ("dtks", "DTKS-0001")
    assert record["no_kk"] == "3204100101150001"
    assert record["kode_desa"] == "3204102001"
    assert record["jenis_kelamin"] == "L" and record["hub_kk"] == "kepala_keluarga"


def test_p3ke_labels_in_any_casing_feed_three_variables(persons) -> None:
    record = persons["IND-work"]
    assert (record["status_bekerja"], record["lapangan_usaha"], record["kedudukan_kerja"]) == (
        "bekerja", "pertanian", "pekerja_bebas_pertanian")
    assert record["jenis_kelamin"] == "L"
    assert record["umur"] == 47 and record["tgl_lahir"] == dt.date(1978, 3, 12)
    assert record["pendidikan"] == "sd"
    assert record["problems"] == []


def test_p3ke_a_label_that_says_nothing_of_a_variable_is_no_problem(persons) -> None:
    record = persons["IND-none"]
    assert (record["status_bekerja"], record["lapangan_usaha"], record["kedudukan_kerja"]) == (
        "tidak_bekerja", None, None)
    assert record["problems"] == []


def test_p3ke_unknown_label_is_unknown_for_every_variable_it_feeds(persons) -> None:
    record = persons["IND-unknown"]
    assert (record["status_bekerja"], record["lapangan_usaha"], record["kedudukan_kerja"]) == (None, None, None)
    assert record["problems"] == [
        "code_unknown:kedudukan_kerja", "code_unknown:lapangan_usaha", "code_unknown:status_bekerja"]


def test_empty_date_with_age_keeps_the_age(persons) -> None:
    record = persons["IND-age-only"]
    assert record["tgl_lahir"] is None and record["umur"] == 47
    assert record["nik_valid"] is True      # nothing to disagree with
    assert record["problems"] == ["date_missing_age_only"]


def test_an_age_that_is_not_a_number(persons) -> None:
    record = persons["IND-bad-age"]
    assert record["umur"] is None
    assert record["problems"] == ["umur_invalid"]


def test_a_record_without_its_family(persons) -> None:
    record = persons["IND-orphan"]
    assert record["no_kk"] is None and record["kode_desa"] is None
    assert record["problems"] == ["family_missing"]


def test_regsosek_record_id_skipped_questions_and_missing_nik(persons) -> None:
    head = persons["RS-001-1"]
    assert (head["nik"], head["nik_valid"], head["umur"], head["problems"]) == ("3204101203780001", True, 44, [])
    assert (head["lapangan_usaha"], head["kedudukan_kerja"]) == ("pertanian", "pekerja_bebas_pertanian")
    wife = persons["RS-001-2"]
    assert (wife["nik"], wife["nik_valid"], wife["tgl_lahir"], wife["umur"]) == (None, False, None, 42)
    assert wife["status_bekerja"] == "tidak_bekerja" and wife["lapangan_usaha"] is None
    assert wife["problems"] == ["nik_missing", "date_missing_age_only"]
    worker = persons["RS-001-3"]
    assert worker["lapangan_usaha"] is None
    assert worker["problems"] == ["code_empty:lapangan_usaha"]
