"""Staging assets: every source in the canonical vocabulary, with every problem named.

Codes become canonical values through the codebook (itself an asset, loaded from
data/codebook.csv), NIKs, dates and names are cleaned by the rules of dtsen_assets/staging, and
each record lists the problems found in `problems`. Each asset builds `<table>__staging`, runs
its checks there and publishes only when every blocking check passed (write, audit, publish).
"""

import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from dtsen_assets.assets.constants import OWNER
from dtsen_assets.assets.sources import raw_asset_key
from dtsen_assets.checks import staging as checks
from dtsen_assets.checks.core import CheckOutcome, audit_then_publish, check_spec
from dtsen_assets.platform.vocabulary import (
    DUKCAPIL_CODED, FAMILY_CODED, HEAD_CODED, PERSON_CODED, VERIVALI_CODED,
)
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.staging import reference
from dtsen_assets.staging.dukcapil import DUKCAPIL_PERSON_TABLE, build_dukcapil_person
from dtsen_assets.staging.family import FAMILY_RECORD_TABLE, FAMILY_SOURCES, build_family_record
from dtsen_assets.staging.metadata import quality_metadata, staging_table_metadata
from dtsen_assets.staging.person import PERSON_RECORD_TABLE, PERSON_SOURCES, build_person_record
from dtsen_assets.staging.quality import code_shares, problem_counts
from dtsen_assets.staging.susenas import SUSENAS_HOUSEHOLD_TABLE, build_susenas_household
from dtsen_assets.staging.verivali import VERIVALI_DECISION_TABLE, build_verivali_decision
from dtsen_assets.warehouse import staging_table


