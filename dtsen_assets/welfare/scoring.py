"""Apply the published PMT to every DTSEN family, streaming, explain each score, and list those that cannot be scored.

dtsen.family is never pulled into Python whole: its features are computed in DuckDB
(`features.sql`) into a work table, read back `batch_rows` at a time through an Arrow reader,
encoded once, scored and explained (`explain.explain_and_predict`), and each batch's scores and
explanation rows are appended to their staged tables.

A family is scored when it has active members, a valid regency, and enough of its dwelling known
for at least the poorest data tier (see `Eligibility`, `variables.TIERS`): it is scored by the model
of the richest tier it has the data for; the few unknown values left are filled with the survey's
typical value and counted (`variabel_diisi`). The others go to the belum-terdata table with one reason.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from threadpoolctl import threadpool_limits

from dtsen_assets.platform.batches import DEFAULT_WORKERS, insert_stream, ordered_map
from dtsen_assets.platform.sql import count_rows, reader_cursor, render, scalar
from dtsen_assets.unify.plausibility import KARANTINA_TABLE
from dtsen_assets.welfare.explain import (
    EXPLANATION_SCHEMA,
    SOURCE_COLUMNS,
    ExplanationResult,
    ExplanationSettings,
    explain_and_predict,
    explanation_table,
    reference_profiles,
)
from dtsen_assets.welfare.features import feature_query
from dtsen_assets.welfare.models import PmtModel, Prediction
from dtsen_assets.welfare.regions import load_regions
from dtsen_assets.welfare.variables import TIERS, tier_dwelling

FAMILY_TABLE = "dtsen.family"
FEATURES_WORK_TABLE = "welfare.family_features__work"
# the tables the scoring pass stages (welfare/pmt_score publishes them)
SCORE_TABLE = "welfare.pmt_score"
SCORE_DETAIL_TABLE = "welfare.pmt_score_detail"
BELUM_TABLE = "welfare.belum_terdata"
EXPLANATION_TABLE = "welfare.explanation"


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
    explained: ExplanationResult | None = None


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
                          features_table: str = FEATURES_WORK_TABLE, ordered: bool = True) -> str:
    return (f"SELECT f.*, {eligibility.data_model_sql('f')} AS data_model FROM {features_table} f "
            f"ANTI JOIN {belum_table} b ON f.unit_id = b.family_id" + (" ORDER BY f.unit_id" if ordered else ""))


def score_families(connection: duckdb.DuckDBPyConnection, model: PmtModel, score_table: str, belum_table: str,
                   eligibility: Eligibility = Eligibility(), family_table: str = FAMILY_TABLE,
                   batch_rows: int = 50_000, log: Callable[[str], None] | None = None,
                   detail_table: str | None = None, workers: int = DEFAULT_WORKERS,
                   explanation_table: str | None = None,
                   explanation: ExplanationSettings = ExplanationSettings()) -> ScoringResult:
    """Stage `score_table` (family_id, pengeluaran_kapita_pmt, model_version), `belum_table`,
    `detail_table` (family_id, data_model, variabel_diisi: how many values the model had to fill in) and,
    when given, `explanation_table` (explain.EXPLANATION_COLUMNS: why each scored family differs from the
    typical family of its regency).

    One pass over dtsen.family: its features are built once, and each batch is encoded once for its
    scores and its explanations (the explanations used to rebuild the features and encode every family
    again). The explanation rows go to their table in one streaming INSERT; the scores, a few columns a
    family, are appended per batch through a second cursor while that INSERT runs.
    """
    started = time.perf_counter()
    explaining = explanation_table is not None
    missing = build_family_features(connection, family_table, passthrough=SOURCE_COLUMNS if explaining else ())
    belum = stage_belum_terdata(connection, belum_table, eligibility)
    connection.execute(f"CREATE OR REPLACE TABLE {score_table} (family_id VARCHAR, "
                       "pengeluaran_kapita_pmt DOUBLE, model_version VARCHAR)")
    if detail_table:
        connection.execute(f"CREATE OR REPLACE TABLE {detail_table} (family_id VARCHAR, data_model VARCHAR, "
                           "variabel_diisi INTEGER)")
    eligible = eligible_features_sql(belum_table, eligibility)
    explainer = _Explainer.prepare(connection, eligible_features_sql(belum_table, eligibility, ordered=False),
                                   explanation_table, explanation, model) if explaining else None
    result = ScoringResult(0, belum, 0.0, 0, missing)

    def score(item: pa.RecordBatch | tuple[pa.RecordBatch, pd.DataFrame]) -> tuple[pd.DataFrame, Prediction,
                                                                                 pa.Table | None]:
        if explainer is None:
            frame = item.to_pandas()
            return frame, model.predict(frame), None
        record_batch, typical_rows = item
        frame = record_batch.to_pandas()
        return frame, *explainer.explain(frame, typical_rows)

    def batches(reader: pa.RecordBatchReader, writer: duckdb.DuckDBPyConnection) -> Iterator[pa.Table]:
        typed = map(explainer.with_typical, reader) if explainer else reader
        for frame, prediction, explained in ordered_map(score, typed, workers):
            _append_scores(writer, frame, prediction, model.model_version, score_table, detail_table)
            for tier, count in frame["data_model"].value_counts().items():
                result.by_tier[tier] = result.by_tier.get(tier, 0) + int(count)
            result.scored += len(frame)
            result.batches += 1
            if log:
                log(f"scored {result.scored:,} families ({result.batches} batch(es))")
            if explained is not None:
                explainer.count(len(frame), explained)
                yield explained

    reader_connection = reader_cursor(connection)
    writer = reader_cursor(connection) if explaining else connection
    try:
        reader = reader_connection.sql(eligible).to_arrow_reader(batch_rows)
        with threadpool_limits(limits=1):       # one BLAS thread per worker thread
            if explainer is None:
                for _ in batches(reader, writer):
                    pass
            else:
                insert_stream(connection, explanation_table, EXPLANATION_ARROW_SCHEMA, batches(reader, writer))
    finally:
        reader_connection.close()
        if writer is not connection:
            writer.close()
    connection.execute(f"DROP TABLE IF EXISTS {FEATURES_WORK_TABLE}")
    result.seconds = time.perf_counter() - started
    result.explained = explainer.result() if explainer else None
    return result


def _append_scores(writer: duckdb.DuckDBPyConnection, frame: pd.DataFrame, prediction: Prediction,
                   model_version: str, score_table: str, detail_table: str | None) -> None:
    family_id = pa.array(frame["unit_id"].to_numpy(object), pa.string())
    batch = pa.table({
        "family_id": family_id,
        "pengeluaran_kapita_pmt": pa.array(np.exp(prediction.log_consumption).astype(np.float64)),
        "model_version": pa.array([model_version] * len(frame), pa.string()),
    })
    writer.register("welfare_score_batch", batch)
    writer.execute(f"INSERT INTO {score_table} SELECT * FROM welfare_score_batch")
    writer.unregister("welfare_score_batch")
    if detail_table:
        detail = pa.table({
            "family_id": family_id,
            "data_model": pa.array(frame["data_model"].to_numpy(object), pa.string()),
            "variabel_diisi": pa.array(prediction.filled.astype(np.int32)),
        })
        writer.register("welfare_detail_batch", detail)
        writer.execute(f"INSERT INTO {detail_table} SELECT * FROM welfare_detail_batch")
        writer.unregister("welfare_detail_batch")


EXPLANATION_ARROW_SCHEMA = pa.schema(EXPLANATION_SCHEMA.items())


@dataclass
class _Explainer:
    """What explaining the scored families needs beside the model: each regency's typical family (over
    the families that are scored) and its name, and the counts of what was explained."""

    model: PmtModel
    settings: ExplanationSettings
    typical: pd.DataFrame
    regency_name: Mapping[str, str]
    families: int = 0
    rows: int = 0
    explained: int = 0

    @classmethod
    def prepare(cls, connection: duckdb.DuckDBPyConnection, eligible_sql: str, out_table: str,
                settings: ExplanationSettings, model: PmtModel) -> _Explainer:
        typical = reference_profiles(connection, eligible_sql)
        # the table's columns and types are EXPLANATION_SCHEMA's (one definition, also the batches')
        connection.register("welfare_explanation_empty", EXPLANATION_ARROW_SCHEMA.empty_table())
        connection.execute(f"CREATE OR REPLACE TABLE {out_table} AS SELECT * FROM welfare_explanation_empty")
        connection.unregister("welfare_explanation_empty")
        return cls(model, settings, typical, load_regions(connection).regency_name)

    def with_typical(self, record_batch: pa.RecordBatch) -> tuple[pa.RecordBatch, pd.DataFrame]:
        # looked up here, in one thread: the profile table is shared by the workers
        kode_kab = record_batch.column("kode_kab").cast(pa.string()).to_numpy(zero_copy_only=False)
        return record_batch, self.typical.reindex(kode_kab).reset_index(drop=True)

    def explain(self, frame: pd.DataFrame, typical_rows: pd.DataFrame) -> tuple[Prediction, pa.Table]:
        explained = explain_and_predict(self.model, frame, typical_rows, frame["kode_kab"].astype(str).to_numpy())
        table = explanation_table(frame, explained.contribution, explained.total, typical_rows, self.settings,
                                  self.model.model_version, self.regency_name)
        return explained.prediction, table

    def count(self, families: int, table: pa.Table) -> None:
        self.families += families
        self.explained += pc.count_distinct(table["family_id"]).as_py()
        self.rows += table.num_rows

    def result(self) -> ExplanationResult:
        return ExplanationResult(self.families, self.rows, self.families - self.explained)
