"""The release: the last step of every build, publishing all the run built in one transaction.

    every leaf of the graph (welfare/desil_kabupaten, welfare/explanation, ...) ──> dtsen/release

See `dtsen_assets.release` for the mechanism. The asset depends on every leaf, so Dagster skips
it as soon as any step of the run failed; it also reads the run's event log and refuses to
release when a blocking check failed anyway.
"""


import hashlib
from collections.abc import Sequence

import dagster as dg

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP
from dtsen_assets.assets.unify_shards import remove_shards_of_finished_runs
from dtsen_assets.checks.release import RELEASE_TABLES_CONSISTENT, check_release_tables_consistent
from dtsen_assets.release import RELEASE_TABLE, blocking_check_tally, release_run
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.platform.publish import table_metadata
from dtsen_assets.resources import DuckDBWarehouse

RELEASE_KEY = RELEASE_TABLES_CONSISTENT.asset
RELEASE_CODE_VERSION = code_version("release", package="release.py")


def leaf_keys(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """Asset keys no other asset depends on: what a release must wait for."""
    keys = {key for asset in assets for key in asset.keys}
    upstream = {dep for asset in assets for deps in asset.asset_deps.values() for dep in deps}
    return sorted(keys - upstream, key=lambda k: k.to_user_string())


def code_version_of(assets: Sequence[dg.AssetsDefinition]) -> str:
    """One version for the whole build: a hash of every asset's code_version."""
    digest = hashlib.sha256()
    for asset in assets:
        for key, version in sorted(asset.code_versions_by_key.items(), key=lambda kv: kv[0].to_user_string()):
            digest.update(f"{key.to_user_string()}={version}\n".encode())
    return "dtsen-" + digest.hexdigest()[:12]


def build_release_asset(assets: Sequence[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    """`dtsen/release`, depending on every leaf of `assets`."""
    code_version = code_version_of(assets)

    @dg.asset(
        key=RELEASE_KEY,
        deps=leaf_keys(assets),
        description=(
            "dtsen.release: one row per build that published the contract tables. Every asset of a run publishes its "
            "checked tables under the run's own names (`dtsen.person__run_<run>`); this last step checks that every "
            "blocking check of the run passed and then, in one transaction, puts all of them in place of the "
            "published tables and records the release (drop hash, run, code and model versions, active persons, "
            "families; exactly one current). A run that fails anywhere publishes nothing; its tables stay under "
            "their run names for inspection until the next good release, which also removes the shard folders such a "
            "run left beside the warehouse (copies of source rows). Select it with any assets you rebuild "
            "from the UI: without it, what they build is not published."),
        group_name="release",
        kinds={"duckdb"},
        owners=[OWNER],
        code_version=RELEASE_CODE_VERSION,
        tags={"layer": "release"},
        op_tags=WAREHOUSE_STEP,
    )
    def release(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
        if not warehouse.run_key:
            raise dg.Failure(description="dtsen/release needs the warehouse resource with release_per_run=True "
                                         "(as the Definitions configure it): nothing of this run was staged as a release")
        tally = blocking_check_tally(context.instance, context.run.run_id)
        with warehouse.connect() as connection:
            row = release_run(connection, warehouse.run_key, context.run.run_id, code_version, tally)
            metadata = table_metadata(connection, RELEASE_TABLE)
        # the shard folders of failed province runs hold copies of source rows: a good release removes them
        # as it removes those runs' tables (runs still in progress keep theirs)
        folders = remove_shards_of_finished_runs(context.instance, warehouse, context.run.run_id)
        context.log.info(f"released {len(row['tables'])} tables as {row['release_id']}; "
                         f"removed {len(row['leftovers_removed'])} leftover run tables"
                         + (f" and the shard folders of runs {', '.join(folders)}" if folders else ""))
        return dg.MaterializeResult(metadata={
            **metadata,
            "release_id": row["release_id"],
            "drop_sha256": row["drop_sha256"] or "unknown",
            "code_version": code_version,
            "model_version": row["model_version"] or "none",
            "persons_active": int(row["persons_active"] or 0),
            "families": int(row["families"] or 0),
            "blocking_checks_passed": tally.passed,
            "tables_released": dg.MetadataValue.md("\n".join(f"- `{t}`" for t in row["tables"])),
            "leftover_run_tables_removed": len(row["leftovers_removed"]),
            "leftover_shard_folders_removed": len(folders),
        }, data_version=dg.DataVersion(row["release_id"]))

    return release


@dg.asset_check(asset=RELEASE_KEY, name=RELEASE_TABLES_CONSISTENT.name,
                description=RELEASE_TABLES_CONSISTENT.description, blocking=RELEASE_TABLES_CONSISTENT.blocking,
                op_tags=WAREHOUSE_STEP)
def release_tables_consistent(warehouse: DuckDBWarehouse) -> dg.AssetCheckResult:
    """Cross-table consistency of what readers now see; a check of its own, after the release."""
    with warehouse.connect(read_only=True) as connection:
        return check_release_tables_consistent(connection).to_result(RELEASE_KEY)


release_checks = [release_tables_consistent]
