"""The unify stage end to end: staging.* in, the published tables staged (not yet published).

    prepare  -> padan step 1 (own NIK) -> model training -> padan step 2 (candidate search)
             -> the rest (linkage among records) -> persons -> families -> verivali outcomes

`stage_unify` leaves `dtsen.person__staging`, `dtsen.person_source__staging`,
`dtsen.family__staging`, `unify.verivali_outcome__staging`, `unify.linkage_model__staging` and
`unify.person_id_history__staging` and the evidence tables (`unify.match_evidence`,
`unify.person_value_source`, `unify.family_value_source`; `evidence.py`) in the warehouse and returns
what the checks and the metadata need. It judges nothing: the asset sends it through the gate
(`dtsen_assets.platform.gate`), which evaluates `dtsen_assets.checks.unify` and publishes all of them in
one transaction only when every blocking check passed. Person ids continue from the published tables
(person_key.sql, ids.py).
Everything heavy runs in DuckDB; nothing loads a whole table into Python.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from dtsen_assets.platform.sql import Timings, count_rows, drop_schema, run_sql, work_schema
from dtsen_assets.unify import evidence, families, ids, linkage, padan, splink_runner
from dtsen_assets.unify.plausibility import DEFAULT_PLAUSIBILITY, KARANTINA_TABLE
from dtsen_assets.unify.config import UnifyConfig
from dtsen_assets.unify.metadata import person_figures, record_figures
from dtsen_assets.warehouse import staging_table, table_exists

PERSON_TABLE = "dtsen.person"
PERSON_SOURCE_TABLE = "dtsen.person_source"
FAMILY_TABLE = "dtsen.family"
VERIVALI_OUTCOME_TABLE = "unify.verivali_outcome"
LINKAGE_MODEL_TABLE = "unify.linkage_model"
PERSON_ID_HISTORY_TABLE = "unify.person_id_history"
PUBLISHED_TABLES: tuple[str, ...] = (PERSON_TABLE, PERSON_SOURCE_TABLE, FAMILY_TABLE)
LINEAGE_TABLES: tuple[str, ...] = (VERIVALI_OUTCOME_TABLE, LINKAGE_MODEL_TABLE, PERSON_ID_HISTORY_TABLE,
                                   KARANTINA_TABLE, *evidence.EVIDENCE_TABLES)
ALL_TABLES: tuple[str, ...] = (*PUBLISHED_TABLES, *LINEAGE_TABLES)

Log = Callable[[str], None]


@dataclass
class UnifyResult:
    trained_model: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    tables: tuple[str, ...] = ALL_TABLES          # what was staged, to publish together


def stage_unify(connection: duckdb.DuckDBPyConnection, config: UnifyConfig | None = None,
                log: Log = lambda message: None, id_key: str | None = None) -> UnifyResult:
    """Build every unify table under its `__staging` name; return the model, figures and timings."""
    config = config or UnifyConfig()
    key = ids.ensure_id_key(connection, id_key)
    timings = Timings(per_statement=config.profile_statements)
    started = time.perf_counter()
    connection.execute("CREATE SCHEMA IF NOT EXISTS dtsen")
    connection.execute("CREATE SCHEMA IF NOT EXISTS unify")
    work = work_schema(connection, "unify_work")
    try:
        as_of = config.as_of()
        run_sql(connection, "unify/name_macros", timings=timings, log=log)
        run_sql(connection, "unify/prepare_names", timings=timings, log=log, w=work)
        run_sql(connection, "unify/prepare_records", timings=timings, log=log, w=work, age_reference_year=int(config.age_reference_year),
            current_yy=as_of.year % 100)
        run_sql(connection, "unify/prepare_dukcapil", timings=timings, log=log, w=work)
        padan.confirm_exact_nik(connection, work, config, timings, log)
        trained = padan.train_model(connection, work, config, timings, log)
        padan.search_dukcapil(connection, work, config, trained, timings, log)
        run_sql(connection, "unify/padan_match", timings=timings, log=log, w=work)
        evidence.keep_search_evidence(connection, work, trained, timings, log)
        # what the figures count of tables no later step reads, counted now so they can go
        counts = {table: count_rows(connection, f"{work}.{table}") for table in ("search_record", "search_candidate")}
        _drop(connection, work, "search_fallback_record", "unify_splink_search_record",
              "unify_splink_search_dukcapil", "unify_splink_search_pairs", "search_prediction_raw",
              "unify_splink_train_record", "unify_splink_train_dukcapil", "unify_u_vectors", "search_record",
              "search_candidate")
        linkage.link_rest(connection, work, config, trained, padan.dukcapil_rows(connection, work), timings, log)
        run_sql(connection, "unify/record_match", timings=timings, log=log, w=work)
        evidence.stage_match_evidence(connection, work, staging_table, timings, log)
        counts["rest_pair"] = count_rows(connection, f"{work}.rest_pair")
        began = time.perf_counter()
        figures = record_figures(connection, work, counts)
        timings["figures"] = time.perf_counter() - began
        _drop(connection, work, "name_feature", "search_prediction", "unify_splink_rest_node", "rest_pair",
              "rest_record", "rest_prediction", "rest_prediction_raw", "unify_splink_rest_pairs",
              "unify_splink_rest_cluster_node", "unify_splink_rest_edges", "rest_cluster", "padan_match",
              "unify_tf_name_full", "unify_tf_tgl_lahir", "exact_pair", "evidence_search", "rest_link", "nik_claim",
              "search_match")
        _drop_matching_columns(connection, work)
        with ids.id_key_bound(connection, key):
            run_sql(connection, "unify/person_key", timings=timings, log=log, w=work, **_previous_release(connection),
                history_table=staging_table(PERSON_ID_HISTORY_TABLE))
            _drop(connection, work, "person_natural", "previous_person_id", "history_before", "history_new",
                  "person_claim", "person_inherit", "person_lineage_vote")
            run_sql(connection, "unify/person", timings=timings, log=log, w=work, as_of=as_of.isoformat())
            # persons are built: the records, their families' cards and the record keys are not read again
            _drop(connection, work, "person_key", "person_attr", "person_identity", "record", "family_context")
            run_sql(connection, "unify/family", timings=timings, log=log, w=work,
                regsosek_date=config.regsosek_reference_date, welfare_columns=families.welfare_columns_sql(),
                welfare_list=", ".join(families.WELFARE_VARIABLES), family_table=staging_table(FAMILY_TABLE))
            _drop(connection, work, "family_record")
        run_sql(connection, "unify/family_karantina", timings=timings, log=log, w=work, as_of=as_of.isoformat(),
            max_members=DEFAULT_PLAUSIBILITY.max_members, max_age=DEFAULT_PLAUSIBILITY.max_age,
            karantina_table=staging_table(KARANTINA_TABLE))
        run_sql(connection, "unify/outputs", timings=timings, log=log, w=work, person_table=staging_table(PERSON_TABLE),
            person_source_table=staging_table(PERSON_SOURCE_TABLE), family_table=staging_table(FAMILY_TABLE))
        _drop(connection, work, "family_base")
        run_sql(connection, "unify/verivali_outcome", timings=timings, log=log, w=work, outcome_table=staging_table(VERIVALI_OUTCOME_TABLE))
        evidence.stage_evidence_tables(connection, work, staging_table(FAMILY_TABLE), staging_table, timings, log)
        _stage_model_table(connection, trained)
        began = time.perf_counter()
        figures.update(person_figures(connection, work, staging_table(FAMILY_TABLE), figures["records_by_source"]))
        timings["figures"] += time.perf_counter() - began
    finally:
        drop_schema(connection, work)
    timings["total"] = time.perf_counter() - started
    return UnifyResult(trained_model=trained, figures=figures, timings=timings)


def _previous_release(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The published person, lineage and id-history tables person_key.sql continues from (empty when none)."""
    empty = {
        "previous_person": "(SELECT NULL::VARCHAR AS person_id WHERE false)",
        "previous_source": ("(SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS source_record_id, "
                            "NULL::VARCHAR AS person_id WHERE false)"),
        "previous_history": ("(SELECT NULL::VARCHAR AS retired_id, NULL::VARCHAR AS person_id, "
                             "NULL::VARCHAR AS reason, NULL::TIMESTAMP AS first_seen_at WHERE false)"),
    }
    tables = {"previous_person": PERSON_TABLE, "previous_source": PERSON_SOURCE_TABLE,
              "previous_history": PERSON_ID_HISTORY_TABLE}
    return {name: (table if table_exists(connection, table) else empty[name]) for name, table in tables.items()}


