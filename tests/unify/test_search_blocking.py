"""The candidate search's national rules (sql/unify/search_candidates.sql) on hand-written movers.

A person who moved regency or province under no NIK (or a wrong one) is found in Dukcapil by the two
rules that look across the country: the birth date with the whole name in any order (rule 8, for
every searched record), and the birth date with the first name token (rule 14, only for a record
nothing plausible was found for, e.g. a misspelt name). The second rule's blocks grow with the
population, so it must not be asked of a record the first rules already found: the namesakes born
the same day elsewhere in the country are then never compared with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dtsen_assets.assets.unify import run_unify
from dtsen_assets.resources import DuckDBWarehouse
from tests.unify.world import (
    CONFIG, DESA_A, DESA_SEMARANG, ID_KEY, MOVER_KK, MOVER_NIK, World, tricky_world,
)


BORN = "1985-03-12"
NAMESAKES = 40


def _mover_world(written_name: str, namesakes: int = 0) -> World:
    """The tricky world and a man Dukcapil has in Semarang; DTKS still lists him at home in Jawa Barat
    on his old card (unknown to Dukcapil), without a NIK, his name as `written_name`. `namesakes`:
    Dukcapil persons in Semarang with his birth date and first name, and other family names."""
    w = tricky_world()
    w.person(MOVER_NIK, MOVER_KK, "BAMBANG SUTRISNO", BORN, "L", "kepala_keluarga", DESA_SEMARANG)
    for i in range(namesakes):
        w.person(f"3374011203859{i:03d}", f"33740101012{i:05d}", f"BAMBANG NAMESAKE{i:02d}", BORN, "L",
                 "kepala_keluarga", DESA_SEMARANG)
    w.family("dtks", "DM", "3204100101150099", DESA_A, "2021-01-01")
    w.record("dtks", "DM-01", "DM", "", written_name, BORN, "L", "kepala_keluarga")
    return w


def _unify(path: Path, world: World) -> tuple[str | None, dict]:
    """The NIK of the person the DTKS record was linked to, and unify's figures."""
    with DuckDBWarehouse(database_path=str(path)).connect() as connection:
        world.write(connection)
        gated = run_unify(connection, CONFIG, id_key=ID_KEY)
        assert gated.published, [o.summary for o in gated.outcomes if not o.passed]
        nik = connection.execute("""SELECT p.nik FROM dtsen.person_source s JOIN dtsen.person p USING (person_id)
                                    WHERE s.source = 'dtks' AND s.source_record_id = 'DM-01'""").fetchone()[0]
        return nik, gated.staged.figures


@pytest.mark.parametrize("written_name", [
    "BAMBANG SUTRISNO",     # as Dukcapil has it
    "SUTRISNO BAMBANG",     # the parts the other way round: no first token in common (rule 8 alone finds him)
    "BAMBANG SUTRISNA",     # misspelt: no whole name in common (rule 14, the fallback, finds him)
])
def test_a_mover_without_a_nik_is_found_in_another_province(tmp_path: Path, written_name: str) -> None:
    nik, _ = _unify(tmp_path / "w.duckdb", _mover_world(written_name))
    assert nik == MOVER_NIK


def test_namesakes_born_the_same_day_elsewhere_are_not_compared(tmp_path: Path) -> None:
    """Forty men named BAMBANG born on his day live in Semarang: the search compares the mover's record
    with his own Dukcapil person, not with each of them (a birth date and a first name, nationally,
    is a block that grows with the country: hundreds of persons for a common name at 289 million)."""
    alone_nik, alone = _unify(tmp_path / "alone.duckdb", _mover_world("BAMBANG SUTRISNO"))
    # (whether he is then linked is not asked of the crowd: 41 of this small world's 500 Dukcapil persons
    # born on one day make that date as common as a placeholder, and its agreement weighs little)
    _, crowd = _unify(tmp_path / "crowd.duckdb", _mover_world("BAMBANG SUTRISNO", namesakes=NAMESAKES))
    assert alone_nik == MOVER_NIK
    assert crowd["records_searched"] == alone["records_searched"]
    extra = crowd["comparisons"]["search"] - alone["comparisons"]["search"]
    assert extra < NAMESAKES // 4, (alone["comparisons"], crowd["comparisons"])
