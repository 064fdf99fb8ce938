"""The evidence behind unify's decisions, kept as tables (`unify.match_evidence`,
`unify.person_value_source`, `unify.family_value_source`) so that an auditor can follow a person
from the source records to the family and its desil without rerunning anything.

Three hooks in the pipeline, all plain SQL over the working tables before they are dropped:
`keep_search_evidence` right after the candidate search (`sql/unify/evidence_search.sql`: best
candidate, runner-up, the level and weight of every field), `stage_match_evidence` once every record
is matched (`sql/unify/match_evidence.sql`), and `stage_evidence_tables` after the published tables
are staged (`sql/unify/evidence_tables.sql`). The tables are published with the other unify tables,
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from dtsen_assets.platform.sql import quote_literal, run_sql
from dtsen_assets.unify.splink_runner import model_parameters

MATCH_EVIDENCE_TABLE = "unify.match_evidence"
PERSON_VALUE_SOURCE_TABLE = "unify.person_value_source"
FAMILY_VALUE_SOURCE_TABLE = "unify.family_value_source"
EVIDENCE_TABLES: tuple[str, ...] = (MATCH_EVIDENCE_TABLE, PERSON_VALUE_SOURCE_TABLE, FAMILY_VALUE_SOURCE_TABLE)

Log = Callable[[str], None]


def field_evidence_sql(trained: dict[str, Any], columns: list[str]) -> str:
    """SQL for a list of (field, level, weight) over Splink's prediction columns.

    Splink keeps each field's match weight (mw_<field>, plus mw_tf_adj_<field> for a term-frequency
    adjusted level) but not the comparison vector, so the level is named by its weight: every level
    of the trained model has its own log2(m/u); the null level (one side does not say) weighs 0.
    Two levels with the same weight (both at the probability floor) are named by the more alike one.
    """
    present = set(columns)
    parts = []
    for comparison in trained["comparisons"]:
        name = comparison["output_column_name"]
        column = f"mw_{name}"
        if column not in present:
            continue
        null_label = next((level["label_for_charts"] for level in comparison["comparison_levels"]
                           if level.get("is_null_level")), "unknown")
        cases = [f"WHEN {column} IS NULL OR abs({column}) < 1e-9 THEN {quote_literal(null_label)}"]
        for row in (r for r in model_parameters({"comparisons": [comparison]}) if r["match_weight"] is not None):
            cases.append(f"WHEN abs({column} - ({row['match_weight']!r})) < 1e-6 THEN {quote_literal(row['level'])}")
        weight = " + ".join(f"coalesce({c}, 0)" for c in (column, f"mw_tf_adj_{name}") if c in present)
        parts.append(f"{{'field': {quote_literal(name)}, 'level': CASE {' '.join(cases)} END, "
                     f"'weight': round(({weight})::DOUBLE, 2)}}")
    if not parts:
        return "[]::STRUCT(field VARCHAR, level VARCHAR, weight DOUBLE)[]"
    return "[" + ", ".join(parts) + "]"


def keep_search_evidence(connection: duckdb.DuckDBPyConnection, work: str, trained: dict[str, Any],
                         timings: dict[str, float], log: Log) -> None:
    """{work}.evidence_search: the candidate search's best candidate and runner-up per record."""
    columns = [row[0] for row in connection.execute(f"DESCRIBE {work}.search_prediction_raw").fetchall()]
    run_sql(connection, "unify/evidence_search", timings=timings, log=log, w=work, field_evidence=field_evidence_sql(trained, columns))


def stage_match_evidence(connection: duckdb.DuckDBPyConnection, work: str,
                         staging_name: Callable[[str], str], timings: dict[str, float], log: Log) -> None:
    """Stage unify.match_evidence (right after record_match.sql: the matching steps' tables can then go)."""
    run_sql(connection, "unify/match_evidence", timings=timings, log=log, w=work,
            match_evidence_table=staging_name(MATCH_EVIDENCE_TABLE))


def stage_evidence_tables(connection: duckdb.DuckDBPyConnection, work: str, family_table: str,
                          staging_name: Callable[[str], str], timings: dict[str, float], log: Log) -> None:
    """Stage unify.person_value_source and unify.family_value_source."""
    run_sql(connection, "unify/evidence_tables", timings=timings, log=log, w=work, family_table=family_table,
        person_value_source_table=staging_name(PERSON_VALUE_SOURCE_TABLE),
        family_value_source_table=staging_name(FAMILY_VALUE_SOURCE_TABLE))
