"""The documented interface end to end: `dagster job execute -j dtsen_build` with the two environment
variables, from a generated drop to welfare.decile and its release, then a run failing at its last
check and a bad drop, neither of which may change anything published."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dtsen_assets.contract import SOURCE_FILES
from dtsen_assets.platform.event_log import instance_yaml
from dtsen_assets.resources import DuckDBWarehouse

ROOT = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).with_name("dagster")

# The published tables and their columns, as ../shared/spec/outputs.md fixes them.
CONTRACT_COLUMNS = {
    "dtsen.person": ["person_id", "nik", "no_kk", "nama", "tgl_lahir", "jenis_kelamin", "kode_desa", "family_id",
                     "status_padan", "is_active", "inactive_reason"],
    "dtsen.person_source": ["source", "source_record_id", "person_id", "match_method", "match_score", "reject_reason"],
    "welfare.pmt_score": ["family_id", "pengeluaran_kapita_pmt", "model_version"],
    "welfare.decile": ["family_id", "desil", "persentil"],
}
FAMILY_LEADING_COLUMNS = ["family_id", "no_kk", "kode_desa"]


def run_dtsen_build(drop: Path, database: Path, dagster_home: Path,
                    config: Path | None = None, job: str = "dtsen_build") -> subprocess.CompletedProcess:
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n" + instance_yaml(dagster_home))
    env = {**os.environ, "DTSEN_SOURCE_DIR": str(drop), "DTSEN_DUCKDB_PATH": str(database),
           "DAGSTER_HOME": str(dagster_home)}
    extra = ["-c", str(config)] if config else []
    return subprocess.run([str(DAGSTER), "job", "execute", "-m", "dtsen_assets.definitions", "-j", job,
                           *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)


PUBLISHED_SCHEMAS = ("raw", "staging", "dtsen", "unify", "welfare", "program")


def published_tables(database: Path) -> list[str]:
    """Every published table (contract tables, and the raw and staging tables the release was built from)."""
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        return [t for (t,) in connection.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema IN "
            "(SELECT unnest(?)) AND NOT contains(table_name, '__') ORDER BY 1", [list(PUBLISHED_SCHEMAS)]).fetchall()]


def fingerprint(database: Path, tables: list[str] | None = None) -> dict[str, tuple]:
    tables = tables if tables is not None else published_tables(database)
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        return {t: connection.execute(f"SELECT count(*), sum(hash(x)) FROM {t} AS x").fetchone() for t in tables}


def run_tables(database: Path) -> list[str]:
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        return [t for (t,) in connection.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE contains(table_name, '__run_') ORDER BY 1").fetchall()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A generated drop (later corrupted), and a warehouse built from it by the CLI.

    12,000 persons: a SUSENAS sample of ~100 households, safely above the PMT's minimum of 50
    (a 3,000-person drop has ~20 and is rightly refused by welfare/pmt_model).
    """
    from dtsen_assets.synth import generate_drop

    work = tmp_path_factory.mktemp("dtsen_build")
    drop = work / "drop"
    generate_drop(drop, persons=12_000, seed=11)
    shutil.rmtree(drop / "truth")  # the pipeline never reads it; make sure it cannot
    # a file name like the schema would clash with `dtsen.person` if the catalog were not aliased
    database = work / "dtsen.duckdb"
    # what a province run that failed before its merges leaves beside the warehouse: copies of source rows
    stale = work / ".dtsen_shards" / "deadbeef" / "staging" / "input"
    stale.mkdir(parents=True)
    (stale / "dukcapil_penduduk.prov_32.parquet").write_bytes(b"rows of a failed run")
    completed = run_dtsen_build(drop, database, work / "dagster_home")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return drop, database, work


def test_a_good_release_removes_the_shard_folders_failed_runs_left(built: tuple[Path, Path, Path]) -> None:
    _, _, work = built
    assert not (work / ".dtsen_shards" / "deadbeef").exists()
    instance_dir = work / "dagster_home"
    with dg.DagsterInstance.from_config(str(instance_dir)) as instance:
        messages = [e.user_message for run in instance.get_runs() for e in instance.all_logs(run.run_id)]
    assert any("and the shard folders of runs deadbeef" in m for m in messages)


