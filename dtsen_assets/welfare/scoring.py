"""Apply the published PMT to every DTSEN family, streaming, and list those that cannot be scored.

dtsen.family is never pulled into Python whole: its features are computed in DuckDB
(`features.sql`) into a work table, read back `batch_rows` at a time through an Arrow reader,
scored, and each batch of scores is registered with DuckDB and INSERTed into the staged table.

A family is scored when it has active members, a valid regency, and enough of its dwelling known
(see `Eligibility`); any other unknown value is filled with the survey's typical value (and counted,
see `explain.py`). The others go to the belum-terdata table with one reason each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from dtsen_assets.sql import load_sql
from dtsen_assets.welfare.db import reader_cursor, scalar
from dtsen_assets.welfare.features import feature_query
from dtsen_assets.welfare.models import PmtModel
from dtsen_assets.welfare.variables import CORE_HOUSING, DWELLING_AND_POSSESSIONS

FAMILY_TABLE = "dtsen.family"
FEATURES_WORK_TABLE = "welfare.family_features__work"


@dataclass(frozen=True)
class Eligibility:
    """How much a family must have recorded to be scored (defaults in dg.Config of the asset)."""

    min_core_housing_known: int = 6       # of the 8 housing variables all three registries record
    min_dwelling_known: int = 12          # of the 34 dwelling, asset, land and livestock variables

    def __post_init__(self) -> None:
        if not 0 <= self.min_core_housing_known <= len(CORE_HOUSING):
            raise ValueError(f"min_core_housing_known must be within 0..{len(CORE_HOUSING)}")
        if not 0 <= self.min_dwelling_known <= len(DWELLING_AND_POSSESSIONS):
            raise ValueError(f"min_dwelling_known must be within 0..{len(DWELLING_AND_POSSESSIONS)}")


@dataclass
class ScoringResult:
    scored: int
    belum_terdata: int
    seconds: float
    batches: int
    missing_columns: tuple[str, ...]


def build_family_features(connection: duckdb.DuckDBPyConnection, family_table: str = FAMILY_TABLE,
                          features_table: str = FEATURES_WORK_TABLE, passthrough: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Compute every family's features into `features_table`; returns the variables the table lacks."""
    query = feature_query(connection, family_table, "family_id", passthrough=passthrough)
    connection.execute(f"CREATE OR REPLACE TABLE {features_table} AS {query.sql}")
    return query.missing_columns


def stage_belum_terdata(connection: duckdb.DuckDBPyConnection, out_table: str, eligibility: Eligibility,
                        features_table: str = FEATURES_WORK_TABLE) -> int:
    sql = load_sql("welfare", "belum_terdata").format(
        features=features_table,
        min_core_housing=int(eligibility.min_core_housing_known),
        min_dwelling=int(eligibility.min_dwelling_known),
        core_housing_total=len(CORE_HOUSING),
        dwelling_total=len(DWELLING_AND_POSSESSIONS),
    )
    connection.execute(f"CREATE OR REPLACE TABLE {out_table} AS {sql} ORDER BY family_id")
    return int(scalar(connection, f"SELECT count(*) FROM {out_table}"))


def eligible_features_sql(belum_table: str, features_table: str = FEATURES_WORK_TABLE) -> str:
    return (f"SELECT f.* FROM {features_table} f ANTI JOIN {belum_table} b ON f.unit_id = b.family_id "
            "ORDER BY f.unit_id")


def score_families(connection: duckdb.DuckDBPyConnection, model: PmtModel, score_table: str, belum_table: str,
                   eligibility: Eligibility = Eligibility(), family_table: str = FAMILY_TABLE,
                   batch_rows: int = 100_000, log: Callable[[str], None] | None = None) -> ScoringResult:
    """Stage `score_table` (family_id, pengeluaran_kapita_pmt, model_version) and `belum_table`."""
    started = time.perf_counter()
    missing = build_family_features(connection, family_table)
    belum = stage_belum_terdata(connection, belum_table, eligibility)
    connection.execute(f"CREATE OR REPLACE TABLE {score_table} (family_id VARCHAR, "
                       "pengeluaran_kapita_pmt DOUBLE, model_version VARCHAR)")
    scored = batches = 0
    reader_connection = reader_cursor(connection)
    try:
        reader = reader_connection.sql(eligible_features_sql(belum_table)).to_arrow_reader(batch_rows)
        for record_batch in reader:
            frame = record_batch.to_pandas()
            predicted = model.predict_consumption(frame)
            batch = pa.table({
                "family_id": pa.array(frame["unit_id"].to_numpy(object), pa.string()),
                "pengeluaran_kapita_pmt": pa.array(predicted.astype(np.float64)),
                "model_version": pa.array([model.model_version] * len(frame), pa.string()),
            })
            connection.register("welfare_score_batch", batch)
            connection.execute(f"INSERT INTO {score_table} SELECT * FROM welfare_score_batch")
            connection.unregister("welfare_score_batch")
            scored += len(frame)
            batches += 1
            if log:
                log(f"scored {scored:,} families ({batches} batch(es))")
    finally:
        reader_connection.close()
    connection.execute(f"DROP TABLE IF EXISTS {FEATURES_WORK_TABLE}")
    return ScoringResult(scored, belum, time.perf_counter() - started, batches, missing)
