"""The program assets are part of the project's Definitions and of dtsen_build."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dtsen_assets.assets import program as program_module
from dtsen_assets.definitions import defs
from dtsen_assets.resources import ReportsDirectory


def test_the_graph_wires_program_after_welfare_and_the_field_sources():
    graph = defs.resolve_asset_graph()
    parents = graph.get(program_module.KANDIDAT_KEY).parent_keys
    assert {dg.AssetKey(["welfare", "decile"]), dg.AssetKey(["unify", "verivali_outcome"]),
            dg.AssetKey(["raw", "cekbansos_usul"]), dg.AssetKey(["raw", "cekbansos_sanggah"])} <= parents
    assert program_module.KANDIDAT_KEY in graph.get(program_module.LAPORAN_KEY).parent_keys
    assert graph.get(program_module.KANDIDAT_KEY).group_name == "program"
    checks = {c.name for c in graph.get_check_keys_for_assets([program_module.KANDIDAT_KEY])}
    assert {"kandidat_unit_unique", "kandidat_sesuai_aturan"} <= checks
    assert all(graph.get_check_spec(c).blocking for c in graph.get_check_keys_for_assets([program_module.TUGAS_KEY]))


def test_dtsen_build_reaches_the_report():
    selected = defs.resolve_job_def("dtsen_build").asset_layer.selected_asset_keys
    assert {program_module.KANDIDAT_KEY, program_module.BANDING_KEY, program_module.TUGAS_KEY,
            program_module.USULAN_KEY, program_module.LAPORAN_KEY} <= selected


def test_reports_go_beside_the_warehouse_unless_configured(tmp_path):
    assert ReportsDirectory().root(str(tmp_path / "w" / "warehouse.duckdb")) == tmp_path / "w" / "laporan"
    assert ReportsDirectory(path=str(tmp_path / "r")).root("data/warehouse.duckdb") == Path(tmp_path / "r")
    assert isinstance(defs.resources["reports"], ReportsDirectory)
