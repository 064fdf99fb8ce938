"""The unify stage end to end: staging.* in, the published tables staged (not yet published).

    prepare  -> padan step 1 (own NIK) -> model training -> padan step 2 (candidate search)
             -> the rest (linkage among records) -> persons -> families -> verivali outcomes

`stage_unify` leaves `dtsen.person__staging`, `dtsen.person_source__staging`,
`dtsen.family__staging`, `unify.verivali_outcome__staging` and `unify.linkage_model__staging`
in the warehouse and returns what the checks and the metadata need; the asset evaluates the
checks and publishes all five in one transaction only when every blocking check passed.
Everything heavy runs in DuckDB; nothing loads a whole table into Python.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from dtsen_assets.checks.core import CheckOutcome
from dtsen_assets.checks.unify import evaluate_unify_checks
from dtsen_assets.unify import families, linkage, padan, splink_runner
from dtsen_assets.unify.plausibility import DEFAULT_PLAUSIBILITY, KARANTINA_TABLE
from dtsen_assets.unify.config import UnifyConfig
from dtsen_assets.unify.metadata import collect_figures
from dtsen_assets.unify.sql import drop_work_schema, run, sql_literal, work_schema
from dtsen_assets.warehouse import drop_staging, publish, staging_table

PERSON_TABLE = "dtsen.person"
PERSON_SOURCE_TABLE = "dtsen.person_source"
FAMILY_TABLE = "dtsen.family"
VERIVALI_OUTCOME_TABLE = "unify.verivali_outcome"
LINKAGE_MODEL_TABLE = "unify.linkage_model"
PUBLISHED_TABLES: tuple[str, ...] = (PERSON_TABLE, PERSON_SOURCE_TABLE, FAMILY_TABLE)
LINEAGE_TABLES: tuple[str, ...] = (VERIVALI_OUTCOME_TABLE, LINKAGE_MODEL_TABLE, KARANTINA_TABLE)
ALL_TABLES: tuple[str, ...] = (*PUBLISHED_TABLES, *LINEAGE_TABLES)

Log = Callable[[str], None]


@dataclass
class UnifyResult:
    trained_model: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    outcomes: list[CheckOutcome] = field(default_factory=list)
    published: bool = False


def run_unify(connection: duckdb.DuckDBPyConnection, config: UnifyConfig | None = None,
              log: Log = lambda message: None) -> UnifyResult:
    """Stage, check and (when every blocking check passed) publish: write, audit, publish."""
    config = config or UnifyConfig()
    result = stage_unify(connection, config, log)
    started = time.perf_counter()
    result.outcomes = evaluate_unify_checks(
        connection, staging_table(PERSON_TABLE), staging_table(PERSON_SOURCE_TABLE), staging_table(FAMILY_TABLE),
        config.max_tidak_padan_share, config.max_unknown_code_share, karantina=staging_table(KARANTINA_TABLE))
    result.timings["checks"] = time.perf_counter() - started
    if any(o.blocking and not o.passed for o in result.outcomes):
        drop_staging(connection, ALL_TABLES)
        return result
    started = time.perf_counter()
    publish(connection, ALL_TABLES)
    result.timings["publish"] = time.perf_counter() - started
    result.published = True
    return result


def stage_unify(connection: duckdb.DuckDBPyConnection, config: UnifyConfig | None = None,
                log: Log = lambda message: None) -> UnifyResult:
    """Build every unify table under its `__staging` name; return the model, figures and timings."""
    config = config or UnifyConfig()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    connection.execute("CREATE SCHEMA IF NOT EXISTS dtsen")
    connection.execute("CREATE SCHEMA IF NOT EXISTS unify")
    work = work_schema(connection)
    previous_limit = connection.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    if config.memory_limit:
        connection.execute("SET memory_limit = ?", [config.memory_limit])
    try:
        as_of = config.as_of()
        run(connection, "name_macros", timings, log)
        run(connection, "prepare_names", timings, log, w=work)
        run(connection, "prepare_records", timings, log, w=work, age_reference_year=int(config.age_reference_year),
            current_yy=as_of.year % 100)
        run(connection, "prepare_dukcapil", timings, log, w=work)
        padan.confirm_exact_nik(connection, work, config, timings, log)
        trained = padan.train_model(connection, work, config, timings, log)
        padan.search_dukcapil(connection, work, config, trained, timings, log)
        run(connection, "padan_match", timings, log, w=work)
        _drop(connection, work, "search_fallback_record", "unify_splink_search_record",
              "unify_splink_search_dukcapil", "unify_splink_search_pairs", "search_prediction_raw",
              "unify_splink_train_record", "unify_splink_train_dukcapil", "unify_u_vectors")
        linkage.link_rest(connection, work, config, trained, padan.dukcapil_rows(connection, work), timings, log)
        run(connection, "record_match", timings, log, w=work)
        _drop(connection, work, "name_feature", "search_prediction", "rest_side", "unify_splink_rest_node")
        salt = sql_literal(config.person_id_salt)
        run(connection, "person", timings, log, w=work, salt=salt)
        run(connection, "family", timings, log, w=work, salt=salt, as_of=as_of.isoformat(),
            regsosek_date=config.regsosek_reference_date, welfare_columns=families.welfare_columns_sql(),
            welfare_list=", ".join(families.WELFARE_VARIABLES), family_table=staging_table(FAMILY_TABLE))
        run(connection, "family_karantina", timings, log, w=work, as_of=as_of.isoformat(),
            max_members=DEFAULT_PLAUSIBILITY.max_members, max_age=DEFAULT_PLAUSIBILITY.max_age,
            karantina_table=staging_table(KARANTINA_TABLE))
        run(connection, "outputs", timings, log, w=work, person_table=staging_table(PERSON_TABLE),
            person_source_table=staging_table(PERSON_SOURCE_TABLE), family_table=staging_table(FAMILY_TABLE))
        run(connection, "verivali_outcome", timings, log, w=work, outcome_table=staging_table(VERIVALI_OUTCOME_TABLE))
        _stage_model_table(connection, trained)
        figures = collect_figures(connection, work, staging_table(FAMILY_TABLE))
    finally:
        drop_work_schema(connection, work)
        if config.memory_limit:
            connection.execute("SET memory_limit = ?", [previous_limit])
    timings["total"] = time.perf_counter() - started
    return UnifyResult(trained_model=trained, figures=figures, timings=timings)


def _drop(connection: duckdb.DuckDBPyConnection, work: str, *tables: str) -> None:
    """Free working tables no later step reads (the work schema lives in memory)."""
    for table in tables:
        connection.execute(f"DROP TABLE IF EXISTS {work}.{table}")


def _stage_model_table(connection: duckdb.DuckDBPyConnection, trained: dict[str, Any]) -> None:
    """unify.linkage_model: one row per comparison level (m, u, weight) and the whole model as JSON."""
    rows = splink_runner.model_parameters(trained)
    table = staging_table(LINKAGE_MODEL_TABLE)
    connection.execute(f"""
        CREATE OR REPLACE TABLE {table} (comparison VARCHAR, level VARCHAR, m_probability DOUBLE,
            u_probability DOUBLE, match_weight DOUBLE, tf_adjusted BOOLEAN, model_json VARCHAR)""")
    model_json = json.dumps(trained, sort_keys=True, default=str)
    connection.executemany(
        f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[r["comparison"], r["level"], r["m"], r["u"], r["match_weight"], r["tf_adjusted"],
          model_json if i == 0 else None] for i, r in enumerate(rows)])
