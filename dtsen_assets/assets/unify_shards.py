"""Unify by province shard, as parallel Dagster steps (the job `dtsen_build_provinces`).

    staging.* ──> unify_shard_plan ──> unify_shard_link[prov_32], unify_shard_link[prov_35], ... ──> unify_shard_collect
                   (warehouse: plan,     (each its own DuckDB file only:                                (the shard summary)
                    export by shard)      stage_unify on the shard)
              ──> unify_registries (warehouse: the national merge, the unify checks, publish)

The shards are dynamic steps of one graph-backed asset, `unify/shards`, not a partitioned asset:
which provinces a drop holds is known only from the drop, and a release is one run (a partition
per run could not publish together). Under the multiprocess executor the link steps run side by
side and beside other steps; under the Kubernetes executor each is a pod of its own
(deploy/cluster). `unify_registries` merges when this run planned shards; otherwise (the job
`dtsen_build`, a materialization from the UI) it unifies in one process as before.
"""

import re
import time
from pathlib import Path

import dagster as dg
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP, WAREHOUSE_TAG
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.resources.duckdb import DEFAULT_MEMORY_LIMIT
from dtsen_assets.resources.settings import resolved
from dtsen_assets.unify import shards
from dtsen_assets.unify.config import UnifyConfig
from dtsen_assets.warehouse import run_key_of

SHARDS_KEY = dg.AssetKey(["unify", "shards"])
PLAN_FILE = shards.PLAN_FILE
STAGING_INPUTS = ("person_record", "family_record", "dukcapil_person", "verivali_decision")


class ShardPlanConfig(UnifyConfig):
    """The unify settings every shard uses, and how the provinces are cut into shards."""

    min_shard_records: int = Field(default=shards.DEFAULT_MIN_RECORDS, description=(
        "A province with at least this many source person records is a shard of its own; smaller ones are "
        "packed together up to it. Each shard trains its own Splink model, so a shard needs enough records "
        "(the model's sample is `training_records`)."))
    parallel_shards: int = Field(default=2, description=(
        "How many shards the executor runs at once (its max_concurrent): each shard's DuckDB gets the "
        "warehouse's memory limit divided by this."))


def run_directory(warehouse: DuckDBWarehouse, run_id: str) -> Path:
    return shards.shard_directory(warehouse.database_file, warehouse.run_key or run_key_of(run_id))


# a run in one of these may still write into its shard folder
IN_PROGRESS = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
               dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def remove_shards_of_finished_runs(instance: dg.DagsterInstance, warehouse: DuckDBWarehouse, run_id: str) -> list[str]:
    """At a good release: the shard folders beside the warehouse of every run that is over (failed before its
    merges) removed; this run's and those of runs Dagster lists as in progress stay (a run killed outright is
    listed so until it is terminated in the UI; the next province run's plan removes its folder anyway).
    Returns the run keys removed."""
    running = {run_key_of(r.run_id) for r in instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS))}
    return shards.remove_other_runs(run_directory(warehouse, run_id), keep=running)


def plan_of_run(directory: Path, run_id: str) -> dict | None:
    """The shard plan in `directory` when this run wrote it (else None: the stage runs in its own step).
    Staging, unify and scoring each keep theirs as `plan.json` in their folder of the run's shard folder."""
    if not (Path(directory) / PLAN_FILE).is_file():
        return None
    plan = shards.read_plan(directory)
    return plan if plan.get("run_id") == run_id else None


def planned_shards(warehouse: DuckDBWarehouse, run_id: str) -> tuple[Path, dict] | None:
    """This run's shard plan, when the run planned shards (else None: unify in one process)."""
    directory = run_directory(warehouse, run_id)
    plan = plan_of_run(directory, run_id)
    return (directory, plan) if plan else None


