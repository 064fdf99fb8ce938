"""final.perubahan on hand-made snapshots: each jenis and alasan from its evidence, nothing else."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dtsen_assets.change_log import build_change_log, semester_start

PERSON_COLUMNS = ("person_id", "nik", "no_kk", "nama", "tgl_lahir", "jenis_kelamin", "kode_desa", "family_id",
                  "status_padan", "is_active", "inactive_reason")


def person(pid, family, nik=None, no_kk=None, born="1980-01-01", active=True, reason=None, desa="3204102001"):
    return dict(person_id=pid, nik=nik or f"32041015018{pid[-5:]:>05}", no_kk=no_kk or f"KK-{family}", nama="X",
                tgl_lahir=dt.date.fromisoformat(born), jenis_kelamin="L", kode_desa=desa, family_id=family,
                status_padan="PADAN", is_active=active, inactive_reason=reason)


def snapshot(connection, semester, persons, families):
    """persons: dicts of person(); families: family_id -> (desil, jumlah_art, lantai)."""
    connection.execute("CREATE SCHEMA IF NOT EXISTS final")
    connection.execute("""CREATE TABLE IF NOT EXISTS final.person (semester VARCHAR, person_id VARCHAR, nik VARCHAR,
        no_kk VARCHAR, nama VARCHAR, tgl_lahir DATE, jenis_kelamin VARCHAR, kode_desa VARCHAR, family_id VARCHAR,
        status_padan VARCHAR, is_active BOOLEAN, inactive_reason VARCHAR)""")
    connection.execute("""CREATE TABLE IF NOT EXISTS final.family (semester VARCHAR, family_id VARCHAR, no_kk VARCHAR,
        kode_desa VARCHAR, kode_kab VARCHAR, jumlah_art INTEGER, lantai VARCHAR, lantai_source VARCHAR)""")
    connection.execute("""CREATE TABLE IF NOT EXISTS final.decile (semester VARCHAR, family_id VARCHAR, desil INTEGER,
        persentil DOUBLE, pengeluaran_kapita_pmt DOUBLE, model_version VARCHAR)""")
    for p in persons:
        connection.execute("INSERT INTO final.person VALUES (?, " + ", ".join("?" * len(PERSON_COLUMNS)) + ")",
                           [semester, *(p[c] for c in PERSON_COLUMNS)])
    for family_id, (desil, size, lantai) in families.items():
        connection.execute("INSERT INTO final.family VALUES (?, ?, ?, '3204102001', '3204', ?, ?, 'dtks')",
                           [semester, family_id, f"KK-{family_id}", size, lantai])
        if desil is not None:
            connection.execute("INSERT INTO final.decile VALUES (?, ?, ?, 50, 1e6, 'm1')", [semester, family_id, desil])


def decisions(connection, rows):
    connection.execute("CREATE SCHEMA IF NOT EXISTS staging")
    connection.execute("CREATE TABLE staging.verivali_decision (nik VARCHAR, no_kk VARCHAR, aksi VARCHAR, tgl_musdes DATE)")
    for row in rows:
        connection.execute("INSERT INTO staging.verivali_decision VALUES (?, ?, ?, ?)", list(row))


def history(connection, rows):
    connection.execute("CREATE SCHEMA IF NOT EXISTS unify")
    connection.execute("CREATE TABLE unify.person_id_history (retired_id VARCHAR, person_id VARCHAR, reason VARCHAR, "
                       "first_seen_at TIMESTAMP)")
    for row in rows:
        connection.execute("INSERT INTO unify.person_id_history VALUES (?, ?, ?, current_timestamp)", list(row))


def log(connection, semester="2026-S2"):
    return {(r[0], r[1]): r[2:] for r in connection.execute(
        "SELECT person_id, jenis, alasan, desil_lama, desil_baru, family_id, kode_kab, semester_sebelumnya "
        "FROM final.perubahan WHERE semester = ?", [semester]).fetchall()}


BASE = [person("P00001", "F1"), person("P00002", "F1"), person("P00003", "F1"),
        person("P00004", "F2"), person("P00005", "F2")]
BASE_FAMILIES = {"F1": (2, 3, "tanah"), "F2": (5, 2, "keramik")}


def test_identical_semesters_give_an_empty_log() -> None:
    connection = duckdb.connect()
    snapshot(connection, "2026-S1", BASE, BASE_FAMILIES)
    snapshot(connection, "2026-S2", BASE, BASE_FAMILIES)
    assert build_change_log(connection, "2026-S2", "2026-S1") == {}
    assert connection.execute("SELECT count(*) FROM final.perubahan").fetchone() == (0,)
    assert build_change_log(connection, "2026-S1", None) == {}


def test_who_left_and_why() -> None:
    connection = duckdb.connect()
    before = BASE + [person("P00006", "F3"), person("P00007", "F3"), person("P00008", "F4"),
                     person("P00009", "F5"), person("P00010", "F5", no_kk="KK-F5")]
    snapshot(connection, "2026-S1", before, {**BASE_FAMILIES, "F3": (1, 2, "tanah"), "F4": (3, 1, "tanah"),
                                             "F5": (4, 2, "tanah")})
    after = [p for p in BASE if p["person_id"] != "P00003"] + [
        person("P00003", None, active=False, reason="meninggal_dukcapil"),      # died (Dukcapil)
    ]   # F3 moved away (PINDAH), F4 gone without a decision, F5 found well-off (MAMPU on its card)
    snapshot(connection, "2026-S2", after, {"F1": (2, 2, "tanah"), "F2": (5, 2, "keramik")})
    decisions(connection, [(before[5]["nik"], "KK-F3", "pindah", "2026-03-01"),
                           (before[6]["nik"], "KK-F3", "pindah", "2026-03-01"),
                           (before[8]["nik"], "KK-F5", "mampu", "2026-02-01"),
                           (before[7]["nik"], "KK-F4", "mampu", "2025-03-01")])   # too old: before 2026-S1
    counts = build_change_log(connection, "2026-S2", "2026-S1")
    entries = log(connection)
    assert entries[("P00003", "keluar")][:3] == ("meninggal", 2, None)
    assert entries[("P00006", "keluar")][0] == entries[("P00007", "keluar")][0] == "pindah"
    assert entries[("P00009", "keluar")][0] == entries[("P00010", "keluar")][0] == "mampu"
    assert entries[("P00008", "keluar")][0] == "tidak_terdata"
    assert entries[("P00006", "keluar")][3:] == ("F3", "3204", "2026-S1")
    # F1 lost a member, its desil did not move: no desil row; nobody else changed
    assert counts == {("keluar", "meninggal"): 1, ("keluar", "pindah"): 2, ("keluar", "mampu"): 2,
                      ("keluar", "tidak_terdata"): 1}


def test_who_entered_and_why() -> None:
    connection = duckdb.connect()
    snapshot(connection, "2026-S1", BASE + [person("P00020", "F1", active=False, reason="meninggal_dukcapil")],
             BASE_FAMILIES)
    after = BASE + [person("P00011", "F1", born="2026-02-10"),          # born in the previous semester
                    person("P00012", "F6", no_kk="KK-F6"), person("P00013", "F6", no_kk="KK-F6"),
                    person("P00014", "F7"),
                    person("P00020", "F1")]                              # a death record corrected
    snapshot(connection, "2026-S2", after, {**BASE_FAMILIES, "F6": (1, 2, "tanah"), "F7": (7, 1, "keramik")})
    decisions(connection, [("3204000000000001", "KK-F6", "usulan_baru", "2026-01-20")])
    counts = build_change_log(connection, "2026-S2", "2026-S1")
    entries = log(connection)
    assert entries[("P00011", "masuk")][:3] == ("lahir", None, 2)
    assert entries[("P00012", "masuk")][0] == entries[("P00013", "masuk")][0] == "usulan"
    assert entries[("P00014", "masuk")][:3] == ("baru_terdata", None, 7)
    assert entries[("P00020", "masuk")][0] == "aktif_kembali"
    assert sum(counts.values()) == 5


def test_a_new_card_is_not_a_move_but_joining_another_family_is() -> None:
    connection = duckdb.connect()
    snapshot(connection, "2026-S1", BASE, BASE_FAMILIES)
    after = [person("P00001", "F9"), person("P00002", "F9"),       # F1's card re-issued: F9 ...
             person("P00003", "F2"),                                # ... but this member married into F2
             person("P00004", "F2"), person("P00005", "F2")]
    snapshot(connection, "2026-S2", after, {"F9": (2, 2, "tanah"), "F2": (5, 3, "keramik")})
    counts = build_change_log(connection, "2026-S2", "2026-S1")
    assert log(connection)[("P00003", "pindah_keluarga")][:5] == ("gabung_keluarga", 2, 5, "F2", "3204")
    assert counts == {("pindah_keluarga", "gabung_keluarga"): 1}


def test_desil_moves_with_their_reason() -> None:
    connection = duckdb.connect()
    snapshot(connection, "2026-S1", BASE + [person("P00030", "F8")], {**BASE_FAMILIES, "F8": (6, 1, "tanah")})
    snapshot(connection, "2026-S2", BASE + [person("P00030", "F8")],
             {"F1": (4, 3, "keramik"), "F2": (4, 2, "keramik"), "F8": (7, 1, "tanah")})
    counts = build_change_log(connection, "2026-S2", "2026-S1")
    entries = log(connection)
    assert entries[("P00001", "desil_naik")][:3] == ("data_keluarga_berubah", 2, 4)
    assert entries[("P00004", "desil_turun")][:3] == ("peringkat_bergeser", 5, 4)
    assert entries[("P00030", "desil_naik")][0] == "peringkat_bergeser"
    assert counts == {("desil_naik", "data_keluarga_berubah"): 3, ("desil_naik", "peringkat_bergeser"): 1,
                      ("desil_turun", "peringkat_bergeser"): 2}
    summary = connection.execute("SELECT desil, jenis, sum(jiwa) FROM final.perubahan_ringkasan "
                                 "WHERE kode_kab = '3204' GROUP BY ALL ORDER BY ALL").fetchall()
    assert summary == [(4, "desil_naik", 3), (4, "desil_turun", 2), (7, "desil_naik", 1)]


def test_a_retired_id_is_one_person_not_one_leaving_and_one_entering() -> None:
    connection = duckdb.connect()
    before = BASE + [person("R00040", "F1"),                    # R-id: its NIK confirmed later, id kept
                     person("R00041", "F2"), person("R00042", "F2")]   # two ids of one person
    snapshot(connection, "2026-S1", before, {"F1": (2, 4, "tanah"), "F2": (5, 4, "keramik")})
    after = BASE + [person("R00040", "F1"), person("R00041", "F2"), person("P00043", "F1")]
    snapshot(connection, "2026-S2", after, {"F1": (2, 5, "tanah"), "F2": (5, 3, "keramik")})
    history(connection, [("P99940", "R00040", "nik_dikonfirmasi"), ("R00042", "R00041", "digabung"),
                         ("R00044", "P00043", "anchor_berubah")])
    # the person then R00044 is now P00043 (say, its smallest record changed); P00001 is new now
    connection.execute("UPDATE final.person SET person_id = 'R00044' WHERE semester = '2026-S1' AND person_id = 'P00001'")
    counts = build_change_log(connection, "2026-S2", "2026-S1")
    entries = log(connection)
    assert entries == {("R00042", "keluar"): ("duplikat", 5, None, "F2", "3204", "2026-S1"),
                       ("P00001", "masuk"): ("baru_terdata", None, 2, "F1", "3204", "2026-S1")}
    assert counts == {("keluar", "duplikat"): 1, ("masuk", "baru_terdata"): 1}


def test_semester_names_are_checked() -> None:
    assert semester_start("2026-S2") == "2026-07-01"
    with pytest.raises(ValueError, match="YYYY-S1"):
        semester_start("2026-3")
    with pytest.raises(ValueError):
        build_change_log(duckdb.connect(), "2026-S3", "2026-S2")