def test_the_job_publishes_every_contract_table(built: tuple[Path, Path, Path]) -> None:
    _, database, _ = built
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        for table, columns in CONTRACT_COLUMNS.items():
            assert [r[0] for r in connection.execute(f"DESCRIBE {table}").fetchall()] == columns, table
        family = [r[0] for r in connection.execute("DESCRIBE dtsen.family").fetchall()]
        assert family[:3] == FAMILY_LEADING_COLUMNS and "jumlah_art" in family and "lantai_source" in family
        records = connection.execute("SELECT count(*) FROM staging.person_record").fetchone()[0]
        lineage = connection.execute(
            "SELECT count(*), count(DISTINCT (source, source_record_id)) FROM dtsen.person_source").fetchone()
        assert lineage == (records, records) and records > 0
        assert connection.execute(
            "SELECT count(*) = count(DISTINCT person_id) FROM dtsen.person").fetchone()[0]
        # every scored family has exactly one desil, and each desil holds a tenth of active persons
        unscored = connection.execute("""
            SELECT count(*) FROM welfare.pmt_score s ANTI JOIN welfare.decile d USING (family_id)""").fetchone()[0]
        assert unscored == 0
        shares = connection.execute("""
            SELECT d.desil, 100.0 * sum(f.jumlah_art) / sum(sum(f.jumlah_art)) OVER ()
            FROM welfare.decile d JOIN dtsen.family f USING (family_id) GROUP BY d.desil ORDER BY d.desil
        """).fetchall()
        assert [d for d, _ in shares] == list(range(1, 11))
        assert max(abs(share - 10.0) for _, share in shares) <= 0.5
        versions = connection.execute("""
            SELECT DISTINCT s.model_version = m.model_version FROM welfare.pmt_score s
            CROSS JOIN (SELECT model_version FROM welfare.pmt_model WHERE is_current) m""").fetchall()
        assert versions == [(True,)]


def test_the_build_is_recorded_as_the_one_current_release(built: tuple[Path, Path, Path]) -> None:
    _, database, _ = built
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        releases = connection.execute(
            "SELECT drop_sha256, persons_active, families, model_version, code_version, is_current, "
            "blocking_checks_failed FROM dtsen.release").fetchall()
        assert len(releases) == 1
        drop_sha256, persons_active, families, model_version, code_version, is_current, failed = releases[0]
        assert is_current and failed == 0 and len(drop_sha256) == 64 and code_version.startswith("dtsen-")
        assert persons_active == connection.execute(
            "SELECT count(*) FROM dtsen.person WHERE is_active").fetchone()[0] > 0
        assert families == connection.execute("SELECT count(*) FROM dtsen.family").fetchone()[0]
        assert model_version == connection.execute(
            "SELECT model_version FROM welfare.pmt_model WHERE is_current").fetchone()[0]
        # the drop's hash covers every file the raw tables were loaded from
        # (the generated drop holds every source file, the optional cekbansos/ folder too)
        assert connection.execute("SELECT count(DISTINCT source_key) FROM raw.drop_file").fetchone()[0] == len(
            SOURCE_FILES)
    assert run_tables(database) == []


