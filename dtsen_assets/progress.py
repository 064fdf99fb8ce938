"""A run's progress on the command line and in the run log: one line per finished step.

    [12/27] staging/person_record done in 3.2 s, 15,386 rows
    [14/27] unify_registries done in 41.0 s: dtsen/person 10,012 rows, dtsen/family 3,129 rows, ...
    [3/27] raw/dtks_art FAILED after 0.4 s

Hooks on the build's assets (`with_build_hooks`, so they run in `dtsen_build` and in a materialization
launched from the UI alike) run in the run's process after every step; they read the step's start
and its materializations from the run's event log, so the asset functions need nothing extra.
n counts the steps finished so far, this one included (in `dtsen_build` the position of the step that
just finished; in `dtsen_build_provinces` steps run side by side); m is the number of steps the
run's execution plan will execute, a step mapped over the unify shards once per shard (skipped
steps after a failure never report).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cache

import dagster as dg

ROW_COUNT = "dagster/row_count"
_STEP_ENDS = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
# light events (no metadata): the steps' starts and ends, and the assets each step plans to materialize
_STEP_EVENTS = {dg.DagsterEventType.STEP_START, *_STEP_ENDS, dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED}


@cache
def _planned_steps(instance: dg.DagsterInstance, run_id: str) -> tuple[int, int] | None:
    """(steps known before the run, steps mapped over a dynamic output: `name[?]` in the plan)."""
    run = instance.get_run_by_id(run_id)
    if run is None or not run.execution_plan_snapshot_id:
        return None
    keys = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id).step_keys_to_execute
    mapped = sum(1 for key in keys if key.endswith("[?]"))
    return len(keys) - mapped, mapped


def _steps_to_execute(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """m: the plan's steps, a mapped step counted once per dynamic output the run produced so far
    (dtsen_build_provinces: one unify_shard_link per shard, known once the plan step ran)."""
    planned = _planned_steps(instance, run_id)
    if planned is None:
        return None
    static, mapped = planned
    if not mapped:
        return static
    outputs = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_OUTPUT).records
    keys = {r.event_log_entry.dagster_event.event_specific_data.step_output_handle.mapping_key for r in outputs}
    return static + mapped * max(1, len(keys - {None}))


def _rows(materialization: dg.AssetMaterialization) -> int | None:
    value = materialization.metadata.get(ROW_COUNT)
    value = getattr(value, "value", value)
    return int(value) if isinstance(value, int | float) else None


def _count(rows: int) -> str:
    return f"{rows:,} row" + ("" if rows == 1 else "s")


def _materializations(instance: dg.DagsterInstance, run_id: str, step_key: str, keys: list[dg.AssetKey],
                      started_at: float | None) -> list[dg.AssetMaterialization]:
    """The step's materializations, read by asset key from the step's start on (by time: SQLite keeps a
    run's events and the asset index under separate ids). A materialization carries its metadata and
    previews: reading all of the run's at every step cost 80 ms a step at the end of a 1M build."""
    found = []
    for key in keys:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, after_timestamp=started_at), limit=10).records
        entry = next((r.event_log_entry for r in records
                      if r.event_log_entry.run_id == run_id and r.event_log_entry.step_key == step_key), None)
        if entry is not None:
            found.append(entry)
    return [entry.asset_materialization for entry in sorted(found, key=lambda e: e.timestamp)]   # as emitted


def progress_line(instance: dg.DagsterInstance, run_id: str, step_key: str, failed: bool = False,
                  now: float | None = None) -> str:
    """The progress line of a step that just finished (or failed), from the run's event log."""
    records = instance.get_records_for_run(run_id, of_type=_STEP_EVENTS).records
    # n: the steps finished so far, this one included (steps may run side by side: dtsen_build_provinces)
    finished = {r.event_log_entry.step_key for r in records if r.event_log_entry.dagster_event_type in _STEP_ENDS}
    position = len(finished | {step_key})
    started_at = next((r.event_log_entry.timestamp for r in records
                       if r.event_log_entry.dagster_event_type == dg.DagsterEventType.STEP_START
                       and r.event_log_entry.step_key == step_key), None)
    elapsed = (now or time.time()) - started_at if started_at is not None else None
    total = _steps_to_execute(instance, run_id)
    planned = [r.event_log_entry.dagster_event.asset_key for r in records
               if r.event_log_entry.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
               and r.event_log_entry.step_key == step_key]
    materialized = _materializations(instance, run_id, step_key, list(dict.fromkeys(planned)), started_at)
    # a step of one asset is named by its key (raw__dtks_art -> raw/dtks_art); a multi-asset step by its op
    name = materialized[0].asset_key.to_user_string() if len(materialized) == 1 else step_key.replace("__", "/")
    head = f"[{position}/{total or '?'}] {name} " + ("FAILED" if failed else "done")
    if elapsed is not None:
        head += f" {'after' if failed else 'in'} {elapsed:.1f} s"
    if failed:
        return head
    counted = [(m.asset_key.to_user_string(), _rows(m)) for m in materialized]
    counted = [(key, rows) for key, rows in counted if rows is not None]
    if len(materialized) == 1 and counted:
        return f"{head}, {_count(counted[0][1])}"
    if counted:
        return f"{head}: " + ", ".join(f"{key} {_count(rows)}" for key, rows in counted)
    return head


def _report(context: dg.HookContext, failed: bool) -> None:
    try:
        line = progress_line(context.instance, context.run_id, context.step_key, failed=failed)
    except Exception as error:  # noqa: BLE001 - progress is informative; it never fails a run
        context.log.debug(f"progress of {context.step_key} not available ({type(error).__name__})")
        return
    (context.log.error if failed else context.log.info)(line)


@dg.success_hook(name="dtsen_progress")
def step_done(context: dg.HookContext) -> None:
    _report(context, failed=False)


@dg.failure_hook(name="dtsen_progress_failed")
def step_failed(context: dg.HookContext) -> None:
    _report(context, failed=True)


progress_hooks = {step_done, step_failed}


def with_build_hooks(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The assets with the build's two hooks on every step: after a success the progress line (and, after
    `dtsen/release`, the new release, release_state.py); after a failure the progress line and what stays
    published. One hook for each outcome, not one per concern: Dagster records every hook on every step
    as an event (completed or skipped), and each event costs a write to the event log."""
    from dtsen_assets.release_state import published_state_reporter

    report_published = published_state_reporter(assets)

    @dg.success_hook(name="dtsen_step_done", required_resource_keys={"warehouse"})
    def build_step_done(context: dg.HookContext) -> None:
        _report(context, failed=False)
        report_published(context, failed=False)

    @dg.failure_hook(name="dtsen_step_failed", required_resource_keys={"warehouse"})
    def build_step_failed(context: dg.HookContext) -> None:
        _report(context, failed=True)
        report_published(context, failed=True)

    return [asset.with_hooks({build_step_done, build_step_failed}) for asset in assets]
