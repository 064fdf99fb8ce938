"""The DTSEN Definitions on a Kubernetes cluster: the same assets, jobs, checks and automation as
`dtsen_assets.definitions`, every step run as a Kubernetes Job by Dagster's own `k8s_job_executor`
(dagster-k8s, the optional extra `[cluster]`), configured by executor.yaml beside this file.

    dagster code-server start -f deploy/cluster/definitions.py     # in the code location's image

Why Kubernetes rather than Celery, the pod sizes and the province-partitioned plan: docs/scale.md.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml
from dagster_k8s import k8s_job_executor

from dtsen_assets import definitions as local
from dtsen_assets.schedules import build_automation

EXECUTOR_CONFIG = yaml.safe_load(Path(__file__).with_name("executor.yaml").read_text())
k8s_executor = k8s_job_executor.configured(EXECUTOR_CONFIG, name="dtsen_k8s_job_executor")


# dtsen_build_provinces: the staging, unify and score shards (each a pod with its own DuckDB file on the shared volume)
# run side by side; every other step opens the warehouse file, so at most one of those at a time
# (the same tag limit as the local multiprocess executor).
PROVINCES_EXECUTOR_CONFIG = {**EXECUTOR_CONFIG, **yaml.safe_load(
    Path(__file__).with_name("executor_provinces.yaml").read_text())}
k8s_provinces_executor = k8s_job_executor.configured(PROVINCES_EXECUTOR_CONFIG, name="dtsen_k8s_provinces_executor")


def on_cluster(job, executor=k8s_executor) -> dg.UnresolvedAssetJobDefinition:
    """The same asset job, its steps run by the Kubernetes executor."""
    return dg.define_asset_job(name=job.name, selection=job.selection, description=job.description,
                               tags=job.tags, executor_def=executor)


dtsen_build = on_cluster(local.dtsen_build)
dtsen_build_provinces = on_cluster(local.dtsen_build_provinces, k8s_provinces_executor)
dtsen_finalize = on_cluster(local.dtsen_finalize)
semiannual_finalization, finalize_after_build, new_drop = build_automation(dtsen_build, dtsen_finalize)

defs = dg.Definitions(
    assets=local.all_assets,
    jobs=[dtsen_build, dtsen_build_provinces, dtsen_finalize],
    schedules=[semiannual_finalization],
    sensors=[finalize_after_build, new_drop],
    resources=local.defs.resources,
    executor=k8s_executor,
)
