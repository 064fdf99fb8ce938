"""staging.person_record: DTKS, P3KE and REGSOSEK person records in the canonical vocabulary."""

from __future__ import annotations

import duckdb

from dtsen_assets.platform.sql import run_sql
from dtsen_assets.platform.vocabulary import PERSON_CODED
from dtsen_assets.staging.codes import decoded_placeholders
from dtsen_assets.staging.names import standardize_names
from dtsen_assets.staging.reference import install_cleaning_rules

PERSON_RECORD_TABLE = "staging.person_record"

# (source, raw person table)
PERSON_SOURCES: tuple[tuple[str, str], ...] = (
    ("dtks", "raw.dtks_art"), ("p3ke", "raw.p3ke_individu"), ("regsosek", "raw.regsosek_individu"),
)


def build_person_record(connection: duckdb.DuckDBPyConnection, target: str = PERSON_RECORD_TABLE) -> None:
    """Write `target` from the raw person tables, staging.codebook, staging.wilayah and the
    published staging.family_record (each record's card and village come from its family)."""
    install_cleaning_rules(connection)
    codes = decoded_placeholders(connection, PERSON_SOURCES, PERSON_CODED, "p", "person_codes")
    standardize_names(connection, [(raw_table, "NAMA") for _, raw_table in PERSON_SOURCES])
    run_sql(connection, "staging/person_record", target=target, **codes)
