"""The welfare assets are part of the project's Definitions: keys, dependencies and checks wire up."""

from __future__ import annotations

from dtsen_assets.assets import welfare as welfare_module
from dtsen_assets.definitions import defs


def test_the_graph_wires_up_to_welfare_decile() -> None:
    graph = defs.resolve_asset_graph()
    assert welfare_module.SUSENAS_HOUSEHOLD in graph.get(welfare_module.PMT_MODEL).parent_keys
    assert {welfare_module.PMT_MODEL, welfare_module.DTSEN_FAMILY} <= graph.get(welfare_module.PMT_SCORE).parent_keys
    assert welfare_module.PMT_SCORE in graph.get(welfare_module.DECILE).parent_keys
    assert welfare_module.DECILE in graph.get(welfare_module.DESIL_KABUPATEN).parent_keys
    checks = {c.name for c in graph.get_check_keys_for_assets([welfare_module.DECILE])}
    assert {"desil_person_share", "one_desil_per_family"} <= checks
    assert graph.get(welfare_module.SUSENAS_HOUSEHOLD).is_materializable


def test_dtsen_build_reaches_welfare_decile() -> None:
    selected = defs.resolve_job_def("dtsen_build").asset_layer.selected_asset_keys
    assert {welfare_module.DECILE, welfare_module.DESIL_KABUPATEN, welfare_module.EXPLANATION} <= selected
