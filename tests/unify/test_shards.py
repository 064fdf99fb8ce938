"""Unify by province shard (dtsen_assets/unify/shards.py): how provinces are packed, that a sharded run
gives the linkage of a national run on a generated drop, and the national step for a person who moved
province (one NIK, records in two shards) on a hand-written case."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.assets.staging import staging_assets
from dtsen_assets.assets.unify import run_unify
from dtsen_assets.assets.unify_shards import divided_memory_limit
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop
from dtsen_assets.synth import generate_drop
from dtsen_assets.synth.scoring import movers_against_truth, score_against_truth
from dtsen_assets.unify import shards
from dtsen_assets.unify.config import UnifyConfig
from dtsen_assets.unify.ids import natural_id
from tests.unify.world import (
    CONFIG, DESA_A, DESA_SEMARANG, ID_KEY, MOVER_KK, MOVER_NIK, background, tricky_world,
)


def _records(counts: dict[str | None, int]) -> duckdb.DuckDBPyConnection:
    """staging.person_record with only what `plan` reads: so many records per village code."""
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA staging")
    connection.execute("CREATE TABLE staging.person_record (kode_desa VARCHAR)")
    for code, n in counts.items():
        connection.execute("INSERT INTO staging.person_record SELECT ? FROM range(?)", [code, n])
    return connection


def test_plan_packs_small_provinces_and_keeps_large_ones_alone() -> None:
    connection = _records({"3204102001": 900, "3301010001": 500, "7371010001": 120, "9101010001": 90,
                           "1101010001": 50, "12x": 30, None: 10})
    planned = shards.plan(connection, min_records=200)
    # 32 and 33 alone; 73+91 reach 200; the rest (50, and 40 without a province: under half of 200) joins them
    assert [s.provinces for s in planned] == [("32",), ("33",), ("11", "73", "91", "xx")]
    assert [s.name for s in planned] == ["prov_32", "prov_33", "prov_11_73_91_xx"]
    assert sum(s.records for s in planned) == 1700
    # every province in exactly one shard, and the plan does not depend on row order
    provinces = [p for s in planned for p in s.provinces]
    assert len(provinces) == len(set(provinces)) == 6
    assert shards.plan(connection, min_records=200) == planned
    # one shard when the drop is small; one per province when every province is large enough
    assert [s.name for s in shards.plan(connection, min_records=10_000)] == ["prov_11_32_33_73_91_xx"]
    assert len(shards.plan(connection, min_records=1)) == 6


def test_no_records_is_one_empty_shard() -> None:
    assert shards.plan(_records({}), min_records=200) == [shards.Shard("prov_xx", ("xx",), 0)]


def test_a_new_plan_removes_the_shards_of_runs_that_did_not_merge(tmp_path: Path) -> None:
    root = tmp_path / ".dtsen_shards"
    (root / "aaaa1111").mkdir(parents=True)
    (root / "aaaa1111" / "prov_32.duckdb").write_text("left by a failed run")
    current = root / "bbbb2222"
    current.mkdir()
    (root / "cccc3333").mkdir()                 # a run still in progress
    assert shards.remove_other_runs(current, keep={"cccc3333"}) == ["aaaa1111"]
    assert sorted(p.name for p in root.iterdir()) == ["bbbb2222", "cccc3333"]


def test_a_large_remainder_is_a_shard_of_its_own() -> None:
    planned = shards.plan(_records({"3204102001": 500, "3301010001": 150, "7371010001": 120}), min_records=200)
    assert [s.provinces for s in planned] == [("32",), ("33", "73")]
    planned = shards.plan(_records({"3204102001": 500, "3301010001": 150}), min_records=200)
    assert [s.provinces for s in planned] == [("32",), ("33",)]    # 150 >= half of 200: stands alone


def test_memory_limit_is_divided_between_the_shards_running_at_once() -> None:
    assert divided_memory_limit("6GB", 2) == "3000MB"
    assert divided_memory_limit("3GB", 1) == "3000MB"
    assert divided_memory_limit("512MiB", 4) == "128MB"
    assert divided_memory_limit("80%", 2) == "80%"      # DuckDB's own forms are left alone


def _mover_world(dtks_nik: str | None = MOVER_NIK):
    """The tricky world (Jawa Barat) and a man who moved to Jawa Tengah: DTKS still lists him in his old
    village in Jawa Barat (with the NIK `dtks_nik`), REGSOSEK in his new one; Dukcapil has him (and his new
    card) in Semarang."""
    w = tricky_world()
    w.person(MOVER_NIK, MOVER_KK, "BAMBANG SUTRISNO", "1985-03-12", "L", "kepala_keluarga", DESA_SEMARANG)
    w.family("dtks", "DM", "3204100101150099", DESA_A, "2021-01-01")
    w.record("dtks", "DM-01", "DM", dtks_nik, "BAMBANG SUTRISNO", "1985-03-12", "L", "kepala_keluarga")
    w.family("regsosek", "RM", MOVER_KK, DESA_SEMARANG)
    w.record("regsosek", "RM-01", "RM", MOVER_NIK, "BAMBANG SUTRISNO", "1985-03-12", "L", "kepala_keluarga")
    return w


def _unify_world(path: Path, directory: Path | None) -> duckdb.DuckDBPyConnection:
    warehouse = DuckDBWarehouse(database_path=str(path))
    with warehouse.connect() as connection:
        _mover_world().write(connection)
        if directory is None:
            gated = run_unify(connection, CONFIG, id_key=ID_KEY)
        else:
            gated = run_unify_sharded(connection, directory, min_records=1)
        assert gated.published, [o.summary for o in gated.outcomes if not o.passed]
        figures = gated.staged.figures
    return duckdb.connect(str(path), read_only=True), figures


def run_unify_sharded(connection, directory: Path, min_records: int, config: UnifyConfig = CONFIG):
    """What dtsen_build_provinces does, in one process: plan and export, link each shard, the gate with the merge."""
    planned = shards.prepare(connection, directory, min_records, ID_KEY)
    for shard in planned:
        shards.link_and_keep(directory, shard.name, config, ID_KEY)
    return run_unify(connection, config, id_key=ID_KEY, shard_directory=directory)


def test_a_person_who_moved_province_is_one_person(tmp_path: Path) -> None:
    national, _ = _unify_world(tmp_path / "national.duckdb", None)
    sharded, figures = _unify_world(tmp_path / "sharded.duckdb", tmp_path / "shards")
    assert set(figures["shards"]) == {"prov_32", "prov_33"}
    assert figures["shared_across_shards"]["persons"] == 1        # he was built in both shards
    mover = natural_id(ID_KEY, "P", f"nik:{MOVER_NIK}")
    for connection in (national, sharded):
        linked = connection.execute("""SELECT source_record_id, person_id, match_method FROM dtsen.person_source
                                       WHERE source_record_id IN ('DM-01', 'RM-01') ORDER BY 1""").fetchall()
        assert linked == [("DM-01", mover, "exact_nik"), ("RM-01", mover, "exact_nik")]
        row = connection.execute("SELECT count(*), any_value(status_padan), any_value(no_kk), any_value(kode_desa) "
                                 "FROM dtsen.person WHERE person_id = ?", [mover]).fetchone()
        assert row == (1, "PADAN", MOVER_KK, DESA_SEMARANG)
    # the whole sharded result is the national one: same persons, same links, same families
    for query in ("SELECT person_id, nik, status_padan, is_active, family_id FROM dtsen.person ORDER BY ALL",
                  "SELECT source, source_record_id, person_id, match_method FROM dtsen.person_source ORDER BY ALL",
                  "SELECT family_id, no_kk, jumlah_art FROM dtsen.family ORDER BY ALL"):
        assert sharded.execute(query).fetchall() == national.execute(query).fetchall(), query
    unique = sharded.execute("SELECT count(*) = count(DISTINCT person_id) FROM dtsen.person").fetchone()[0]
    assert unique


@pytest.fixture(scope="module")
def staged_drop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated drop of 6,000 persons (about 25 provinces) through raw and staging, once; 5% of its families
    moved to another province after the sources were collected (Dukcapil has them there, the sources at home)."""
    root = tmp_path_factory.mktemp("shards")
    drop = root / "drop"
    generate_drop(drop, persons=6000, seed=21, moved_province=0.05)
    database = root / "staged.duckdb"
    warehouse = DuckDBWarehouse(database_path=str(database))
    result = dg.materialize([*raw_source_assets, *staging_assets],
                            resources={"source_drop": SourceDrop(source_dir=str(drop)), "warehouse": warehouse})
    assert result.success
    return drop, database


