"""unify_assets fit the graph: the staging keys it reads exist, and what welfare reads is produced here."""

from __future__ import annotations

import dagster as dg

from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.assets.unify import FAMILY_KEY, STAGING_DEPS, unify_assets
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop


def _assets() -> list:
    assets = [*raw_source_assets, *unify_assets]
    try:
        from dtsen_assets.assets.staging import staging_assets
        assets += staging_assets
    except ImportError:
        pass
    return assets


def test_unify_reads_keys_the_staging_group_produces() -> None:
    try:
        from dtsen_assets.assets.staging import staging_assets
    except ImportError:
        return
    produced = {key for asset in staging_assets for key in asset.keys}
    assert set(STAGING_DEPS) <= produced


def test_definitions_with_unify_load() -> None:
    defs = dg.Definitions(assets=_assets(), resources={"source_drop": SourceDrop(), "warehouse": DuckDBWarehouse()})
    graph = defs.resolve_asset_graph()
    assert FAMILY_KEY in graph.get_all_asset_keys()
    assert defs.resolve_job_def("__ASSET_JOB") is not None
    upstream = graph.get(FAMILY_KEY).parent_keys
    assert set(STAGING_DEPS) <= set(upstream)
