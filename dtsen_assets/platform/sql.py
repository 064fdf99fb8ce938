"""The one way to run SQL: named files, one placeholder style, quoting, single values and counts.

Every non-trivial query lives in `dtsen_assets/sql/<group>/<name>.sql` and is named by its path
without the suffix, e.g. `"unify/person"`. Placeholders are written `{name}` (lower case letters
and underscores) and take text this package chooses: table names, column lists, SQL fragments and
settings. Every value read from data is bound as a `?` parameter instead, never pasted into the text.
Only the placeholders a caller names are filled, so braces of SQL itself (struct literals
`{'key': ...}`, regular expressions `[0-9]{4}`) stay as written; a placeholder without a value is an
error. Whole-line comments are dropped first, so a comment may mention a placeholder.

Every function takes a connection as it is given: a warehouse connection that rewrites table names
inside a run (`warehouse.RunScopedConnection`) keeps doing so, because queries go through its
`execute`.

DuckDB 2.0 treats a result that was not read to the end (e.g. after `fetchone()`) as unfinished and
refuses other work on that connection, so single values are read with `fetchall()` here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources

import duckdb

# a name starts with a letter, so regex quantifiers ({16}, {1,4}) and struct literals are left alone
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class Timings(dict):
    """Seconds per SQL file run (key: the file's name, e.g. `"person"`), summed over runs.

    With `per_statement=True` (profiling) every statement is timed as well: `"<name>#<n>"` wall
    and `"<name>#<n> cpu"` process seconds.
    """

    def __init__(self, *args, per_statement: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.per_statement = per_statement

    def add(self, key: str, seconds: float) -> None:
        self[key] = self.get(key, 0.0) + seconds


@cache
def load_sql(file: str) -> str:
    """The text of `dtsen_assets/sql/<file>.sql`, `file` as `"<group>/<name>"`."""
    group, name = file.split("/")
    return resources.files("dtsen_assets.sql").joinpath(group, f"{name}.sql").read_text(encoding="utf-8")


def render(file: str, **placeholders: object) -> str:
    """The text of `sql/<file>.sql` without whole-line comments, its `{placeholders}` filled in."""
    text = "".join(line for line in load_sql(file).splitlines(keepends=True) if not line.lstrip().startswith("--"))

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key not in placeholders:
            raise KeyError(f"sql/{file}.sql needs a value for {{{key}}}")
        return str(placeholders[key])

    return _PLACEHOLDER.sub(fill, text)


def statements(text: str) -> list[str]:
    """The statements of a SQL text, split by DuckDB's own parser (a ';' inside a string is no end)."""
    return [statement.query for statement in duckdb.extract_statements(text)]


def run_sql(connection, file: str, parameters: Sequence[object] | None = None, *,
            timings: Timings | dict[str, float] | None = None, log: Callable[[str], None] | None = None,
            **placeholders: object) -> None:
    """Run every statement of `sql/<file>.sql` in order, `{placeholders}` filled in.

    `parameters` bind the `?` of a file that holds a single statement. `timings` collects the
    seconds of the file under its name (and of each statement when `timings.per_statement`); `log`
    is told how long the file took.
    """
    parts = statements(render(file, **placeholders))
    if parameters is not None and len(parts) != 1:
        raise ValueError(f"sql/{file}.sql has {len(parts)} statements; parameters bind a single one")
    name = file.split("/")[1]
    per_statement = getattr(timings, "per_statement", False)
    started = time.perf_counter()
    for number, statement in enumerate(parts, start=1):
        began, began_cpu = time.perf_counter(), time.process_time()
        if parameters is None:
            connection.execute(statement)
        else:
            connection.execute(statement, list(parameters))
        if per_statement:
            timings.add(f"{name}#{number}", time.perf_counter() - began)
            timings.add(f"{name}#{number} cpu", time.process_time() - began_cpu)
    elapsed = time.perf_counter() - started
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + elapsed
    if log:
        log(f"{file}.sql in {elapsed:.1f} s")


def query_df(connection, file: str, parameters: Sequence[object] | None = None, **placeholders: object):
    """The result of the one query in `sql/<file>.sql` as a pandas DataFrame."""
    return connection.execute(render(file, **placeholders), list(parameters or [])).df()


def quote_identifier(name: str) -> str:
    """`name` as a SQL identifier, in double quotes (a double quote inside doubled)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: object) -> str:
    """`text` as a SQL string literal, in single quotes (a single quote inside doubled).

    Only for text this package chose (column names, settings); values from data are parameters.
    """
    return "'" + str(text).replace("'", "''") + "'"


def scalar(connection, query: str, parameters: Sequence[object] | None = None):
    """The first column of the first row of `query` (None when there is no row)."""
    rows = connection.execute(query, list(parameters or [])).fetchall()
    return rows[0][0] if rows else None


def count_rows(connection, table: str, where: str | None = None, parameters: Sequence[object] | None = None) -> int:
    """The number of rows of `table` (that satisfy the SQL condition `where`, with `?` parameters)."""
    condition = f" WHERE {where}" if where else ""
    return int(scalar(connection, f"SELECT count(*) FROM {table}{condition}", parameters))


def reader_cursor(connection):
    """A cursor on the same database and default catalog, to stream from while `connection` writes."""
    catalog = scalar(connection, "SELECT current_database()")
    cursor = connection.cursor()
    cursor.execute(f"USE {quote_identifier(catalog)}").fetchall()
    return cursor


@contextmanager
def single_threaded(connection) -> Iterator[None]:
    """DuckDB on one thread inside the block (the setting is the database's, so every cursor), then the
    thread count it had. For floating-point sums that must come out the same on every run: on several
    threads DuckDB adds a group's values in whatever order the threads finish, which moves the last
    bits, and an iterative estimate (Splink's EM) can carry them into its results."""
    threads = int(scalar(connection, "SELECT current_setting('threads')"))
    connection.execute("SET threads = 1")
    try:
        yield
    finally:
        connection.execute(f"SET threads = {threads}")


def work_schema(connection, name: str) -> str:
    """`<in-memory catalog>.<name>`, created empty: where a stage keeps its working tables.

    Working tables are large, rebuilt on every run and read by no one else, so writing them to the
    warehouse file would only cost time. A warehouse connection has the in-memory catalog `memory`;
    elsewhere one is attached.
    """
    catalogs = {row[0] for row in connection.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    catalog = "memory" if "memory" in catalogs else "work_memory"
    if catalog not in catalogs:
        connection.execute(f"ATTACH ':memory:' AS {catalog}")
    schema = f"{catalog}.{name}"
    drop_schema(connection, schema)
    connection.execute(f"CREATE SCHEMA {schema}")
    return schema


def drop_schema(connection, schema: str) -> None:
    """Drop `schema` and everything in it (e.g. a stage's working tables once it is done)."""
    connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
