"""Splink 5 on the warehouse connection: training the model, scoring given pairs, clustering.

Splink runs on a cursor of the warehouse connection whose default schema is the stage's
in-memory work schema, so its `__splink__*` tables land there and vanish with it. Input tables
are registered by bare name (Splink looks their columns up in information_schema by table
name), hence the `unify_splink_` prefix that no other schema uses.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from dtsen_assets.platform.sql import count_rows, single_threaded
from dtsen_assets.unify import model
from dtsen_assets.warehouse import raw_connection

# Floors for m and u probabilities Splink could not observe in training: a level never seen
# among matches (or non-matches) of the sample is rare, not impossible.
PROBABILITY_FLOOR = 1e-5
SPLINK_LOG_LEVEL = logging.WARNING
# Splink warns once per level EM could not observe; train() expects that (the level keeps its prior m)
# and says so in one line instead of one WARNING per level.
EM_LOGGER = "splink.internals.expectation_maximisation"
UNOBSERVED_LEVEL = re.compile(r"Level (?P<level>.+) on comparison (?P<comparison>\S+) not observed in dataset")


class _UnobservedLevels(logging.Filter):
    """Drops Splink's 'level not observed, unable to train m value' warnings and remembers the levels."""

    def __init__(self) -> None:
        super().__init__()
        self.levels: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        found = UNOBSERVED_LEVEL.search(record.getMessage())
        if found:
            self.levels.add(f"{found['comparison']}: {found['level']}")
        return not found


@contextmanager
def unobserved_levels() -> Iterator[set[str]]:
    """The levels Splink's EM could not observe while inside, without Splink's per-level warnings."""
    unobserved = _UnobservedLevels()
    logger = logging.getLogger(EM_LOGGER)
    logger.addFilter(unobserved)
    try:
        yield unobserved.levels
    finally:
        logger.removeFilter(unobserved)


@contextmanager
def splink_api(connection: duckdb.DuckDBPyConnection, work: str) -> Iterator[DuckDBAPI]:
    # Splink needs DuckDB's own connection class; it only reads the in-memory work schema.
    cursor = raw_connection(connection).cursor()
    cursor.execute(f"USE {work}")
    api = DuckDBAPI(connection=cursor)
    try:
        yield api
    finally:
        try:
            api.delete_tables_created_by_splink_from_db()
        finally:
            cursor.close()


TF_COLUMNS = ("name_full", "tgl_lahir")
TRAINING_TABLES = ("unify_splink_train_record", "unify_splink_train_dukcapil")


def _register_term_frequencies(api: DuckDBAPI, linker: Linker, prefix: str = "unify_tf_") -> None:
    for column in TF_COLUMNS:
        table = api.register(f"{prefix}{column}", table_name=f"{prefix}{column}_{id(linker)}")
        linker.table_management.register_term_frequency_lookup(table, column)


def _order_training_inputs(connection: duckdb.DuckDBPyConnection, work: str) -> None:
    """The sample in unique_id order, and the term frequencies of its values (`unify_train_tf_<column>`)
    in value order. Splink's EM adds up its sums in the order its joins give out rows, which follows
    the order of these tables, and a GROUP BY or a parallel join gives rows in a different order on
    every run: on a 1M drop that moved the m probabilities by 1e-17, and so match weights and links."""
    for table in TRAINING_TABLES:
        connection.execute(f"ALTER TABLE {work}.{table} RENAME TO {table}_unordered")
        connection.execute(f"CREATE TABLE {work}.{table} AS SELECT * FROM {work}.{table}_unordered ORDER BY unique_id")
        connection.execute(f"DROP TABLE {work}.{table}_unordered")
    for column in TF_COLUMNS:
        values = " UNION ".join(f"SELECT {column} FROM {work}.{table}" for table in TRAINING_TABLES)
        connection.execute(f"CREATE OR REPLACE TABLE {work}.unify_train_tf_{column} AS "
                           f"SELECT * FROM {work}.unify_tf_{column} WHERE {column} IN ({values}) ORDER BY {column}")


