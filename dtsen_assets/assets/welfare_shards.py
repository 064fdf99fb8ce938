"""PMT scoring by province shard, as parallel Dagster steps (the job `dtsen_build_provinces`).

    dtsen/family, welfare/pmt_model ──> score_shard_plan ──> score_shard[prov_32], score_shard[prov_35_36], ...
                                         (warehouse: export   (each its own DuckDB file: score_families with
                                          by shard)            the national model)          ──> score_shard_collect
                                    ──> welfare/pmt_score (warehouse: the merge, the scoring checks, publish)

As unify/shards: dynamic steps of one graph-backed asset, not a partitioned asset, so the release stays
one run. `welfare/pmt_score` merges when this run planned score shards; otherwise it scores in its own
step as before. What is per shard and what stays national: dtsen_assets/welfare/shards.py.
"""

import time

import dagster as dg
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP, WAREHOUSE_TAG
from dtsen_assets.assets.unify_shards import collect_op, divided_memory_limit, run_directory, shard_outputs
from dtsen_assets.assets.welfare import DTSEN_FAMILY, PMT_MODEL, SCORE_SHARDS, WILAYAH, PmtScoreConfig
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.platform.sql import scalar
from dtsen_assets.resources import DuckDBWarehouse, ModelStore
from dtsen_assets.resources.duckdb import DEFAULT_MEMORY_LIMIT
from dtsen_assets.resources.settings import resolved
from dtsen_assets.welfare import shards
from dtsen_assets.welfare.registry import REGISTRY_TABLE, current_model

INPUTS = {"family": DTSEN_FAMILY, "pmt_model": PMT_MODEL, "wilayah": WILAYAH}


class ScoreShardPlanConfig(PmtScoreConfig):
    """The scoring settings (the same as welfare/pmt_score's: the merge refuses others) and the shard size."""

    min_shard_families: int = Field(default=shards.DEFAULT_MIN_FAMILIES, description=(
        "A province with at least this many DTSEN families is a shard of its own; smaller ones are packed together "
        "up to it. Scoring needs no minimum (the model is national): this only bounds the steps' overhead."))
    parallel_shards: int = Field(default=2, description=(
        "How many shards the executor runs at once: each shard's DuckDB gets the warehouse's memory limit divided by this."))


@dg.op(ins={name: dg.In(dg.Nothing) for name in INPUTS}, out=dg.DynamicOut(str), tags=WAREHOUSE_STEP)
def score_shard_plan(context: dg.OpExecutionContext, config: ScoreShardPlanConfig, warehouse: DuckDBWarehouse,
                     model_store: ModelStore):
    """Cut dtsen.family into province shards and write each shard's families as Parquet."""
    directory = shards.score_directory(run_directory(warehouse, context.run.run_id))
    began = time.perf_counter()
    memory = resolved(warehouse.memory_limit, "DTSEN_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    with warehouse.connect() as connection:
        models = model_store.directory(warehouse.database_file)
        model = current_model(connection, models)
        artifact = scalar(connection, f"SELECT artifact_file FROM {REGISTRY_TABLE} WHERE is_current")
        planned = shards.prepare(connection, directory, models / artifact, model.model_version,
                                 config.scoring_settings(), config.min_shard_families, log=context.log.info,
                                 run_id=context.run.run_id,
                                 memory_limit=divided_memory_limit(memory, config.parallel_shards))
    yield from shard_outputs(context, "score shards", planned, time.perf_counter() - began, "families")


@dg.op(tags={WAREHOUSE_TAG: "shard"})
def score_shard(context: dg.OpExecutionContext, warehouse: DuckDBWarehouse, shard: str) -> dict:
    """Score and explain one shard's families in its own file, with the national model."""
    directory = shards.score_directory(run_directory(warehouse, context.run.run_id))
    plan = shards.read_plan(directory)
    outcome = shards.score(directory, shard, memory_limit=plan["memory_limit"], threads=warehouse.threads,
                           log=context.log.debug)
    result = outcome["result"]
    context.log.info(f"score shard {shard}: {result['scored']:,} families scored, {result['belum_terdata']:,} "
                     f"belum terdata, in {outcome['seconds']:.1f} s")
    return {"shard": shard, "families": outcome["families"], "scored": result["scored"],
            "seconds": outcome["seconds"]}


score_shard_collect = collect_op("score_shard_collect", "families", "scored")


@dg.graph_asset(
    key=SCORE_SHARDS,
    ins={name: dg.AssetIn(key=key, dagster_type=dg.Nothing) for name, key in INPUTS.items()},
    group_name="welfare", owners=[OWNER], kinds={"duckdb"}, code_version=code_version("welfare"),
    tags={"layer": "welfare"},
    description=("The PMT scoring and explanations run per province shard, each shard in its own DuckDB file with "
                 "the national model, as parallel steps; welfare/pmt_score then merges them, checks and publishes. "
                 "Built by the job dtsen_build_provinces only; dtsen_build scores in one step."),
)
def score_shards(family, pmt_model, wilayah):
    planned = score_shard_plan(family=family, pmt_model=pmt_model, wilayah=wilayah)
    return score_shard_collect(planned.map(score_shard).collect())


welfare_shard_assets = [score_shards]
