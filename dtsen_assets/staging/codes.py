"""Codes to canonical values, driven by the codebook table (never by maps in code)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from dtsen_assets.platform.sql import quote_identifier, quote_literal, run_sql
from dtsen_assets.warehouse import resolve_table


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
    coded = [row[0] for row in connection.execute(
        "SELECT DISTINCT raw_column FROM coded_column ORDER BY raw_column"
    ).fetchall()]
    if not coded:
        raise ValueError(f"{raw_table}: no column of the table is in the codebook for source {source!r}")
    run_sql(
        connection,
        "staging/decode_codes",
        target=target,
        raw_table=raw_table,
        record_id=record_id,
        source=quote_literal(source),
        coded_columns=", ".join(quote_identifier(c) for c in coded),
        canonical_variables=", ".join(quote_literal(v) for v in canonical_variables),
    )
    return coded


def decode_sources(connection: duckdb.DuckDBPyConnection, sources: Sequence[tuple[str, str, str]],
                   canonical_variables: Sequence[str], suffix: str) -> None:
    """`decode_codes` for each (source, raw table, record id), into temp table `<source>_<suffix>`."""
    for source, raw_table, record_id in sources:
        decode_codes(connection, source, raw_table, record_id, canonical_variables, f"{source}_{suffix}")
