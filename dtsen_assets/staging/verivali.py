"""staging.verivali_decision: village-meeting decisions, cleaned (a decision is a claim)."""

from __future__ import annotations

import duckdb

from dtsen_assets.platform.sql import run_sql
from dtsen_assets.platform.vocabulary import VERIVALI_CODED
from dtsen_assets.staging.codes import decode_codes
from dtsen_assets.staging.names import standardize_names
from dtsen_assets.staging.reference import install_cleaning_rules

VERIVALI_DECISION_TABLE = "staging.verivali_decision"


def build_verivali_decision(connection: duckdb.DuckDBPyConnection, target: str = VERIVALI_DECISION_TABLE) -> None:
    """Write `target` from raw.verivali_musdes (zero or more files), staging.codebook and staging.wilayah."""
    install_cleaning_rules(connection)
    decode_codes(connection, "verivali", "raw.verivali_musdes", "_source_file || ':' || _line_number",
                 VERIVALI_CODED, "verivali_codes")
    standardize_names(connection, [("raw.verivali_musdes", "NAMA")])
    run_sql(connection, "staging/verivali_decision", target=target)
