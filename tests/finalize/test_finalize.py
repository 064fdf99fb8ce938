"""Semester finalization on a hand-made release: snapshots, refusal, override, Parquet export and verify."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dtsen_assets.assets.final import final_assets
from dtsen_assets.finalize.export import export_root
from dtsen_assets.finalize.perubahan import PERUBAHAN_COLUMNS
from dtsen_assets.finalize.snapshot import (
    AlreadyFinalized, ReleaseNotFinalizable, finalize_semester,
)
from dtsen_assets.release import CheckTally, release_run
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.warehouse import RunScopedConnection, publish, staging_table

ROOT = Path(__file__).resolve().parents[2]
FINAL_TABLES = ["final.semester", "final.person", "final.family", "final.decile", "final.perubahan",
                "final.export_file"]


def make_release(warehouse: DuckDBWarehouse, run_key: str, persons: int,
                 tally: CheckTally = CheckTally(5, [], [])) -> dict:
    """A release of dtsen.person, dtsen.family, welfare.pmt_score and welfare.decile, as dtsen/release makes it."""
    tables = {
        "raw.drop_file": f"SELECT 'dtks/art.csv' AS path, '{run_key}' AS sha256",
        "dtsen.person": f"SELECT 'P' || i AS person_id, '3204' || lpad(i::VARCHAR, 12, '0') AS nik, "
                        f"'F' || (i // 3) AS family_id, i % 5 <> 0 AS is_active FROM range({persons}) t(i)",
        "dtsen.family": f"SELECT DISTINCT 'F' || (i // 3) AS family_id, '3204010001' AS kode_desa FROM range({persons}) t(i)",
        "welfare.pmt_score": "SELECT family_id, 500000.0 + hash(family_id) % 1000 AS pengeluaran_kapita_pmt, "
                             "'pmt-test' AS model_version FROM dtsen.family",
        "welfare.decile": "SELECT family_id, 1 + hash(family_id) % 10 AS desil, 50.0 AS persentil FROM dtsen.family",
    }
    with warehouse.connect() as plain:
        connection = RunScopedConnection(plain, run_key)
        for table, select in tables.items():
            connection.execute(f"CREATE OR REPLACE TABLE {staging_table(table)} AS {select}")
            publish(connection, [table])
        return release_run(connection, run_key, f"{run_key}-run", "code-1", tally)


def state(warehouse: DuckDBWarehouse) -> dict[str, object]:
    """Every final table's rows (hashed) and every exported file: what 'nothing changed' compares."""
    with warehouse.connect(read_only=True) as connection:
        found = {r[0] for r in connection.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema = 'final'"
        ).fetchall()}
        tables = {t: connection.execute(f"SELECT count(*), sum(hash(x)) FROM {t} AS x").fetchone()
                  for t in sorted(found)}
    root = export_root(warehouse.database_path)
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    return {"tables": tables, "files": files}


@pytest.fixture
def warehouse(tmp_path: Path) -> DuckDBWarehouse:
    resource = DuckDBWarehouse(database_path=str(tmp_path / "warehouse" / "w.duckdb"))
    make_release(resource, "aaaa0001", persons=30)
    return resource


def finalize(warehouse: DuckDBWarehouse, semester: str, **options) -> dict:
    with warehouse.connect() as connection:
        return finalize_semester(connection, semester, export_root(warehouse.database_path), **options)


def verify(warehouse: DuckDBWarehouse, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dtsen_assets.finalize", "verify", *args], cwd=ROOT,
                          capture_output=True, text=True,
                          env={**os.environ, "DTSEN_DUCKDB_PATH": warehouse.database_path})


def test_a_semester_is_the_current_release_frozen(warehouse: DuckDBWarehouse) -> None:
    row = finalize(warehouse, "2026-S1", sk_penetapan="SK Mensos No 146/HUK/2020")
    with warehouse.connect(read_only=True) as connection:
        semester = connection.execute(
            "SELECT semester, snapshot, release_id, persons_active, families, sk_penetapan, override_reason, "
            "is_current_for_semester, model_version FROM final.semester").fetchall()
        assert semester == [("2026-S1", 1, row["release_id"], 24, 10, "SK Mensos No 146/HUK/2020", None, True,
                             "pmt-test")]
        assert connection.execute("SELECT count(*) FROM final.person WHERE semester = '2026-S1'").fetchone()[0] == 30
        person = [r[0] for r in connection.execute("DESCRIBE final.person").fetchall()]
        assert person == ["semester", "snapshot", "person_id", "nik", "family_id", "is_active"]
        assert [r[0] for r in connection.execute("DESCRIBE final.decile").fetchall()] == [
            "semester", "snapshot", "family_id", "desil", "persentil", "pengeluaran_kapita_pmt", "model_version"]
        assert [r[0] for r in connection.execute("DESCRIBE final.perubahan").fetchall()] == [
            c.split()[0] for c in PERUBAHAN_COLUMNS.strip().replace("\n", " ").split(", ")]
        assert connection.execute("SELECT count(*) FROM final.decile WHERE pengeluaran_kapita_pmt IS NULL"
                                  ).fetchone()[0] == 0
    assert {f["file"] for f in row["files"]} == {"person.parquet", "family.parquet", "decile.parquet",
                                                 "perubahan.parquet"}
    completed = verify(warehouse, "--semester", "2026-S1")
    assert completed.returncode == 0, completed.stderr
    assert "OK 2026-S1 snapshot 1: 4 files" in completed.stdout