def test_sharded_linkage_scores_as_the_national_one(staged_drop: tuple[Path, Path], tmp_path: Path) -> None:
    drop, staged = staged_drop
    config = UnifyConfig(as_of_date="2025-12-31")
    scores, movers = {}, {}
    for mode in ("national", "sharded"):
        path = tmp_path / f"{mode}.duckdb"
        path.write_bytes(staged.read_bytes())
        with DuckDBWarehouse(database_path=str(path)).connect() as connection:
            if mode == "national":
                gated = run_unify(connection, config, id_key=ID_KEY)
            else:
                # shards of at least 2,500 records (the model trains on each): three here
                gated = run_unify_sharded(connection, tmp_path / "shards", min_records=2_500, config=config)
                assert len(gated.staged.figures["shards"]) == 3
            assert gated.published, [o.summary for o in gated.outcomes if not o.passed]
            scores[mode] = score_against_truth(connection, drop)
            movers[mode] = movers_against_truth(connection, drop)
            records = connection.execute("SELECT count(*), count(DISTINCT (source, source_record_id)) "
                                         "FROM dtsen.person_source").fetchone()
            assert records[0] == records[1] == gated.staged.figures["records"]
    national, sharded = scores["national"], scores["sharded"]
    assert sharded["records_without_truth"] == 0
    assert sharded["persons"] == pytest.approx(national["persons"], abs=3)
    for measure in ("pairwise_precision", "pairwise_recall", "nik_true_share", "dead_made_inactive"):
        assert sharded[measure] >= national[measure] - 0.002, (measure, national, sharded)
    assert sharded["living_made_inactive"] == 0.0
    # the records of families that moved province, without their true NIK: linked to their true person as
    # often as nationally (the old export, which sent only the cards a record's NIK names, linked 88 of 93)
    national_movers = movers["national"]
    assert national_movers["without_true_nik"] >= 50, movers
    assert national_movers["linked_without_true_nik"] >= 0.9 * national_movers["without_true_nik"], movers
    assert movers["sharded"] == movers["national"]


