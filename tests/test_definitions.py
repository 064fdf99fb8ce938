"""The whole Definitions load, and every asset carries what a UI user needs to read it."""

from __future__ import annotations

import importlib

import dagster as dg
import pytest

from dtsen_assets.contract import SOURCE_FILES


@pytest.fixture
def defs() -> dg.Definitions:
    import dtsen_assets.definitions as module
    return importlib.reload(module).defs


def test_job_schedule_and_checks_exist(defs: dg.Definitions) -> None:
    job = defs.resolve_job_def("dtsen_build")
    assert job.executor_def.name == "in_process"   # one DuckDB writer at a time
    schedule = defs.resolve_schedule_def("dtsen_semiannual_finalization")
    assert schedule.job_name == "dtsen_build"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    graph = defs.resolve_asset_graph()
    for source_file in SOURCE_FILES:
        key = dg.AssetKey(["raw", source_file.key])
        assert key in graph.get_all_asset_keys()
        check_keys = graph.get_check_keys_for_assets([key])
        assert {"encoding_utf8", "required_columns_present", "rows_well_formed"} <= {c.name for c in check_keys}
        assert all(graph.get_check_spec(c).blocking for c in check_keys if c.name != "value_formats")
    # the job covers the whole unpartitioned graph, ending in the release; finalization is its own job,
    # and the audit explanations (a configured list) are materialized on demand
    final = {k for k in graph.get_all_asset_keys() if k.path[0] == "final"}
    audit = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "audit"}
    assert dg.AssetKey(["audit", "explanation"]) in audit
    assert set(job.asset_layer.selected_asset_keys) == set(graph.get_all_asset_keys()) - final - audit - {
        k for k in graph.get_all_asset_keys() if not graph.get(k).is_materializable
    }
    release = dg.AssetKey(["dtsen", "release"])
    assert release in job.asset_layer.selected_asset_keys
    # the release waits for every other asset of the build
    ancestors = dg.AssetSelection.assets(release).upstream().resolve(graph)
    assert ancestors == set(job.asset_layer.selected_asset_keys)
    finalize = defs.resolve_job_def("dtsen_finalize")
    assert set(finalize.asset_layer.selected_asset_keys) == final
    assert final >= {dg.AssetKey(["final", t]) for t in ("semester", "person", "family", "decile", "perubahan")}
    assert finalize.partitions_def.get_partition_keys()[:3] == ["2025-S1", "2025-S2", "2026-S1"]
    assert "2035-S2" in finalize.partitions_def.get_partition_keys()
    assert finalize.executor_def.name == "in_process"
    assert {s.name for s in defs.sensors} >= {"dtsen_finalize_after_build", "dtsen_new_drop"}


def test_every_asset_is_documented(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert node.description and len(node.description) > 30, key
        assert node.group_name and node.group_name != "default", key
        assert node.owners, key
        assert node.kinds, key
        assert node.code_version, key


def test_resources_follow_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("DTSEN_SOURCE_DIR", str(tmp_path / "drop"))
    monkeypatch.setenv("DTSEN_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    import dtsen_assets.definitions as module
    defs = importlib.reload(module).defs
    warehouse = defs.resources["warehouse"]
    source_drop = defs.resources["source_drop"]
    assert isinstance(warehouse.database_path, dg.EnvVar)
    assert warehouse.database_path.get_value() == str(tmp_path / "w.duckdb")
    assert source_drop.source_dir.get_value() == str(tmp_path / "drop")
