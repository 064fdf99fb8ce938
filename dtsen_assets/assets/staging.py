"""Staging assets: every source in the canonical vocabulary, with every problem named.

Codes become canonical values through the codebook (itself an asset, loaded from
data/codebook.csv), NIKs, dates and names are cleaned by the rules of dtsen_assets/staging, and
each record lists the problems found in `problems`. Every asset goes through the gate
(`dtsen_assets.platform.gate`): the stage builds `<table>__staging`, the checks of
`dtsen_assets.checks.staging` judge it, and it is published only when every blocking check passed.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP
from dtsen_assets.assets.sources import raw_asset_key
from dtsen_assets.assets.unify_shards import plan_of_run, run_directory
from dtsen_assets.checks import staging as checks
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.platform.gate import CheckOutcome, check_specs, report, stage_check_publish
from dtsen_assets.platform.vocabulary import (
    DUKCAPIL_CODED, FAMILY_CODED, HEAD_CODED, PERSON_CODED, VERIVALI_CODED,
)
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.staging import reference
from dtsen_assets.staging import shards
from dtsen_assets.staging.dukcapil import DUKCAPIL_PERSON_TABLE, build_dukcapil_person
from dtsen_assets.staging.family import FAMILY_RECORD_TABLE, FAMILY_SOURCES, build_family_record
from dtsen_assets.staging.metadata import quality_metadata, staging_table_metadata
from dtsen_assets.staging.person import PERSON_RECORD_TABLE, PERSON_SOURCES, build_person_record
from dtsen_assets.staging.quality import code_shares, problem_counts
from dtsen_assets.staging.susenas import SUSENAS_HOUSEHOLD_TABLE, build_susenas_household
from dtsen_assets.staging.verivali import VERIVALI_DECISION_TABLE, build_verivali_decision
from dtsen_assets.warehouse import staging_table

# The cleaning logic: staging's Python, SQL and rule CSVs (and the group's checks and the gate).
STAGING_CODE_VERSION = code_version("staging")
CODEBOOK_CODE_VERSION = code_version("staging", extra=[reference.CODEBOOK_PATH])
WILAYAH_CODE_VERSION = code_version("staging", extra=[reference.WILAYAH_PATH])

CODEBOOK_KEY = checks.CODEBOOK
WILAYAH_KEY = checks.WILAYAH
FAMILY_RECORD_KEY = checks.FAMILY_RECORD
PERSON_RECORD_KEY = checks.PERSON_RECORD
DUKCAPIL_PERSON_KEY = checks.DUKCAPIL_PERSON
SUSENAS_HOUSEHOLD_KEY = checks.SUSENAS_HOUSEHOLD
VERIVALI_DECISION_KEY = checks.VERIVALI_DECISION
REFERENCE_KEYS = [CODEBOOK_KEY, WILAYAH_KEY]
# the cleaning per province shard (assets/staging_shards.py, the job dtsen_build_provinces only)
STAGING_SHARDS = dg.AssetKey(["staging", "shards"])

Evaluate = Callable[[duckdb.DuckDBPyConnection, str], list[CheckOutcome]]


class StagingConfig(dg.Config):
    """Thresholds of the staging checks (defaults in dtsen_assets.checks.staging)."""

    max_unknown_code_share: float = Field(
        default=checks.DEFAULT_MAX_UNKNOWN_CODE_SHARE,
        description="Blocking: largest share of a variable's codes (per source) that the codebook does not know.",
    )
    min_unknown_codes: int = Field(
        default=checks.DEFAULT_MIN_UNKNOWN_CODES,
        description="Blocking only from this many unknown codes of a variable (one slip in a small sample is no changed coding).",
    )
    warn_problem_share: float = Field(
        default=checks.DEFAULT_WARN_PROBLEM_SHARE,
        description="Warning: largest share of a source's records that may carry one problem of severity warn.",
    )
    severe_problem_share: float = Field(
        default=checks.DEFAULT_SEVERE_PROBLEM_SHARE,
        description="Warning: largest share of a source's records that may carry one severe problem "
                    "(dtsen_assets/vital.py problem_severity).",
    )


def gate_staging_table(
    connection: duckdb.DuckDBPyConnection,
    asset_key: dg.AssetKey,
    table: str,
    build: Callable[[duckdb.DuckDBPyConnection, str], None],
    evaluate: Evaluate,
    describe: Callable[[duckdb.DuckDBPyConnection, str], dict[str, object]] = lambda connection, table: {},
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
    """Through the gate: build `<table>__staging`, check it, publish it; then its metadata."""
    staged = staging_table(table)
    gated = stage_check_publish(connection, lambda c: build(c, staged), lambda c, _: evaluate(c, staged), [table])
    yield from report(table, gated.outcomes, asset_key)
    yield dg.MaterializeResult(metadata={**staging_table_metadata(connection, table), **describe(connection, table)})


@dataclass(frozen=True)
class RecordTable:
    """One staging record table: what it is built from, its key, its coded variables and its own checks."""

    key: dg.AssetKey
    table: str
    build: Callable[[duckdb.DuckDBPyConnection, str], None]
    raw_tables: Sequence[tuple[str, str]]          # (source, raw table)
    record_key: Sequence[str]
    variables: Sequence[str]
    description: str
    source: str | None = None                      # the one source of a single-source table
    extra_deps: Sequence[dg.AssetKey] = ()
    extra_checks: Callable[[duckdb.DuckDBPyConnection, str], list[CheckOutcome]] = lambda connection, table: []

    def evaluate(self, config: StagingConfig, found: dict[str, list] | None = None) -> Evaluate:
        """The checks; what they count (problems, unknown codes) is also kept in `found` for `describe`."""
        def evaluate(connection: duckdb.DuckDBPyConnection, table: str) -> list[CheckOutcome]:
            shares = code_shares(connection, table, self.variables, self.source)
            counts = problem_counts(connection, table, self.source)
            if found is not None:
                found.update(shares=shares, counts=counts)
            return [
                checks.check_one_row_per_raw_record(connection, table, self.raw_tables, self.record_key,
                                                    source_column=None if self.source else "source"),
                checks.check_unknown_codes(shares, config.max_unknown_code_share, table, config.min_unknown_codes),
                *self.extra_checks(connection, table),
                checks.check_problem_shares(counts, config.warn_problem_share, table, config.severe_problem_share),
            ]
        return evaluate

    def describe(self, connection: duckdb.DuckDBPyConnection, table: str,
                 found: dict[str, list] | None = None) -> dict[str, object]:
        """Problems and unknown codes as metadata: as the checks found them (the table published is the
        one they checked), else counted on `table`."""
        found = found or {}
        counts = found["counts"] if "counts" in found else problem_counts(connection, table, self.source)
        shares = found["shares"] if "shares" in found else code_shares(connection, table, self.variables, self.source)
        return quality_metadata(counts, shares)


def build_record_asset(record: RecordTable) -> dg.AssetsDefinition:
    """The asset of one staging record table; all five are built by this one factory."""

    @dg.asset(
        key=record.key,
        description=record.description,
        deps=[raw_asset_key(raw.split(".")[1]) for _, raw in record.raw_tables] + REFERENCE_KEYS
        + list(record.extra_deps) + ([STAGING_SHARDS] if record.table in shards.SHARDED_TABLES else []),
        code_version=STAGING_CODE_VERSION,
        check_specs=check_specs(checks.STAGING_CHECKS, record.key),
        group_name="staging", kinds={"duckdb"}, owners=[OWNER], tags={"layer": "staging"}, op_tags=WAREHOUSE_STEP,
    )
    def staging_record_table(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, config: StagingConfig):
        sharded = planned_staging_shards(warehouse, context.run.run_id) if record.table in shards.SHARDED_TABLES else None
        build, staged_in = record.build, "this step"
        if sharded:      # the job dtsen_build_provinces cleaned the records by province shard (staging/shards)
            shard_count = len(shards.read_plan(sharded)["shards"])
            context.log.info(f"{record.table}: merging the {shard_count} staging shards of this run")
            build = lambda c, target: shards.merge(c, sharded, record.table, target)  # noqa: E731
            staged_in = f"{shard_count} province shards (staging/shards)"
        with warehouse.connect() as connection:
            found: dict[str, list] = {}   # counted once, by the checks
            yield from gate_staging_table(connection, record.key, record.table, build,
                                          record.evaluate(config, found),
                                          lambda c, table: {**record.describe(c, table, found), "staged_in": staged_in})

    staging_record_table.__name__ = record.key.path[-1]
    return staging_record_table


RECORD_TABLES = [
    RecordTable(
        FAMILY_RECORD_KEY, FAMILY_RECORD_TABLE, build_family_record, FAMILY_SOURCES,
        ["source", "source_family_id"], FAMILY_CODED,
        "One row per source family of DTKS, P3KE and REGSOSEK in the canonical vocabulary: cleaned NO_KK, "
        "10-digit kode_desa, DTKS update date and program flags, P3KE desil, and the housing, asset, land "
        "and livestock variables each source has (NULL where it lacks them), with `problems`."),
    RecordTable(
        PERSON_RECORD_KEY, PERSON_RECORD_TABLE, build_person_record, PERSON_SOURCES,
        ["source", "source_record_id"], PERSON_CODED,
        "One row per person record of DTKS, P3KE and REGSOSEK in the canonical vocabulary: the NIK as "
        "received and cleaned (nik_valid when its birth-date and sex digits agree with the record), the "
        "standardized name (titles, BIN/BINTI and abbreviations handled), birth date, age, sex, relation, "
        "education and work, the family's card and village, and every problem found.",
        extra_deps=[FAMILY_RECORD_KEY],
        extra_checks=lambda c, table: [checks.check_family_exists(c, table, FAMILY_RECORD_TABLE)]),
    RecordTable(
        DUKCAPIL_PERSON_KEY, DUKCAPIL_PERSON_TABLE, build_dukcapil_person, [("dukcapil", "raw.dukcapil_penduduk")],
        ["line_number"], DUKCAPIL_CODED,
        "The civil registry (Dukcapil), one row per NIK, cleaned like the source records so linkage compares "
        "like with like: standardized name, birth date, sex, relation in the family card, village, whether "
        "the person is alive and the date of death, with `problems` (e.g. NIK digits that disagree).",
        source="dukcapil",
        extra_checks=lambda c, table: [checks.check_nik_unique(c, table), checks.check_vital_codes(c, table, "dukcapil")]),
    RecordTable(
        SUSENAS_HOUSEHOLD_KEY, SUSENAS_HOUSEHOLD_TABLE, build_susenas_household,
        [("susenas", "raw.susenas_rumah_tangga")], ["id_rt"], [f"krt_{v}" for v in HEAD_CODED] + list(FAMILY_CODED),
        "The SUSENAS household sample in the canonical family welfare variables (composition, head of "
        "household, housing, assets, land, livestock) with its weight and measured consumption per person: "
        "what the PMT model is trained on, in the same features DTSEN families are scored on.",
        source="susenas"),
    RecordTable(
        VERIVALI_DECISION_KEY, VERIVALI_DECISION_TABLE, build_verivali_decision,
        [("verivali", "raw.verivali_musdes")], ["source_file", "line_number"], VERIVALI_CODED,
        "One row per village-meeting decision (berita acara musdes/muskel) from every verivali/*.csv: the "
        "cleaned NIK, card, name and village, the decision (`aksi`: meninggal, pindah, mampu, perbaikan_nik, "
        "usulan_baru, tetap) and the corrected NIK. A decision is a claim: staging cleans, unify decides.",
        source="verivali",
        extra_checks=lambda c, table: [checks.check_vital_codes(c, table, "verivali", "source_file")]),
]


def staging_shard_directory(warehouse: DuckDBWarehouse, run_id: str) -> Path:
    return shards.staging_directory(run_directory(warehouse, run_id))


def planned_staging_shards(warehouse: DuckDBWarehouse, run_id: str) -> Path | None:
    """This run's staging shard folder, when this run staged by shard (else None: stage in the asset's step)."""
    directory = staging_shard_directory(warehouse, run_id)
    return directory if plan_of_run(directory, run_id) else None


# --- reference tables ---

def _reference_asset(key: dg.AssetKey, table: str, load, version: str, description: str, evaluate: Evaluate):
    @dg.asset(key=key, description=description, code_version=version,
              check_specs=check_specs(checks.STAGING_CHECKS, key),
              group_name="staging", kinds={"duckdb"}, owners=[OWNER], tags={"layer": "staging"},
              op_tags=WAREHOUSE_STEP)
    def reference_table(warehouse: DuckDBWarehouse):
        with warehouse.connect() as connection:
            yield from gate_staging_table(connection, key, table, lambda c, target: load(c, target), evaluate)

    reference_table.__name__ = f"staging_{key.path[-1]}"
    return reference_table


staging_codebook = _reference_asset(
    CODEBOOK_KEY, reference.CODEBOOK_TABLE, reference.load_codebook, CODEBOOK_CODE_VERSION,
    "The canonical vocabulary as a table: data/codebook.csv (one row per source, variable, code and "
    "canonical variable) with `code_key`, "
    "the normalized code every source value is matched on (upper case, single spaces, no leading zeros).",
    lambda c, table: [checks.check_codebook_keys_unique(c, table), checks.check_codebook_rows_complete(c, table)])
staging_wilayah = _reference_asset(
    WILAYAH_KEY, reference.WILAYAH_TABLE, reference.load_wilayah, WILAYAH_CODE_VERSION,
    "Today's Kemendagri region codes (data/reference/wilayah.csv) without dots, with their level: "
    "provinces, kabupaten/kota, kecamatan, desa/kelurahan. Staging checks village codes and NIK "
    "region prefixes against it; welfare names provinces and regencies from it.",
    lambda c, table: [checks.check_region_codes(c, table)])

staging_assets = [staging_codebook, staging_wilayah, *(build_record_asset(r) for r in RECORD_TABLES)]
