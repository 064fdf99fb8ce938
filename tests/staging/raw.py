"""Tiny raw tables written straight into DuckDB, shaped like the raw assets write them.

Every contract column as VARCHAR (empty cell = NULL), plus `_source_file` and `_line_number`
(header = line 1). Rows start from the tiny drop's valid rows, so a test only spells out the
cells it is about.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from dtsen_assets.contract import SOURCE_FILES_BY_KEY
from tests.fixtures.tiny_drop import ROWS


def row(key: str, index: int = 0, **cells: str | None) -> dict[str, str | None]:
    """Row `index` of the tiny drop's `key` file with `cells` replaced."""
    return {**ROWS[key][index], **cells}


def write_raw(connection: duckdb.DuckDBPyConnection, key: str, rows: Sequence[dict[str, str | None]],
              source_file: str | None = None) -> None:
    """Replace raw.<key> with `rows` (line 2 onwards)."""
    contract = SOURCE_FILES_BY_KEY[key]
    columns = list(contract.columns) + sorted({c for r in rows for c in r} - set(contract.columns))
    file_name = source_file or contract.path.split("/")[-1].replace("*", "musdes_test")
    definition = ", ".join(f'"{c}" VARCHAR' for c in columns)
    connection.execute(f"CREATE OR REPLACE TABLE raw.{key} (_source_file VARCHAR, _line_number BIGINT, {definition})")
    for line, values in enumerate(rows, start=2):
        cells = [None if values.get(c) in (None, "") else values.get(c) for c in columns]
        placeholders = ", ".join("?" for _ in range(len(columns) + 2))
        connection.execute(f"INSERT INTO raw.{key} VALUES ({placeholders})", [file_name, line, *cells])


def write_tiny_raw(connection: duckdb.DuckDBPyConnection, **replacements: Sequence[dict[str, str | None]]) -> None:
    """Every raw table of the tiny drop, with some replaced: write_tiny_raw(c, dtks_art=[...])."""
    for key in SOURCE_FILES_BY_KEY:
        write_raw(connection, key, replacements.get(key, ROWS[key]))


def records(connection: duckdb.DuckDBPyConnection, table: str, key: str) -> dict[object, dict[str, object]]:
    """The rows of `table` as dicts, by the value of column `key`."""
    cursor = connection.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cursor.description]
    return {values[key]: values for values in (dict(zip(names, r)) for r in cursor.fetchall())}
