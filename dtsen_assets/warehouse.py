"""Write, audit, publish: staging tables, their atomic publication, and table metadata.

An asset builds `<schema>.<table>__staging`, its checks read that, and only when every
blocking check passed does `publish` swap the staged tables into their published names in
one transaction. Readers therefore only ever see tables that passed.

Inside a run that publishes as a release (`DuckDBWarehouse(release_per_run=True)`, the
Definitions' setting), the connection is a `RunScopedConnection`: `publish` then renames the
staged tables to this run's names (`dtsen.person__run_1a2b3c4d`) instead of the published ones,
and every statement the connection runs reads `dtsen.person` as this run's version when the run
has one, else the published one. Nothing a reader outside the run sees changes until the run's
last step, `dtsen/release` (`dtsen_assets.release`), renames all of the run's tables onto their
published names in one transaction. This module is the one place where names are resolved;
the metadata of a published table is built in `dtsen_assets.platform.publish`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb

STAGING_SUFFIX = "__staging"
RUN_MARK = "__run_"
# The warehouse file is attached under this alias (dtsen_assets.resources.duckdb.CATALOG_ALIAS).
_CATALOG_ALIAS = "dtsen_warehouse"


def staging_table(table: str) -> str:
    """`raw.dtks_art` -> `raw.dtks_art__staging`."""
    return f"{table}{STAGING_SUFFIX}"


def run_key_of(run_id: str) -> str:
    """The 8 characters of a Dagster run id that name its tables."""
    return run_id.replace("-", "")[:8].lower()


def run_table(table: str, run_key: str) -> str:
    """`dtsen.person`, `1a2b3c4d` -> `dtsen.person__run_1a2b3c4d`: the run's version, until released."""
    return f"{table}{RUN_MARK}{run_key}"


_LITERALS_AND_COMMENTS = re.compile(r"('(?:[^']|'')*'|--[^\n]*|/\*.*?\*/)", re.DOTALL)


def all_run_tables(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(published name, run table, run key) of every run table in the warehouse, released or left over."""
    rows = raw_connection(connection).execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND contains(table_name, ?) ORDER BY 1, 2", [RUN_MARK]
    ).fetchall()
    found = []
    for schema, name in rows:
        base, _, key = name.rpartition(RUN_MARK)
        if base and key:
            found.append((f"{schema}.{base}", f"{schema}.{name}", key))
    return found


def run_tables_of(connection: duckdb.DuckDBPyConnection, run_key: str) -> dict[str, str]:
    """{published name: run table} of one run's tables."""
    return {published: table for published, table, key in all_run_tables(connection) if key == run_key}


class RunScopedConnection:
    """A warehouse connection inside one run: reads resolve to the run's own tables first.

    Every statement passed to `execute`, `executemany` or `sql` (also on its cursors) has each
    `schema.table` for which this run already published a version replaced by that version
    (`dtsen.family` -> `dtsen.family__run_1a2b3c4d`), outside string literals; other names are
    left alone, so tables the run has not rebuilt are read as the current release has them.
    Everything else is forwarded to the DuckDB connection unchanged.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, run_key: str,
                 versions: dict[str, str] | None = None) -> None:
        self._connection = connection
        self.run_key = run_key
        # shared with the cursors, so a table published on the connection is seen by them too
        self.versions = versions if versions is not None else run_tables_of(connection, run_key)
        self._pattern: re.Pattern | None = None
        self._pattern_of: frozenset[str] = frozenset()

    @property
    def raw(self) -> duckdb.DuckDBPyConnection:
        return self._connection

    def resolve(self, table: str) -> str:
        """This run's version of `table` when it has one, else `table` (the published name)."""
        return self.versions.get(table, table)

    def resolve_sql(self, query: str) -> str:
        if not self.versions or not isinstance(query, str):
            return query
        if self._pattern is None or self._pattern_of != frozenset(self.versions):
            names = "|".join(re.escape(t) for t in sorted(self.versions, key=len, reverse=True))
            self._pattern = re.compile(rf'(?<![\w".])((?:{_CATALOG_ALIAS}\.)?)({names})(?![\w"])')
            self._pattern_of = frozenset(self.versions)
        pattern = self._pattern
        # string literals ('...', with '' inside) and comments are kept as written
        parts = _LITERALS_AND_COMMENTS.split(query)
        return "".join(part if index % 2 else pattern.sub(lambda m: m.group(1) + self.versions[m.group(2)], part)
                       for index, part in enumerate(parts))

    def execute(self, query, *args, **kwargs):
        return self._connection.execute(self.resolve_sql(query), *args, **kwargs)

    def executemany(self, query, *args, **kwargs):
        return self._connection.executemany(self.resolve_sql(query), *args, **kwargs)

    def sql(self, query, *args, **kwargs):
        return self._connection.sql(self.resolve_sql(query), *args, **kwargs)

    query = sql

    def cursor(self) -> RunScopedConnection:
        return RunScopedConnection(self._connection.cursor(), self.run_key, self.versions)

    def __getattr__(self, name: str):
        return getattr(self._connection, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._connection.close()


def raw_connection(connection) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection itself (for libraries that need one, e.g. Splink, and for renames)."""
    return connection.raw if isinstance(connection, RunScopedConnection) else connection


def resolve_table(connection, table: str) -> str:
    """The name a reader on `connection` must use for `table` (this run's version, else the published)."""
    return connection.resolve(table) if isinstance(connection, RunScopedConnection) else table


def publish(connection: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    """Replace each published table by its staged version, all in one transaction.

    On a `RunScopedConnection` the staged tables become the run's versions instead; the run's
    `dtsen/release` step publishes them all together.
    """
    tables = list(tables)
    scoped = connection if isinstance(connection, RunScopedConnection) else None
    raw = raw_connection(connection)
    targets = {table: run_table(table, scoped.run_key) if scoped else table for table in tables}
    raw.execute("BEGIN TRANSACTION")
    try:
        for table, target in targets.items():
            raw.execute(f"DROP TABLE IF EXISTS {target}")
            raw.execute(f"ALTER TABLE {staging_table(table)} RENAME TO {target.split('.')[1]}")
        raw.execute("COMMIT")
    except Exception:
        raw.execute("ROLLBACK")
        raise
    if scoped:
        scoped.versions.update(targets)


def drop_staging(connection: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    for table in tables:
        connection.execute(f"DROP TABLE IF EXISTS {staging_table(table)}")


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `table` exists for a reader on `connection` (this run's version or the published one)."""
    schema, name = resolve_table(connection, table).split(".")
    return bool(connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?", [schema, name]
    ).fetchone()[0])


def row_count(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def stream_batches(connection: duckdb.DuckDBPyConnection, query: str, batch_rows: int = 200_000):
    """Yield the result of `query` as pandas frames of at most `batch_rows` rows.

    Streams on a cursor of its own (DuckDB forbids other work on a connection with an open
    result), set to the same default catalog, so the caller may keep using `connection`.
    """
    catalog = connection.execute("SELECT current_database()").fetchone()[0]
    cursor = connection.cursor()
    try:
        cursor.execute(f'USE "{catalog}"')
        for record_batch in cursor.sql(query).to_arrow_reader(batch_rows):
            yield record_batch.to_pandas()
    finally:
        cursor.close()
