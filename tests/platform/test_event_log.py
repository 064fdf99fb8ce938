"""PooledSqliteEventLogStorage: the same events as Dagster's own SQLite event log, a watcher (the UI's
live run view) still told of each new event, and a forked process writing through its own connections."""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from dtsen_assets.platform.event_log import PooledSqliteEventLogStorage, instance_yaml

CHECKS = [dg.AssetCheckSpec(f"check_{i}", asset="checked", blocking=True) for i in range(5)]


@dg.asset(check_specs=CHECKS)
def checked():
    for spec in CHECKS:
        yield dg.AssetCheckResult(check_name=spec.name, passed=True)
    yield dg.MaterializeResult()


@dg.asset(deps=[checked])
def downstream() -> None:
    dg.get_dagster_logger().info("downstream ran")


def _instance(home: Path, pooled: bool) -> dg.DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n" + (instance_yaml(home) if pooled else ""))
    return dg.DagsterInstance.from_config(str(home))


def _entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(error_info=None, level=logging.INFO, user_message=message, run_id=run_id,
                         timestamp=time.time())


def test_the_instance_yaml_selects_the_class_at_dagsters_own_place(tmp_path: Path) -> None:
    instance = _instance(tmp_path / "home", pooled=True)
    storage = instance.event_log_storage
    assert type(storage) is PooledSqliteEventLogStorage
    assert Path(storage._base_dir) == (tmp_path / "home" / "history" / "runs").resolve()


def test_a_run_stores_the_same_events_as_with_dagsters_own_class(tmp_path: Path) -> None:
    stored = {}
    for pooled in (False, True):
        instance = _instance(tmp_path / f"home_{pooled}", pooled)
        assert isinstance(instance.event_log_storage, SqliteEventLogStorage)
        result = dg.materialize([checked, downstream], instance=instance)
        assert result.success
        stored[pooled] = [entry.dagster_event_type or entry.user_message
                          for entry in instance.all_logs(result.run_id)]
        # the cross-run index (asset history, check history) has them too
        assert instance.get_latest_materialization_event(dg.AssetKey("downstream")) is not None
        evaluation = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("checked"), "check_4")])
        assert len(evaluation) == 1
        instance.dispose()
    assert len(stored[True]) > 30
    assert stored[True] == stored[False]


def test_a_watcher_is_told_of_each_new_event(tmp_path: Path) -> None:
    # the UI's live run view watches the run's database file; pooled connections do not close (and so
    # do not checkpoint) after a write: without the checkpoint the watcher would never fire
    instance = _instance(tmp_path / "home", pooled=True)
    storage = instance.event_log_storage
    run_id = "0" * 8 + "-watched"
    storage.store_event(_entry(run_id, "first"))
    seen, arrived = [], threading.Event()

    def callback(entry, _cursor):
        seen.append(entry.user_message)
        if entry.user_message == "third":
            arrived.set()

    storage.watch(run_id, None, callback)
    try:
        time.sleep(0.5)
        storage.store_event(_entry(run_id, "second"))
        storage.store_event(_entry(run_id, "third"))
        assert arrived.wait(timeout=20), f"the watcher saw only {seen}"
    finally:
        storage.end_watch(run_id, callback)
        instance.dispose()
    assert "second" in seen and "third" in seen


def _write_in_child(storage: PooledSqliteEventLogStorage, run_id: str, parents_engine) -> None:
    for i in range(3):
        storage.store_event(_entry(run_id, f"child {i}"))
    # exit code 3: the child wrote through the engine (the connections) it inherited
    os._exit(0 if storage._engines[run_id] is not parents_engine else 3)  # not the parent's exit handlers


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_process_writes_through_its_own_connections(tmp_path: Path) -> None:
    # the province job forks its step processes: a child must not share the parent's SQLite connections
    instance = _instance(tmp_path / "home", pooled=True)
    storage = instance.event_log_storage
    run_id = "0" * 8 + "-forked"
    storage.store_event(_entry(run_id, "parent before"))
    engine_before = storage._engines[run_id]
    child = multiprocessing.get_context("fork").Process(target=_write_in_child, args=(storage, run_id, engine_before))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    storage.store_event(_entry(run_id, "parent after"))
    assert storage._engines[run_id] is engine_before          # the parent's connections are its own still
    messages = [entry.user_message for entry in storage.get_logs_for_run(run_id)]
    assert messages == ["parent before", "child 0", "child 1", "child 2", "parent after"]
    instance.dispose()


def test_wipe_closes_the_connections_before_the_files_go(tmp_path: Path) -> None:
    instance = _instance(tmp_path / "home", pooled=True)
    storage = instance.event_log_storage
    run_id = "0" * 8 + "-wiped"
    storage.store_event(_entry(run_id, "before wipe"))
    storage.wipe()
    assert run_id not in storage._engines        # the index is opened again to empty it
    storage.store_event(_entry(run_id, "after wipe"))
    assert [entry.user_message for entry in storage.get_logs_for_run(run_id)] == ["after wipe"]
    instance.dispose()


def test_the_section_setup_writes_selects_the_class(tmp_path: Path) -> None:
    # scripts/setup.sh runs the module to print the section (where __name__ is "__main__")
    home = tmp_path / "home"
    home.mkdir()
    printed = subprocess.run([sys.executable, "-m", "dtsen_assets.platform.event_log", str(home)],
                             capture_output=True, text=True, check=True).stdout
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n" + printed)
    instance = dg.DagsterInstance.from_config(str(home))
    assert type(instance.event_log_storage) is PooledSqliteEventLogStorage
    instance.dispose()
