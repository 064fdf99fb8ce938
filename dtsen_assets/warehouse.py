"""Write, audit, publish: staging tables, their atomic publication, and table metadata.

An asset builds `<schema>.<table>__staging`, its checks read that, and only when every
blocking check passed does `publish` swap the staged tables into their published names in
one transaction. Readers therefore only ever see tables that passed.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
import duckdb
import pandas as pd

from dtsen_assets.column_docs import column_lineage, describe_column
from dtsen_assets.pii import markdown_frame, mask_frame

STAGING_SUFFIX = "__staging"


def staging_table(table: str) -> str:
    """`raw.dtks_art` -> `raw.dtks_art__staging`."""
    return f"{table}{STAGING_SUFFIX}"


def publish(connection: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    """Replace each published table by its staged version, all in one transaction."""
    tables = list(tables)
    connection.execute("BEGIN TRANSACTION")
    try:
        for table in tables:
            schema, name = table.split(".")
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.execute(f"ALTER TABLE {staging_table(table)} RENAME TO {name}")
        connection.execute("COMMIT")
    except Exception:
        connection.execute("ROLLBACK")
        raise


def drop_staging(connection: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    for table in tables:
        connection.execute(f"DROP TABLE IF EXISTS {staging_table(table)}")


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?", [schema, name]
    ).fetchone()[0])


def row_count(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def column_schema(connection: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    rows = connection.execute(f"DESCRIBE {table}").fetchall()
    return dg.TableSchema(columns=[dg.TableColumn(name=r[0], type=str(r[1]), description=describe_column(table, r[0]))
                                   for r in rows])


PREVIEW_CELL_CHARS = 60


def _shorten(value: object) -> object:
    # a JSON document in a cell (e.g. a model) would swamp the preview table
    if isinstance(value, str) and len(value) > PREVIEW_CELL_CHARS:
        return value[: PREVIEW_CELL_CHARS - 1] + "…"
    return value


def masked_preview(connection: duckdb.DuckDBPyConnection, table: str, limit: int = 5) -> str:
    """A few rows as markdown, personal columns masked, long text cut short."""
    frame: pd.DataFrame = connection.execute(f"SELECT * FROM {table} LIMIT {int(limit)}").df()
    return markdown_frame(mask_frame(frame).map(_shorten)).to_markdown(index=False)


def table_metadata(connection: duckdb.DuckDBPyConnection, table: str, preview_rows: int = 5) -> dict[str, object]:
    """Row count, column schema and a masked preview: the metadata every table asset carries."""
    metadata = {
        "table": dg.MetadataValue.text(table),
        "dagster/row_count": dg.MetadataValue.int(row_count(connection, table)),
        "dagster/column_schema": column_schema(connection, table),
        "preview": dg.MetadataValue.md(masked_preview(connection, table, preview_rows)),
    }
    lineage = column_lineage(table)
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    return metadata


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
