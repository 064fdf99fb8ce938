"""The unify assets sit in the project's graph between the staging tables and the welfare assets."""

from __future__ import annotations

import dagster as dg

from dtsen_assets.assets.staging import staging_assets
from dtsen_assets.assets.unify import FAMILY_KEY, PERSON_KEY, STAGING_DEPS
from dtsen_assets.definitions import defs


def test_unify_reads_keys_the_staging_group_produces() -> None:
    produced = {key for asset in staging_assets for key in asset.keys}
    assert set(STAGING_DEPS) <= produced


def test_project_graph_runs_staging_then_unify_then_welfare() -> None:
    graph = defs.resolve_asset_graph()
    assert {FAMILY_KEY, PERSON_KEY} <= graph.get_all_asset_keys()
    assert set(STAGING_DEPS) <= set(graph.get(FAMILY_KEY).parent_keys)
    assert dg.AssetKey(["welfare", "pmt_score"]) in graph.get(FAMILY_KEY).child_keys
    assert FAMILY_KEY in defs.resolve_job_def("dtsen_build").asset_layer.selected_asset_keys
