"""staging.dukcapil_person: the civil registry, cleaned like the source records."""

from __future__ import annotations

import duckdb

from dtsen_assets.platform.sql import run_sql
from dtsen_assets.platform.vocabulary import DUKCAPIL_CODED
from dtsen_assets.staging.codes import decoded_placeholders
from dtsen_assets.staging.names import standardize_names
from dtsen_assets.staging.reference import install_cleaning_rules

DUKCAPIL_PERSON_TABLE = "staging.dukcapil_person"


def build_dukcapil_person(connection: duckdb.DuckDBPyConnection, target: str = DUKCAPIL_PERSON_TABLE) -> None:
    """Write `target` from raw.dukcapil_penduduk, staging.codebook and staging.wilayah."""
    install_cleaning_rules(connection)
    codes = decoded_placeholders(connection, [("dukcapil", "raw.dukcapil_penduduk")], DUKCAPIL_CODED, "d", "codes")
    standardize_names(connection, [("raw.dukcapil_penduduk", "NAMA_LGKP")])
    run_sql(connection, "staging/dukcapil_person", target=target, **codes)
