"""The rest: records no Dukcapil person was accepted for, linked with Splink on DuckDB.

Padan (padan.py) resolves almost every record to a Dukcapil person; persons are then anchored on
the confirmed NIK, so all records of one person, in every source and twice in one, share it.
The few records left (their NIK unusable and their identity too weak or ambiguous against
Dukcapil) are linked probabilistically with the same Fellegi-Sunter model (`rest_*.sql`):

1. to the person of another record, when that record was resolved and Splink scores the pair
   as the same person (`rest_link.sql`: posterior among the candidate persons, identity weight);
2. among themselves: pairs above `rest_accept_probability` whose identity (name, birth date, sex)
   agrees are clustered with Splink's connected components; each cluster becomes one person
   without a confirmed NIK (TIDAK_PADAN).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import duckdb
from splink import Linker

from dtsen_assets.platform.sql import count_rows, run_sql
from dtsen_assets.unify import splink_runner
from dtsen_assets.unify.config import UnifyConfig

Log = Callable[[str], None]


def link_rest(connection: duckdb.DuckDBPyConnection, work: str, config: UnifyConfig, trained: dict[str, Any],
              dukcapil_rows: int, timings: dict[str, float], log: Log) -> None:
    run_sql(connection, "unify/rest_candidates", timings=timings, log=log, w=work)
    started = time.perf_counter()
    if count_rows(connection, f"{work}.unify_splink_rest_pairs"):
        splink_runner.score_pairs(
            connection, work, trained, ["unify_splink_rest_node"], "unify_splink_rest_pairs", "rest_prediction_raw",
            config.keep_match_weight, link_type="dedupe_only",
            probability_two_random_records_match=1.0 / max(dukcapil_rows, 2))
    else:
        connection.execute(f"""
            CREATE OR REPLACE TABLE {work}.rest_prediction_raw AS
            SELECT NULL::DOUBLE AS match_weight, NULL::DOUBLE AS match_probability, NULL::BIGINT AS unique_id_l,
                   NULL::BIGINT AS unique_id_r, NULL::DOUBLE AS mw_nik LIMIT 0""")
    identity = splink_runner.identity_weight_sql(connection, f"{work}.rest_prediction_raw")
    run_sql(connection, "unify/rest_link", timings=timings, log=log, w=work, identity_weight=identity,
        accept_probability=config.rest_accept_probability, min_identity_weight=config.min_identity_weight,
        min_identity_weight_named=config.min_identity_weight_named)
    _cluster(connection, work, trained, config.rest_accept_probability)
    timings["splink_rest"] = time.perf_counter() - started


def _cluster(connection: duckdb.DuckDBPyConnection, work: str, trained: dict[str, Any], threshold: float) -> None:
    """Connected components (Splink) over the accepted edges between still unmatched records."""
    connection.execute(f"CREATE OR REPLACE TABLE {work}.rest_cluster (cluster_id VARCHAR, unique_id BIGINT)")
    if not count_rows(connection, f"{work}.unify_splink_rest_cluster_node") or not count_rows(
            connection, f"{work}.unify_splink_rest_edges"):
        return
    settings = dict(trained)
    settings["link_type"] = "dedupe_only"
    with splink_runner.splink_api(connection, work) as api:
        nodes = api.register("unify_splink_rest_cluster_node")
        linker = Linker(nodes, settings, log_level=splink_runner.SPLINK_LOG_LEVEL)
        edges = api.register("unify_splink_rest_edges")
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            edges, threshold_match_probability=threshold)
        connection.execute(f"""
            INSERT INTO {work}.rest_cluster
            SELECT CAST(cluster_id AS VARCHAR), unique_id FROM {work}.{clusters.physical_name}""")

