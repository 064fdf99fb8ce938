"""staging.family_record: DTKS, P3KE and REGSOSEK families in the canonical vocabulary."""

from __future__ import annotations

import duckdb

from dtsen_assets.platform.sql import run_sql
from dtsen_assets.platform.vocabulary import FAMILY_CODED
from dtsen_assets.staging.codes import decoded_placeholders
from dtsen_assets.staging.columns import family_record_columns
from dtsen_assets.staging.reference import install_cleaning_rules

FAMILY_RECORD_TABLE = "staging.family_record"

FAMILY_SOURCES: tuple[tuple[str, str], ...] = (   # (source, raw family table)
    ("dtks", "raw.dtks_keluarga"), ("p3ke", "raw.p3ke_keluarga"), ("regsosek", "raw.regsosek_keluarga"),
)


def build_family_record(connection: duckdb.DuckDBPyConnection, target: str = FAMILY_RECORD_TABLE) -> None:
    """Write `target` from the raw family tables, staging.codebook and staging.wilayah."""
    install_cleaning_rules(connection)
    codes = decoded_placeholders(connection, FAMILY_SOURCES, FAMILY_CODED, "f", "family_codes")
    run_sql(connection, "staging/family_record", target=target, **family_record_columns(), **codes)
