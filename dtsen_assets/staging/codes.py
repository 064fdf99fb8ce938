"""Codes to canonical values, driven by the codebook table (never by maps in code)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from dtsen_assets.platform.sql import quote_identifier, quote_literal, run_sql
from dtsen_assets.warehouse import resolve_table


@dataclass(frozen=True)
class Feed:
    """A coded raw column feeding one canonical variable (one row of temp table coded_column)."""

    number: int
    raw_column: str
    canonical_variable: str

    @property
    def alias(self) -> str:
        return f"k{self.number}"


def decode_codes(
    connection: duckdb.DuckDBPyConnection,
    source: str,
    raw_table: str,
    record_id: str,
    canonical_variables: Sequence[str],
    target: str,
) -> list[str]:
    """Decode every coded column of `raw_table` into temp table `target`.

    `target` has `record_id` (the SQL expression `record_id` over the raw table), one column per
    name in `canonical_variables` (NULL where the source has no such variable or the code is
    unknown or empty) and `code_problems`. Which columns are coded, and what they feed, is read
    off staging.codebook. Returns the coded raw columns.
    """
    schema, table = resolve_table(connection, raw_table).split(".")   # this run's version, else the published
    run_sql(connection, "staging/coded_columns", [source, schema, table])
    feeds = [Feed(int(n), column, variable) for n, column, variable in connection.execute(
        "SELECT feed, raw_column, canonical_variable FROM coded_column ORDER BY feed").fetchall()]
    coded = sorted({feed.raw_column for feed in feeds})
    if not coded:
        raise ValueError(f"{raw_table}: no column of the table is in the codebook for source {source!r}")
    lookup = f"{target}_lookup"
    run_sql(
        connection,
        "staging/code_lookup",
        target=lookup,
        source=quote_literal(source),
        found_values="\n    UNION ALL\n    ".join(
            f"SELECT DISTINCT {quote_literal(c)} AS raw_column, {quote_identifier(c)} AS code FROM {raw_table}"
            for c in coded),
    )
    skip_rules = connection.execute("SELECT variable, when_variable, when_value FROM skip_rule").fetchall()
    run_sql(
        connection,
        "staging/decode_codes",
        target=target,
        raw_table=raw_table,
        record_id=record_id,
        coded_columns=", ".join(quote_identifier(c) for c in coded),
        decoded_values=",\n    ".join(_decoded_value(feeds, v) for v in canonical_variables),
        code_problems=",\n        ".join(_problem(feed, feeds, skip_rules) for feed in feeds),
        lookups="\n".join(
            f"LEFT JOIN {lookup} AS {f.alias} ON {f.alias}.feed = {f.number} "
            f"AND r.{quote_identifier(f.raw_column)} IS NOT DISTINCT FROM {f.alias}.raw_value"
            for f in feeds),
    )
    connection.execute(f"DROP TABLE {lookup}")
    return coded


def _decoded_value(feeds: Sequence[Feed], variable: str) -> str:
    """The value of `variable`: from the feed(s) of the variable, NULL when no column feeds it."""
    values = [f"{f.alias}.canonical_value" for f in feeds if f.canonical_variable == variable]
    expression = (values[0] if len(values) == 1 else f"coalesce({', '.join(values)})") if values else "NULL::VARCHAR"
    return f"{expression} AS {quote_identifier(variable)}"


def _problem(feed: Feed, feeds: Sequence[Feed], skip_rules: Sequence[tuple[str, str, str]]) -> str:
    """The feed's problem, unless it is an empty cell of a question skipped for this record."""
    skipped = [f"{f.alias}.canonical_value = {quote_literal(when_value)}"
               for variable, when_variable, when_value in skip_rules if variable == feed.canonical_variable
               for f in feeds if f.canonical_variable == when_variable]
    if not skipped:
        return f"{feed.alias}.problem"
    return (f"CASE WHEN starts_with({feed.alias}.problem, 'code_empty:') AND ({' OR '.join(skipped)}) "
            f"THEN NULL ELSE {feed.alias}.problem END")


def decode_sources(connection: duckdb.DuckDBPyConnection, sources: Sequence[tuple[str, str]],
                   canonical_variables: Sequence[str], suffix: str) -> None:
    """`decode_codes` for each (source, one-file raw table), into temp table `<source>_<suffix>`.

    Keyed by line (`record_id` is `_line_number`): unique in a table read from one file, and an
    integer joins faster than the record id.
    """
    for source, raw_table in sources:
        decode_codes(connection, source, raw_table, "_line_number", canonical_variables, f"{source}_{suffix}")
