"""Family plausibility: which families unify quarantines instead of letting them be ranked."""

from __future__ import annotations

import duckdb

from dtsen_assets.checks.unify import check_family_plausible
from dtsen_assets.unify.plausibility import Plausibility
from dtsen_assets.platform.sql import render


def _quarantine(members: list[tuple[str, str | None, int | None]], rules: Plausibility = Plausibility()) -> dict:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA w")
    connection.execute("CREATE TABLE w.family_member (family_id VARCHAR, hub_kk_dukcapil VARCHAR, umur_now INTEGER)")
    connection.executemany("INSERT INTO w.family_member VALUES (?, ?, ?)", members)
    connection.execute(render("unify/family_karantina", w="w", as_of="2025-12-31", max_members=rules.max_members,
                              max_age=rules.max_age, karantina_table="w.karantina"))
    connection.execute("CREATE TABLE w.family AS SELECT DISTINCT family_id FROM w.family_member")
    outcome = check_family_plausible(connection, "w.karantina", "w.family")
    rows = {f: (a, k) for f, a, k in connection.execute("SELECT family_id, alasan, keterangan FROM w.karantina").fetchall()}
    return {"rows": rows, "outcome": outcome}


def test_ordinary_families_are_not_quarantined() -> None:
    result = _quarantine([("F1", "kepala_keluarga", 45), ("F1", "istri_suami", 40), ("F1", "anak", 3),
                          ("F2", None, 70)])
    assert result["rows"] == {} and result["outcome"].passed


def test_implausible_families_are_quarantined_with_one_reason_each() -> None:
    members = [("BIG", "anak", 10)] * 200 + [("BIG", "kepala_keluarga", 50)] * 3
    members += [("HEADS", "kepala_keluarga", 40), ("HEADS", "kepala_keluarga", 38), ("HEADS", "anak", 5)]
    members += [("OLD", "kepala_keluarga", 150), ("OLD", "istri_suami", 60)]
    members += [("UNBORN", "kepala_keluarga", 30), ("UNBORN", "anak", -2)]
    members += [("OK", "kepala_keluarga", 30)]
    result = _quarantine(members)
    assert {f: a for f, (a, _) in result["rows"].items()} == {
        "BIG": "anggota_terlalu_banyak", "HEADS": "kepala_keluarga_ganda", "OLD": "umur_tidak_wajar",
        "UNBORN": "umur_tidak_wajar"}
    assert result["rows"]["BIG"][1].startswith("203 anggota aktif")
    outcome = result["outcome"]
    assert not outcome.passed and not outcome.blocking
    assert "4 of 5 families quarantined" in outcome.summary and outcome.metadata["karantina_umur_tidak_wajar"] == 2


def test_the_size_bound_is_a_setting() -> None:
    members = [("F", "anak", 10)] * 12 + [("F", "kepala_keluarga", 40)]
    assert _quarantine(members)["rows"] == {}
    assert list(_quarantine(members, Plausibility(max_members=10))["rows"]) == ["F"]