def test_a_sharded_run_after_a_national_release_keeps_every_id(tmp_path: Path) -> None:
    """The shards get their slice of the published release (records, persons, retired ids): a sharded run
    over the same drop after a national one publishes the same persons under the same ids, nothing retired."""
    path = tmp_path / "w.duckdb"
    warehouse = DuckDBWarehouse(database_path=str(path))
    query = ("SELECT p.person_id, p.nik, p.family_id, s.source_record_id FROM dtsen.person p "
             "JOIN dtsen.person_source s USING (person_id) ORDER BY ALL")
    with warehouse.connect() as connection:
        _mover_world().write(connection)
        assert run_unify(connection, CONFIG, id_key=ID_KEY).published
        before = connection.execute(query).fetchall()
        history_before = connection.execute("SELECT count(*) FROM unify.person_id_history").fetchone()[0]
        gated = run_unify_sharded(connection, tmp_path / "shards", min_records=1)
        assert gated.published, [o.summary for o in gated.outcomes if not o.passed]
        assert connection.execute(query).fetchall() == before
        assert connection.execute("SELECT count(*) FROM unify.person_id_history").fetchone()[0] == history_before
    previous = sorted((tmp_path / "shards" / "input").iterdir())
    assert {p.name for p in previous} >= {"dtsen.person", "dtsen.person_source"}   # the slices were exported


def test_a_card_across_two_provinces_gives_each_member_to_a_shard_once(tmp_path: Path) -> None:
    """The mover's card also holds his wife, registered at home in Jawa Barat, where DTKS lists them both:
    the Jawa Barat shard gets the card for him, and must not get her a second time (her line in the
    Dukcapil file is her key there)."""
    wife_nik = "3204105505870002"
    world = _mover_world()
    world.person(wife_nik, MOVER_KK, "SITI AMINAH", "1987-05-15", "P", "istri_suami", DESA_A)
    world.record("dtks", "DM-02", "DM", wife_nik, "SITI AMINAH", "1987-05-15", "P", "istri_suami")
    directory = tmp_path / "shards"
    with DuckDBWarehouse(database_path=str(tmp_path / "sharded.duckdb")).connect() as connection:
        world.write(connection)
        gated = run_unify_sharded(connection, directory, min_records=1)
        assert gated.published, [o.summary for o in gated.outcomes if not o.passed]
        rows, niks = connection.execute(
            f"SELECT count(*), count(DISTINCT nik) FROM read_parquet('{directory}/input/dukcapil_person/*/*.parquet', "
            "hive_partitioning = true) WHERE _shard = 'prov_32'").fetchone()
        assert rows == niks
        assert connection.execute("SELECT count(*) FROM dtsen.person_source p JOIN dtsen.person USING (person_id) "
                                  "WHERE source_record_id = 'DM-02' AND nik = ?", [wife_nik]).fetchone()[0] == 1


