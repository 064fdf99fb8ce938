"""Apply the published PMT to every DTSEN family, streaming, and list those that cannot be scored.

dtsen.family is never pulled into Python whole: its features are computed in DuckDB
(`features.sql`) into a work table, read back `batch_rows` at a time through an Arrow reader,
scored, and each batch of scores is registered with DuckDB and INSERTed into the staged table.

A family is scored when it has active members, a valid regency, and enough of its dwelling known
for at least the poorest data tier (see `Eligibility`, `variables.TIERS`): it is scored by the model
of the richest tier it has the data for; the few unknown values left are filled with the survey's
typical value and counted (`variabel_diisi`). The others go to the belum-terdata table with one reason.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from dtsen_assets.platform.batches import DEFAULT_WORKERS, ordered_map
from dtsen_assets.platform.sql import count_rows, reader_cursor, render, scalar
from dtsen_assets.unify.plausibility import KARANTINA_TABLE
from dtsen_assets.welfare.features import feature_query
from dtsen_assets.welfare.models import PmtModel, Prediction
from dtsen_assets.welfare.variables import TIERS, tier_dwelling

FAMILY_TABLE = "dtsen.family"
FEATURES_WORK_TABLE = "welfare.family_features__work"


@dataclass(frozen=True)
class Eligibility:
    """Which data tier scores a family (default in the asset's dg.Config).

    A family is scored by the richest tier (variables.TIERS) of which at least `min_known_share` of
    the dwelling/possession variables are known; with less than that even of the eight core housing
    variables it cannot be scored.
    """

    min_known_share: float = 0.75

    def __post_init__(self) -> None:
        if not 0.0 < self.min_known_share <= 1.0:
            raise ValueError("min_known_share must be in (0, 1]")

    def needed(self, tier: str) -> int:
        return int(math.ceil(self.min_known_share * len(tier_dwelling(tier)) - 1e-9))

    def data_model_sql(self, alias: str = "f") -> str:
        """CASE giving each family's tier, NULL when not even the core housing is recorded enough."""
        cases = " ".join(f"WHEN {alias}.known_{tier} >= {self.needed(tier)} THEN '{tier}'" for tier in TIERS)
        return f"CASE {cases} END"


@dataclass
class ScoringResult:
    scored: int
    belum_terdata: int
    seconds: float
    batches: int
    missing_columns: tuple[str, ...]
    by_tier: dict[str, int] = field(default_factory=dict)


def build_family_features(connection: duckdb.DuckDBPyConnection, family_table: str = FAMILY_TABLE,
                          features_table: str = FEATURES_WORK_TABLE, passthrough: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Compute every family's features into `features_table`; returns the variables the table lacks."""
    query = feature_query(connection, family_table, "family_id", passthrough=passthrough)
    connection.execute(f"CREATE OR REPLACE TABLE {features_table} AS {query.sql}")
    return query.missing_columns


def stage_belum_terdata(connection: duckdb.DuckDBPyConnection, out_table: str, eligibility: Eligibility,
                        features_table: str = FEATURES_WORK_TABLE) -> int:
    sql = render("welfare/belum_terdata", 
        features=features_table, data_model=eligibility.data_model_sql("f"), karantina=_karantina(connection),
        core_total=len(tier_dwelling("rumah_pokok")), core_needed=eligibility.needed("rumah_pokok"))
    connection.execute(f"CREATE OR REPLACE TABLE {out_table} AS {sql} ORDER BY family_id")
    return count_rows(connection, out_table)


def _karantina(connection: duckdb.DuckDBPyConnection) -> str:
    """The quarantined families (unify.family_karantina), or none when unify has not listed any yet."""
    exists = scalar(connection, "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                                f"AND schema_name || '.' || table_name = '{KARANTINA_TABLE}'")
    if exists:
        return f"SELECT family_id, keterangan FROM {KARANTINA_TABLE}"
    return "SELECT NULL::VARCHAR AS family_id, NULL::VARCHAR AS keterangan WHERE false"


def eligible_features_sql(belum_table: str, eligibility: Eligibility,
                          features_table: str = FEATURES_WORK_TABLE) -> str:
    return (f"SELECT f.*, {eligibility.data_model_sql('f')} AS data_model FROM {features_table} f "
            f"ANTI JOIN {belum_table} b ON f.unit_id = b.family_id ORDER BY f.unit_id")


def score_families(connection: duckdb.DuckDBPyConnection, model: PmtModel, score_table: str, belum_table: str,
                   eligibility: Eligibility = Eligibility(), family_table: str = FAMILY_TABLE,
                   batch_rows: int = 50_000, log: Callable[[str], None] | None = None,
                   detail_table: str | None = None, workers: int = DEFAULT_WORKERS) -> ScoringResult:
    """Stage `score_table` (family_id, pengeluaran_kapita_pmt, model_version), `belum_table`, and
    `detail_table` (family_id, data_model, variabel_diisi: how many values the model had to fill in)."""
    started = time.perf_counter()
    missing = build_family_features(connection, family_table)
    belum = stage_belum_terdata(connection, belum_table, eligibility)
    connection.execute(f"CREATE OR REPLACE TABLE {score_table} (family_id VARCHAR, "
                       "pengeluaran_kapita_pmt DOUBLE, model_version VARCHAR)")
    if detail_table:
        connection.execute(f"CREATE OR REPLACE TABLE {detail_table} (family_id VARCHAR, data_model VARCHAR, "
                           "variabel_diisi INTEGER)")
    scored = batches = 0
    by_tier: dict[str, int] = {}
    def score(record_batch: pa.RecordBatch) -> tuple[pd.DataFrame, Prediction]:
        frame = record_batch.to_pandas()
        return frame, model.predict(frame)

    reader_connection = reader_cursor(connection)
    try:
        reader = reader_connection.sql(eligible_features_sql(belum_table, eligibility)).to_arrow_reader(batch_rows)
        with threadpool_limits(limits=1):       # one BLAS thread per worker thread
            for frame, prediction in ordered_map(score, reader, workers):
                predicted = np.exp(prediction.log_consumption)
                batch = pa.table({
                    "family_id": pa.array(frame["unit_id"].to_numpy(object), pa.string()),
                    "pengeluaran_kapita_pmt": pa.array(predicted.astype(np.float64)),
                    "model_version": pa.array([model.model_version] * len(frame), pa.string()),
                })
                connection.register("welfare_score_batch", batch)
                connection.execute(f"INSERT INTO {score_table} SELECT * FROM welfare_score_batch")
                connection.unregister("welfare_score_batch")
                if detail_table:
                    detail = pa.table({
                        "family_id": batch.column("family_id"),
                        "data_model": pa.array(frame["data_model"].to_numpy(object), pa.string()),
                        "variabel_diisi": pa.array(prediction.filled.astype(np.int32)),
                    })
                    connection.register("welfare_detail_batch", detail)
                    connection.execute(f"INSERT INTO {detail_table} SELECT * FROM welfare_detail_batch")
                    connection.unregister("welfare_detail_batch")
                for tier, count in frame["data_model"].value_counts().items():
                    by_tier[tier] = by_tier.get(tier, 0) + int(count)
                scored += len(frame)
                batches += 1
                if log:
                    log(f"scored {scored:,} families ({batches} batch(es))")
    finally:
        reader_connection.close()
    connection.execute(f"DROP TABLE IF EXISTS {FEATURES_WORK_TABLE}")
    return ScoringResult(scored, belum, time.perf_counter() - started, batches, missing, by_tier)
