"""Running the named SQL files of `sql/unify/`, and where the stage keeps its working tables.

Intermediate tables live in an in-memory schema (`memory.unify_work` on a warehouse connection):
they are large, rebuilt on every run and never read by anyone else, so writing them to the
warehouse file would only cost time. Only the published tables (and the small lineage tables
of `unify.*`) are written to the file.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable

import duckdb

from dtsen_assets.sql import load_sql

WORK_SCHEMA = "unify_work"
# Time every statement separately (timings "<file>#<n>"), for profiling; env DTSEN_UNIFY_PROFILE=1.
PROFILE_STATEMENTS = os.environ.get("DTSEN_UNIFY_PROFILE") == "1"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def work_schema(connection: duckdb.DuckDBPyConnection) -> str:
    """`<in-memory catalog>.unify_work`, created empty (a warehouse connection has `memory`)."""
    catalogs = {row[0] for row in connection.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    if "memory" in catalogs:
        catalog = "memory"
    else:
        if "unify_memory" not in catalogs:
            connection.execute("ATTACH ':memory:' AS unify_memory")
        catalog = "unify_memory"
    schema = f"{catalog}.{WORK_SCHEMA}"
    connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    connection.execute(f"CREATE SCHEMA {schema}")
    return schema


def drop_work_schema(connection: duckdb.DuckDBPyConnection, schema: str) -> None:
    connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def render(name: str, **params: object) -> str:
    """The text of `sql/unify/<name>.sql` with its `{placeholders}` filled in.

    Only the names given are replaced, so braces of SQL itself (MAP literals) are left alone;
    a placeholder left unfilled is an error.
    """
    text = load_sql("unify", name)

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key not in params:
            raise KeyError(f"sql/unify/{name}.sql needs a value for {{{key}}}")
        return str(params[key])

    return _PLACEHOLDER.sub(fill, _strip_comments(text))


def run(connection: duckdb.DuckDBPyConnection, name: str, timings: dict[str, float] | None = None,
        log: Callable[[str], None] | None = None, **params: object) -> None:
    """Execute `sql/unify/<name>.sql` (one or more statements)."""
    started = time.perf_counter()
    for number, statement in enumerate(_statements(render(name, **params)), start=1):
        began, began_cpu = time.perf_counter(), time.process_time()
        connection.execute(statement)
        if timings is not None and PROFILE_STATEMENTS:
            key = f"{name}#{number}"
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - began
            timings[key + " cpu"] = timings.get(key + " cpu", 0.0) + time.process_time() - began_cpu
    elapsed = time.perf_counter() - started
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + elapsed
    if log:
        log(f"unify: {name}.sql in {elapsed:.1f} s")


def _statements(text: str) -> list[str]:
    """The statements of a file: each ends with ';' at the end of a line (never inside one)."""
    statements, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current))
            current = []
    rest = "\n".join(current).strip()
    if rest:
        statements.append(rest)
    return [s for s in statements if s.strip().strip(";").strip()]


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _strip_comments(text: str) -> str:
    # Comments document the rules; placeholders named in them need no value.
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
