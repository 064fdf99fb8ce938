"""Name standardization: titles, BIN/BINTI, abbreviations, casing (rules in name_rules.csv)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from dtsen_assets.platform.sql import quote_identifier, run_sql


def standardize_names(connection: duckdb.DuckDBPyConnection, name_columns: Sequence[tuple[str, str]]) -> None:
    """Fill temp table name_standard (nama_raw, nama, problems) for every distinct name found in
    the given (table, column) pairs. Needs the cleaning rules installed."""
    # UNION and DISTINCT: one row per name, also from a single column
    selects = " UNION ".join(
        f"SELECT DISTINCT {quote_identifier(column)} AS nama_raw FROM {table}" for table, column in name_columns
    )
    connection.execute(f"CREATE OR REPLACE TEMP TABLE name_input AS {selects}")
    run_sql(connection, "staging/standardize_names")