def test_finalizing_twice_is_refused_and_changes_nothing(warehouse: DuckDBWarehouse) -> None:
    finalize(warehouse, "2026-S1")
    make_release(warehouse, "bbbb0002", persons=45)   # a newer release would be what a second run froze
    before = state(warehouse)
    with pytest.raises(AlreadyFinalized, match="2026-S1"):
        finalize(warehouse, "2026-S1")
    with pytest.raises(AlreadyFinalized):
        finalize(warehouse, "2026-S1", override_reason="   ")   # a blank reason is no reason
    assert state(warehouse) == before


def test_an_override_is_recorded_and_keeps_the_earlier_snapshot(warehouse: DuckDBWarehouse) -> None:
    first = finalize(warehouse, "2026-S1")
    make_release(warehouse, "bbbb0002", persons=45)
    earlier_files = {k: v for k, v in state(warehouse)["files"].items() if k.startswith("2026-S1/snapshot-1/")}
    second = finalize(warehouse, "2026-S1", override_reason="SK revised after a court ruling")
    with warehouse.connect(read_only=True) as connection:
        rows = connection.execute("SELECT snapshot, release_id, override_reason, is_current_for_semester "
                                  "FROM final.semester WHERE semester = '2026-S1' ORDER BY snapshot").fetchall()
        assert rows == [(1, first["release_id"], None, False),
                        (2, second["release_id"], "SK revised after a court ruling", True)]
        persons = connection.execute("SELECT snapshot, count(*) FROM final.person GROUP BY 1 ORDER BY 1").fetchall()
        assert persons == [(1, 30), (2, 45)]
    after = state(warehouse)["files"]
    assert all(after[k] == v for k, v in earlier_files.items()) and earlier_files
    assert verify(warehouse, "--semester", "2026-S1", "--snapshot", "1").returncode == 0
    assert verify(warehouse, "--semester", "2026-S1").returncode == 0


def test_verify_catches_a_modified_parquet_file(warehouse: DuckDBWarehouse) -> None:
    row = finalize(warehouse, "2026-S1")
    path = Path(row["export_dir"]) / "decile.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    completed = verify(warehouse, "--semester", "2026-S1")
    assert completed.returncode == 1
    assert "decile.parquet" in completed.stderr and "sha256 differs" in completed.stderr
    assert "person.parquet" not in completed.stderr


def test_verify_catches_a_file_rewritten_together_with_its_manifest(warehouse: DuckDBWarehouse) -> None:
    import json

    row = finalize(warehouse, "2026-S1")
    directory = Path(row["export_dir"])
    (directory / "person.parquet").write_bytes(b"PAR1 not the finalized rows PAR1")
    manifest = json.loads((directory / "manifest.json").read_text())
    from dtsen_assets.finalize.export import sha256_of
    for entry in manifest["files"]:
        if entry["file"] == "person.parquet":
            entry["sha256"] = sha256_of(directory / "person.parquet")
    (directory / "manifest.json").write_text(json.dumps(manifest))
    completed = verify(warehouse)
    assert completed.returncode == 1 and "person.parquet" in completed.stderr


def test_a_release_whose_blocking_checks_failed_is_not_finalized(tmp_path: Path) -> None:
    resource = DuckDBWarehouse(database_path=str(tmp_path / "w.duckdb"))
    make_release(resource, "aaaa0001", persons=30)
    with resource.connect() as connection:   # as if a release had been recorded despite a failed check
        connection.execute("UPDATE dtsen.release SET blocking_checks_failed = 1")
    with pytest.raises(ReleaseNotFinalizable, match="blocking"):
        finalize(resource, "2026-S1")
    with resource.connect() as connection:
        connection.execute("UPDATE dtsen.release SET blocking_checks_failed = 0")
        connection.execute("DELETE FROM dtsen.person WHERE person_id = 'P1'")   # tables no longer the release's
    with pytest.raises(ReleaseNotFinalizable, match="persons_active"):
        finalize(resource, "2026-S1")
    assert state(resource)["tables"] == {}


def test_the_partitioned_job_finalizes_and_refuses_a_second_time(warehouse: DuckDBWarehouse) -> None:
    scoped = DuckDBWarehouse(database_path=warehouse.database_path, release_per_run=True)
    config = {"ops": {"finalize_semester": {"config": {"sk_penetapan": "SK Mensos No 1/HUK/2026"}}}}
    with dg.instance_for_test() as instance:
        result = dg.materialize(final_assets, partition_key="2026-S2", resources={"warehouse": scoped},
                                run_config=config, instance=instance)
        assert result.success
        keys = {e.asset_key.path[1] for e in result.get_asset_materialization_events()}
        assert keys == {"semester", "person", "family", "decile", "perubahan"}   # no program.kandidat yet
        before = state(warehouse)
        again = dg.materialize(final_assets, partition_key="2026-S2", resources={"warehouse": scoped},
                               instance=instance, raise_on_error=False)
        assert not again.success
        failure = next(e for e in again.all_events if e.is_step_failure)
        assert "2026-S2 is already final" in failure.event_specific_data.error.message
        assert state(warehouse) == before
    with warehouse.connect(read_only=True) as connection:
        assert connection.execute("SELECT sk_penetapan FROM final.semester").fetchall() == [("SK Mensos No 1/HUK/2026",)]
