"""Codes to canonical values, driven by the codebook table (never by maps in code).

Every distinct value of a coded column is decoded once into a small lookup table
(`sql/staging/code_lookup.sql`); a record reads its canonical values and problems through one join
per feed (a coded column feeding one canonical variable). The staging queries of the big tables
put these joins straight onto their scan of the raw table (`Decoding.joins`, `Decoding.columns`);
`decode_codes` writes them into a temp table keyed by record for the small ones.
"""

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
        return f"code{self.number}"


@dataclass(frozen=True)
class Decoding:
    """The coded columns of one raw table, decoded into temp table `lookup`, and the SQL that reads them.

    `joins(alias)` joins the lookups to the raw table scanned as `alias` (the query must not use the
    aliases code1, code2, ...); `columns()` then selects one value per canonical variable (NULL where
    no column feeds it, or the code is unknown or empty) and `code_problems`.
    """

    lookup: str
    feeds: tuple[Feed, ...]
    canonical_variables: tuple[str, ...]
    skip_rules: tuple[tuple[str, str, str], ...]   # (variable, when_variable, when_value), temp table skip_rule

    @property
    def coded_columns(self) -> list[str]:
        return sorted({feed.raw_column for feed in self.feeds})

    def joins(self, alias: str) -> str:
        return "\n    ".join(
            f"LEFT JOIN {self.lookup} AS {f.alias} ON {f.alias}.feed = {f.number} "
            f"AND {alias}.{quote_identifier(f.raw_column)} IS NOT DISTINCT FROM {f.alias}.raw_value"
            for f in self.feeds)

    def columns(self) -> str:
        problems = ",\n            ".join(self._problem(feed) for feed in self.feeds)
        return ",\n        ".join([
            *(self._value(variable) for variable in self.canonical_variables),
            f"list_sort(list_filter([\n            {problems}\n        ], lambda problem: problem IS NOT NULL))"
            " AS code_problems",
        ])

    def _value(self, variable: str) -> str:
        values = [f"{f.alias}.canonical_value" for f in self.feeds if f.canonical_variable == variable]
        expression = (values[0] if len(values) == 1 else f"coalesce({', '.join(values)})") if values else "NULL::VARCHAR"
        return f"{expression} AS {quote_identifier(variable)}"

    def _problem(self, feed: Feed) -> str:
        """The feed's problem, unless it is an empty cell of a question skipped for this record."""
        skipped = [f"{f.alias}.canonical_value = {quote_literal(when_value)}"
                   for variable, when_variable, when_value in self.skip_rules if variable == feed.canonical_variable
                   for f in self.feeds if f.canonical_variable == when_variable]
        if not skipped:
            return f"{feed.alias}.problem"
        return (f"CASE WHEN starts_with({feed.alias}.problem, 'code_empty:') AND ({' OR '.join(skipped)}) "
                f"THEN NULL ELSE {feed.alias}.problem END")


def prepare_decoding(
    connection: duckdb.DuckDBPyConnection,
    source: str,
    raw_table: str,
    canonical_variables: Sequence[str],
    lookup: str,
) -> Decoding:
    """Decode every value found in the coded columns of `raw_table` into temp table `lookup`.

    Which columns are coded, and what they feed, is read off staging.codebook. Needs the cleaning
    rules installed (normalize_code, skip_rule).
    """
    schema, table = resolve_table(connection, raw_table).split(".")   # this run's version, else the published
    run_sql(connection, "staging/coded_columns", [source, schema, table])
    feeds = tuple(Feed(int(n), column, variable) for n, column, variable in connection.execute(
        "SELECT feed, raw_column, canonical_variable FROM coded_column ORDER BY feed").fetchall())
    if not feeds:
        raise ValueError(f"{raw_table}: no column of the table is in the codebook for source {source!r}")
    skip_rules = tuple(connection.execute("SELECT variable, when_variable, when_value FROM skip_rule").fetchall())
    decoding = Decoding(lookup, feeds, tuple(canonical_variables), skip_rules)
    run_sql(
        connection,
        "staging/code_lookup",
        target=lookup,
        source=quote_literal(source),
        found_values="\n    UNION ALL\n    ".join(
            f"SELECT DISTINCT {quote_literal(c)} AS raw_column, {quote_identifier(c)} AS code FROM {raw_table}"
            for c in decoding.coded_columns),
    )
    return decoding


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
    unknown or empty) and `code_problems`. Returns the coded raw columns.
    """
    decoding = prepare_decoding(connection, source, raw_table, canonical_variables, f"{target}_lookup")
    run_sql(connection, "staging/decode_codes", target=target, raw_table=raw_table, record_id=record_id,
            coded_columns=", ".join(quote_identifier(c) for c in decoding.coded_columns),
            decoded=decoding.columns(), lookups=decoding.joins("r"))
    connection.execute(f"DROP TABLE {decoding.lookup}")
    return decoding.coded_columns


def decoded_placeholders(
    connection: duckdb.DuckDBPyConnection,
    sources: Sequence[tuple[str, str]],
    canonical_variables: Sequence[str],
    alias: str,
    suffix: str,
) -> dict[str, str]:
    """For each (source, raw table): its lookups (temp table `<source>_<suffix>`) and the
    placeholders `<name>_codes` (the decoded columns) and `<name>_code_joins` (the joins, onto
    the raw table scanned as `alias`) of a staging query, `<name>` being the source."""
    placeholders: dict[str, str] = {}
    for source, raw_table in sources:
        decoding = prepare_decoding(connection, source, raw_table, canonical_variables, f"{source}_{suffix}")
        placeholders[f"{source}_codes"] = decoding.columns()
        placeholders[f"{source}_code_joins"] = decoding.joins(alias)
    return placeholders
