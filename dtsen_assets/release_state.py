"""What a reader sees after a run: which release each contract table still is.

A failed `dtsen_build` publishes nothing (`dtsen_assets.release`), yet in the UI its assets show
the failed run's materializations or a red check, which reads as if `welfare.decile` were broken.
So when a step of the run fails, every contract asset of the job (dtsen.*, welfare.*, program.*)
gets an AssetObservation saying what its published table is:

    published: still release 20261202T152630-5e77feef (run 1a2b3c4d-... failed at step raw__dtks_art)
    published: nothing released yet (run 1a2b3c4d-... failed at steps raw__dtks_art, welfare__pmt_model)

and when `dtsen/release` succeeds, the new release, so the latest observation is always true.
Hooks on the build's assets (`progress.with_build_hooks`) report them from the run's own process
(`dtsen_build` from the CLI or the UI, a materialization of some assets from the UI, tests in
process alike; no daemon needed). A run killed outright runs no hook; the release table is then unchanged all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import dagster as dg

from dtsen_assets.release import CONTRACT_SCHEMAS, current_release

PUBLISHED_KEY = "published"
RELEASE_STEP = "dtsen__release"
# Assets of the contract schemas that are no table of a release (the report files).
NOT_RELEASED = {dg.AssetKey(["program", "laporan_dinsos"])}


def contract_keys(keys: Iterable[dg.AssetKey]) -> list[dg.AssetKey]:
    """The asset keys of published contract tables among `keys`."""
    return sorted((k for k in keys if k.path[0] in CONTRACT_SCHEMAS and k not in NOT_RELEASED),
                  key=lambda k: k.to_user_string())


def published_state(release: dict[str, object] | None, run_id: str, failed_steps: list[str]) -> dict[str, object]:
    """The observation's metadata: the release readers see, and why (the run's failed steps, or its release)."""
    if not failed_steps:
        return {PUBLISHED_KEY: f"release {release['release_id']} (this run)",
                "release_id": str(release["release_id"]), "run_id": run_id}
    failed_step = ", ".join(failed_steps)
    cause = f"run {run_id} failed at step{'s' if len(failed_steps) > 1 else ''} {failed_step}"
    if release is None:
        return {PUBLISHED_KEY: f"nothing released yet ({cause})", "release_id": "none", "run_id": run_id,
                "failed_steps": failed_step}
    return {PUBLISHED_KEY: f"still release {release['release_id']} ({cause})",
            "release_id": str(release["release_id"]), "release_run_id": str(release["run_id"]),
            "released_at": str(release["published_at"]), "run_id": run_id, "failed_steps": failed_step}


def failed_steps_of(instance: dg.DagsterInstance, run_id: str, step_key: str) -> list[str]:
    """The run's failed steps so far, `step_key` (failing now) included."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    return sorted({r.event_log_entry.step_key for r in records if r.event_log_entry.step_key} | {step_key})


def report_published_state(context: dg.HookContext, keys: list[dg.AssetKey], failed_steps: list[str]) -> None:
    warehouse = context.resources.warehouse
    try:
        if not Path(warehouse.database_file).is_file():
            release = None   # a run that failed before creating the warehouse
        else:
            with warehouse.connect(read_only=True) as connection:
                release = current_release(connection)
    except Exception as error:  # noqa: BLE001 - e.g. the warehouse is locked or not created yet
        context.log.warning(f"published state not recorded: the warehouse could not be read ({type(error).__name__})")
        return
    if not failed_steps and release is None:
        return
    metadata = published_state(release, context.run_id, failed_steps)
    description = f"published: {metadata[PUBLISHED_KEY]}"
    for key in keys:
        context.instance.report_runless_asset_event(
            dg.AssetObservation(asset_key=key, description=description, metadata=metadata))
    context.log.info(f"{len(keys)} contract tables: {description}")


def published_state_reporter(assets: Iterable[dg.AssetsDefinition]) -> Callable[[dg.HookContext, bool], None]:
    """What the build's hooks (`progress.with_build_hooks`) call after every step: for the contract assets
    among `assets`, the release readers still see after a failed step, and the new release after
    `dtsen/release` succeeded (other successful steps change nothing that is published)."""
    keys = contract_keys(key for asset in assets for key in asset.keys)

    def report(context: dg.HookContext, failed: bool) -> None:
        if failed:
            report_published_state(context, keys, failed_steps_of(context.instance, context.run_id, context.step_key))
        elif context.step_key == RELEASE_STEP:
            report_published_state(context, keys, failed_steps=[])

    return report
