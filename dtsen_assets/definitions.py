"""The one place the DTSEN Definitions are assembled.

Nothing here reads the environment: each resource resolves its documented environment variable
(DTSEN_DUCKDB_PATH, DTSEN_SOURCE_DIR, DTSEN_ID_KEY, ...) when it is used (`dtsen_assets/resources`),
so importing this module twice gives the same Definitions.
"""

from __future__ import annotations

import dagster as dg

from dtsen_assets.assets.audit import audit_assets
from dtsen_assets.assets.final import final_assets
from dtsen_assets.assets.program import program_assets
from dtsen_assets.assets.release import build_release_asset, release_checks
from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.assets.staging import STAGING_SHARDS, staging_assets
from dtsen_assets.assets.staging_shards import staging_shard_assets
from dtsen_assets.assets.unify import unify_assets
from dtsen_assets.assets.unify_shards import SHARDS_KEY, unify_shard_assets
from dtsen_assets.assets.constants import WAREHOUSE_TAG
from dtsen_assets.assets.welfare import SCORE_SHARDS, welfare_assets
from dtsen_assets.assets.welfare_shards import welfare_shard_assets
from dtsen_assets.build_info import run_tags, with_audit_metadata
from dtsen_assets.progress import progress_hooks, with_build_hooks
from dtsen_assets.resources import DropInbox, DuckDBWarehouse, ModelStore, ReportsDirectory, SourceDrop
from dtsen_assets.schedules import build_automation


build_assets = with_audit_metadata([*raw_source_assets, *staging_assets, *staging_shard_assets, *unify_shard_assets, *unify_assets,
                                    *welfare_assets, *welfare_shard_assets, *program_assets])
release = build_release_asset(build_assets)
# every run that builds them (dtsen_build, a materialization from the UI) logs step n of m and what stays published
*build_assets, release = with_build_hooks([*build_assets, release])
# the audit group (explanations for a configured list) is materialized on demand, outside the build
# the release's stand-alone check runs as the build's last step: it reports its progress line too
release_check_steps = [check.with_hooks(progress_hooks) for check in release_checks]
all_assets = [*build_assets, release, *release_check_steps, *final_assets, *with_audit_metadata(audit_assets)]

# DuckDB has one writer at a time: every step of a run executes in one process, in order.
dtsen_build = dg.define_asset_job(
    name="dtsen_build",
    selection=dg.AssetSelection.assets(*build_assets, release) - dg.AssetSelection.assets(STAGING_SHARDS, SHARDS_KEY, SCORE_SHARDS),
    executor_def=dg.in_process_executor,
    description=("Build everything from the source drop to welfare.decile, the program candidates and the Dinas "
                 "Sosial report, gated by blocking checks, and publish it as one release (dtsen.release)."),
    tags=run_tags(),   # the code version and git commit on every run of the job
)

# The same build with unify run per province shard as parallel steps (unify/shards): every step in a
# process of its own (forked from one that has imported the code), two at a time, and at most one
# of them with the warehouse file open (DuckDB's one writer); the shards open only their own files.
PROVINCES_EXECUTOR_CONFIG = {
    "max_concurrent": 2,
    "tag_concurrency_limits": [{"key": WAREHOUSE_TAG, "value": "main", "limit": 1}],
    "start_method": {"forkserver": {"preload_modules": ["dtsen_assets.preload"]}},
}
provinces_executor = dg.multiprocess_executor.configured(PROVINCES_EXECUTOR_CONFIG, name="provinces_executor")

dtsen_build_provinces = dg.define_asset_job(
    name="dtsen_build_provinces",
    selection=dg.AssetSelection.assets(*build_assets, release),
    executor_def=provinces_executor,
    description=("dtsen_build with staging, linkage and scoring run per province shard in parallel (staging/shards, "
                 "unify/shards, welfare/score_shards; the national steps merge them): for large drops. Publishes the "
                 "same release tables, as one release."),
    tags=run_tags(),
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
    jobs=[dtsen_build, dtsen_build_provinces, dtsen_finalize],
    schedules=[semiannual_finalization],
    sensors=[finalize_after_build, new_drop],
    resources={
        "source_drop": SourceDrop(),
        "warehouse": DuckDBWarehouse(release_per_run=True),
        # Reports and model artifacts go beside the warehouse unless DTSEN_REPORTS_DIR / DTSEN_MODEL_DIR say otherwise.
        "reports": ReportsDirectory(),
        "model_store": ModelStore(),
        "drop_inbox": DropInbox(),
    },
    executor=dg.in_process_executor,
)
