"""When DTSEN builds and finalizes on its own: the six-monthly schedule and two sensors.

- `dtsen_semiannual_finalization` (schedule, 01:00 Asia/Jakarta on 1 January and 1 July): starts
  `dtsen_build` from the configured drop, tagged with the semester that just ended (a tick on
  2027-01-01 targets 2026-S2, one on 2027-07-01 targets 2027-S1).
- `dtsen_finalize_after_build` (run-status sensor): when a `dtsen_build` run carrying that tag
  succeeds (so its release is current), starts `dtsen_finalize` for that semester's partition.
- `dtsen_new_drop` (sensor): starts `dtsen_build` on a complete new drop in the inbox
  (`dtsen_assets.drop_manifest`), at most once per drop (its manifest's hash is the run key).
"""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg

from dtsen_assets.drop_manifest import drop_state
from dtsen_assets.finalize.semester import semester_just_ended
from dtsen_assets.resources import DropInbox

FINALIZE_TAG = "dtsen/finalize_semester"
DROP_TAG = "dtsen/drop"
SEMIANNUAL_CRON = "0 1 1 1,7 *"
TIMEZONE = "Asia/Jakarta"


def scheduled_build_request(scheduled_at: datetime) -> dg.RunRequest:
    """The dtsen_build run of a schedule tick, tagged with the semester it will finalize."""
    semester = semester_just_ended(scheduled_at)
    return dg.RunRequest(run_key=f"build-for-{semester}", tags={FINALIZE_TAG: semester})


def finalize_request(run: dg.DagsterRun) -> dg.RunRequest | dg.SkipReason:
    """The dtsen_finalize run that follows a succeeded, tagged dtsen_build run."""
    semester = run.tags.get(FINALIZE_TAG)
    if not semester:
        return dg.SkipReason(f"run {run.run_id} carries no {FINALIZE_TAG} tag: a build, not a finalization")
    return dg.RunRequest(run_key=f"finalize-{semester}-{run.run_id}", partition_key=semester,
                         tags={FINALIZE_TAG: semester, "dtsen/build_run": run.run_id})


def new_drop_requests(inbox: DropInbox, cursor: str | None) -> tuple[list[dg.RunRequest], list[str], str]:
    """RunRequests for complete drops not started before, why the others wait, and the new cursor.

    The cursor is the list of manifest hashes already started, so a drop never starts twice.
    """
    started = set(json.loads(cursor)) if cursor else set()
    requests, waiting = [], []
    for drop in inbox.drops():
        state = drop_state(drop)
        if not state.complete:
            waiting.append(f"{drop.name}: {state.reason}")
            continue
        if state.manifest_sha256 in started:
            continue
        started.add(state.manifest_sha256)
        requests.append(dg.RunRequest(
            run_key=f"drop-{state.manifest_sha256[:16]}",
            run_config={"resources": {"source_drop": {"config": {"source_dir": str(drop.resolve())}}}},
            tags={DROP_TAG: drop.name}))
    return requests, waiting, json.dumps(sorted(started))


def build_automation(dtsen_build: dg.UnresolvedAssetJobDefinition, dtsen_finalize: dg.UnresolvedAssetJobDefinition):
    """The schedule and the sensors, bound to the two jobs."""

    @dg.schedule(name="dtsen_semiannual_finalization", job=dtsen_build, cron_schedule=SEMIANNUAL_CRON,
                 execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.STOPPED,
                 description="Six-monthly: build from the configured drop (January and July, 01:00 WIB), then "
                             "finalize the semester that just ended (dtsen_finalize_after_build). Off until switched on.")
    def semiannual_finalization(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return scheduled_build_request(context.scheduled_execution_time)

    @dg.run_status_sensor(name="dtsen_finalize_after_build", run_status=dg.DagsterRunStatus.SUCCESS,
                          monitored_jobs=[dtsen_build], request_job=dtsen_finalize,
                          default_status=dg.DefaultSensorStatus.RUNNING,
                          description="Starts dtsen_finalize for the semester named by a succeeded scheduled build.")
    def finalize_after_build(context: dg.RunStatusSensorContext):
        return finalize_request(context.dagster_run)

    @dg.sensor(name="dtsen_new_drop", job=dtsen_build, minimum_interval_seconds=300,
               default_status=dg.DefaultSensorStatus.STOPPED,
               description="Starts dtsen_build on a new drop in the inbox once its MANIFEST.json (written last) shows it "
                           "complete; never twice for the same drop. Off until switched on.")
    def new_drop(context: dg.SensorEvaluationContext, drop_inbox: DropInbox):
        requests, waiting, cursor = new_drop_requests(drop_inbox, context.cursor)
        context.update_cursor(cursor)
        if requests:
            return requests
        return dg.SkipReason("no new complete drop" + (f"; waiting: {'; '.join(waiting)}" if waiting else ""))

    return semiannual_finalization, finalize_after_build, new_drop
