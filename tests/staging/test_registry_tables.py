"""staging.dukcapil_person, staging.susenas_household and staging.verivali_decision."""

from __future__ import annotations

import datetime as dt

import duckdb

from dtsen_assets.staging.dukcapil import build_dukcapil_person
from dtsen_assets.staging.susenas import build_susenas_household
from dtsen_assets.staging.verivali import build_verivali_decision
from tests.staging.raw import records, row, write_tiny_raw


def test_dukcapil_person(connection: duckdb.DuckDBPyConnection) -> None:
    write_tiny_raw(connection, dukcapil_penduduk=[
        row("dukcapil_penduduk", 0),
        row("dukcapil_penduduk", 1, NAMA_LGKP="MOCHAMMAD SOLEH"),
        row("dukcapil_penduduk", 2),
        row("dukcapil_penduduk", 2, NIK="3273010707500004", STATUS="MENINGGAL", TGL_MENINGGAL="",
            STAT_HBKEL="KAKEK", JENIS_KLMIN="Laki-laki"),
    ])
    build_dukcapil_person(connection)
    persons = records(connection, "staging.dukcapil_person", "line_number")
    assert len(persons) == 4
    wife = persons[2]
    assert (wife["nik"], wife["no_kk"], wife["nama"]) == ("3204105508800002", "3204100101150001", "SITI AMINAH")
    assert (wife["tgl_lahir"], wife["jenis_kelamin"], wife["hub_kk"]) == (dt.date(1980, 8, 15), "P", "istri_suami")
    assert (wife["kode_desa"], wife["is_alive"], wife["tgl_meninggal"], wife["problems"]) == (
        "3204102001", True, None, [])
    assert (persons[3]["nama"], persons[3]["problems"]) == ("MUHAMMAD SOLEH", ["name_spelling_unified"])
    dead = persons[4]
    assert (dead["is_alive"], dead["tgl_meninggal"], dead["problems"]) == (False, dt.date(2024, 5, 1), [])
    undated = persons[5]
    assert (undated["is_alive"], undated["tgl_meninggal"], undated["hub_kk"], undated["jenis_kelamin"]) == (
        False, None, None, "L")
    assert undated["problems"] == ["code_unknown:hub_kk", "tgl_meninggal_missing"]


def test_susenas_household(connection: duckdb.DuckDBPyConnection) -> None:
    write_tiny_raw(connection, susenas_rumah_tangga=[
        row("susenas_rumah_tangga", 0),
        row("susenas_rumah_tangga", 0, ID_RT="SUS-0002", KRT_PENDIDIKAN="X", KRT_STATUS_BEKERJA="2",
            KRT_LAPANGAN_USAHA="", KRT_KEDUDUKAN_KERJA="", BOBOT="", PENGELUARAN_KAPITA="1.234.567"),
    ])
    build_susenas_household(connection)
    households = records(connection, "staging.susenas_household", "id_rt")
    first = households["SUS-0001"]
    assert (first["bobot"], first["pengeluaran_kapita"], first["kode_kab"], first["jumlah_art"]) == (
        250.5, 685000.0, "3204", 4)
    assert (first["krt_jenis_kelamin"], first["krt_umur"], first["krt_pendidikan"]) == ("L", 41, "smp")
    assert (first["krt_status_bekerja"], first["krt_lapangan_usaha"], first["krt_kedudukan_kerja"]) == (
        "bekerja", "perdagangan", "berusaha_sendiri")
    assert (first["lantai"], first["daya_listrik"], first["aset_ac"], first["rumah_lain"]) == (
        "keramik", "va_900", "tidak", "tidak")
    assert first["problems"] == []
    second = households["SUS-0002"]
    assert (second["krt_pendidikan"], second["krt_lapangan_usaha"], second["bobot"]) == (None, None, None)
    assert second["pengeluaran_kapita"] is None      # thousands separators are not a number we guess
    assert second["problems"] == [
        "bobot_missing", "number_invalid:pengeluaran_kapita", "code_unknown:krt_pendidikan"]


def test_verivali_decision(connection: duckdb.DuckDBPyConnection) -> None:
    base = row("verivali_musdes", 0)
    write_tiny_raw(connection, verivali_musdes=[
        base,
        {**base, "AKSI": "PERBAIKAN_NIK", "NIK_BARU": "", "NAMA": "I Wayan Sudarsa"},
        {**base, "AKSI": "perbaikan_nik ", "NIK_BARU": "'3273010707500005"},
        {**base, "AKSI": "HAPUS", "NIK": "'3273010707500003", "TGL_MUSDES": "2025-02-30"},
    ])
    build_verivali_decision(connection)
    decisions = records(connection, "staging.verivali_decision", "line_number")
    first = decisions[2]
    assert (first["source_file"], first["no_ba"], first["kode_desa"]) == (
        "musdes_test.csv", "BA/3204102001/2025/01", "3204102001")
    assert (first["tgl_musdes"], first["nik"], first["no_kk"], first["nama"]) == (
        dt.date(2025, 2, 10), "3273010707500003", "3273010202100002", "WAYAN SUDARSA")
    assert (first["aksi"], first["nik_baru"], first["keterangan"], first["problems"]) == (
        "meninggal", None, "meninggal 2024", [])
    assert (decisions[3]["aksi"], decisions[3]["nama"]) == ("perbaikan_nik", "I WAYAN SUDARSA")
    assert decisions[3]["problems"] == ["name_casing", "nik_baru_missing"]
    assert (decisions[4]["nik_baru"], decisions[4]["problems"]) == ("3273010707500005", ["nik_baru_apostrophe"])
    assert (decisions[5]["aksi"], decisions[5]["tgl_musdes"], decisions[5]["nik"]) == (None, None, "3273010707500003")
    assert decisions[5]["problems"] == ["tgl_musdes_impossible", "nik_apostrophe", "code_unknown:aksi"]


def test_verivali_without_files(connection: duckdb.DuckDBPyConnection) -> None:
    write_tiny_raw(connection, verivali_musdes=[])
    build_verivali_decision(connection)
    assert connection.execute("SELECT count(*) FROM staging.verivali_decision").fetchone()[0] == 0
