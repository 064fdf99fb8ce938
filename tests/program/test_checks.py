"""The blocking checks of the program tables catch what they guard (on staged tables, before publication)."""

from __future__ import annotations

from dtsen_assets.checks import program as checks
from dtsen_assets.program.build import build_program_tables
from dtsen_assets.program.rules import load_rules
from tests.program.world import AS_OF, UPSTREAM, Member, World


def staged_world():
    world = World()
    family, persons = world.family(3, [Member(40), Member(20, bekerja=False)])
    rich, rich_people = world.family(7, [Member(40)])
    world.decision(1, "tetap", "dicatat", persons[0])
    staged = build_program_tables(world.connection, load_rules(), AS_OF, UPSTREAM)
    return world, staged, family, rich, rich_people


def test_the_checks_pass_on_what_the_rules_built():
    world, staged, *_ = staged_world()
    c = world.connection
    assert checks.check_kandidat_unit_unique(c, staged["program.kandidat"]).passed
    assert checks.check_kandidat_sesuai_aturan(c, staged["program.kandidat"], staged["program.aturan"], UPSTREAM.decile,
                                               UPSTREAM.person, AS_OF).passed
    assert checks.check_tugas(c, staged["program.tugas_verifikasi"], UPSTREAM.verivali_outcome, UPSTREAM.sanggah_raw).passed
    assert checks.check_usulan(c, staged["program.usulan"], UPSTREAM.usul_raw).passed


def test_a_layak_row_outside_its_rule_is_caught_with_a_masked_family():
    world, staged, family, rich, rich_people = staged_world()
    c = world.connection
    c.execute(f"INSERT INTO {staged['program.kandidat']} VALUES ('BPNT', ?, NULL, 7, 'layak', 'BPNT-DESIL', 'x')", [rich])
    c.execute(f"INSERT INTO {staged['program.kandidat']} VALUES ('KIP_KULIAH', ?, ?, 7, 'layak', 'KIP-KULIAH-USIA', 'x')",
              [rich, rich_people[0]])
    outcome = checks.check_kandidat_sesuai_aturan(c, staged["program.kandidat"], staged["program.aturan"],
                                                  UPSTREAM.decile, UPSTREAM.person, AS_OF)
    assert not outcome.passed and "2 row(s) outside their rule" in outcome.summary
    assert rich not in outcome.summary          # family ids are shown masked


def test_a_repeated_unit_and_a_lost_decision_are_caught():
    world, staged, family, *_ = staged_world()
    c = world.connection
    c.execute(f"INSERT INTO {staged['program.kandidat']} SELECT * FROM {staged['program.kandidat']} WHERE program = 'BPNT'")
    assert not checks.check_kandidat_unit_unique(c, staged["program.kandidat"]).passed
    c.execute(f"DELETE FROM {staged['program.tugas_verifikasi']}")
    outcome = checks.check_tugas(c, staged["program.tugas_verifikasi"], UPSTREAM.verivali_outcome, UPSTREAM.sanggah_raw)
    assert not outcome.passed and "1 village decision(s) but 0 verivali task(s)" in outcome.summary
