"""What staging found: problems per record and unknown codes per variable, for checks and metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from dtsen_assets.platform.sql import quote_identifier, quote_literal, render


@dataclass(frozen=True)
class ProblemCount:
    source: str
    problem: str
    records: int
    share: float


@dataclass(frozen=True)
class CodeShare:
    source: str
    variable: str
    records: int
    codes_read: int       # cells with a value or an unknown code (the share's denominator)
    empty: int
    unknown: int
    unknown_share: float


def _source_expression(source: str | None) -> str:
    # Tables of one source have no `source` column: name it.
    return "source" if source is None else quote_literal(source)


def problem_counts(connection: duckdb.DuckDBPyConnection, table: str, source: str | None = None) -> list[ProblemCount]:
    """Records per (source, problem), most frequent first. `source`: the source of a one-source table."""
    query = render("staging/problem_counts", table=table, source=_source_expression(source))
    return [ProblemCount(s, p, int(n), float(share)) for s, p, n, share in connection.execute(query).fetchall()]


def code_shares(
    connection: duckdb.DuckDBPyConnection, table: str, variables: Sequence[str], source: str | None = None
) -> list[CodeShare]:
    """Empty and unknown codes per (source, canonical variable) among the table's `variables`."""
    query = render(
        "staging/code_shares",
        table=table,
        source=_source_expression(source),
        columns=", ".join(f"{quote_identifier(v)}::VARCHAR AS {quote_identifier(v)}" for v in variables),
        variables=", ".join(quote_identifier(v) for v in variables),
    )
    return [CodeShare(s, v, int(n), int(read), int(e), int(u), float(share or 0.0))
            for s, v, n, read, e, u, share in connection.execute(query).fetchall()]
