"""What a published table shows in Dagster: row count, column schema, lineage and a masked preview.

Publication itself (the staged table swapped onto its published name in one transaction, or onto
the run's name inside a release run) is `dtsen_assets.warehouse.publish`, called by the gate
(`dtsen_assets.platform.gate`); this module is the one place table metadata is built.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import duckdb
import pandas as pd

from dtsen_assets.column_docs import column_lineage, describe_column
from dtsen_assets.pii import markdown_frame, mask_frame, mask_identifier
from dtsen_assets.warehouse import row_count

PREVIEW_CELL_CHARS = 60


def column_schema(connection: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    rows = connection.execute(f"DESCRIBE {table}").fetchall()
    return dg.TableSchema(columns=[dg.TableColumn(name=r[0], type=str(r[1]), description=describe_column(table, r[0]))
                                   for r in rows])


def _shorten(value: object) -> object:
    # a JSON document in a cell (e.g. a model) would swamp the preview table
    if isinstance(value, str) and len(value) > PREVIEW_CELL_CHARS:
        return value[: PREVIEW_CELL_CHARS - 1] + "…"
    return value


def masked_preview(connection: duckdb.DuckDBPyConnection, table: str, limit: int = 5, order: str | None = None,
                   masked_ids: Sequence[str] = ()) -> str:
    """A few rows as markdown, personal columns masked, long text cut short.

    `masked_ids`: identifier columns shown masked too (person_id and family_id are keyed hashes, shown in
    full where a reader follows a row with `python -m dtsen_assets.explain`).
    """
    order_by = f"ORDER BY {order}" if order else ""
    frame: pd.DataFrame = connection.execute(f"SELECT * FROM {table} {order_by} LIMIT {int(limit)}").df()
    for column in masked_ids:
        if column in frame:
            frame[column] = [mask_identifier(v) for v in frame[column]]
    return markdown_frame(mask_frame(frame).map(_shorten)).to_markdown(index=False, floatfmt=".4g")


def table_metadata(connection: duckdb.DuckDBPyConnection, table: str, preview_rows: int = 5,
                   order: str | None = None, masked_ids: Sequence[str] = ()) -> dict[str, object]:
    """Row count, column schema, column lineage and a masked preview: the metadata every table asset carries."""
    metadata = {
        "table": dg.MetadataValue.text(table),
        "dagster/row_count": dg.MetadataValue.int(row_count(connection, table)),
        "dagster/column_schema": column_schema(connection, table),
        "preview": dg.MetadataValue.md(masked_preview(connection, table, preview_rows, order, masked_ids)),
    }
    lineage = column_lineage(table)
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    return metadata