def train(connection: duckdb.DuckDBPyConnection, work: str, dukcapil_rows: int, u_max_pairs: float,
          seed: int, min_training_records: int, log=lambda message: None) -> dict[str, Any]:
    """The model's parameters: priors (model.DEFAULT_PARAMETERS), then u from random pairs
    (`estimate_u`) and m by Splink's EM, one session per training rule, on sorted inputs
    (`_order_training_inputs`) and one DuckDB thread, so that the same sample always gives the same
    parameters to the last bit, whatever order its tables were written in.

    A sample of fewer than `min_training_records` records keeps the priors. A level EM leaves
    unestimated keeps its prior m. Returns the model as Splink's settings dict.
    """
    settings = model.apply_default_parameters(model.settings(dukcapil_rows).create_settings_dict("duckdb"))
    priors = {(c["output_column_name"], level["label_for_charts"]): level["m_probability"]
              for c in settings["comparisons"] for level in c["comparison_levels"] if not level.get("is_null_level")}
    sample = count_rows(connection, f"{work}.unify_splink_train_record")
    if sample < min_training_records:
        log(f"unify: {sample} records to train on (< {min_training_records}): the model keeps its prior parameters")
        return settings
    estimate_u(connection, work, settings, u_max_pairs, seed)
    # sorted inputs and one thread: EM's sums add up in one order, the same sample gives the same model
    _order_training_inputs(connection, work)
    with single_threaded(connection), splink_api(connection, work) as api:
        records = api.register("unify_splink_train_record", dataset_display_name="record")
        dukcapil = api.register("unify_splink_train_dukcapil", dataset_display_name="dukcapil")
        linker = Linker([records, dukcapil], settings, log_level=SPLINK_LOG_LEVEL)
        _register_term_frequencies(api, linker, prefix="unify_train_tf_")
        with unobserved_levels() as unobserved:
            for rule in model.TRAINING_RULES:
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule, estimate_without_term_frequencies=True, fix_u_probabilities=True)
                except Exception as error:  # noqa: BLE001 - a session without pairs leaves the priors
                    log(f"unify: EM session on {rule!r} skipped ({type(error).__name__}); its levels keep their m")
        if unobserved:
            log(f"unify: {len(unobserved)} comparison level(s) not observed in an EM session (their m comes from "
                f"another session, else the prior): {'; '.join(sorted(unobserved))}")
        trained = linker.misc.save_model_to_json()
    trained.pop("linker_uid", None)      # a random id of this Linker object, not of the model
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m = level.get("m_probability")
            if not isinstance(m, (int, float)):
                level["m_probability"] = priors[(comparison["output_column_name"], level["label_for_charts"])]
    return floor_probabilities(trained)


def gamma_sql(comparison: dict[str, Any]) -> str:
    """The comparison vector value of a comparison as Splink numbers it (null level -1, else level 0)."""
    levels = comparison["comparison_levels"]
    scored = [level for level in levels if not level.get("is_null_level")]
    parts = ["CASE"]
    for level in levels:
        if level.get("is_null_level"):
            parts.append(f"WHEN {level['sql_condition']} THEN -1")
    for index, level in enumerate(scored):
        value = len(scored) - 1 - index
        if level["sql_condition"].strip().upper() == "ELSE":
            parts.append(f"ELSE {value}")
        else:
            parts.append(f"WHEN {level['sql_condition']} THEN {value}")
    if parts[-1].startswith("WHEN"):
        parts.append("ELSE 0")
    return " ".join(parts) + " END"


