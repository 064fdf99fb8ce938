"""Every program rule and its boundaries, on hand-written families (ages counted at AS_OF)."""

from __future__ import annotations

import pytest
import yaml

from dtsen_assets.program.rules import RulesError, default_rules_path, load_rules, parse_rules
from tests.program.world import Member, World


def test_the_shipped_rule_file_validates_with_a_rule_per_program_and_its_legal_basis():
    rules = load_rules()
    assert {a.program for a in rules.aturan} == {"PKH", "BPNT", "PBI_JK", "KIP_KULIAH"}
    assert all(len(a.dasar_hukum) > 40 and a.desil_layak_maks == 4 and a.desil_asesmen_maks == 5 for a in rules.aturan)
    assert rules.musdes_mampu_ditunda


@pytest.mark.parametrize("desil, expected", [(1, "layak"), (4, "layak"), (5, "perlu_asesmen"), (6, None), (10, None)])
def test_desil_bounds_of_a_family_program(desil, expected):
    world = World()
    family, _ = world.family(desil, [Member(40)])
    world.build()
    assert world.status("BPNT", family) == expected


def test_a_family_without_a_desil_is_no_candidate():
    world = World()
    family, _ = world.family(None, [Member(3, bekerja=False)])
    world.build()
    assert world.rows(f"SELECT * FROM program.kandidat WHERE family_id = '{family}'") == []


@pytest.mark.parametrize("member, expected", [
    (Member(0), "layak"), (Member(5), "layak"), (Member(6, bekerja=False), "layak"),
    (Member(6, bekerja=True), None),                 # school age but working: not in school
    (Member(21, bekerja=False), "layak"), (Member(22, bekerja=False), None),
    (Member(59), None), (Member(60), "layak"),
    (Member(40, disabilitas=True), "layak"), (Member(40), None),
    (Member(None, bekerja=False), None),             # no birth date: no age rule is met
    (Member(3, active=False, inactive_reason="meninggal_dukcapil"), None),   # a dead child is no component
])
def test_pkh_needs_a_member_with_a_component(member, expected):
    world = World()
    family, _ = world.family(3, [Member(35), member])
    world.build()
    assert world.status("PKH", family) == expected
    assert world.status("BPNT", family) == "layak"   # the family itself is eligible for a family program


def test_pkh_in_desil_5_with_a_component_needs_an_assessment_and_names_the_component():
    world = World()
    family, _ = world.family(5, [Member(35), Member(70)])
    world.build()
    (status, alasan), = world.rows(f"SELECT status, alasan FROM program.kandidat WHERE program = 'PKH' AND family_id = '{family}'")
    assert status == "perlu_asesmen" and "lanjut usia" in alasan and "asesmen" in alasan


@pytest.mark.parametrize("age, expected", [(17, None), (18, "layak"), (24, "layak"), (25, None)])
def test_kip_kuliah_is_per_person_of_college_age(age, expected):
    world = World()
    family, persons = world.family(2, [Member(50), Member(age)])
    world.build()
    assert world.status("KIP_KULIAH", family, persons[1]) == expected
    assert world.status("KIP_KULIAH", family, persons[0]) is None


def test_the_age_boundary_is_the_birthday():
    # one day before the 18th birthday the person is 17
    world = World()
    family, persons = world.family(2, [Member(18)])
    import datetime as dt
    from tests.program.world import AS_OF
    world.build(as_of=AS_OF - dt.timedelta(days=1))
    assert world.status("KIP_KULIAH", family, persons[0]) is None


def test_pbi_jk_is_per_active_person():
    world = World()
    family, persons = world.family(4, [Member(30), Member(2), Member(80, active=False, inactive_reason="meninggal_dukcapil")])
    other, _ = world.family(5, [Member(30)])
    world.build()
    rows = world.rows(f"SELECT person_id, status FROM program.kandidat WHERE program = 'PBI_JK' ORDER BY person_id")
    assert rows == [(persons[0], "layak"), (persons[1], "layak"), (f"P{other[1:]}0", "perlu_asesmen")]


def test_a_family_a_meeting_declared_mampu_is_held_for_every_program():
    world = World()
    family, persons = world.family(2, [Member(40), Member(20, bekerja=False), Member(3)])
    world.decision(1, "mampu", "perlu_verifikasi_pmt", persons[0])
    world.build()
    statuses = world.rows(f"SELECT DISTINCT program, status FROM program.kandidat WHERE family_id = '{family}' ORDER BY 1")
    assert statuses == [("BPNT", "ditunda"), ("KIP_KULIAH", "ditunda"), ("PBI_JK", "ditunda"), ("PKH", "ditunda")]
    alasan = world.rows(f"SELECT alasan FROM program.kandidat WHERE program = 'BPNT' AND family_id = '{family}'")[0][0]
    assert "MAMPU" in alasan and "cek lapangan" in alasan


def test_without_holding_mampu_families_the_rule_file_decides():
    rules = load_rules().model_copy(update={"musdes_mampu_ditunda": False})
    world = World()
    family, persons = world.family(2, [Member(40)])
    world.decision(1, "mampu", "perlu_verifikasi_pmt", persons[0])
    world.build(rules)
    assert world.status("BPNT", family) == "layak"


def test_a_changed_threshold_in_the_rule_file_changes_the_candidates(tmp_path):
    document = yaml.safe_load(default_rules_path().read_text())
    document["aturan"][1]["desil_layak_maks"] = 2          # BPNT-DESIL
    document["aturan"][1]["desil_asesmen_maks"] = 3
    path = tmp_path / "aturan.yaml"
    path.write_text(yaml.safe_dump(document))
    world = World()
    three, _ = world.family(3, [Member(40)])
    four, _ = world.family(4, [Member(40)])
    world.build(load_rules(path))
    assert world.status("BPNT", three) == "perlu_asesmen" and world.status("BPNT", four) is None


@pytest.mark.parametrize("change, message", [
    (lambda d: d["aturan"][0].update(desil_asesmen_maks=3), "0 (PKH-KOMPONEN)"),
    (lambda d: d["aturan"][1].update(umur_min=18), "1 (BPNT-DESIL)"),
    (lambda d: d["aturan"][0]["komponen"].append({"id": "kosong", "uraian": "tanpa syarat"}), "komponen"),
    (lambda d: d["aturan"][2].update(ambang=3), "ambang"),
    (lambda d: d["aturan"][3].update(program="BPNT"), "one rule per program"),
    (lambda d: d["aturan"][3].update(umur_min=30), "umur_min 30 is above umur_maks 24"),
])
def test_a_wrong_rule_file_stops_with_the_rule_and_field_named(change, message):
    document = yaml.safe_load(default_rules_path().read_text())
    change(document)
    with pytest.raises(RulesError) as error:
        parse_rules(document, "aturan.yaml")
    assert message in str(error.value) and "aturan.yaml" in str(error.value)
