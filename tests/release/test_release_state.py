"""After a failed dtsen_build every contract asset is observed as still the previous release, and the
run's log carries one progress line per finished step (the job hooks of progress.py and release_state.py).

The job runs in process on the tiny drop with a duplicated DTKS member id, its source assets only
(the hooks are the job's whatever is selected; the whole graph on a loaded machine takes minutes)."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from dtsen_assets import definitions
from dtsen_assets.progress import progress_line
from dtsen_assets.release_state import PUBLISHED_KEY, contract_keys, published_state
from dtsen_assets.resources import DropInbox, DuckDBWarehouse, ModelStore, ReportsDirectory, SourceDrop
from tests.release.test_release import build_release

SOURCES = [key for asset in definitions.raw_source_assets for key in asset.keys]
OBSERVED = [dg.AssetKey(["dtsen", "person"]), dg.AssetKey(["welfare", "decile"]), dg.AssetKey(["program", "kandidat"])]


def duplicate_a_member(drop: Path) -> None:
    art = drop / "dtks" / "art.csv"
    lines = art.read_text(encoding="utf-8").splitlines(keepends=True)
    art.write_text("".join(lines + [lines[1] if lines[1].endswith("\n") else "\n" + lines[1]]), encoding="utf-8")


def execute_build(drop: Path, database: Path, tmp_path: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(
        assets=definitions.all_assets, jobs=[definitions.dtsen_build],
        resources={"source_drop": SourceDrop(source_dir=str(drop)),
                   "warehouse": DuckDBWarehouse(database_path=str(database), release_per_run=True),
                   "reports": ReportsDirectory(path=str(tmp_path / "laporan")),
                   "model_store": ModelStore(),
                   "drop_inbox": DropInbox(inbox_dir=str(tmp_path / "inbox"))})
    return defs.resolve_job_def("dtsen_build").execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=SOURCES)


def observations(instance: dg.DagsterInstance, key: dg.AssetKey) -> list[dg.AssetObservation]:
    records = instance.fetch_observations(key, limit=10).records
    return [r.event_log_entry.asset_observation for r in records]


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory):
    from tests.fixtures.tiny_drop import write_tiny_drop

    tmp_path = tmp_path_factory.mktemp("failed_build")
    database = tmp_path / "w.duckdb"
    release = build_release(DuckDBWarehouse(database_path=str(database)), "0a1b2c3d", persons=8)
    drop = write_tiny_drop(tmp_path / "drop")
    duplicate_a_member(drop)
    with dg.instance_for_test() as instance:
        result = execute_build(drop, database, tmp_path, instance)
        yield release, result, instance


def test_a_failed_build_observes_every_contract_table_as_still_the_previous_release(failed_run) -> None:
    release, result, instance = failed_run
    assert not result.success
    run_id = result.run_id
    failed = sorted(e.step_key for e in result.all_events if e.is_step_failure)
    assert failed == ["raw__dtks_art"]
    for key in OBSERVED:
        latest = observations(instance, key)
        assert latest, key
        assert latest[0].metadata[PUBLISHED_KEY].value == (
            f"still release {release['release_id']} (run {run_id} failed at step raw__dtks_art)"), key
        assert latest[0].metadata["release_id"].value == release["release_id"]
    # raw tables are not contract tables, and the report files are no table of a release
    assert not observations(instance, dg.AssetKey(["raw", "dtks_art"]))
    assert not observations(instance, dg.AssetKey(["program", "laporan_dinsos"]))


def test_the_failed_run_logs_its_progress_step_by_step(failed_run) -> None:
    _, result, instance = failed_run
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    total = len(SOURCES)   # the steps the run's plan executes
    done = [m for m in messages if re.fullmatch(rf"\[\d+/{total}\] raw/dtks_keluarga done in \d+\.\d s, \d[\d,]* rows?", m)]
    failed = [m for m in messages if re.fullmatch(rf"\[\d+/{total}\] raw/dtks_art FAILED after \d+\.\d s", m)]
    assert len(done) == 1 and len(failed) == 1, [m for m in messages if m.startswith("[")]
    positions = [int(m[1:m.index("/")]) for m in messages if re.match(rf"\[\d+/{total}\] ", m)]
    assert positions == list(range(1, len(positions) + 1))   # one line per step, in the order they ran
    # the line is read from the event log: read again after the run, the step and its rows are the same
    # (only n differs: it counts the steps started so far)
    step = next(e.step_key for e in instance.all_logs(result.run_id) if e.user_message == done[0])
    again = progress_line(instance, result.run_id, step)
    assert again.startswith(f"[{total}/{total}] ") and again.split(", ")[-1] == done[0].split(", ")[-1]
    assert again.split("] ")[1].split(" done in ")[0] == "raw/dtks_keluarga"


def test_each_step_runs_one_hook_per_outcome(failed_run) -> None:
    # every hook on a step is an event in the log (completed or skipped): the build's steps carry one
    # success hook and one failure hook, which do the progress line and the published state together
    _, result, instance = failed_run
    hooks: dict[str, list[str]] = {}
    for entry in instance.all_logs(result.run_id):
        kind = entry.dagster_event_type
        if kind in (dg.DagsterEventType.HOOK_COMPLETED, dg.DagsterEventType.HOOK_SKIPPED, dg.DagsterEventType.HOOK_ERRORED):
            hooks.setdefault(entry.step_key, []).append(kind.value)
    assert set(hooks) == set(e.step_key for e in result.all_events if e.is_step_start)
    assert all(sorted(kinds) == ["HOOK_COMPLETED", "HOOK_SKIPPED"] for kinds in hooks.values()), hooks
    # the failed step's failure hook did both: its progress line, then the published state
    messages = [e.user_message for e in instance.all_logs(result.run_id) if e.step_key == "raw__dtks_art"]
    assert any(re.match(r"\[\d+/\d+\] raw/dtks_art FAILED", m) for m in messages)
    assert any(m.endswith(f"contract tables: published: still release {failed_run[0]['release_id']} "
                          f"(run {result.run_id} failed at step raw__dtks_art)") for m in messages), messages


def test_published_state_before_any_release_and_after_one() -> None:
    failed = published_state(None, "run-2", ["raw__dtks_art", "welfare__pmt_model"])
    assert failed[PUBLISHED_KEY] == "nothing released yet (run run-2 failed at steps raw__dtks_art, welfare__pmt_model)"
    released = published_state({"release_id": "R1", "run_id": "run-1", "published_at": "t"}, "run-1", [])
    assert released[PUBLISHED_KEY] == "release R1 (this run)"


def test_contract_keys_are_the_published_contract_tables_of_the_build() -> None:
    keys = contract_keys(key for asset in definitions.all_assets for key in asset.keys)
    names = {k.to_user_string() for k in keys}
    assert {"dtsen/person", "dtsen/family", "welfare/decile", "program/kandidat", "dtsen/release"} <= names
    assert not any(n.startswith(("raw/", "staging/", "unify/", "final/", "audit/")) for n in names)
    assert "program/laporan_dinsos" not in names
