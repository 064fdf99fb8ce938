"""Consecutive semesters on generated drops: ids, the change log graded against the generator's truth,
and no published id (or metadata) that can be traced back to a NIK.

One warehouse, four builds of a 10,000-person drop (the PMT needs its SUSENAS sample), each snapshot
into final.* by `snapshot_for_tests` (the finalize job's part, until that job exists):
    2025-S2  the drop                     2026-S1  the same drop again
    2026-S2  the drop with deaths only    2027-S1  the drop's full next semester (synth next)
The generator's world stands at 2025-12-31 and its next semester at 2026-06-30, so both later drops
are compared with 2026-S1 (births and village decisions count from its first day, 2026-01-01).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from dtsen_assets.change_log import build_change_log, snapshot_for_tests
from dtsen_assets.definitions import build_assets
from dtsen_assets.resources import DuckDBWarehouse, ModelStore, ReportsDirectory, SourceDrop
from dtsen_assets.synth import generate_drop
from dtsen_assets.synth.grading import grade_change_log, person_ids_of_truth
from dtsen_assets.synth.next_semester import NextRates, next_semester

PERSONS = 10_000

# four whole builds: not in the default run (scripts/test.sh -m slow); bench/bench_changes.py measures the same
pytestmark = pytest.mark.slow


def build(drop: Path, database: Path) -> dg.ExecuteInProcessResult:
    result = dg.materialize(build_assets, resources={"source_drop": SourceDrop(source_dir=str(drop)),
                                                     "warehouse": DuckDBWarehouse(database_path=str(database)), "model_store": ModelStore(),
                                                     "reports": ReportsDirectory(path=str(database.parent / "laporan"))})
    assert result.success
    return result


def metadata_text(result: dg.ExecuteInProcessResult) -> str:
    """Every metadata value of every materialization and check of a run, as text."""
    parts = []
    for event in result.all_events:
        if event.is_step_materialization:
            parts.append(repr(event.step_materialization_data.materialization.metadata))
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            parts.append(repr(event.event_specific_data.metadata))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def semesters(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("semesters")
    first, deaths, full = work / "first", work / "deaths", work / "full"
    generate_drop(first, persons=PERSONS, seed=21, rate_scale=0.0)
    next_semester(first, deaths, seed=1, rates=NextRates().only("deaths"))
    next_semester(first, full, seed=2)
    database = work / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(database_path=str(database))
    out: dict = {"first": first, "deaths": deaths, "full": full, "database": database, "ids": {}}
    for semester, drop in (("2025-S2", first), ("2026-S1", first), ("2026-S2", deaths), ("2027-S1", full)):
        result = build(drop, database)
        if semester == "2025-S2":
            out["metadata"] = metadata_text(result)
        with warehouse.connect() as connection:
            out["ids"][semester] = person_ids_of_truth(connection, drop / "truth")
            out[f"lineage {semester}"] = connection.execute(
                "SELECT source, source_record_id, person_id FROM dtsen.person_source ORDER BY ALL").fetchall()
            snapshot_for_tests(connection, semester)
    with warehouse.connect() as connection:
        out["counts"] = {
            "2026-S1": build_change_log(connection, "2026-S1", "2025-S2"),
            "2026-S2": build_change_log(connection, "2026-S2", "2026-S1"),
            "2027-S1": build_change_log(connection, "2027-S1", "2026-S1"),
        }
        out["log"] = connection.execute("SELECT * FROM final.perubahan").df()
        out["decile_moves"] = connection.execute("""
            SELECT count(*) FROM final.perubahan l
            LEFT JOIN final.decile o ON o.semester = l.semester_sebelumnya AND o.family_id IN (
                SELECT family_id FROM final.person WHERE semester = l.semester_sebelumnya AND person_id = l.person_id)
            LEFT JOIN final.decile n ON n.semester = l.semester AND n.family_id = l.family_id
            WHERE l.jenis IN ('desil_naik', 'desil_turun')
              AND (o.desil IS DISTINCT FROM l.desil_lama OR n.desil IS DISTINCT FROM l.desil_baru
                   OR (l.jenis = 'desil_naik') <> (l.desil_baru > l.desil_lama))""").fetchone()[0]
        out["summary"] = connection.execute(
            "SELECT semester, sum(jiwa) FROM final.perubahan_ringkasan GROUP BY ALL ORDER BY 1").fetchall()
        out["published_ids"] = {r[0] for r in connection.execute(
            "SELECT person_id FROM dtsen.person UNION SELECT family_id FROM dtsen.family").fetchall()}
    return out


def test_the_same_drop_again_gives_the_same_ids_and_an_empty_log(semesters) -> None:
    assert semesters["lineage 2025-S2"] == semesters["lineage 2026-S1"]
    assert semesters["ids"]["2025-S2"] == semesters["ids"]["2026-S1"]
    assert semesters["counts"]["2026-S1"] == {}


def test_deaths_only_give_exactly_those_persons_as_keluar_meninggal(semesters) -> None:
    changes = pd.read_csv(semesters["deaths"] / "truth" / "changes.csv", dtype=str)
    assert set(changes["change"]) == {"meninggal"} and len(changes) > 20
    dead = {semesters["ids"]["2026-S1"][key] for key in changes["person_key"]}
    log = semesters["log"][semesters["log"]["semester"] == "2026-S2"]
    left = log[log["jenis"] == "keluar"]
    assert set(left["person_id"]) == dead and len(left) == len(dead)
    assert set(left["alasan"]) == {"meninggal"}
    assert set(log["jenis"]) <= {"keluar", "desil_naik", "desil_turun"}     # desil: families got smaller
    # everyone else keeps the id they had
    unchanged = {k: v for k, v in semesters["ids"]["2026-S2"].items() if k not in set(changes["person_key"])}
    assert unchanged == {k: v for k, v in semesters["ids"]["2026-S1"].items() if k in unchanged}


def test_the_next_semester_log_matches_the_generators_truth(semesters) -> None:
    changes = pd.read_csv(semesters["full"] / "truth" / "changes.csv", dtype=str, keep_default_na=False)
    log = semesters["log"][semesters["log"]["semester"] == "2027-S1"]
    report = grade_change_log(log, changes, semesters["ids"]["2026-S1"], semesters["ids"]["2027-S1"])
    for jenis in ("masuk", "keluar", "pindah_keluarga"):
        assert report[jenis]["expected"] > 0, (jenis, report)             # every change type is generated ...
        assert report[jenis]["recall"] == 1.0, (jenis, report)            # ... and found
        assert report[jenis]["precision"] == 1.0, (jenis, report)         # nothing invented
        assert report[jenis]["alasan_agrees"] == 1.0, (jenis, report)
    expected_reasons = set(changes.loc[changes["jenis"] != "", "alasan"]) - {""}
    assert expected_reasons == {"meninggal", "pindah", "mampu", "lahir", "baru_terdata", "usulan"}
    assert report["logged_though_no_change_expected"] == {}               # new cards, moves: not in the log
    # housing updates move desil, mostly the way they point, and always for the right reason
    for change, direction in (("rumah_membaik", "desil_naik"), ("rumah_memburuk", "desil_turun")):
        moved = report[change][direction] + report[change]["other_direction"]
        assert report[change]["alasan_data_keluarga_berubah"] == moved, report[change]
    assert report["rumah_membaik"]["desil_naik"] > 2 * report["rumah_membaik"]["other_direction"]
    assert semesters["decile_moves"] == 0          # every desil row is a real move between the snapshots
    totals = dict(semesters["summary"])
    assert totals["2027-S1"] == len(log) and "2026-S1" not in totals


def test_no_published_id_or_metadata_reveals_a_nik(semesters) -> None:
    """Recompute the ids the old code made (sha256 with the public salt, or none) for every NIK and NO_KK
    of the drop: none may be published, nor appear anywhere in the run's metadata."""
    dukcapil = pd.read_csv(semesters["first"] / "dukcapil" / "penduduk.csv", dtype=str)
    guessable = set()
    for salt in ("dtsen", ""):
        for prefix, anchor, values in (("P", "nik", dukcapil["NIK"]), ("F", "kk", dukcapil["NO_KK"].unique())):
            for value in values:
                digest = hashlib.sha256(f"{salt}|{anchor}:{value}".encode()).hexdigest()[:16]
                guessable.update({prefix + digest.upper(), digest, digest.upper()})
    assert semesters["published_ids"] and not semesters["published_ids"] & guessable
    text = semesters["metadata"]
    assert "person_id" in text and "preview" in text
    assert not [g for g in guessable if g in text]
    assert not [nik for nik in dukcapil["NIK"] if nik in text]            # no NIK in the clear either
