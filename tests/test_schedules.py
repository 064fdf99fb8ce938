"""The six-monthly schedule, the finalize-after-build sensor and the complete-drop sensor."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from dtsen_assets.drop_manifest import MANIFEST_NAME, drop_state, write_manifest
from dtsen_assets.finalize.semester import semester_just_ended
from dtsen_assets.resources import DropInbox
from dtsen_assets.schedules import FINALIZE_TAG, finalize_request
from tests.fixtures.tiny_drop import write_tiny_drop

JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from dtsen_assets.definitions import defs
    return defs


def test_the_schedule_runs_in_january_and_july_in_jakarta(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def("dtsen_semiannual_finalization")
    assert schedule.job_name == "dtsen_build"
    assert schedule.execution_timezone == "Asia/Jakarta"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 1 1 1,7 *"           # 01:00 on 1 January and 1 July
    from dagster._utils.schedules import schedule_execution_time_iterator   # how the daemon computes ticks
    ticks = schedule_execution_time_iterator(datetime(2026, 3, 15, tzinfo=JAKARTA).timestamp(),
                                             schedule.cron_schedule, schedule.execution_timezone)
    times = [next(ticks) for _ in range(3)]
    assert [t.astimezone(JAKARTA).replace(tzinfo=None) for t in times] == [
        datetime(2026, 7, 1, 1, 0), datetime(2027, 1, 1, 1, 0), datetime(2027, 7, 1, 1, 0)]


@pytest.mark.parametrize(("tick", "semester"), [
    (datetime(2027, 1, 1, 1, 0, tzinfo=JAKARTA), "2026-S2"),
    (datetime(2027, 7, 1, 1, 0, tzinfo=JAKARTA), "2027-S1"),
    (datetime(2026, 7, 1, 1, 0, tzinfo=JAKARTA), "2026-S1"),
])
def test_a_tick_builds_for_the_semester_that_just_ended(defs: dg.Definitions, tick: datetime, semester: str) -> None:
    schedule = defs.resolve_schedule_def("dtsen_semiannual_finalization")
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags[FINALIZE_TAG] == semester
    assert request.run_key == f"build-for-{semester}"
    # 01:00 in Jakarta on 1 January is still 31 December in UTC: the semester comes from Jakarta's date
    assert semester_just_ended(tick) == semester


def test_a_succeeded_tagged_build_starts_the_finalization_of_its_semester(defs: dg.Definitions) -> None:
    sensor = next(s for s in defs.sensors if s.name == "dtsen_finalize_after_build")
    assert sensor.job_name == "dtsen_finalize"
    tagged = dg.DagsterRun(job_name="dtsen_build", run_id="1234abcd-0000", tags={FINALIZE_TAG: "2026-S2"})
    request = finalize_request(tagged)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2026-S2" and request.run_key == "finalize-2026-S2-1234abcd-0000"
    assert isinstance(finalize_request(dg.DagsterRun(job_name="dtsen_build", run_id="x")), dg.SkipReason)


def _inbox(tmp_path: Path) -> tuple[Path, DropInbox]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return inbox, DropInbox(inbox_dir=str(inbox))


def _evaluate(defs: dg.Definitions, inbox: DropInbox, cursor: str | None = None):
    sensor = next(s for s in defs.sensors if s.name == "dtsen_new_drop")
    context = dg.build_sensor_context(cursor=cursor, resources={"drop_inbox": inbox})
    result = sensor.evaluate_tick(context)
    return result, context.cursor


def test_a_drop_starts_a_build_only_when_complete_and_only_once(defs: dg.Definitions, tmp_path: Path) -> None:
    folder, inbox = _inbox(tmp_path)
    drop = write_tiny_drop(folder / "drop-2026-07")
    result, cursor = _evaluate(defs, inbox)
    assert result.run_requests == [] and "no MANIFEST.json" in result.skip_message

    manifest = write_manifest(drop)
    art = drop / "dtks" / "art.csv"
    complete = art.read_bytes()
    art.write_bytes(complete[: len(complete) // 2])      # the manifest arrived, the copy of art.csv is not done
    assert not drop_state(drop).complete
    result, cursor = _evaluate(defs, inbox, cursor)
    assert result.run_requests == [] and "dtks/art.csv" in result.skip_message

    art.write_bytes(complete)
    result, cursor = _evaluate(defs, inbox, cursor)
    [request] = result.run_requests
    assert request.run_config["resources"]["source_drop"]["config"]["source_dir"] == str(drop.resolve())
    assert request.job_name in (None, "dtsen_build") and request.tags["dtsen/drop"] == "drop-2026-07"
    assert manifest.name == MANIFEST_NAME

    result, cursor = _evaluate(defs, inbox, cursor)        # the same drop never starts twice
    assert result.run_requests == []

    second = write_tiny_drop(folder / "drop-2027-01")
    write_manifest(second)
    (second / "p3ke" / "keluarga.csv").unlink()           # listed, but gone
    result, cursor = _evaluate(defs, inbox, cursor)
    assert result.run_requests == [] and "p3ke/keluarga.csv" in result.skip_message


def test_a_manifest_must_list_every_required_file(tmp_path: Path) -> None:
    drop = write_tiny_drop(tmp_path / "drop")
    write_manifest(drop)
    manifest = json.loads((drop / MANIFEST_NAME).read_text())
    manifest["files"] = [f for f in manifest["files"] if f["path"] != "dukcapil/penduduk.csv"]
    (drop / MANIFEST_NAME).write_text(json.dumps(manifest))
    state = drop_state(drop)
    assert not state.complete and "dukcapil/penduduk.csv" in state.reason
