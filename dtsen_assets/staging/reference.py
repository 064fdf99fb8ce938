"""Reference data staging reads: the codebook, today's region codes and the cleaning rules.

The codebook (`data/codebook.csv`, the spec's vocabulary) and the region list
(`data/reference/wilayah.csv`) are shipped as package data (platform/reference.py) and loaded into
DuckDB tables. The cleaning rules that are lists (titles and abbreviations in names, placeholder
dates, questions a questionnaire skips) are CSV files beside this module.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dtsen_assets.platform.reference import CODEBOOK_PATH, WILAYAH_PATH
from dtsen_assets.platform.sql import run_sql

RULES_DIR = Path(__file__).resolve().parent
NAME_RULES_PATH = RULES_DIR / "name_rules.csv"
DATE_PLACEHOLDERS_PATH = RULES_DIR / "date_placeholders.csv"
SKIP_RULES_PATH = RULES_DIR / "skip_rules.csv"

CODEBOOK_TABLE = "staging.codebook"
WILAYAH_TABLE = "staging.wilayah"


def install_cleaning_rules(connection: duckdb.DuckDBPyConnection) -> None:
    """The cleaning macros and the rule lists they read (temporary: this connection only).

    Needs staging.wilayah (the NIK and region checks look codes up in it).
    """
    run_sql(connection, "staging/macros")
    run_sql(connection, "staging/name_rules", [str(NAME_RULES_PATH)])
    run_sql(connection, "staging/date_placeholders", [str(DATE_PLACEHOLDERS_PATH)])
    run_sql(connection, "staging/skip_rules", [str(SKIP_RULES_PATH)])
    run_sql(connection, "staging/lookup_macros")


def load_codebook(
    connection: duckdb.DuckDBPyConnection,
    target: str = CODEBOOK_TABLE,
    paths: tuple[Path, ...] = (CODEBOOK_PATH,),
) -> None:
    """codebook.csv (Dukcapil, verivali and Cek Bansos codes included) as one table keyed as codes are matched."""
    run_sql(connection, "staging/macros")
    run_sql(connection, "staging/codebook", [[str(p) for p in paths]], target=target)


def load_wilayah(connection: duckdb.DuckDBPyConnection, target: str = WILAYAH_TABLE, path: Path = WILAYAH_PATH) -> None:
    """Today's Kemendagri region codes, without dots, with their level (`tingkat`)."""
    run_sql(connection, "staging/wilayah", [str(path)], target=target)