def _fingerprint(*paths: Path) -> str:
    """A short hash of files, so a changed rule, query or codebook changes the code version."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


_STAGING_DIR = Path(reference.__file__).parent
_SQL_DIR = _STAGING_DIR.parent / "sql" / "staging"
# The cleaning logic: staging's SQL, its rule CSVs and its Python.
STAGING_CODE_VERSION = "staging-1-" + _fingerprint(
    *_SQL_DIR.glob("*.sql"), *_STAGING_DIR.glob("*.csv"), *_STAGING_DIR.glob("*.py"))
CODEBOOK_CODE_VERSION = "codebook-1-" + _fingerprint(reference.CODEBOOK_PATH)
WILAYAH_CODE_VERSION = "wilayah-1-" + _fingerprint(reference.WILAYAH_PATH)

CODEBOOK_KEY = dg.AssetKey(["staging", "codebook"])
WILAYAH_KEY = dg.AssetKey(["staging", "wilayah"])
FAMILY_RECORD_KEY = dg.AssetKey(["staging", "family_record"])
PERSON_RECORD_KEY = dg.AssetKey(["staging", "person_record"])
DUKCAPIL_PERSON_KEY = dg.AssetKey(["staging", "dukcapil_person"])
SUSENAS_HOUSEHOLD_KEY = dg.AssetKey(["staging", "susenas_household"])
VERIVALI_DECISION_KEY = dg.AssetKey(["staging", "verivali_decision"])
REFERENCE_KEYS = [CODEBOOK_KEY, WILAYAH_KEY]

COMMON = dict(group_name="staging", kinds={"duckdb"}, owners=[OWNER], tags={"layer": "staging"})


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


def stage_check_publish(
    connection: duckdb.DuckDBPyConnection,
    asset_key: dg.AssetKey,
    table: str,
    build: Callable[[duckdb.DuckDBPyConnection, str], None],
    evaluate: Callable[[duckdb.DuckDBPyConnection, str], list[CheckOutcome]],
    describe: Callable[[duckdb.DuckDBPyConnection, str], dict[str, object]] = lambda connection, table: {},
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
    """Build `<table>__staging`, yield its check results, publish it if no blocking check failed."""
    staged = staging_table(table)
    build(connection, staged)
    yield from audit_then_publish(connection, asset_key, table, evaluate(connection, staged), [table])
    metadata = describe(connection, table)
    yield dg.MaterializeResult(metadata={**staging_table_metadata(connection, table), **metadata})


def record_table_checks(
    raw_tables: Sequence[tuple[str, str]],
    key: Sequence[str],
    variables: Sequence[str],
    config: StagingConfig,
    source: str | None = None,
    extra: Callable[[duckdb.DuckDBPyConnection, str], list[CheckOutcome]] = lambda connection, table: [],
) -> tuple[Callable[[duckdb.DuckDBPyConnection, str], list[CheckOutcome]],
           Callable[[duckdb.DuckDBPyConnection, str], dict[str, object]]]:
    """The checks and the quality metadata every staging record table has."""

    def evaluate(connection: duckdb.DuckDBPyConnection, table: str) -> list[CheckOutcome]:
        return [
            checks.check_one_row_per_raw_record(connection, table, raw_tables, key,
                                                source_column=None if source else "source"),
            checks.check_unknown_codes(code_shares(connection, table, variables, source),
                                       config.max_unknown_code_share, table, config.min_unknown_codes),
            *extra(connection, table),
            checks.check_problem_shares(problem_counts(connection, table, source), config.warn_problem_share, table,
                                        config.severe_problem_share),
        ]

    def describe(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, object]:
        return quality_metadata(problem_counts(connection, table, source),
                                code_shares(connection, table, variables, source))

    return evaluate, describe


# --- reference tables ---

@dg.asset(
    key=CODEBOOK_KEY,
    description=(
        "The canonical vocabulary as a table: data/codebook.csv (one row per source, variable, code and "
        "canonical variable) with `code_key`, "
        "the normalized code every source value is matched on (upper case, single spaces, no leading zeros)."
    ),
    code_version=CODEBOOK_CODE_VERSION,
    check_specs=[check_spec(CODEBOOK_KEY, n, d) for n, d in checks.CODEBOOK_CHECKS.items()],
    **COMMON,
)
def staging_codebook(warehouse: DuckDBWarehouse):
    def evaluate(connection: duckdb.DuckDBPyConnection, table: str) -> list[CheckOutcome]:
        return [checks.check_codebook_keys_unique(connection, table),
                checks.check_codebook_rows_complete(connection, table)]

    with warehouse.connect() as connection:
        yield from stage_check_publish(connection, CODEBOOK_KEY, reference.CODEBOOK_TABLE,
                                       lambda c, target: reference.load_codebook(c, target), evaluate)


@dg.asset(
    key=WILAYAH_KEY,
    description=(
        "Today's Kemendagri region codes (data/reference/wilayah.csv) without dots, with their level: "
        "provinces, kabupaten/kota, kecamatan, desa/kelurahan. Staging checks village codes and NIK "
        "region prefixes against it."
    ),
    code_version=WILAYAH_CODE_VERSION,
    check_specs=[check_spec(WILAYAH_KEY, n, d) for n, d in checks.WILAYAH_CHECKS.items()],
    **COMMON,
)
def staging_wilayah(warehouse: DuckDBWarehouse):
    with warehouse.connect() as connection:
        yield from stage_check_publish(connection, WILAYAH_KEY, reference.WILAYAH_TABLE,
                                       lambda c, target: reference.load_wilayah(c, target),
                                       lambda c, table: [checks.check_region_codes(c, table)])


# --- staging tables ---

@dg.asset(
    key=FAMILY_RECORD_KEY,
    description=(
        "One row per source family of DTKS, P3KE and REGSOSEK in the canonical vocabulary: cleaned NO_KK, "
        "10-digit kode_desa, DTKS update date and program flags, P3KE desil, and the housing, asset, land "
        "and livestock variables each source has (NULL where it lacks them), with `problems`."
    ),
    deps=[raw_asset_key(r.split(".")[1]) for _, r, _ in FAMILY_SOURCES] + REFERENCE_KEYS,
    code_version=STAGING_CODE_VERSION,
    check_specs=checks.staging_check_specs(FAMILY_RECORD_KEY),
    **COMMON,
)
def family_record(warehouse: DuckDBWarehouse, config: StagingConfig):
    evaluate, describe = record_table_checks(
        [(s, r) for s, r, _ in FAMILY_SOURCES], ["source", "source_family_id"], FAMILY_CODED, config)
    with warehouse.connect() as connection:
        yield from stage_check_publish(connection, FAMILY_RECORD_KEY, FAMILY_RECORD_TABLE, build_family_record,
                                       evaluate, describe)


@dg.asset(
    key=PERSON_RECORD_KEY,
    description=(
        "One row per person record of DTKS, P3KE and REGSOSEK in the canonical vocabulary: the NIK as "
        "received and cleaned (nik_valid when its birth-date and sex digits agree with the record), the "
        "standardized name (titles, BIN/BINTI and abbreviations handled), birth date, age, sex, relation, "
        "education and work, the family's card and village, and every problem found."
    ),
    deps=[raw_asset_key(r.split(".")[1]) for _, r, _ in PERSON_SOURCES] + REFERENCE_KEYS + [FAMILY_RECORD_KEY],
    code_version=STAGING_CODE_VERSION,
    check_specs=checks.staging_check_specs(PERSON_RECORD_KEY, [checks.FAMILY_CHECK]),
    **COMMON,
)
def person_record(warehouse: DuckDBWarehouse, config: StagingConfig):
    evaluate, describe = record_table_checks(
        [(s, r) for s, r, _ in PERSON_SOURCES], ["source", "source_record_id"], PERSON_CODED, config,
        extra=lambda c, table: [checks.check_family_exists(c, table, FAMILY_RECORD_TABLE)])
    with warehouse.connect() as connection:
        yield from stage_check_publish(connection, PERSON_RECORD_KEY, PERSON_RECORD_TABLE, build_person_record,
                                       evaluate, describe)


@dg.asset(
    key=DUKCAPIL_PERSON_KEY,
    description=(
        "The civil registry (Dukcapil), one row per NIK, cleaned like the source records so linkage compares "
        "like with like: standardized name, birth date, sex, relation in the family card, village, whether "
        "the person is alive and the date of death, with `problems` (e.g. NIK digits that disagree)."
    ),
    deps=[raw_asset_key("dukcapil_penduduk")] + REFERENCE_KEYS,
    code_version=STAGING_CODE_VERSION,
    check_specs=checks.staging_check_specs(DUKCAPIL_PERSON_KEY, [checks.NIK_UNIQUE_CHECK, checks.VITAL_CODES_CHECK]),
    **COMMON,
)
def dukcapil_person(warehouse: DuckDBWarehouse, config: StagingConfig):
    evaluate, describe = record_table_checks(
        [("dukcapil", "raw.dukcapil_penduduk")], ["line_number"], DUKCAPIL_CODED, config, source="dukcapil",
        extra=lambda c, table: [checks.check_nik_unique(c, table), checks.check_vital_codes(c, table, "dukcapil")])
    with warehouse.connect() as connection:
        yield from stage_check_publish(connection, DUKCAPIL_PERSON_KEY, DUKCAPIL_PERSON_TABLE, build_dukcapil_person,
                                       evaluate, describe)


@dg.asset(
    key=SUSENAS_HOUSEHOLD_KEY,
    description=(
        "The SUSENAS household sample in the canonical family welfare variables (composition, head of "
        "household, housing, assets, land, livestock) with its weight and measured consumption per person: "
        "what the PMT model is trained on, in the same features DTSEN families are scored on."
    ),
    deps=[raw_asset_key("susenas_rumah_tangga")] + REFERENCE_KEYS,
    code_version=STAGING_CODE_VERSION,
    check_specs=checks.staging_check_specs(SUSENAS_HOUSEHOLD_KEY),
    **COMMON,
)
def susenas_household(warehouse: DuckDBWarehouse, config: StagingConfig):
    variables = [f"krt_{v}" for v in HEAD_CODED] + list(FAMILY_CODED)
    evaluate, describe = record_table_checks(
        [("susenas", "raw.susenas_rumah_tangga")], ["id_rt"], variables, config, source="susenas")
    with warehouse.connect() as connection:
        yield from stage_check_publish(connection, SUSENAS_HOUSEHOLD_KEY, SUSENAS_HOUSEHOLD_TABLE,
                                       build_susenas_household, evaluate, describe)


@dg.asset(
    key=VERIVALI_DECISION_KEY,
    description=(
        "One row per village-meeting decision (berita acara musdes/muskel) from every verivali/*.csv: the "
        "cleaned NIK, card, name and village, the decision (`aksi`: meninggal, pindah, mampu, perbaikan_nik, "
        "usulan_baru, tetap) and the corrected NIK. A decision is a claim: staging cleans, unify decides."
    ),
    deps=[raw_asset_key("verivali_musdes")] + REFERENCE_KEYS,
    code_version=STAGING_CODE_VERSION,
    check_specs=checks.staging_check_specs(VERIVALI_DECISION_KEY, [checks.VITAL_CODES_CHECK]),
    **COMMON,
)
def verivali_decision(warehouse: DuckDBWarehouse, config: StagingConfig):
    evaluate, describe = record_table_checks(
        [("verivali", "raw.verivali_musdes")], ["source_file", "line_number"], VERIVALI_CODED, config,
        source="verivali", extra=lambda c, table: [checks.check_vital_codes(c, table, "verivali", "source_file")])
    with warehouse.connect() as connection:
        yield from stage_check_publish(connection, VERIVALI_DECISION_KEY, VERIVALI_DECISION_TABLE,
                                       build_verivali_decision, evaluate, describe)


staging_assets = [
    staging_codebook, staging_wilayah, family_record, person_record, dukcapil_person, susenas_household,
    verivali_decision,
]