def divided_memory_limit(limit: str, parts: int) -> str:
    """'6GB', 2 -> '3000MB': DuckDB's limit for each of `parts` processes running at once."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]i?B)\s*", limit, flags=re.IGNORECASE)
    if not match:
        return limit
    unit = match.group(2).upper().replace("IB", "B")
    megabytes = float(match.group(1)) * {"KB": 1e-3, "MB": 1, "GB": 1e3, "TB": 1e6}[unit]
    return f"{max(100, int(megabytes / max(1, parts)))}MB"


@dg.op(ins={name: dg.In(dg.Nothing) for name in STAGING_INPUTS}, out=dg.DynamicOut(str), tags=WAREHOUSE_STEP)
def unify_shard_plan(context: dg.OpExecutionContext, config: ShardPlanConfig, warehouse: DuckDBWarehouse):
    """Cut the staged records into province shards and write each shard's inputs into its own DuckDB file."""
    directory = run_directory(warehouse, context.run.run_id)
    began = time.perf_counter()
    memory = resolved(warehouse.memory_limit, "DTSEN_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    with warehouse.connect() as connection:
        planned = shards.prepare(
            connection, directory, config.min_shard_records, warehouse.secret_id_key, log=context.log.info,
            run_id=context.run.run_id, unify_config=config.model_dump(exclude={"min_shard_records", "parallel_shards"}),
            memory_limit=divided_memory_limit(memory, config.parallel_shards))
    yield from shard_outputs(context, "unify shards", planned, time.perf_counter() - began, "records")


def shard_outputs(context: dg.OpExecutionContext, label: str, planned: list[shards.Shard], seconds: float, unit: str):
    """A plan step's log line and its dynamic outputs, one per shard (the mapping key is the shard's name)."""
    context.log.info(f"{label}: {len(planned)} shards planned and written in {seconds:.1f} s: "
                     + ", ".join(f"{s.name} ({s.records:,} {unit})" for s in planned))
    for shard in planned:
        yield dg.DynamicOutput(shard.name, mapping_key=shard.name)


@dg.op(tags={WAREHOUSE_TAG: "shard"})
def unify_shard_link(context: dg.OpExecutionContext, warehouse: DuckDBWarehouse, shard: str) -> dict:
    """Unify one shard in its own file; writes `<shard>.json` (figures, model) for the merge."""
    directory = run_directory(warehouse, context.run.run_id)
    plan = shards.read_plan(directory)
    outcome = shards.link_and_keep(directory, shard, UnifyConfig(**plan["unify_config"]), warehouse.secret_id_key,
                                   memory_limit=plan["memory_limit"], threads=warehouse.threads, log=context.log.debug)
    persons = outcome["figures"]["persons"]
    context.log.info(f"unify shard {shard}: {outcome['records']:,} records -> {persons['total']:,} persons "
                     f"in {outcome['seconds']:.1f} s")
    return {"shard": shard, "records": outcome["records"], "persons": persons["total"], "seconds": outcome["seconds"]}


def collected_metadata(outcomes: list[dict], size: str, result: str) -> dict:
    """A collect step's metadata (unify and score shards): the shards, `size` added up, their seconds, and a
    table by shard, largest first (`size`, `result` and seconds of each)."""
    rows = sorted(outcomes, key=lambda o: -o[size])
    table = "\n".join([f"| shard | {size} | {result} | seconds |", "|---|---:|---:|---:|"]
                      + [f"| {o['shard']} | {o[size]:,} | {o[result]:,} | {o['seconds']:.1f} |" for o in rows])
    return {"shards": len(rows), size: sum(o[size] for o in rows),
            "largest_shard_seconds": max((o["seconds"] for o in rows), default=0.0),
            "sum_of_shard_seconds": round(sum(o["seconds"] for o in rows), 1),
            "by_shard": dg.MetadataValue.md(table)}


def collect_op(name: str, size: str, result: str) -> dg.OpDefinition:
    """A graph asset's last op: what its shards did (the outcomes of the mapped steps), as the asset's metadata
    (`collected_metadata`); the merge that follows reads the shard files themselves."""
    @dg.op(name=name, description=f"What the shards did ({size}, {result}, seconds), for the asset's metadata.")
    def collect(context: dg.OpExecutionContext, outcomes: list[dict]) -> dict:
        context.add_output_metadata(collected_metadata(outcomes, size, result))
        return {o["shard"]: o for o in outcomes}
    return collect


unify_shard_collect = collect_op("unify_shard_collect", "records", "persons")


@dg.graph_asset(
    key=SHARDS_KEY,
    ins={name: dg.AssetIn(key=dg.AssetKey(["staging", name]), dagster_type=dg.Nothing) for name in STAGING_INPUTS},
    group_name="unify", owners=[OWNER], kinds={"duckdb", "splink"}, code_version=code_version("unify"),
    tags={"layer": "dtsen"},
    description=("The linkage of unify run per province shard (provinces packed to a minimum size), each shard in "
                 "its own DuckDB file, as parallel steps; unify_registries then merges the shards (one NIK in two "
                 "provinces is one person), checks and publishes. Built by the job dtsen_build_provinces only; "
                 "dtsen_build unifies in one process. What a shard cannot see: docs/scale.md."),
)
def unify_shards(person_record, family_record, dukcapil_person, verivali_decision):
    planned = unify_shard_plan(person_record=person_record, family_record=family_record,
                               dukcapil_person=dukcapil_person, verivali_decision=verivali_decision)
    return unify_shard_collect(planned.map(unify_shard_link).collect())


unify_shard_assets = [unify_shards]
