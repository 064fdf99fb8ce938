"""Families that moved to another province (the rate moved_province): where Dukcapil and the sources
put them, and that their new cards are unique across the generator's chunks."""

from __future__ import annotations

import duckdb
from dtsen_assets.synth import generate_drop, world

PERSONS, CHUNK_PERSONS = 12_000, 3_000      # several chunks of whole districts


def _one(sql: str):
    return duckdb.sql(sql).fetchall()[0]


def test_movers_live_in_another_province_in_dukcapil_and_at_home_in_the_sources(tmp_path):
    summary = generate_drop(tmp_path, PERSONS, seed=41, chunk_persons=CHUNK_PERSONS, moved_province=0.1)
    assert summary["chunks"] >= 3
    moved, eligible = _one(f"""SELECT injected_count, eligible_count FROM read_csv('{tmp_path}/truth/problems.csv')
                               WHERE problem = 'moved_province'""")
    assert 0.07 * eligible <= moved <= 0.13 * eligible
    # each source family of a moved family: its village (home) in another province than its card's today
    across = _one(f"""
        SELECT count(DISTINCT f.no_kk_true)
        FROM read_csv('{tmp_path}/truth/source_families.csv', all_varchar = true) AS f
        JOIN read_csv('{tmp_path}/regsosek/keluarga.csv', all_varchar = true) AS k ON k.ID_KELUARGA = f.source_family_id
        JOIN read_csv('{tmp_path}/truth/families.csv', all_varchar = true) AS t ON t.no_kk = f.no_kk_true
        WHERE f.source = 'regsosek' AND left(k.KODE_DESA, 2) <> left(t.kode_desa, 2)""")[0]
    assert across >= 0.5 * moved * 0.6          # REGSOSEK lists about 60-90% of families
    # every card is one family's
    assert _one(f"SELECT count(*) = count(DISTINCT no_kk) FROM read_csv('{tmp_path}/truth/families.csv', "
                "all_varchar = true)")[0]


def test_cards_of_families_moved_to_one_district_from_several_chunks_are_unique(tmp_path, monkeypatch):
    """Every mover of every chunk goes to one village (one district): the chunks issue cards there on the same
    days, and a chunk cannot see another's (the old serials from 0-60 gave two families one card)."""
    moves = world._moves_and_cards

    def to_one_village(rng, fam, villages, rates, persons, all_villages):
        moves(rng, fam, villages, rates, persons, all_villages[all_villages["kode_desa"] == 9103011001])
    monkeypatch.setattr(world, "_moves_and_cards", to_one_village)
    generate_drop(tmp_path, PERSONS, seed=41, chunk_persons=CHUNK_PERSONS, moved_province=0.3, workers=1)
    families = f"read_csv('{tmp_path}/truth/families.csv', all_varchar = true)"
    assert _one(f"SELECT count(*) FROM {families} WHERE kode_desa = '9103011001'")[0] > 500
    assert _one(f"SELECT count(*) - count(DISTINCT no_kk) FROM {families}")[0] == 0
