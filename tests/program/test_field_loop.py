"""Village decisions that close, Cek Bansos proposals and objections, and today's recipients against the
rules: every path on hand-written cases."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.program.world import AS_OF, DESA, Member, World


# ------------------------------------------------------------------ verivali: every decision ends in a state

@pytest.mark.parametrize("aksi, outcome, status, reason, closed_by", [
    ("meninggal", "dikonfirmasi_dukcapil", "diterapkan", "dikonfirmasi Dukcapil", "dukcapil"),
    ("meninggal", "perlu_cek_lapangan", "menunggu_cek_lapangan", "Dukcapil belum mencatat", None),
    ("pindah", "dikonfirmasi_dukcapil", "diterapkan", "dikonfirmasi Dukcapil", "dukcapil"),
    ("pindah", "perlu_cek_lapangan", "menunggu_cek_lapangan", "Dukcapil belum mencatat", None),
    ("perbaikan_nik", "diterima", "diterapkan", "NIK baru padan", "pipeline"),
    ("perbaikan_nik", "ditolak_nik_tidak_dikenal", "ditolak", "tidak dikenal Dukcapil", "pipeline"),
    ("perbaikan_nik", "ditolak_identitas_berbeda", "ditolak", "milik orang lain", "pipeline"),
    ("mampu", "perlu_verifikasi_pmt", "menunggu_cek_lapangan", "ditunda di semua program", None),
    ("tetap", "dicatat", "diterapkan", "tidak ada perubahan", "pipeline"),
    ("meninggal", "record_tidak_ditemukan", "ditolak", "tidak ditemukan di DTSEN", "pipeline"),
])
def test_every_verivali_decision_ends_in_a_state(aksi, outcome, status, reason, closed_by):
    world = World()
    family, persons = world.family(3, [Member(40)])
    world.decision(1, aksi, outcome, None if outcome == "record_tidak_ditemukan" else persons[0])
    world.build()
    task = world.task("musdes.csv:1")
    assert (task["jenis"], task["status"], task["ditutup_oleh"]) == (aksi, status, closed_by)
    assert reason in task["alasan"]
    assert task["terbuka"] == (status.startswith("menunggu")) and task["yang_dicek"]
    assert task["sejak"].date() == dt.date(2026, 2, 1) and task["kode_desa"] == DESA


def test_usulan_baru_already_in_dtsen_reports_its_desil():
    world = World()
    _, persons = world.family(2, [Member(40)])
    world.decision(1, "usulan_baru", "sudah_terdaftar", None, nik=world.nik(persons[0]))
    world.build()
    task = world.task("musdes.csv:1")
    assert task["status"] == "diterapkan" and "desil 2" in task["alasan"]


@pytest.mark.parametrize("outcome, no_kk, missing", [
    ("diusulkan_padan", "3204100101150099", ["data sosial ekonomi keluarga (kuesioner registrasi DTSEN)"]),
    ("diusulkan_tidak_padan", None, ["data sosial ekonomi keluarga (kuesioner registrasi DTSEN)", "NIK padan Dukcapil",
                                     "nomor KK"]),
])
def test_usulan_baru_not_in_dtsen_is_queued_for_registration_with_the_missing_data(outcome, no_kk, missing):
    world = World()
    world.decision(1, "usulan_baru", outcome, None, no_kk=no_kk)
    world.build()
    task = world.task("musdes.csv:1")
    assert task["status"] == "menunggu_registrasi" and task["terbuka"]
    assert list(task["data_kurang"]) == missing


def test_a_later_meeting_deciding_tetap_rejects_an_open_claim():
    world = World()
    family, persons = world.family(2, [Member(40)])
    world.decision(1, "mampu", "perlu_verifikasi_pmt", persons[0], tgl="2026-01-10")
    world.decision(2, "tetap", "dicatat", persons[0], tgl="2026-04-10")
    world.build()
    task = world.task("musdes.csv:1")
    assert (task["status"], task["ditutup_oleh"]) == ("ditolak", "musdes_berikutnya") and "TETAP" in task["alasan"]
    assert world.status("BPNT", family) == "layak"          # no longer held


def test_a_mampu_confirmed_by_a_later_meeting_is_applied_and_the_family_leaves_every_program():
    world = World()
    family, persons = world.family(2, [Member(40)], dtks=(False, True, False))
    world.decision(1, "mampu", "perlu_verifikasi_pmt", persons[0], tgl="2026-01-10")
    world.decision(2, "mampu", "perlu_verifikasi_pmt", persons[0], tgl="2026-04-10")
    world.build()
    assert world.task("musdes.csv:1")["status"] == "diterapkan"
    assert world.rows(f"SELECT * FROM program.kandidat WHERE family_id = '{family}'") == []
    assert world.rows("SELECT kategori FROM program.penerima_status") == [("keluar_mampu",)]


def test_a_later_drop_with_dukcapil_confirming_closes_the_task_and_keeps_its_first_date():
    world = World()
    _, persons = world.family(3, [Member(40), Member(70)])
    world.decision(1, "meninggal", "perlu_cek_lapangan", persons[1])
    world.build(as_of=AS_OF)
    first = world.task("musdes.csv:1")
    assert first["terbuka"] and first["ditutup_pada"] is None or str(first["ditutup_pada"]) in ("NaT", "None")
    # the next drop: Dukcapil now records the death
    world.connection.execute("UPDATE src.verivali_outcome SET outcome = 'dikonfirmasi_dukcapil'")
    later = AS_OF + dt.timedelta(days=60)
    world.build(as_of=later)
    task = world.task("musdes.csv:1")
    assert (task["status"], task["ditutup_oleh"], task["terbuka"]) == ("diterapkan", "dukcapil", False)
    assert task["pertama_tercatat"].date() == AS_OF and task["ditutup_pada"].date() == later
    # a third release keeps the closing date
    world.build(as_of=later + dt.timedelta(days=30))
    assert world.task("musdes.csv:1")["ditutup_pada"].date() == later


# ------------------------------------------------------------------ Cek Bansos

def test_cek_bansos_proposals_report_registration_desil_and_the_rule_met_or_missed():
    world = World()
    poor, poor_people = world.family(2, [Member(40), Member(4)])
    rich, rich_people = world.family(8, [Member(40)])
    no_component, nc_people = world.family(3, [Member(40)])
    _, young = world.family(2, [Member(30)])
    world.usul("U1", world.nik(poor_people[0]), "PKH")
    world.usul("U2", world.nik(rich_people[0]), "BPNT")
    world.usul("U3", world.nik(nc_people[0]), "PKH")
    world.usul("U4", world.nik(young[0]), "KIP_KULIAH")
    world.usul("U5", "3204999999990001", "PBI_JK")
    world.usul("U6", "12345", "BPNT")
    world.usul("U7", world.nik(poor_people[0]), "BANSOS_LAIN")
    decile_before = world.rows("SELECT * FROM src.decile ORDER BY family_id")
    world.build()
    result = {r[0]: r[1:] for r in world.rows(
        "SELECT id_usul, terdaftar, desil, status, aturan, alasan FROM program.usulan ORDER BY id_usul")}
    assert result["U1"][:4] == (True, 2, "layak", "PKH-KOMPONEN") and "anak usia dini" in result["U1"][4]
    assert result["U2"][:3] == (True, 8, "tidak_memenuhi") and "desil 8 di atas batas 5" in result["U2"][4]
    assert result["U3"][2] == "tidak_memenuhi" and "komponen PKH" in result["U3"][4]
    assert result["U4"][2] == "tidak_memenuhi" and "umur 30 di luar 18-24" in result["U4"][4]
    assert result["U5"][:3] == (False, None, "belum_terdaftar")
    assert result["U6"][2] == "nik_tidak_valid"
    assert result["U7"][2] == "program_tidak_dikenal"
    # the unregistered proposer is queued in the village; nothing changed a desil
    task = world.task("usul.csv:U5")
    assert task["status"] == "menunggu_registrasi" and "NIK padan Dukcapil" in list(task["data_kurang"])
    assert world.rows("SELECT * FROM src.decile ORDER BY family_id") == decile_before
    assert world.rows(f"SELECT desil FROM program.kandidat WHERE family_id = '{poor}' LIMIT 1") == [(2,)]


def test_an_objection_goes_to_the_village_worklist_with_the_listed_persons_status():
    world = World()
    family, persons = world.family(3, [Member(40), Member(70)], dtks=(True, True, True))
    world.sanggah("S1", world.nik(persons[0]))
    world.sanggah("S2", "3204999999990002")
    world.build()
    found = world.task("sanggah.csv:S1")
    assert (found["jenis"], found["status"], found["person_id"], found["family_id"]) == (
        "sanggah", "menunggu_cek_lapangan", persons[0], family)
    assert "desil 3" in found["alasan"] and "PKH layak" in found["alasan"] and "penerima DTKS: BPNT, PBI_JK, PKH" in found["alasan"]
    assert found["alasan_warga"] == "Budi kaya"
    missing = world.task("sanggah.csv:S2")
    assert missing["status"] == "ditolak" and "tidak terdaftar" in missing["alasan"]
    assert world.status("PKH", family) == "layak"           # an objection changes nothing by itself


# ------------------------------------------------------------------ today's recipients against the rules

def test_a_dtks_family_split_evenly_is_judged_by_the_family_of_its_first_listed_member():
    """One DTKS family whose two members are now in two DTSEN families, one each: the family of the member
    with the smaller DTKS record id judges it, not the smaller family_id (a keyed hash: the answer would
    change with the warehouse's secret key)."""
    world = World()
    rich, rich_people = world.family(8, [Member(40)])
    poor, poor_people = world.family(2, [Member(38)])
    c = world.connection
    for person_id, record in ((poor_people[0], "ART-SPLIT-1"), (rich_people[0], "ART-SPLIT-2")):
        c.execute("UPDATE src.person_record SET source_record_id = ?, source_family_id = 'DTKS-SPLIT' "
                  "WHERE source_record_id = ?", [record, f"ART-{person_id}"])
        c.execute("UPDATE src.person_source SET source_record_id = ? WHERE person_id = ?", [record, person_id])
    c.execute("INSERT INTO src.family_record VALUES ('dtks', 'DTKS-SPLIT', ?, false, true, false)", [DESA])
    assert rich < poor                     # the smaller family_id is the rich family's
    world.build()
    assert world.rows("SELECT family_id, kategori FROM program.penerima_status WHERE program = 'BPNT'") == \
        [(poor, "tetap_layak")]


def test_recipients_who_stay_who_would_leave_and_why_and_who_is_missing():
    world = World()
    stays, _ = world.family(2, [Member(40), Member(3)], dtks=(True, True, True))
    too_rich, _ = world.family(8, [Member(40)], dtks=(False, True, False))
    world.family(3, [Member(40, active=False, inactive_reason="meninggal_dukcapil")], dtks=(False, True, False))
    moved, _ = world.family(2, [Member(40)], dtks=(False, True, False), kode_desa="3204102002", dtks_desa=DESA)
    _, mampu_people = world.family(2, [Member(40)], dtks=(False, True, False))
    world.decision(1, "mampu", "perlu_verifikasi_pmt", mampu_people[0])
    no_component, _ = world.family(3, [Member(40)], dtks=(True, False, False))
    assess, _ = world.family(5, [Member(40)], dtks=(False, True, False))
    missing, _ = world.family(1, [Member(40)])
    world.build()
    kategori = dict(world.rows("SELECT coalesce(family_id, 'none') || ':' || program, kategori FROM program.penerima_status"))
    assert kategori[f"{stays}:PKH"] == kategori[f"{stays}:BPNT"] == kategori[f"{stays}:PBI_JK"] == "tetap_layak"
    assert kategori[f"{too_rich}:BPNT"] == "keluar_desil_tinggi"
    assert kategori["none:BPNT"] == "keluar_meninggal"
    assert kategori[f"{moved}:BPNT"] == "keluar_pindah"
    assert "keluar_mampu" in kategori.values()
    assert kategori[f"{no_component}:PKH"] == "keluar_tanpa_komponen"
    assert kategori[f"{assess}:BPNT"] == "tetap_perlu_asesmen"
    assert kategori[f"{missing}:BPNT"] == kategori[f"{missing}:PBI_JK"] == "layak_belum_menerima"
    from dtsen_assets.program.build import recipient_summary
    bpnt = recipient_summary(world.connection).set_index("program").loc["BPNT"]
    # 6 BPNT recipients: 1 stays layak, 1 perlu asesmen, 4 would leave; 'missing' and 'no_component' are layak without it
    assert (bpnt["penerima"], bpnt["tetap_layak"], bpnt["layak_belum_menerima"]) == (6, 1, 2)
    assert bpnt["inclusion_error_pct"] == pytest.approx(round(100 * 4 / 6, 1))
    assert bpnt["exclusion_error_pct"] == pytest.approx(round(100 * 2 / 3, 1))
