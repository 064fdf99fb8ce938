"""staging.susenas_household: the SUSENAS sample in the canonical family welfare variables."""

from __future__ import annotations

import duckdb

from dtsen_assets.platform.sql import run_sql
from dtsen_assets.platform.vocabulary import FAMILY_CODED, HEAD_CODED
from dtsen_assets.staging.codes import decode_codes
from dtsen_assets.staging.columns import susenas_household_columns
from dtsen_assets.staging.reference import install_cleaning_rules

SUSENAS_HOUSEHOLD_TABLE = "staging.susenas_household"


def build_susenas_household(connection: duckdb.DuckDBPyConnection, target: str = SUSENAS_HOUSEHOLD_TABLE) -> None:
    """Write `target` from raw.susenas_rumah_tangga, staging.codebook and staging.wilayah."""
    install_cleaning_rules(connection)
    decode_codes(connection, "susenas", "raw.susenas_rumah_tangga", "ID_RT", (*HEAD_CODED, *FAMILY_CODED),
                 "susenas_codes")
    run_sql(connection, "staging/susenas_household", target=target, **susenas_household_columns())
