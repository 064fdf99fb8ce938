"""The welfare assets join the project's Definitions: keys, dependencies and checks wire up."""

from __future__ import annotations

import importlib

import dagster as dg

from dtsen_assets.assets import welfare as welfare_module


def project_definitions_with_welfare() -> dg.Definitions:
    """The project's Definitions, with the welfare assets added when they are not wired in yet."""
    defs = importlib.import_module("dtsen_assets.definitions").defs
    keys = {key for asset in (defs.assets or []) if isinstance(asset, dg.AssetsDefinition) for key in asset.keys}
    if welfare_module.PMT_MODEL in keys:
        return defs
    return dg.Definitions(assets=[*(defs.assets or []), *welfare_module.welfare_assets],
                          asset_checks=list(defs.asset_checks or []), jobs=list(defs.jobs or []),
                          resources=dict(defs.resources or {}))


def test_the_graph_wires_up_to_welfare_decile() -> None:
    defs = project_definitions_with_welfare()
    graph = defs.resolve_asset_graph()
    upstream = graph.get(welfare_module.PMT_MODEL).parent_keys
    assert welfare_module.SUSENAS_HOUSEHOLD in upstream
    assert {welfare_module.PMT_MODEL, welfare_module.DTSEN_FAMILY} <= graph.get(welfare_module.PMT_SCORE).parent_keys
    assert welfare_module.PMT_SCORE in graph.get(welfare_module.DECILE).parent_keys
    assert welfare_module.DECILE in graph.get(welfare_module.DESIL_KABUPATEN).parent_keys
    checks = {c.name for c in graph.get_check_keys_for_assets([welfare_module.DECILE])}
    assert {"desil_person_share", "one_desil_per_family"} <= checks
    # in a project where staging.susenas_household is built, the PMT is trained on it
    if graph.get(welfare_module.SUSENAS_HOUSEHOLD).is_materializable:
        assert welfare_module.PMT_MODEL in graph.get(welfare_module.SUSENAS_HOUSEHOLD).child_keys
