"""The whole Definitions load, and every asset carries what a UI user needs to read it."""

from __future__ import annotations

import dagster as dg
import pytest

from dtsen_assets.contract import SOURCE_FILES


@pytest.fixture
def defs() -> dg.Definitions:
    from dtsen_assets.definitions import defs
    return defs


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
    # dtsen_build_provinces only (below)
    shards = {dg.AssetKey(["staging", "shards"]), dg.AssetKey(["unify", "shards"]), dg.AssetKey(["welfare", "score_shards"])}
    assert set(job.asset_layer.selected_asset_keys) == set(graph.get_all_asset_keys()) - final - audit - shards - {
        k for k in graph.get_all_asset_keys() if not graph.get(k).is_materializable
    }
    release = dg.AssetKey(["dtsen", "release"])
    assert release in job.asset_layer.selected_asset_keys
    # the release waits for every other asset of the build
    ancestors = dg.AssetSelection.assets(release).upstream().resolve(graph)
    assert ancestors == set(job.asset_layer.selected_asset_keys) | shards
    finalize = defs.resolve_job_def("dtsen_finalize")
    assert set(finalize.asset_layer.selected_asset_keys) == final
    assert final >= {dg.AssetKey(["final", t]) for t in ("semester", "person", "family", "decile", "perubahan")}
    assert finalize.partitions_def.get_partition_keys()[:3] == ["2025-S1", "2025-S2", "2026-S1"]
    assert "2035-S2" in finalize.partitions_def.get_partition_keys()
    assert finalize.executor_def.name == "in_process"
    assert {s.name for s in defs.sensors} >= {"dtsen_finalize_after_build", "dtsen_new_drop"}


def test_province_job_is_the_build_with_shards_in_parallel(defs: dg.Definitions) -> None:
    build = defs.resolve_job_def("dtsen_build")
    provinces = defs.resolve_job_def("dtsen_build_provinces")
    shards = {dg.AssetKey(["staging", "shards"]), dg.AssetKey(["unify", "shards"]), dg.AssetKey(["welfare", "score_shards"])}
    assert set(provinces.asset_layer.selected_asset_keys) == set(build.asset_layer.selected_asset_keys) | shards
    assert provinces.executor_def.name == "provinces_executor"
    from dtsen_assets.definitions import PROVINCES_EXECUTOR_CONFIG as executor
    dg.validate_run_config(provinces, {})                 # the executor's own schema takes the configuration
    assert executor["max_concurrent"] == 2
    assert executor["start_method"]["forkserver"]["preload_modules"] == ["dtsen_assets.preload"]
    # at most one step with the warehouse file open; every step but the shard links is such a step
    assert executor["tag_concurrency_limits"] == [{"key": "dtsen/warehouse", "value": "main", "limit": 1}]
    tags = {node.name: node.definition.tags.get("dtsen/warehouse") for node in provinces.graph.nodes}
    assert all(tag == "main" for name, tag in tags.items() if name not in ("staging__shards", "unify__shards", "welfare__score_shards")), tags
    links = {op.name: op.tags.get("dtsen/warehouse") for op in provinces.graph.node_dict["unify__shards"].definition.node_defs}
    assert links == {"unify_shard_plan": "main", "unify_shard_link": "shard", "unify_shard_collect": None}
    scoring = {op.name: op.tags.get("dtsen/warehouse")
               for op in provinces.graph.node_dict["welfare__score_shards"].definition.node_defs}
    assert scoring == {"score_shard_plan": "main", "score_shard": "shard", "score_shard_collect": None}
    cleaning = {op.name: op.tags.get("dtsen/warehouse")
                for op in provinces.graph.node_dict["staging__shards"].definition.node_defs}
    assert cleaning == {"staging_shard_plan": "main", "staging_shard": "shard", "staging_shard_collect": None}
    # pmt_score merges after the shards (in dtsen_build the dependency is outside the selection)
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey(["welfare", "score_shards"]) in graph.get(dg.AssetKey(["welfare", "pmt_score"])).parent_keys
    for table in ("family_record", "person_record", "dukcapil_person"):     # the staging tables the shards clean
        assert dg.AssetKey(["staging", "shards"]) in graph.get(dg.AssetKey(["staging", table])).parent_keys


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


def test_resources_follow_environment(defs: dg.Definitions, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # The Definitions read no environment at import: the resources resolve it when used, so the same
    # (already imported) Definitions follow the environment of the process that runs them.
    warehouse = defs.resources["warehouse"]
    source_drop = defs.resources["source_drop"]
    monkeypatch.setenv("DTSEN_SOURCE_DIR", str(tmp_path / "drop"))
    monkeypatch.setenv("DTSEN_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("DTSEN_MODEL_DIR", str(tmp_path / "store"))
    assert warehouse.database_file == str(tmp_path / "w.duckdb")
    assert source_drop.root == tmp_path / "drop"
    assert defs.resources["model_store"].directory(warehouse.database_file) == tmp_path / "store"
    monkeypatch.delenv("DTSEN_MODEL_DIR")   # unset: beside the warehouse, where the models have always been
    assert defs.resources["model_store"].directory(warehouse.database_file) == (tmp_path / "models").resolve()
    # a configured value wins over the environment
    assert type(warehouse)(database_path=str(tmp_path / "x.duckdb")).database_file == str(tmp_path / "x.duckdb")


def test_definitions_do_not_depend_on_the_environment_at_import(tmp_path) -> None:
    import os
    import subprocess
    import sys
    probe = ("import dtsen_assets.definitions as d; r = d.defs.resources; "
             "print(r['warehouse'].database_path, r['source_drop'].source_dir, r['warehouse'].id_key)")
    env = {**os.environ, "DTSEN_DUCKDB_PATH": str(tmp_path / "w.duckdb"), "DTSEN_SOURCE_DIR": str(tmp_path),
           "DTSEN_ID_KEY": "k" * 40}
    with_env = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    bare = {k: v for k, v in os.environ.items() if not k.startswith("DTSEN_")}
    without = subprocess.run([sys.executable, "-c", probe], env=bare, capture_output=True, text=True, check=True)
    assert with_env.stdout == without.stdout == "None None None\n"
