"""Running the named staging queries (dtsen_assets/sql/staging/<step>.sql) on a connection."""

from __future__ import annotations

from collections.abc import Sequence
from string import Template

import duckdb

from dtsen_assets.sql import load_sql


def run_sql(
    connection: duckdb.DuckDBPyConnection,
    step: str,
    parameters: Sequence[object] | None = None,
    **identifiers: str,
) -> None:
    """Run `sql/staging/<step>.sql`: `$name` placeholders take table names, `?` the parameters.

    Only identifiers (table and column names chosen by this package) are substituted as text;
    every value read from data is bound as a parameter.
    """
    text = load_sql("staging", step)
    if identifiers:
        text = Template(text).substitute(identifiers)
    if parameters is None:
        connection.execute(text)
    else:
        connection.execute(text, list(parameters))


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
