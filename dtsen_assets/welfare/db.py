"""Small DuckDB helpers for the welfare group.

DuckDB 2.0 treats a result that was not read to the end (e.g. after `fetchone()`) as unfinished
and refuses other work on that connection (`register`, another cursor's reads), so single values
are read with `fetchall()` here.
"""

from __future__ import annotations

import duckdb


def scalar(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None):
    """The first column of the first row of `sql` (None when there is no row)."""
    rows = connection.execute(sql, parameters or []).fetchall()
    return rows[0][0] if rows else None


def reader_cursor(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor on the same database and default catalog, to stream from while `connection` writes."""
    catalog = scalar(connection, "SELECT current_database()")
    cursor = connection.cursor()
    cursor.execute(f'USE "{catalog}"').fetchall()
    return cursor
