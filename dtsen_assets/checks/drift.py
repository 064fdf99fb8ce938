"""Drift: a source file compared with the last published file of its kind.

A drop is a new extract of the same registries, so it resembles the last one: about as many rows,
mostly the same record ids, the same share of empty cells and of each code. A sudden change beyond
the configured bounds (a half-size Dukcapil extract, a fifth of the REGSOSEK families gone, a column
suddenly empty, a code that doubled) blocks the file until someone accepts it explicitly in the run
config, with a reason; the acceptance is recorded in `raw.drift_acceptance`. Only figures and
column names are reported, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from dtsen_assets.platform.gate import CheckOutcome
from dtsen_assets.platform.sql import quote_literal
from dtsen_assets.contract import SourceFile

ACCEPTANCE_TABLE = "raw.drift_acceptance"
# Columns with at most this many distinct values in the published file are compared as codes.
MAX_CODE_VALUES = 50
# A column whose approximate distinct count is above this many times that bound is not a code column.
APPROX_MARGIN = 4


@dataclass(frozen=True)
class DriftBounds:
    max_row_change: float = 0.10          # |rows new - rows old| / rows old
    max_id_loss: float = 0.10             # share of the published record ids missing from the new file
    max_empty_share_change: float = 0.10  # per column, absolute change of the share of empty cells
    max_code_share_change: float = 0.10   # per coded column, half the sum of |share new - share old| over codes
    min_rows: int = 500                   # files with fewer published rows are not compared (too few for shares)


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _empty(column: str) -> str:
    return f"nullif(trim({_q(column)}), '') IS NULL"


def _profile(connection: duckdb.DuckDBPyConnection, table: str, columns: list[str],
             distinct: bool) -> tuple[int, list[float], list[int]]:
    """Rows, the share of empty cells per column and (`distinct`) an approximate distinct count per
    column, in one scan of `table`."""
    parts = ["count(*)"] + [f"avg(({_empty(c)})::INTEGER)" for c in columns]
    if distinct:
        parts += [f"approx_count_distinct({_q(c)})" for c in columns]
    row = connection.execute(f"SELECT {', '.join(parts)} FROM {table}").fetchone()
    k = len(columns)
    return row[0], [float(v or 0.0) for v in row[1:1 + k]], list(row[1 + k:])


def _coded_columns(connection: duckdb.DuckDBPyConnection, table: str, columns: list[str],
                   approximate: list[int], at_most: int) -> list[str]:
    """The columns with between 1 and `at_most` distinct values, counted exactly. HyperLogLog's error is a
    few percent, so a column estimated above APPROX_MARGIN times the bound cannot qualify and is not
    counted exactly (the exact count of every column was half the check's time)."""
    candidates = [c for c, n in zip(columns, approximate) if n <= APPROX_MARGIN * max(at_most, 1)]
    if not candidates:
        return []
    exact = connection.execute(
        "SELECT " + ", ".join(f"count(DISTINCT {_q(c)})" for c in candidates) + f" FROM {table}").fetchone()
    return [c for c, n in zip(candidates, exact) if 0 < n <= at_most]


def _code_shares(table: str, coded: list[str]) -> str:
    """Per coded column and value (NULL a value of its own), its share of the rows: one grouping set per
    column, so one scan however many columns are coded."""
    column_name = " ".join(f"WHEN grouping({_q(c)}) = 0 THEN {quote_literal(c)}" for c in coded)
    value = " ".join(f"WHEN grouping({_q(c)}) = 0 THEN {_q(c)}::VARCHAR" for c in coded)
    sets = ", ".join(f"({_q(c)})" for c in coded)
    return (f"SELECT column_name, v, n / sum(n) OVER (PARTITION BY column_name) AS share FROM ("
            f"SELECT CASE {column_name} END AS column_name, CASE {value} END AS v, count(*) AS n "
            f"FROM {table} GROUP BY GROUPING SETS ({sets}))")


def compare_with_published(connection: duckdb.DuckDBPyConnection, staged: str, published: str,
                           source_file: SourceFile, bounds: DriftBounds) -> tuple[list[str], dict[str, object]]:
    """The changes beyond `bounds` (one sentence each) and the figures compared.

    Each side is scanned once for its rows and empty shares (the published side also for distinct
    counts), once for the record ids and once for the code shares: a continuing release runs this on
    every raw file, so it is the cost of a release over a first build."""
    columns = list(source_file.columns)
    old_rows, old_empty, approximate = _profile(connection, published, columns, distinct=True)
    new_rows, new_empty, _ = _profile(connection, staged, columns, distinct=False)
    figures: dict[str, object] = {"rows_published": old_rows, "rows_new": new_rows}
    changes: list[str] = []
    if old_rows < bounds.min_rows:
        figures["note"] = f"the published file has fewer than {bounds.min_rows} rows: not compared"
        return changes, figures
    row_change = (new_rows - old_rows) / old_rows
    figures["row_change"] = round(row_change, 4)
    if abs(row_change) > bounds.max_row_change:
        changes.append(f"rows {old_rows:,} -> {new_rows:,} ({row_change:+.1%}, bound ±{bounds.max_row_change:.0%})")

    if source_file.record_id:
        key = " || '-' || ".join(f"coalesce({_q(c)}, '')" for c in source_file.record_id)
        old_ids, new_ids, lost = connection.execute(
            f"""
            WITH o AS (SELECT DISTINCT {key} AS k FROM {published}), n AS (SELECT DISTINCT {key} AS k FROM {staged})
            SELECT count(o.k), count(n.k), count(*) FILTER (WHERE n.k IS NULL) FROM o FULL JOIN n USING (k)
            """
        ).fetchone()
        loss = lost / old_ids if old_ids else 0.0
        figures.update({"distinct_ids_published": old_ids, "distinct_ids_new": new_ids, "ids_lost": lost})
        if loss > bounds.max_id_loss:
            changes.append(f"{'+'.join(source_file.record_id)}: {lost:,} of {old_ids:,} published record ids "
                           f"({loss:.1%}) are gone (bound {bounds.max_id_loss:.0%})")

    if not new_rows:
        new_empty = [0.0] * len(columns)
    for column, old, new in zip(columns, old_empty, new_empty):
        if abs(new - old) > bounds.max_empty_share_change:
            changes.append(f"column {column}: empty cells {old:.1%} -> {new:.1%}")

    coded = _coded_columns(connection, published, columns, approximate, min(MAX_CODE_VALUES, old_rows // 10))
    if coded and new_rows:
        distances = connection.execute(
            f"""
            WITH o AS ({_code_shares(published, coded)}), n AS ({_code_shares(staged, coded)})
            SELECT coalesce(o.column_name, n.column_name) AS column_name,
                   sum(abs(coalesce(n.share, 0) - coalesce(o.share, 0))) / 2 AS distance
            FROM o FULL JOIN n ON o.column_name = n.column_name AND o.v IS NOT DISTINCT FROM n.v
            GROUP BY 1 ORDER BY distance DESC, 1
            """
        ).fetchall()
        for column, distance in distances:
            if distance > bounds.max_code_share_change:
                changes.append(f"column {column}: {distance:.1%} of the rows moved to other codes "
                               f"(bound {bounds.max_code_share_change:.0%})")
        figures["largest_code_shift"] = round(float(distances[0][1]), 4) if distances else 0.0
    return changes, figures


def check_drift(connection: duckdb.DuckDBPyConnection, staged: str, published: str | None,
                source_file: SourceFile, bounds: DriftBounds, accepted_reason: str = "") -> CheckOutcome:
    """Blocking unless within bounds or accepted; `published` None: nothing to compare with (first drop)."""
    if published is None:
        return CheckOutcome("drift_within_bounds", True, "no published file of this kind yet: nothing to compare")
    if source_file.event_log:
        # a semester's village meetings or Cek Bansos claims are not the last ones again: more or fewer
        # rows, other ids and other decisions are what a new drop is for (verivali files also accumulate)
        return CheckOutcome("drift_within_bounds", True,
                            f"file {source_file.path} records events (decisions, claims), not the same records "
                            "again: not compared with the last published file")
    changes, figures = compare_with_published(connection, staged, published, source_file, bounds)
    if not changes:
        return CheckOutcome("drift_within_bounds", True, "within bounds of the last published file", metadata=figures)
    described = "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more" if len(changes) > 5 else "")
    if accepted_reason.strip():
        return CheckOutcome(
            "drift_within_bounds", True,
            f"file {source_file.path} changed beyond the bounds, accepted in the run config "
            f"(reason: {accepted_reason.strip()}): {described}",
            metadata={"file": source_file.path, "accepted": True, "changes": changes, **figures})
    return CheckOutcome(
        "drift_within_bounds", False,
        f"file {source_file.path} differs from the last published one beyond the bounds: {described}. If the "
        f"change is real, accept it in the run config (ops: raw__{source_file.key}: config: accept_drift_reason: "
        "'<why>') and run again",
        metadata={"file": source_file.path, "changes": changes, **figures})


def record_acceptance(connection: duckdb.DuckDBPyConnection, source_file: SourceFile, data_version: str | None,
                      reason: str, run_id: str, changes: str) -> None:
    connection.execute(
        f"""CREATE TABLE IF NOT EXISTS {ACCEPTANCE_TABLE} (accepted_at TIMESTAMP, run_id VARCHAR, file VARCHAR,
            raw_table VARCHAR, data_version VARCHAR, reason VARCHAR, changes VARCHAR)""")
    connection.execute(
        f"INSERT INTO {ACCEPTANCE_TABLE} VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
        [run_id, source_file.path, source_file.table, data_version, reason.strip(), changes])
