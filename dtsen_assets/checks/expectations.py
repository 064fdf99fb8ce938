"""Great Expectations 1.x expectations, evaluated on every row inside DuckDB.

The suites are declared as GX expectation objects (`great_expectations.expectations`): their type,
column, regex, value set, bounds and `mostly` are the declaration, and GX's own pandas engine is
the reference their meaning is tested against (tests/platform/test_expectations.py). They are
evaluated here as one SQL pass over the table, because GX can only run them where the rows are:
its pandas engine needs every row streamed out of DuckDB into pandas (8-9 s of a 14 s raw step
for a 1-million-row Dukcapil file, growing with every file at national scale), and its SQL engine
does not support DuckDB (no regex dialect; the warehouse's staged tables live on a connection
SQLAlchemy cannot share). Every row is still validated; nothing leaves DuckDB but the counts and
five example line numbers per expectation.

Where the two engines differ the SQL one is stricter, on purpose: regexes run in RE2, whose `\\d`
is an ASCII digit (Python's also matches Arabic-Indic digits) and whose `$` is the end of the
value (Python's also matches before a trailing newline); NaN is a value outside any range (pandas
treats it as missing). Only the expectation types below are supported; any other fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import great_expectations.expectations as gxe

from dtsen_assets.platform.sql import quote_identifier, quote_literal

LINE_COLUMN = "_line_number"


@dataclass
class ExpectationOutcome:
    """One expectation over every row of a table."""

    expectation: str
    column: str | None
    element_count: int = 0
    unexpected_count: int = 0
    example_lines: list[int] = field(default_factory=list)
    mostly: float = 1.0
    table_level_success: bool | None = None

    @property
    def success(self) -> bool:
        if self.table_level_success is not None:
            return self.table_level_success
        if self.element_count == 0:
            return True
        return 1 - self.unexpected_count / self.element_count >= self.mostly

    @property
    def unexpected_share(self) -> float:
        return self.unexpected_count / self.element_count if self.element_count else 0.0


def _conditions(expectation: gxe.Expectation) -> tuple[str, str]:
    """(counted, unexpected): SQL conditions of the rows an expectation counts and those it rejects.

    As GX counts them: the not-null expectation counts every row; the others ignore empty (NULL) values.
    """
    column = quote_identifier(expectation.column)
    present = f"{column} IS NOT NULL"
    if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull):
        return "true", f"{column} IS NULL"
    if isinstance(expectation, gxe.ExpectColumnValuesToMatchRegex):
        return present, f"NOT regexp_matches({column}::VARCHAR, {quote_literal(expectation.regex)})"
    if isinstance(expectation, gxe.ExpectColumnValuesToBeInSet):
        values = ", ".join(quote_literal(str(v)) for v in expectation.value_set)
        return present, f"{column}::VARCHAR NOT IN ({values})"
    if isinstance(expectation, gxe.ExpectColumnValuesToBeBetween):
        outside = []
        if expectation.min_value is not None:
            outside.append(f"{column} {'<=' if expectation.strict_min else '<'} {float(expectation.min_value)!r}")
        if expectation.max_value is not None:
            outside.append(f"{column} {'>=' if expectation.strict_max else '>'} {float(expectation.max_value)!r}")
        outside.append(f"isnan({column}::DOUBLE)")
        return present, " OR ".join(outside)
    raise NotImplementedError(f"{type(expectation).__name__} is not evaluated in DuckDB (checks/expectations.py)")


def validate_table(connection: duckdb.DuckDBPyConnection, table: str, expectations: list[gxe.Expectation],
                   max_examples: int = 5) -> list[ExpectationOutcome]:
    """Evaluate `expectations` on every row of `table` (a table or a parenthesized query with a
    `_line_number` column) in one pass; examples are the smallest unexpected line numbers."""
    columns = {row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()}
    outcomes, aggregates = [], []
    for expectation in expectations:
        outcome = ExpectationOutcome(expectation.expectation_type, getattr(expectation, "column", None),
                                     mostly=getattr(expectation, "mostly", 1.0) or 1.0)
        outcomes.append(outcome)
        if isinstance(expectation, gxe.ExpectTableColumnsToMatchSet):
            wanted = set(expectation.column_set or [])
            outcome.table_level_success = wanted <= columns if not expectation.exact_match else wanted == columns - {LINE_COLUMN}
            continue
        if outcome.column not in columns:
            raise KeyError(f"column {outcome.column} of expectation {outcome.expectation} is not in {table}")
        counted, unexpected = _conditions(expectation)
        rejected = f"({counted}) AND ({unexpected})"
        aggregates += [f"count(*) FILTER (WHERE {counted})", f"count(*) FILTER (WHERE {rejected})",
                       f"min({LINE_COLUMN}, {int(max_examples)}) FILTER (WHERE {rejected})"]
    if not aggregates:
        return outcomes
    values = connection.execute(f"SELECT {', '.join(aggregates)} FROM {table}").fetchone()
    row_outcomes = (o for o in outcomes if o.table_level_success is None)
    for index, outcome in enumerate(row_outcomes):
        counted, rejected, lines = values[3 * index: 3 * index + 3]
        outcome.element_count, outcome.unexpected_count = int(counted), int(rejected)
        outcome.example_lines = sorted(int(line) for line in (lines or []))
    return outcomes
