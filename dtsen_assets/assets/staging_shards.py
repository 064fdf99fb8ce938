"""Staging by province shard, as parallel Dagster steps (the job `dtsen_build_provinces`).

    raw/*, staging/codebook, staging/wilayah ──> staging_shard_plan ──> staging_shard[prov_32], ... ──> staging_shard_collect
                                                  (warehouse: export     (each its own DuckDB file: family_record,
                                                   the raw rows by shard)  person_record, dukcapil_person)
                                             ──> staging/family_record, person_record, dukcapil_person
                                                  (warehouse: each merges its table, its checks, publish)

As unify/shards and welfare/score_shards: dynamic steps of one graph-backed asset, so the release stays one
run. The three staging assets merge when this run planned staging shards; otherwise (dtsen_build, a
materialization from the UI) each cleans its table in its own step as before. What a shard sees and why the
answer is the national one: dtsen_assets/staging/shards.py.
"""

import time

import dagster as dg
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP, WAREHOUSE_TAG
from dtsen_assets.assets.sources import raw_asset_key
from dtsen_assets.assets.staging import REFERENCE_KEYS, STAGING_CODE_VERSION, STAGING_SHARDS, staging_shard_directory
from dtsen_assets.assets.unify_shards import collect_op, divided_memory_limit, shard_outputs
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.resources.duckdb import DEFAULT_MEMORY_LIMIT
from dtsen_assets.resources.settings import resolved
from dtsen_assets.staging import shards
from dtsen_assets.unify.shards import remove_other_runs

INPUTS = {raw.split(".")[1]: raw_asset_key(raw.split(".")[1]) for raw in shards.RAW_TABLES} | {
    key.path[-1]: key for key in REFERENCE_KEYS}


class StagingShardPlanConfig(dg.Config):
    """How the provinces are cut into staging shards."""

    min_shard_records: int = Field(default=shards.DEFAULT_MIN_RECORDS, description=(
        "A province with at least this many rows to clean (source person records and Dukcapil persons) is a shard "
        "of its own; smaller ones are packed together up to it. Staging needs no minimum (it cleans row by row): "
        "this only bounds the steps' overhead."))
    parallel_shards: int = Field(default=2, description=(
        "How many shards the executor runs at once: each shard's DuckDB gets the warehouse's memory limit divided by this."))


@dg.op(ins={name: dg.In(dg.Nothing) for name in INPUTS}, out=dg.DynamicOut(str), tags=WAREHOUSE_STEP)
def staging_shard_plan(context: dg.OpExecutionContext, config: StagingShardPlanConfig, warehouse: DuckDBWarehouse):
    """Cut the raw records into province shards (a person with its family) and write each shard's rows as Parquet."""
    directory = staging_shard_directory(warehouse, context.run.run_id)
    removed = remove_other_runs(directory.parent)
    if removed:
        context.log.info(f"staging shards: removed the shard folders of earlier runs that did not merge: "
                         f"{', '.join(removed)}")
    began = time.perf_counter()
    memory = resolved(warehouse.memory_limit, "DTSEN_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    with warehouse.connect() as connection:
        planned = shards.prepare(connection, directory, config.min_shard_records, log=context.log.info,
                                 run_id=context.run.run_id,
                                 memory_limit=divided_memory_limit(memory, config.parallel_shards))
    yield from shard_outputs(context, "staging shards", planned, time.perf_counter() - began, "rows")


@dg.op(tags={WAREHOUSE_TAG: "shard"})
def staging_shard(context: dg.OpExecutionContext, warehouse: DuckDBWarehouse, shard: str) -> dict:
    """Clean one shard's raw rows in its own file: its families, persons and Dukcapil persons."""
    directory = staging_shard_directory(warehouse, context.run.run_id)
    plan = shards.read_plan(directory)
    outcome = shards.build(directory, shard, memory_limit=plan["memory_limit"], threads=warehouse.threads,
                           log=context.log.debug)
    rows = outcome["rows"]
    context.log.info(f"staging shard {shard}: " + ", ".join(f"{t} {n:,}" for t, n in rows.items())
                     + f" rows in {outcome['seconds']:.1f} s")
    return {"shard": shard, "records": outcome["records"], "families": rows[shards.FAMILY_RECORD_TABLE],
            "seconds": outcome["seconds"]}


staging_shard_collect = collect_op("staging_shard_collect", "records", "families")


@dg.graph_asset(
    key=STAGING_SHARDS,
    ins={name: dg.AssetIn(key=key, dagster_type=dg.Nothing) for name, key in INPUTS.items()},
    group_name="staging", owners=[OWNER], kinds={"duckdb"}, code_version=STAGING_CODE_VERSION,
    tags={"layer": "staging"},
    description=("The cleaning of the source families, source persons and Dukcapil persons run per province shard "
                 "(a person goes with its family), each shard in its own DuckDB file, as parallel steps; "
                 "staging/family_record, person_record and dukcapil_person then merge them, check and publish. "
                 "Built by the job dtsen_build_provinces only; dtsen_build stages each table in one step."),
)
def staging_shards(dtks_keluarga, p3ke_keluarga, regsosek_keluarga, dtks_art, p3ke_individu, regsosek_individu,
                   dukcapil_penduduk, codebook, wilayah):
    planned = staging_shard_plan(
        dtks_keluarga=dtks_keluarga, p3ke_keluarga=p3ke_keluarga, regsosek_keluarga=regsosek_keluarga,
        dtks_art=dtks_art, p3ke_individu=p3ke_individu, regsosek_individu=regsosek_individu,
        dukcapil_penduduk=dukcapil_penduduk, codebook=codebook, wilayah=wilayah)
    return staging_shard_collect(planned.map(staging_shard).collect())


staging_shard_assets = [staging_shards]
