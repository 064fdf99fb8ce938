"""The explain command agrees with the published tables, masks by default, logs unmasked use.

One warehouse is built by the CLI (dtsen_build) from a generated drop; the explanations of a
sample of persons are compared field by field with dtsen.person, dtsen.person_source,
unify.match_evidence, unify.person_value_source, unify.family_value_source, welfare.*; the source
ids the explanation names are followed back to the staged source records, whose values must be
the ones the person and family carry.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dtsen_assets.assets.audit import explanation as explanation_asset
from dtsen_assets.explain import ExplainQuery, explain, render_text
from dtsen_assets.explain.__main__ import main
from dtsen_assets.resources import DuckDBWarehouse
from tests.test_dtsen_build import ROOT, run_dtsen_build

IDENTITY = ("nama", "tgl_lahir", "jenis_kelamin", "kode_desa")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """9,000 persons: enough SUSENAS households for the PMT (>= 50), so every table is published."""
    from dtsen_assets.synth import generate_drop

    work = tmp_path_factory.mktemp("explain")
    drop = work / "drop"
    generate_drop(drop, persons=9_000, seed=5)
    shutil.rmtree(drop / "truth")
    database = work / "warehouse.duckdb"
    completed = run_dtsen_build(drop, database, work / "dagster_home")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return database


def _connect(database: Path, read_only: bool = True):
    return DuckDBWarehouse(database_path=str(database)).connect(read_only=read_only)


def _sample_persons(connection) -> list[str]:
    """Persons with three source records first (one of them with a corrected NIK), then a spread of others."""
    three = [r[0] for r in connection.execute("""
        SELECT person_id FROM dtsen.person_source GROUP BY person_id
        HAVING count(DISTINCT source) = 3 AND bool_or(match_method = 'corrected_nik')
        ORDER BY person_id LIMIT 3""").fetchall()]
    spread = [r[0] for r in connection.execute("""
        SELECT person_id FROM dtsen.person ORDER BY hash(person_id) LIMIT 25""").fetchall()]
    return list(dict.fromkeys(three + spread))


def test_explain_agrees_with_the_published_tables(warehouse: Path) -> None:
    with _connect(warehouse) as connection:
        persons = _sample_persons(connection)
        assert len(persons) >= 20
        assert connection.execute("SELECT count(*) FROM unify.match_evidence").fetchone()[0] == \
            connection.execute("SELECT count(*) FROM dtsen.person_source").fetchone()[0]
        # the value sources: one row per person and one per family, nothing else
        assert connection.execute("""SELECT count(*) FROM dtsen.person p
            FULL JOIN unify.person_value_source v USING (person_id) WHERE p.person_id IS NULL OR v.person_id IS NULL""").fetchone()[0] == 0
        assert connection.execute("""SELECT count(*), count(DISTINCT family_id) FROM unify.family_value_source""").fetchone() == \
            connection.execute("SELECT count(*), count(DISTINCT family_id) FROM dtsen.family").fetchone()
        checked_family_values = 0
        for person_id in persons:
            result = explain(connection, ExplainQuery("person_id", person_id), unmask=True)
            (section,) = result["persons"]
            person = connection.execute("SELECT * FROM dtsen.person WHERE person_id = ?", [person_id]).df()
            row = person.iloc[0].to_dict()
            assert section["person"]["nik"] == row["nik"]
            assert section["person"]["family_id"] == row["family_id"]
            assert section["person"]["status_padan"] == row["status_padan"]
            # every source record of the person, with its method and score, exactly as published
            published = connection.execute("""
                SELECT s.source, s.source_record_id, s.match_method, s.match_score, e.nik_chosen, e.chosen_posterior,
                       e.nik_runner_up, e.agreeing_fields, e.disagreeing_fields
                FROM dtsen.person_source s JOIN unify.match_evidence e USING (source, source_record_id)
                WHERE s.person_id = ? ORDER BY 1, 2""", [person_id]).fetchall()
            shown = [(r["source"], r["source_record_id"], r["match_method"], r["match_score"], r["nik_chosen"],
                      r["chosen_posterior"], r["nik_runner_up"], r["agreeing_fields"], r["disagreeing_fields"])
                     for r in section["records"]]
            assert shown == [tuple(x) for x in published]
            # each value's source record holds the value the person carries
            for origin in section["value_sources"]:
                variable, source, record_id = origin["variabel"], origin["source"], origin["source_record_id"]
                if source == "dukcapil":
                    assert row["status_padan"] == "PADAN" or row["nik"] is not None
                    continue
                if variable not in IDENTITY:
                    continue
                value = connection.execute(
                    f"SELECT {variable} FROM staging.person_record WHERE source = ? AND source_record_id = ?",
                    [source, record_id]).fetchone()[0]
                assert str(value) == str(row[variable]), (person_id, variable)

            # the family: score, desil, cut points and factors as welfare.* has them
            for family in result["families"]:
                welfare = family["welfare"]
                score = connection.execute("SELECT pengeluaran_kapita_pmt FROM welfare.pmt_score WHERE family_id = ?",
                                           [family["family_id"]]).fetchone()
                if score is None:
                    assert not welfare["scored"]
                    continue
                desil, persentil = connection.execute(
                    "SELECT desil, persentil FROM welfare.decile WHERE family_id = ?", [family["family_id"]]).fetchone()
                assert welfare["pengeluaran_kapita_pmt"] == pytest.approx(score[0])
                assert (welfare["desil"], welfare["persentil"]) == (desil, pytest.approx(persentil))
                cut = welfare["cut_points"]
                assert cut["desil_min"] <= score[0] <= cut["desil_maks"]
                if "naik_ke_desil" in cut:
                    assert cut["naik_ke_desil"]["target"] > score[0]
                if "turun_ke_desil" in cut:
                    assert cut["turun_ke_desil"]["target"] < score[0]
                factors = connection.execute("SELECT variabel, dampak_persen FROM welfare.explanation "
                                             "WHERE family_id = ? ORDER BY peringkat", [family["family_id"]]).fetchall()
                assert [(f["variabel"], f["dampak_persen"]) for f in welfare["factors"]] == factors
                # a welfare value names its source family; that source family holds the value
                for value in family["values"]:
                    if value["source"] in ("dtks", "regsosek", "p3ke") and value["source_id"]:
                        held = connection.execute(
                            f"SELECT {value['variabel']} FROM staging.family_record "
                            "WHERE source = ? AND source_family_id = ?", [value["source"], value["source_id"]]).fetchone()
                        assert held is not None and str(held[0]) == str(value["nilai"]), value
                        checked_family_values += 1
        assert checked_family_values > 100


def test_a_person_from_three_sources_with_a_corrected_nik_is_found_by_the_nik_as_written(warehouse: Path) -> None:
    with _connect(warehouse) as connection:
        person_id, source, record_id, written, dukcapil = connection.execute("""
            SELECT s.person_id, s.source, s.source_record_id, r.nik_raw, e.nik_dukcapil
            FROM dtsen.person_source s
            JOIN unify.match_evidence e USING (source, source_record_id)
            JOIN staging.person_record r USING (source, source_record_id)
            WHERE s.match_method = 'corrected_nik' AND s.person_id IN (
                SELECT person_id FROM dtsen.person_source GROUP BY person_id HAVING count(DISTINCT source) = 3)
            ORDER BY s.person_id LIMIT 1""").fetchone()
        assert written != dukcapil
        result = explain(connection, ExplainQuery("nik", written))
        assert [p["person"]["person_id"] for p in result["persons"]] == [person_id]
        record = next(r for r in result["persons"][0]["records"] if r["source_record_id"] == record_id)
        assert record["match_method"] == "corrected_nik" and record["nik_raw_edits_from_dukcapil"] in (1, 2)
        assert len({r["source"] for r in result["persons"][0]["records"]}) == 3
        text = render_text(result)
        for nik in (written, dukcapil):
            assert nik not in text and nik not in json.dumps(result)    # masked by default
        assert "dikoreksi" in text and "kandidat terpilih" in text


def test_the_command_masks_by_default_and_logs_unmasked_use(warehouse: Path, capsys, monkeypatch) -> None:
    with _connect(warehouse) as connection:
        nik, family_id = connection.execute(
            "SELECT nik, family_id FROM dtsen.person WHERE nik IS NOT NULL AND family_id IS NOT NULL "
            "ORDER BY person_id LIMIT 1").fetchone()
    monkeypatch.setenv("DTSEN_DUCKDB_PATH", str(warehouse))
    assert main(["--nik", nik, "--json"]) == 0
    masked = json.loads(capsys.readouterr().out)
    assert masked["masked"] and nik not in json.dumps(masked)
    with pytest.raises(SystemExit):
        main(["--nik", nik, "--unmask"])              # no reason, no unmasking
    assert main(["--family-id", family_id, "--unmask", "--reason", "sanggahan 12/2026"]) == 0
    assert nik in capsys.readouterr().out
    with _connect(warehouse) as connection:
        logged = connection.execute("SELECT os_user, query_kind, query_value, reason, family_ids "
                                    "FROM audit.unmask_log").fetchall()
    assert len(logged) == 1
    user, kind, value, reason, families = logged[0]
    assert user and kind == "family_id" and value == family_id and reason == "sanggahan 12/2026"
    assert families == [family_id]
    # the module runs as documented
    completed = subprocess.run([sys.executable, "-m", "dtsen_assets.explain", "--family-id", family_id],
                               cwd=ROOT, capture_output=True, text=True, env={"DTSEN_DUCKDB_PATH": str(warehouse),
                                                                              "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 0, completed.stderr
    assert f"Keluarga {family_id}" in completed.stdout and nik not in completed.stdout


def test_the_asset_explains_a_configured_list_masked(warehouse: Path) -> None:
    with _connect(warehouse) as connection:
        person_id, nik, family_id = connection.execute(
            "SELECT person_id, nik, family_id FROM dtsen.person WHERE nik IS NOT NULL AND family_id IS NOT NULL "
            "ORDER BY person_id DESC LIMIT 1").fetchone()
    result = dg.materialize(
        [explanation_asset], resources={"warehouse": DuckDBWarehouse(database_path=str(warehouse))},
        run_config={"ops": {"audit__explanation": {"config": {"person_ids": [person_id, "P-NOT-THERE"],
                                                              "family_ids": [family_id]}}}})
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["dagster/row_count"].value == 3
    assert metadata["not_found"].value == ["P-NOT-THERE"]
    assert person_id in metadata["explanations"].value and nik not in metadata["explanations"].value
    with _connect(warehouse) as connection:
        rows = connection.execute("SELECT query_kind, query_id, found FROM audit.explanation ORDER BY 1, 2").fetchall()
    assert rows == [("family_id", family_id, True), ("person_id", "P-NOT-THERE", False), ("person_id", person_id, True)]


def test_a_family_a_hair_above_a_cut_point_reads_the_distance_with_its_sign() -> None:
    # the shape explain.core.cut_points gives a family 0.01% above the highest prediction of desil 4
    family = {"family_id": "F1", "no_kk": "3204********0001", "kode_desa": "3204102001", "jumlah_art": 2,
              "members": [], "values": [],
              "welfare": {"scored": True, "pengeluaran_kapita_pmt": 1_131_131.0, "model_version": "m", "desil": 5,
                          "persentil": 40.0, "factors": [],
                          "cut_points": {"desil_min": 1_131_131.0, "desil_maks": 1_413_570.0,
                                         "batas_bawah": {"desil_bawah_maks": 1_130_992.0, "desil_ini_min": 1_131_131.0},
                                         "turun_ke_desil": {"desil": 4, "target": 1_130_992.0, "selisih_rupiah": -139.0,
                                                            "selisih_persen": -0.0123},
                                         "batas_atas": {"desil_ini_maks": 1_413_570.0, "desil_atas_min": 1_413_672.0},
                                         "naik_ke_desil": {"desil": 6, "target": 1_413_672.0,
                                                           "selisih_rupiah": 282_541.0, "selisih_persen": 24.98}}}}
    text = render_text({"query": {"kind": "family_id", "value": "F1"}, "masked": True,
                        "release": {"available": False, "note": "-"}, "found": True, "persons": [], "families": [family]})
    assert "turun ke Rp 1.130.992 (-Rp 139, -0.01%)" in text
    assert "naik ke Rp 1.413.672 (+Rp 282.541, +25.0%)" in text
