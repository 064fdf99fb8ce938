"""The cluster configuration in deploy/cluster/ (docs/scale.md): valid for Dagster's Kubernetes executor,
and the Definitions load with it. Skipped where dagster-k8s (the optional extra `[cluster]`) is absent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml

pytest.importorskip("dagster_k8s")
from dagster_k8s import k8s_job_executor  # noqa: E402

CLUSTER = Path(__file__).resolve().parents[1] / "deploy" / "cluster"


@pytest.fixture(scope="module")
def cluster():
    spec = importlib.util.spec_from_file_location("dtsen_cluster_definitions", CLUSTER / "definitions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _validate(config: dict) -> dict:
    @dg.asset
    def probe() -> None:
        return None

    job = dg.Definitions(assets=[probe], jobs=[dg.define_asset_job("probe_job", executor_def=k8s_job_executor)]) \
        .resolve_job_def("probe_job")
    return dg.validate_run_config(job, {"execution": {"config": config}})["execution"]["k8s"]


def test_executor_config_is_valid_for_the_kubernetes_executor():
    config = yaml.safe_load((CLUSTER / "executor.yaml").read_text())
    assert _validate(config)["max_concurrent"] == 1      # one DuckDB file, one writer (docs/scale.md)
    with pytest.raises(dg.DagsterInvalidConfigError):
        _validate({**config, "max_concurent": 1})         # the schema does reject what it does not know


def test_definitions_load_with_the_kubernetes_executor(cluster):
    import dtsen_assets.definitions as local

    for name in ("dtsen_build", "dtsen_finalize"):
        job = cluster.defs.resolve_job_def(name)
        assert job.executor_def.name == "dtsen_k8s_job_executor"
        assert set(job.asset_layer.executable_asset_keys) == \
            set(local.defs.resolve_job_def(name).asset_layer.executable_asset_keys)


def test_province_job_runs_shards_side_by_side_and_one_warehouse_step_at_a_time(cluster):
    import dtsen_assets.definitions as local

    config = _validate(cluster.PROVINCES_EXECUTOR_CONFIG)
    assert config["max_concurrent"] > 1
    assert config["tag_concurrency_limits"] == local.PROVINCES_EXECUTOR_CONFIG["tag_concurrency_limits"]
    job = cluster.defs.resolve_job_def("dtsen_build_provinces")
    assert job.executor_def.name == "dtsen_k8s_provinces_executor"
    assert set(job.asset_layer.executable_asset_keys) == \
        set(local.defs.resolve_job_def("dtsen_build_provinces").asset_layer.executable_asset_keys)


def test_larger_pods_name_steps_of_the_build(cluster):
    steps = {node.name for node in cluster.defs.resolve_job_def("dtsen_build").graph.nodes}
    assert set(cluster.EXECUTOR_CONFIG["per_step_k8s_config"]) <= steps


def test_province_partitions_are_the_38_provinces_of_the_reference():
    storage = yaml.safe_load((CLUSTER / "storage.yaml").read_text())
    wilayah = pd.read_csv(CLUSTER.parents[1] / storage["partitions"]["source"], dtype=str)
    provinces = wilayah.loc[wilayah["tingkat"] == "provinsi", "kode"]
    assert provinces.str.len().eq(2).all() and provinces.nunique() == 38
