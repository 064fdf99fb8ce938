"""Metadata of a staging table: masked preview, problems and unknown codes as readable tables."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import duckdb
import pandas as pd

from dtsen_assets.pii import mask_frame, mask_text, mask_value
from dtsen_assets.staging.quality import CodeShare, ProblemCount
from dtsen_assets.platform.publish import table_metadata

# Columns that hold personal data under names the shared masking does not know.
FREE_TEXT_COLUMNS = frozenset({"keterangan"})


def mask_staging_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """mask_frame, plus `<column>_raw` masked like `<column>` and free text masked as text."""
    masked = mask_frame(frame)
    for column in masked.columns:
        name = str(column)
        if name.endswith("_raw"):
            masked[column] = [mask_value(name.removesuffix("_raw"), v) for v in masked[column]]
        elif name in FREE_TEXT_COLUMNS:
            masked[column] = [mask_text(v) for v in masked[column]]
    return masked


def staging_table_metadata(connection: duckdb.DuckDBPyConnection, table: str, preview_rows: int = 5) -> dict[str, object]:
    """Row count, column schema and a preview with every personal column masked."""
    metadata = table_metadata(connection, table, preview_rows)
    frame = connection.execute(f"SELECT * FROM {table} LIMIT {int(preview_rows)}").df()
    metadata["preview"] = dg.MetadataValue.md(mask_staging_frame(frame).to_markdown(index=False))
    return metadata


def quality_metadata(counts: Sequence[ProblemCount], shares: Sequence[CodeShare]) -> dict[str, object]:
    """Counts per problem and unknown-code shares per variable, as markdown tables and JSON."""
    problem_table = "\n".join(
        ["| source | problem | records | share |", "|---|---|---:|---:|"]
        + [f"| {c.source} | {c.problem} | {c.records:,} | {c.share:.2%} |" for c in counts]
    ) if counts else "no problem found"
    share_table = "\n".join(
        ["| source | variable | codes read | unknown | share | empty cells |", "|---|---|---:|---:|---:|---:|"]
        + [f"| {s.source} | {s.variable} | {s.codes_read:,} | {s.unknown:,} | {s.unknown_share:.2%} | {s.empty:,} |"
           for s in shares]
    ) if shares else "no coded variable"
    return {
        "problem_counts": dg.MetadataValue.md(problem_table),
        "problem_counts_json": dg.MetadataValue.json({f"{c.source}:{c.problem}": c.records for c in counts}),
        "unknown_code_shares": dg.MetadataValue.md(share_table),
        "max_unknown_code_share_found": dg.MetadataValue.float(
            round(max((s.unknown_share for s in shares), default=0.0), 6)),
    }