def explain(database: Path, *arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DTSEN_DUCKDB_PATH": str(database)}
    return subprocess.run([sys.executable, "-m", "dtsen_assets.explain", *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_explain_names_the_current_release_as_dtsen_release_records_it(built: tuple[Path, Path, Path]) -> None:
    _, database, _ = built
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        result = connection.execute("SELECT * FROM dtsen.release WHERE is_current")
        columns = [d[0] for d in result.description]
        release = dict(zip(columns, result.fetchone()))
        # a scored family of the release, and one of its members
        person_id, family_id = connection.execute(
            "SELECT p.person_id, p.family_id FROM dtsen.person p JOIN welfare.decile d USING (family_id) "
            "WHERE p.is_active ORDER BY p.person_id LIMIT 1").fetchone()
    machine = explain(database, "--json", "--person-id", person_id)
    assert machine.returncode == 0, machine.stderr[-2000:]
    explained = json.loads(machine.stdout)["release"]
    assert explained["available"] is True
    for column in ("release_id", "run_id", "drop_sha256", "code_version", "model_version", "persons_active",
                   "families", "blocking_checks_passed", "tables_released"):
        assert explained[column] == release[column], column
    assert explained["published_at"] == release["published_at"].isoformat()
    text = explain(database, "--family-id", family_id)
    assert text.returncode == 0, text.stderr[-2000:]
    release_line = next(line for line in text.stdout.splitlines() if line.startswith("Rilis: "))
    assert release_line.startswith(f"Rilis: {release['release_id']}  run {release['run_id']}  "
                                   f"drop sha256 {release['drop_sha256'][:16]}")
    assert f"kode {release['code_version']}" in release_line and f"model {release['model_version']}" in release_line


def test_after_the_release_every_contract_asset_is_observed_as_that_release(built: tuple[Path, Path, Path]) -> None:
    import dagster as dg

    _, database, work = built
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        release_id, run_id = connection.execute(
            "SELECT release_id, run_id FROM dtsen.release WHERE is_current").fetchone()
    with dg.DagsterInstance.from_config(str(work / "dagster_home")) as instance:
        for key in (["dtsen", "person"], ["welfare", "decile"], ["program", "kandidat"]):
            latest = instance.fetch_observations(dg.AssetKey(key), limit=1).records
            assert latest, key
            metadata = latest[0].event_log_entry.asset_observation.metadata
            assert metadata["published"].value == f"release {release_id} (this run)", key
            assert metadata["run_id"].value == run_id
        # the run's log: one progress line per step, numbered 1..m in order; the release, then its
        # stand-alone consistency check (an @asset_check, its own step), close the run
        logs = [e.user_message for e in instance.all_logs(run_id)]
        progress = [m for m in logs if re.match(r"\[\d+/\d+\] ", m)]
        steps = int(progress[0].split("/")[1].split("]")[0])
        assert [int(m[1:].split("/")[0]) for m in progress] == list(range(1, steps + 1))
        assert progress[-2].startswith(f"[{steps - 1}/{steps}] dtsen/release done in ")
        assert progress[-1].startswith(f"[{steps}/{steps}] dtsen/release_release_tables_consistent done in ")


@pytest.mark.slow
def test_a_run_failing_at_its_last_check_changes_nothing_published(built: tuple[Path, Path, Path]) -> None:
    """Another drop, built up to the decile check, which is made to fail: nothing of it may be published."""
    from dtsen_assets.synth import generate_drop

    _, database, work = built
    before = fingerprint(database)
    assert {"dtsen.person", "dtsen.family", "dtsen.release", "welfare.decile", "welfare.pmt_model", "raw.dtks_art",
            "staging.person_record"} <= set(before)
    other = work / "other_drop"
    generate_drop(other, persons=12_000, seed=12)
    config = work / "failing_decile.yaml"
    # another drop differs from the published one beyond the drift bounds: accepted, so the run reaches the decile
    accept = "".join(f"  raw__{f.key}:\n    config:\n      accept_drift_reason: another test drop\n"
                     for f in SOURCE_FILES)
    config.write_text("ops:\n  welfare__decile:\n    config:\n      tolerance_pp: -1.0\n" + accept)

    completed = run_dtsen_build(other, database, work / "dagster_home", config)

    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert "desil_person_share" in output
    # raw.drift_acceptance is an audit log: the acceptance given in the run config is recorded even though
    # the run failed; every published table is as the previous release left it
    after = fingerprint(database)
    assert after.pop("raw.drift_acceptance")[0] > 0
    assert after == before
    # what the failed run built stays inspectable under its run's names, from the other drop
    left = run_tables(database)
    assert any(t.startswith("dtsen.person__run_") for t in left)
    assert any(t.startswith("welfare.pmt_score__run_") for t in left)
    assert not any(t.startswith("welfare.decile__run_") for t in left)
    person = next(t for t in left if t.startswith("dtsen.person__run_"))
    assert fingerprint(database, [person])[person] != before["dtsen.person"]


def test_summary_prints_row_counts_and_the_warehouse(built: tuple[Path, Path, Path]) -> None:
    _, database, _ = built
    completed = subprocess.run([sys.executable, "-m", "dtsen_assets.summary"], cwd=ROOT, capture_output=True,
                               text=True, env={**os.environ, "DTSEN_DUCKDB_PATH": str(database)}, check=True)
    assert "dukcapil/penduduk.csv" in completed.stdout and "welfare.decile" in completed.stdout
    assert str(database.resolve()) in completed.stdout


def tables_a_failed_run_keeps(database: Path) -> list[str]:
    """Every table a failed run must leave alone: raw, staging, dtsen, unify and the welfare results."""
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        return [f"{s}.{t}" for s, t in connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND (schema_name IN ('raw', 'staging', 'dtsen', 'unify') "
            "     OR table_name IN ('pmt_score', 'decile', 'belum_terdata')) ORDER BY ALL").fetchall()]


@pytest.mark.slow
def test_undocumented_status_and_a_fifth_of_families_gone_fail_the_job(built: tuple[Path, Path, Path]) -> None:
    """Findings 1 and 4: `MATI` for `MENINGGAL` and 20% of REGSOSEK families removed stop the job at raw."""
    drop, database, work = built
    tables = tables_a_failed_run_keeps(database)
    before = fingerprint(database, tables)
    penduduk, keluarga = drop / "dukcapil" / "penduduk.csv", drop / "regsosek" / "keluarga.csv"
    originals = {path: path.read_bytes() for path in (penduduk, keluarga)}
    try:
        penduduk.write_text(originals[penduduk].decode("utf-8").replace(",MENINGGAL,", ",MATI,"), encoding="utf-8")
        lines = originals[keluarga].decode("utf-8").splitlines(keepends=True)
        keluarga.write_text(lines[0] + "".join(line for i, line in enumerate(lines[1:]) if i % 5), encoding="utf-8")

        completed = run_dtsen_build(drop, database, work / "dagster_home")
    finally:
        for path, content in originals.items():
            path.write_bytes(content)

    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert "vital_columns_usable: file dukcapil/penduduk.csv column STATUS" in output
    assert "drift_within_bounds: file regsosek/keluarga.csv" in output and "are gone" in output
    dead = [r for r in csv.DictReader(io.StringIO(originals[penduduk].decode("utf-8"))) if r["STATUS"] == "MENINGGAL"]
    assert dead and not any(r["NIK"] in output or r["NAMA_LGKP"] in output for r in dead)
    assert fingerprint(database, tables) == before


@pytest.mark.slow
@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_missing_or_empty_drop_fails_and_keeps_every_table(state: str, built: tuple[Path, Path, Path]) -> None:
    """Finding 3: the verivali raw and staging tables keep their decisions (not 217 -> 0)."""
    _, database, work = built
    tables = tables_a_failed_run_keeps(database)
    before = fingerprint(database, tables)
    drop = work / f"{state}_drop"
    if state == "empty":
        drop.mkdir(exist_ok=True)
    completed = run_dtsen_build(drop, database, work / "dagster_home")
    assert completed.returncode != 0
    assert f"the drop folder {drop} {'does not exist' if state == 'missing' else 'is empty'}" in completed.stdout + completed.stderr
    assert fingerprint(database, tables) == before
    assert before["raw.verivali_musdes"][0] > 0


@pytest.mark.slow
def test_a_family_card_of_200_members_is_quarantined_not_ranked(built: tuple[Path, Path, Path]) -> None:
    """Finding 5: 200 living persons put on one Dukcapil card make one implausible family."""
    drop, database, work = built
    penduduk = drop / "dukcapil" / "penduduk.csv"
    original = penduduk.read_bytes()
    rows = list(csv.DictReader(io.StringIO(original.decode("utf-8"))))
    alive = [r for r in rows if r["STATUS"] == "HIDUP"][:200]
    for row in alive:
        row["NO_KK"] = alive[0]["NO_KK"]
    try:
        with penduduk.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        completed = run_dtsen_build(drop, database, work / "dagster_home")
    finally:
        penduduk.write_bytes(original)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    with DuckDBWarehouse(database_path=str(database)).connect(read_only=True) as connection:
        quarantined = connection.execute(
            "SELECT family_id, alasan, jumlah_art FROM unify.family_karantina").fetchall()
        assert len(quarantined) == 1 and quarantined[0][1] == "anggota_terlalu_banyak" and quarantined[0][2] > 100
        family = quarantined[0][0]
        assert connection.execute("SELECT alasan FROM welfare.belum_terdata WHERE family_id = ?",
                                  [family]).fetchall() == [("keluarga_dikarantina",)]
        assert connection.execute("SELECT count(*) FROM welfare.decile WHERE family_id = ?", [family]).fetchone()[0] == 0
    assert "family_plausible" in completed.stdout + completed.stderr


def test_a_bad_drop_fails_the_job_and_changes_nothing_published(built: tuple[Path, Path, Path]) -> None:
    drop, database, work = built
    tables = published_tables(database)
    assert {"raw.dtks_art", "dtsen.person", "dtsen.family", "welfare.pmt_score", "welfare.decile",
            "welfare.pmt_model", "dtsen.release"} <= set(tables)
    before = fingerprint(database, tables)
    art = drop / "dtks" / "art.csv"
    lines = art.read_text(encoding="utf-8").splitlines(keepends=True)
    nik_column = lines[0].rstrip("\r\n").split(";").index("NIK")
    repeated = next(line for line in lines[1:] if re.fullmatch(r"\d{16}", line.split(";")[nik_column].strip('"')))
    art.write_text("".join(lines + [repeated]), encoding="utf-8")  # one ID_ART twice

    completed = run_dtsen_build(drop, database, work / "dagster_home")

    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert "record_id_unique" in output and "dtks/art.csv" in output and "ID_ART" in output
    assert repeated.split(";")[nik_column].strip('"') not in output
    assert fingerprint(database, tables) == before
