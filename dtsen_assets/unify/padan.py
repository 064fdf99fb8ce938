"""Padan Dukcapil: which Dukcapil person (NIK) each source record is.

Step 1 (`padan_exact.sql`): a record whose NIK is a Dukcapil NIK and whose identity agrees
(name, birth date, sex) is PADAN on that NIK. Deterministic; about nine records in ten.

Step 2 (the candidate search): every other record (NIK empty, all zeros, too short or long,
mistyped, or belonging to someone else: NIK ganda) is compared with Dukcapil persons found by
blocking (`search_candidates.sql`: NIK fragments, the family card its confirmed relatives are
on, birth date, village and name tokens). Splink scores the pairs with the Fellegi-Sunter model
of `model.py`, trained on the drop itself (u from random pairs, m by EM). A record takes its
best candidate when

* the posterior of that candidate, among all its candidates and the possibility that the person
  is not in Dukcapil at all (prior `not_in_dukcapil_prior`), is at least
  `search_accept_probability`: P(c) = 2^w_c (1-q) / ((1-q) sum_j 2^w_j + q), w the match weight
  with prior 1/N (N persons in Dukcapil), q the prior; and
* the identity itself (name, birth date, sex: not the NIK, village or card, which a relative
  whose NIK was copied shares) brings at least `min_identity_weight` bits, or, when the record
  names the candidate itself (its NIK within one edit, or a village meeting's NIK_BARU), at least
  `min_identity_weight_named` (it must only not contradict it). So a NIK never makes a match by
  itself, and two people sharing one NIK stay two people.

The NIK a record ends with is reported by method (`search_resolve.sql`): corrected (one or two
edits from what the record shows), NIK ganda resolved, found without a usable NIK, or the NIK
a village meeting proposed (PERBAIKAN_NIK) confirmed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import duckdb

from dtsen_assets.platform.sql import count_rows, run_sql
from dtsen_assets.unify import splink_runner
from dtsen_assets.unify.config import UnifyConfig

Log = Callable[[str], None]


def confirm_exact_nik(connection: duckdb.DuckDBPyConnection, work: str, config: UnifyConfig,
                      timings: dict[str, float], log: Log) -> None:
    """Step 1, then the family context of every source family, the verivali NIK claims and the
    search columns of both sides."""
    run_sql(connection, "unify/padan_exact", timings=timings, log=log, w=work,
        min_name_score=config.exact_min_name_score,
        min_name_score_without_date=config.exact_min_name_score_without_date,
        min_name_score_near_date=config.exact_min_name_score_near_date)
    run_sql(connection, "unify/family_context", timings=timings, log=log, w=work)
    run_sql(connection, "unify/verivali_claims", timings=timings, log=log, w=work)
    run_sql(connection, "unify/search_columns", timings=timings, log=log, w=work)


def train_model(connection: duckdb.DuckDBPyConnection, work: str, config: UnifyConfig,
                timings: dict[str, float], log: Log) -> dict[str, Any]:
    """Term frequencies over all of Dukcapil, the training sample, then the model (splink_runner.train)."""
    run_sql(connection, "unify/term_frequencies", timings=timings, log=log, w=work)
    records = count_rows(connection, f"{work}.record")
    persons = dukcapil_rows(connection, work)
    run_sql(connection, "unify/training_sample", timings=timings, log=log, w=work, seed=int(config.seed),
        record_share_millionths=_millionths(config.training_records, records),
        extra_share_millionths=_millionths(config.training_dukcapil_extra, persons))
    started = time.perf_counter()
    trained = splink_runner.train(connection, work, persons, config.u_max_pairs, config.seed,
                                  config.min_training_records, log)
    timings["splink_training"] = time.perf_counter() - started
    log(f"unify: Splink model trained in {timings['splink_training']:.1f} s")
    return trained


def search_dukcapil(connection: duckdb.DuckDBPyConnection, work: str, config: UnifyConfig,
                    trained: dict[str, Any], timings: dict[str, float], log: Log) -> None:
    """Step 2: candidates by blocking, scored by Splink, resolved into {work}.search_match."""
    run_sql(connection, "unify/search_candidates", timings=timings, log=log, w=work)
    run_sql(connection, "unify/search_splink_input", timings=timings, log=log, w=work)
    started = time.perf_counter()
    if count_rows(connection, f"{work}.unify_splink_search_pairs"):
        splink_runner.score_pairs(
            connection, work, trained, ["unify_splink_search_record", "unify_splink_search_dukcapil"],
            "unify_splink_search_pairs", "search_prediction_raw", config.keep_match_weight)
    else:
        _empty_predictions(connection, work, "search_prediction_raw")
    timings["splink_search"] = time.perf_counter() - started
    log(f"unify: Splink scored the candidate search in {timings['splink_search']:.1f} s")
    identity = splink_runner.identity_weight_sql(connection, f"{work}.search_prediction_raw")
    run_sql(connection, "unify/search_resolve", timings=timings, log=log, w=work, identity_weight=identity,
        none_odds=_none_odds(config.not_in_dukcapil_prior),
        accept_probability=config.search_accept_probability,
        min_identity_weight=config.min_identity_weight,
        min_identity_weight_named=config.min_identity_weight_named)


def dukcapil_rows(connection: duckdb.DuckDBPyConnection, work: str) -> int:
    return count_rows(connection, f"{work}.dukcapil")


def _millionths(wanted: int, available: int) -> int:
    """The share wanted/available in millionths (all when fewer are available)."""
    return 1_000_000 if available <= wanted else max(1, int(1_000_000 * wanted / available))


def _none_odds(prior: float) -> float:
    prior = min(max(prior, 1e-9), 1 - 1e-9)
    return prior / (1 - prior)


def _empty_predictions(connection: duckdb.DuckDBPyConnection, work: str, table: str) -> None:
    connection.execute(f"""
        CREATE OR REPLACE TABLE {work}.{table} AS
        SELECT NULL::DOUBLE AS match_weight, NULL::DOUBLE AS match_probability,
               NULL::VARCHAR AS source_dataset_l, NULL::BIGINT AS unique_id_l,
               NULL::VARCHAR AS source_dataset_r, NULL::BIGINT AS unique_id_r, NULL::DOUBLE AS mw_nik
        LIMIT 0""")