def _drop(connection: duckdb.DuckDBPyConnection, work: str, *tables: str) -> None:
    """Free working tables no later step reads (the work schema lives in memory)."""
    for table in tables:
        connection.execute(f"DROP TABLE IF EXISTS {work}.{table}")


# Columns of {work}.record and {work}.dukcapil only the matching reads (prepare_*.sql,
# search_columns.sql): dropped once every record is matched, so the persons and families that follow
# are built with less memory in use (the views over them go first).
MATCHING_COLUMNS = {
    "record": ("name_tokens", "name_full", "name_sorted", "name_words", "name_letters", "name_initials", "first_token",
               "last_token", "nik_digits", "nik_sex", "nik_birth", "birth_year_a", "birth_year_b", "kode_kec", "kode_kab"),
    "dukcapil": ("name_tokens", "name_full", "name_sorted", "name_words", "name_letters", "name_initials",
                 "first_token", "last_token", "kode_kec", "kode_kab"),
}


def _drop_matching_columns(connection: duckdb.DuckDBPyConnection, work: str) -> None:
    for view in ("record_side", "search_dukcapil"):
        connection.execute(f"DROP VIEW IF EXISTS {work}.{view}")
    for table, columns in MATCHING_COLUMNS.items():
        for column in columns:
            connection.execute(f"ALTER TABLE {work}.{table} DROP COLUMN {column}")


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
