"""Checks of a published release: cross-table consistency, read after `dtsen/release` published it.

They stand on their own (`@dg.asset_check` on dtsen/release, assets/release.py): each table was gated
when it was built; these look across the tables a reader now sees together. Informative: the release
is already published when they run.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from dtsen_assets.platform.gate import Check, CheckOutcome, outcome
from dtsen_assets.warehouse import table_exists

RELEASE = dg.AssetKey(["dtsen", "release"])

RELEASE_TABLES_CONSISTENT = Check(
    "release_tables_consistent", RELEASE,
    "In the published release every family of welfare.decile, welfare.pmt_score and program.kandidat is a family "
    "of dtsen.family, and every person of dtsen.person_source a person of dtsen.person (informative: read after "
    "the release, across tables each gated on its own).", blocking=False)
RELEASE_CHECKS: list[Check] = [RELEASE_TABLES_CONSISTENT]

# (table, key column, the table it must be found in)
REFERENCES = (
    ("welfare.decile", "family_id", "dtsen.family"),
    ("welfare.pmt_score", "family_id", "dtsen.family"),
    ("program.kandidat", "family_id", "dtsen.family"),
    ("dtsen.person_source", "person_id", "dtsen.person"),
)


def check_release_tables_consistent(connection: duckdb.DuckDBPyConnection) -> CheckOutcome:
    """Rows whose key is missing from the table it refers to, per reference (tables not built are skipped)."""
    missing: dict[str, int] = {}
    for table, column, target in REFERENCES:
        if not (table_exists(connection, table) and table_exists(connection, target)):
            continue
        missing[f"{table}.{column}"] = int(connection.execute(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.{column} = t.{column})").fetchone()[0])
    broken = {name: n for name, n in missing.items() if n}
    summary = (f"every reference resolves ({', '.join(missing) or 'no table built yet'})" if not broken else
               "; ".join(f"{name}: {n:,} row(s) not found" for name, n in broken.items()))
    return outcome(RELEASE_TABLES_CONSISTENT, not broken, summary, **{f"missing_{k}": v for k, v in missing.items()})