@pytest.mark.parametrize("nik_raw", [None, "3204101203850999"])
def test_a_mover_without_a_usable_nik_is_linked_across_shards(tmp_path: Path, nik_raw: str | None) -> None:
    """The mover, without a NIK in DTKS or with one Dukcapil does not know: only his birth date and name say
    who he is, and his Dukcapil person lives in another shard. The cross-province residue: the Jawa Barat
    shard gets the Dukcapil card of a person in another province whose birth date and whole name agree with
    one of its records that no NIK confirms, so the record is linked where a national run links it (the old
    export sent only the cards a record's NIK names)."""
    mover = natural_id(ID_KEY, "P", f"nik:{MOVER_NIK}")
    linked = {}
    for mode in ("national", "sharded"):
        with DuckDBWarehouse(database_path=str(tmp_path / f"{mode}.duckdb")).connect() as connection:
            _mover_world(nik_raw).write(connection)
            if mode == "national":
                gated = run_unify(connection, CONFIG, id_key=ID_KEY)
            else:
                gated = run_unify_sharded(connection, tmp_path / "shards", min_records=1)
            assert gated.published, [o.summary for o in gated.outcomes if not o.passed]
            linked[mode] = connection.execute(
                "SELECT source_record_id, person_id FROM dtsen.person_source "
                "WHERE source_record_id IN ('DM-01', 'RM-01') ORDER BY 1").fetchall()
            if mode == "sharded":
                assert gated.staged.figures["shared_across_shards"]["persons"] == 1
    assert linked["national"] == [("DM-01", mover), ("RM-01", mover)]
    assert linked["sharded"] == linked["national"]


STUDENT_NIK = "3374015507050003"    # the mover's daughter, born 15-07-2005, on her parents' card


def test_a_card_whose_members_are_listed_in_two_shards_is_linked_nationally(tmp_path: Path) -> None:
    """A daughter studies in Jawa Barat, where DTKS lists her alone; her parents' card is in Semarang, where
    REGSOSEK lists them. Each shard builds the card's family from the members it has, and the merge cannot
    make one family of the two (the old merge published neither: size 2 against 3 members, a blocking
    check). The run links the drop nationally instead, and says so: the same tables as a national run."""
    def world():
        w = tricky_world()
        w.person(MOVER_NIK, MOVER_KK, "BAMBANG SUTRISNO", "1985-03-12", "L", "kepala_keluarga", DESA_SEMARANG)
        w.person("3374015003870002", MOVER_KK, "SRI WAHYUNI", "1987-03-10", "P", "istri_suami", DESA_SEMARANG)
        w.person(STUDENT_NIK, MOVER_KK, "DEWI LESTARI", "2005-07-15", "P", "anak", DESA_SEMARANG)
        w.family("regsosek", "RM", MOVER_KK, DESA_SEMARANG)
        w.record("regsosek", "RM-01", "RM", MOVER_NIK, "BAMBANG SUTRISNO", "1985-03-12", "L", "kepala_keluarga")
        w.record("regsosek", "RM-02", "RM", "3374015003870002", "SRI WAHYUNI", "1987-03-10", "P", "istri_suami")
        w.family("dtks", "DS", "3204100101150098", DESA_A, "2021-01-01")
        w.record("dtks", "DS-01", "DS", STUDENT_NIK, "DEWI LESTARI", "2005-07-15", "P", "kepala_keluarga")
        return w

    tables = {}
    for mode in ("national", "sharded"):
        with DuckDBWarehouse(database_path=str(tmp_path / f"{mode}.duckdb")).connect() as connection:
            world().write(connection)
            if mode == "national":
                gated = run_unify(connection, CONFIG, id_key=ID_KEY)
            else:
                gated = run_unify_sharded(connection, tmp_path / ".dtsen_shards" / "run", min_records=1)
            assert gated.published, [o.summary for o in gated.outcomes if not o.passed]
            if mode == "sharded":
                assert gated.staged.figures["shards_not_used"] == {"split_families": 1,
                                                                   "shards": ["prov_32", "prov_33"]}
            tables[mode] = [connection.execute(query).fetchall() for query in (
                "SELECT person_id, nik, status_padan, is_active, family_id FROM dtsen.person ORDER BY ALL",
                "SELECT source, source_record_id, person_id, match_method FROM dtsen.person_source ORDER BY ALL",
                "SELECT family_id, no_kk, jumlah_art, kode_desa FROM dtsen.family ORDER BY ALL")]
            assert connection.execute("SELECT jumlah_art FROM dtsen.family WHERE no_kk = ?", [MOVER_KK]).fetchall() == [(3,)]
    assert tables["sharded"] == tables["national"]