def estimate_u(connection: duckdb.DuckDBPyConnection, work: str, settings: dict[str, Any], max_pairs: float,
               seed: int) -> None:
    """u of every level: its share among random (record, Dukcapil person) pairs, which are non-matches.

    This is what Splink's `estimate_u_using_random_sampling` computes; it is done here in one SQL
    pass over a deterministic sample (training records and Dukcapil persons first by a hash; the
    persons are drawn from all of Dukcapil, so the pairs are practically all non-matches), because Splink 5
    re-samples and re-compares once per comparison, which cost 5-20 s on the same pairs.
    Fills `u_probability` (floored) into `settings` and marks it fixed for EM.
    """
    side = max(int(math.sqrt(max_pairs)), 10)
    columns = sorted({c for c in model.SEARCH_COLUMNS if c not in ("unique_id", "source_dataset")})
    select = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in columns)
    gammas = ", ".join(f"{gamma_sql(c)} AS gamma_{i}" for i, c in enumerate(settings["comparisons"]))
    connection.execute(f"""
        CREATE OR REPLACE TABLE {work}.unify_u_vectors AS
        WITH l AS (SELECT * FROM {work}.unify_splink_train_record ORDER BY hash(unique_id + {seed}), unique_id LIMIT {side}),
             r AS (SELECT * FROM {work}.search_dukcapil ORDER BY hash(unique_id + {seed}), unique_id LIMIT {side}),
             pairs AS (SELECT {select} FROM l CROSS JOIN r)
        SELECT {gammas} FROM pairs
    """)
    connection.execute(f"""
        CREATE OR REPLACE TABLE {work}.unify_u_counts AS
        {" UNION ALL ".join(f"SELECT {i} AS comparison, gamma_{i} AS gamma, count(*) AS pairs FROM {work}.unify_u_vectors GROUP BY ALL"
                            for i in range(len(settings["comparisons"])))}
    """)
    counts: dict[tuple[int, int], int] = {
        (int(c), int(g)): int(n) for c, g, n in connection.execute(f"SELECT * FROM {work}.unify_u_counts").fetchall()}
    for index, comparison in enumerate(settings["comparisons"]):
        scored = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        total = sum(n for (c, g), n in counts.items() if c == index and g >= 0)
        for position, level in enumerate(scored):
            gamma = len(scored) - 1 - position
            observed = counts.get((index, gamma), 0) / total if total else 0.0
            level["u_probability"] = max(observed, PROBABILITY_FLOOR)
            level["fix_u_probability"] = True


def floor_probabilities(settings: dict[str, Any]) -> dict[str, Any]:
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            for key in ("m_probability", "u_probability"):
                value = level.get(key)
                if not isinstance(value, (int, float)) or value < PROBABILITY_FLOOR:
                    level[key] = PROBABILITY_FLOOR
    return settings


def score_pairs(connection: duckdb.DuckDBPyConnection, work: str, trained: dict[str, Any], inputs: list[str],
                pairs: str, output: str, keep_match_weight: float, link_type: str = "link_only",
                probability_two_random_records_match: float | None = None) -> None:
    """Score exactly the pairs of table `pairs` (match_key, join_key_l, join_key_r) with the model.

    `inputs` are the registered tables (one for dedupe, two for a link); the predictions land in
    `<work>.<output>` with Splink's columns (match_weight, match_probability, unique_id_l/_r,
    source_dataset_l/_r for links, mw_<comparison> and the term-frequency parts).
    """
    settings = dict(trained)
    settings["link_type"] = link_type
    settings["retain_intermediate_calculation_columns"] = True
    settings["retain_matching_columns"] = False
    if probability_two_random_records_match is not None:
        settings["probability_two_random_records_match"] = probability_two_random_records_match
    with splink_api(connection, work) as api:
        frames = [api.register(name, dataset_display_name=name.removeprefix("unify_splink_")) for name in inputs]
        linker = Linker(frames if len(frames) > 1 else frames[0], settings, log_level=SPLINK_LOG_LEVEL)
        _register_term_frequencies(api, linker)
        linker.table_management.register_blocked_pairs_for_predict(api.register(pairs))
        predictions = linker.inference.predict(threshold_match_weight=keep_match_weight, warning_mode="never")
        # renamed, not copied: Splink's own clean-up drops its tables only if they still exist
        connection.execute(f"DROP TABLE IF EXISTS {work}.{output}")
        connection.execute(f"ALTER TABLE {work}.{predictions.physical_name} RENAME TO {output}")


IDENTITY_COMPARISONS = ("nama", "tgl_lahir", "jenis_kelamin")


def identity_weight_sql(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL for the weight of the person's own identity: name, birth date and sex (with their
    term-frequency adjustments). Not the NIK, and not the village or family card, which a
    relative whose NIK was copied shares too."""
    columns = [row[0] for row in connection.execute(f"DESCRIBE {table}").fetchall()]
    parts = [c for c in columns
             if any(c in (f"mw_{name}", f"mw_tf_adj_{name}") for name in IDENTITY_COMPARISONS)]
    return " + ".join(f"coalesce({c}, 0)" for c in parts) or "0"


def model_parameters(trained: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per comparison level: m, u and the match weight log2(m/u), for review."""
    rows = []
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if isinstance(m, (int, float)) and isinstance(u, (int, float)) and m > 0 and u > 0 else None
            rows.append({"comparison": comparison["output_column_name"], "level": level.get("label_for_charts"),
                         "m": m, "u": u, "match_weight": weight,
                         "tf_adjusted": bool(level.get("tf_adjustment_column"))})
    return rows
