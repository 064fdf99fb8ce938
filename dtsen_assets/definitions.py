"""The one place the DTSEN Definitions are assembled."""

from __future__ import annotations

import os

import dagster as dg

from dtsen_assets.assets.audit import audit_assets
from dtsen_assets.assets.final import final_assets
from dtsen_assets.assets.program import program_assets
from dtsen_assets.assets.release import build_release_asset
from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.assets.staging import staging_assets
from dtsen_assets.assets.unify import unify_assets
from dtsen_assets.assets.welfare import welfare_assets
from dtsen_assets.build_info import run_tags, with_audit_metadata
from dtsen_assets.progress import with_build_hooks
from dtsen_assets.resources import DropInbox, DuckDBWarehouse, ReportsDirectory, SourceDrop
from dtsen_assets.resources.duckdb import DEFAULT_DATABASE_PATH
from dtsen_assets.resources.source_drop import DEFAULT_INBOX_DIR, DEFAULT_SOURCE_DIR
from dtsen_assets.schedules import build_automation


def _env_or_default(name: str, default: str) -> str | dg.EnvVar:
    # EnvVar when set (the UI then shows where the value came from), else the documented default.
    return dg.EnvVar(name) if os.environ.get(name) else default


build_assets = with_audit_metadata([*raw_source_assets, *staging_assets, *unify_assets, *welfare_assets,
                                    *program_assets])
release = build_release_asset(build_assets)
# every run that builds them (dtsen_build, a materialization from the UI) logs step n of m and what stays published
*build_assets, release = with_build_hooks([*build_assets, release])
# the audit group (explanations for a configured list) is materialized on demand, outside the build
all_assets = [*build_assets, release, *final_assets, *with_audit_metadata(audit_assets)]

# DuckDB has one writer at a time: every step of a run executes in one process, in order.
dtsen_build = dg.define_asset_job(
    name="dtsen_build",
    selection=dg.AssetSelection.assets(*build_assets, release),
    executor_def=dg.in_process_executor,
    description=("Build everything from the source drop to welfare.decile, the program candidates and the Dinas "
                 "Sosial report, gated by blocking checks, and publish it as one release (dtsen.release)."),
    tags=run_tags(),   # the code version and git commit on every run of the job
)

dtsen_finalize = dg.define_asset_job(
    name="dtsen_finalize",
    selection=dg.AssetSelection.assets(*final_assets),
    executor_def=dg.in_process_executor,
    description="Finalize (penetapan) the current release as the semester of the partition (YYYY-S1, YYYY-S2) into "
                "final.*, exported as Parquet with a manifest; refuses a semester already final without an override.",
)

semiannual_finalization, finalize_after_build, new_drop = build_automation(dtsen_build, dtsen_finalize)

defs = dg.Definitions(
    assets=all_assets,
    jobs=[dtsen_build, dtsen_finalize],
    schedules=[semiannual_finalization],
    sensors=[finalize_after_build, new_drop],
    resources={
        "source_drop": SourceDrop(source_dir=_env_or_default("DTSEN_SOURCE_DIR", DEFAULT_SOURCE_DIR)),
        "warehouse": DuckDBWarehouse(database_path=_env_or_default("DTSEN_DUCKDB_PATH", DEFAULT_DATABASE_PATH),
                                     id_key=dg.EnvVar("DTSEN_ID_KEY") if os.environ.get("DTSEN_ID_KEY") else None,
                                     release_per_run=True),
        # Reports go beside the warehouse unless DTSEN_REPORTS_DIR says otherwise.
        "reports": ReportsDirectory(path=dg.EnvVar("DTSEN_REPORTS_DIR") if os.environ.get("DTSEN_REPORTS_DIR") else None),
        "drop_inbox": DropInbox(inbox_dir=_env_or_default("DTSEN_DROP_INBOX", DEFAULT_INBOX_DIR)),
    },
    executor=dg.in_process_executor,
)
