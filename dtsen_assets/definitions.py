"""The one place the DTSEN Definitions are assembled."""

from __future__ import annotations

import os

import dagster as dg

from dtsen_assets.assets.audit import audit_assets
from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.assets.staging import staging_assets
from dtsen_assets.assets.unify import unify_assets
from dtsen_assets.assets.welfare import welfare_assets
from dtsen_assets.build_info import run_tags, with_audit_metadata
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop
from dtsen_assets.resources.duckdb import DEFAULT_DATABASE_PATH
from dtsen_assets.resources.source_drop import DEFAULT_SOURCE_DIR


def _env_or_default(name: str, default: str) -> str | dg.EnvVar:
    # EnvVar when set (the UI then shows where the value came from), else the documented default.
    return dg.EnvVar(name) if os.environ.get(name) else default


all_assets = with_audit_metadata([*raw_source_assets, *staging_assets, *unify_assets, *welfare_assets, *audit_assets])

# DuckDB has one writer at a time: every step of a run executes in one process, in order.
dtsen_build = dg.define_asset_job(
    name="dtsen_build",
    # everything but the audit group (explanations for a configured list, materialized on demand)
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("audit"),
    executor_def=dg.in_process_executor,
    description="Build everything from the source drop to welfare.decile, gated by blocking checks.",
    tags=run_tags(),   # the code version and git commit on every run of the job
)

semiannual_finalization = dg.ScheduleDefinition(
    name="dtsen_semiannual_finalization",
    job=dtsen_build,
    cron_schedule="0 1 1 1,7 *",   # DTKS is finalized at most every six months
    execution_timezone="Asia/Jakarta",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Six-monthly DTSEN finalization run (January and July), off until switched on.",
)

defs = dg.Definitions(
    assets=all_assets,
    jobs=[dtsen_build],
    schedules=[semiannual_finalization],
    resources={
        "source_drop": SourceDrop(source_dir=_env_or_default("DTSEN_SOURCE_DIR", DEFAULT_SOURCE_DIR)),
        "warehouse": DuckDBWarehouse(database_path=_env_or_default("DTSEN_DUCKDB_PATH", DEFAULT_DATABASE_PATH)),
    },
    executor=dg.in_process_executor,
)
