"""person_id and family_id: keyed by the warehouse's secret, and kept by a person across drops.

On the hand-written world of world.py: ids made without the key cannot be recomputed from a NIK,
another warehouse makes other ids, a copy of the database makes the same ones, and a person keeps
its id when its NIK is confirmed later or when two earlier persons turn out to be one."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.unify.ids import KEY_TABLE, IdKeyError, ensure_id_key, natural_id
from dtsen_assets.assets.unify import run_unify
from tests.unify.world import CONFIG, KK1, NIK, World, tricky_world

TONO_NIK = "3204100606750099"


def unify(path: Path, world: World, id_key: str | None = None) -> dict[str, str]:
    """Unify `world` into the warehouse at `path`; source record id -> person_id."""
    with DuckDBWarehouse(database_path=str(path)).connect() as connection:
        world.write(connection)
        result = run_unify(connection, CONFIG, id_key=id_key)
        assert result.published, [o.summary for o in result.outcomes if not o.passed]
        return dict(connection.execute("SELECT source_record_id, person_id FROM dtsen.person_source").fetchall())


def query(path: Path, sql: str) -> list[tuple]:
    with DuckDBWarehouse(database_path=str(path)).connect(read_only=True) as connection:
        return connection.execute(sql).fetchall()


def public_salt_ids(world: World) -> set[str]:
    """The ids the old code made: sha256 of the NIK or NO_KK with the public default salt."""
    ids = set()
    for person in world.dukcapil:
        ids.add("P" + hashlib.sha256(f"dtsen|nik:{person['nik']}".encode()).hexdigest()[:16].upper())
        ids.add("F" + hashlib.sha256(f"dtsen|kk:{person['no_kk']}".encode()).hexdigest()[:16].upper())
        for prefix, anchor in (("P", f"nik:{person['nik']}"), ("F", f"kk:{person['no_kk']}")):
            ids.add(prefix + hashlib.sha256(f"|{anchor}".encode()).hexdigest()[:16].upper())  # empty salt
    return ids


def test_ids_are_keyed_by_a_secret_kept_in_the_warehouse(tmp_path: Path) -> None:
    world = tricky_world()
    first = unify(tmp_path / "a.duckdb", world)
    keys = query(tmp_path / "a.duckdb", f"SELECT key_hex, origin FROM {KEY_TABLE}")
    assert len(keys) == 1 and keys[0][1] == "generated" and len(keys[0][0]) == 64
    # nothing published can be recomputed from a NIK or NO_KK without the key
    published = {r[0] for r in query(tmp_path / "a.duckdb",
                                     "SELECT person_id FROM dtsen.person UNION SELECT family_id FROM dtsen.family")}
    assert published and not published & public_salt_ids(world)
    # ... but with the key they are what ids.py says
    assert natural_id(keys[0][0], "P", f"nik:{NIK['ahmad']}") in published

    shutil.copy(tmp_path / "a.duckdb", tmp_path / "copy.duckdb")
    assert unify(tmp_path / "a.duckdb", tricky_world()) == first          # the same drop again
    assert unify(tmp_path / "copy.duckdb", tricky_world()) == first       # a copy of the database
    other = unify(tmp_path / "b.duckdb", tricky_world())                   # another warehouse
    assert other.keys() == first.keys()
    assert not {v for v in other.values() if v} & {v for v in first.values() if v}
    families = [query(p, "SELECT family_id FROM dtsen.family WHERE no_kk = ?".replace("?", f"'{KK1}'"))
                for p in (tmp_path / "a.duckdb", tmp_path / "b.duckdb")]
    assert families[0] and families[0] != families[1]


def test_a_configured_key_is_used_and_never_swapped_silently() -> None:
    connection = duckdb.connect()
    with pytest.raises(IdKeyError, match="shorter"):
        ensure_id_key(connection, "too-short")
    key = "ab" * 32
    assert ensure_id_key(connection, key) == key
    assert connection.execute(f"SELECT key_hex, origin FROM {KEY_TABLE}").fetchall() == [(None, "configured")]
    assert ensure_id_key(connection, key) == key
    with pytest.raises(IdKeyError, match="not the key") as error:
        ensure_id_key(connection, "cd" * 32)
    assert "cd" * 32 not in str(error.value) and key not in str(error.value)
    with pytest.raises(IdKeyError, match="configure the same key"):
        ensure_id_key(connection, None)
    generated = duckdb.connect()
    made = ensure_id_key(generated)
    assert ensure_id_key(generated) == made
    with pytest.raises(IdKeyError, match="not the key"):
        ensure_id_key(generated, "ef" * 32)


def _record(world: World, record_id: str) -> dict:
    return next(r for r in world.records if r["source_record_id"] == record_id)


def test_a_person_whose_nik_is_confirmed_later_keeps_its_id(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    before = unify(path, tricky_world())
    tono = before["D11-01"]
    assert tono.startswith("R") and before["R11-1"] == tono

    later = tricky_world()      # Dukcapil now knows Tono, and DTKS carries his NIK
    later.person(TONO_NIK, KK1[:6] + "0101209999", "TONO SUPRIYADI", "1975-06-06", "L", "kepala_keluarga",
                 "3204102001")
    _record(later, "D11-01").update(nik_raw=TONO_NIK, nik=TONO_NIK, nik_valid=True)
    after = unify(path, later)
    assert query(path, "SELECT nik FROM dtsen.person WHERE person_id = " + repr(tono)) == [(TONO_NIK,)]
    assert after["D11-01"] == after["R11-1"] == tono
    assert {k: v for k, v in after.items() if k not in ("D11-01", "R11-1")} == \
        {k: v for k, v in before.items() if k not in ("D11-01", "R11-1")}
    key = query(path, f"SELECT key_hex FROM {KEY_TABLE}")[0][0]
    history = query(path, "SELECT retired_id, person_id, reason FROM unify.person_id_history")
    assert history == [(natural_id(key, "P", f"nik:{TONO_NIK}"), tono, "nik_dikonfirmasi")]
    # the next drop, still with the NIK: the history keeps the id without any lineage
    assert unify(path, later)["D11-01"] == tono


def test_two_persons_merged_into_one_keep_one_id_and_retire_the_other(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    split = tricky_world()      # REGSOSEK's record of Tono looks like someone else: two persons
    _record(split, "R11-1").update(nama="BAMBANG HARIYANTO", nama_raw="BAMBANG HARIYANTO",
                                   tgl_lahir=dt.date(1950, 2, 3), umur=72)
    before = unify(path, split)
    assert before["D11-01"] != before["R11-1"]

    after = unify(path, tricky_world())   # the records agree again: one person
    assert after["D11-01"] == after["R11-1"] == before["D11-01"]
    history = query(path, "SELECT retired_id, person_id, reason FROM unify.person_id_history")
    assert history == [(before["R11-1"], before["D11-01"], "digabung")]
