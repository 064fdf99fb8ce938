"""Vital columns: the one declaration of the columns that decide who is who, who is alive, which
family a person is in and what a village meeting decided (docs/vital_columns.md explains each).

A vital column gets strict rules where other columns get shares:

- at raw, a vital column that is mostly unusable (malformed identifiers, unreadable dates, empty
  status) blocks its file, named with the column and example lines, before anything is published
  (`max_unusable_share` of the rows; `empty_ok`: an empty cell is a missing value, not a broken one);
- in staging, a code outside the codebook (or an empty cell) in a vital coded variable blocks at
  any share (`VITAL_CODES`), naming the file, the column and example lines;
- every problem staging finds has a severity (`problem_severity`): `info` problems (casing,
  titles, an apostrophe staging repairs) never fail a check, `severe` ones fail it from a small
  share, the rest (`warn`) from a larger one.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from dtsen_assets.platform.reference import CODEBOOK_PATH

# Formats a value must have to be usable (after trimming spaces and a leading Excel apostrophe,
# which staging repairs). Anything else is unusable: an Excel number (3.20401E+15), 12 or 18 digits,
# letters.
VALUE_FORMATS: dict[str, str] = {
    "nik": r"[0-9]{16}",
    "no_kk": r"[0-9]{16}",
    "kode_desa": r"[0-9]{10}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}",
    "date_iso": r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}",
    "date_dmy": r"[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}",
    "text": r".+",
}


@dataclass(frozen=True)
class VitalColumn:
    """One vital column of one source file."""

    file_key: str             # contract key, e.g. "p3ke_individu"
    column: str               # column of the file
    kind: str                 # a key of VALUE_FORMATS
    decides: str              # what goes wrong when it is wrong: identity / activity / family / decision
    max_unusable_share: float  # raw: block when more of the file's rows than this are unusable
    empty_ok: bool = True     # an empty cell is a missing value (counted apart), not an unusable one


# The registries' identifiers are often mistyped (a few percent): a source file is blocked only when
# most of a vital column is unusable, which is a broken export, not typing. Dukcapil is the identity
# authority: its NIK, card, birth date and status must be usable on (almost) every row.
SOURCE_SHARE = 0.5
AUTHORITY_SHARE = 0.01

VITAL_COLUMNS: tuple[VitalColumn, ...] = (
    VitalColumn("dukcapil_penduduk", "NIK", "nik", "identity", AUTHORITY_SHARE, empty_ok=False),
    VitalColumn("dukcapil_penduduk", "NO_KK", "no_kk", "family", AUTHORITY_SHARE, empty_ok=False),
    VitalColumn("dukcapil_penduduk", "TGL_LHR", "date_iso", "identity", AUTHORITY_SHARE),
    VitalColumn("dukcapil_penduduk", "KODE_DESA", "kode_desa", "family", AUTHORITY_SHARE),
    VitalColumn("dukcapil_penduduk", "STATUS", "text", "activity", 0.0, empty_ok=False),
    VitalColumn("dtks_art", "NIK", "nik", "identity", SOURCE_SHARE),
    VitalColumn("dtks_art", "TGL_LAHIR", "date_dmy", "identity", SOURCE_SHARE),
    VitalColumn("dtks_keluarga", "NO_KK", "no_kk", "family", SOURCE_SHARE),
    VitalColumn("p3ke_individu", "NIK", "nik", "identity", SOURCE_SHARE),
    VitalColumn("p3ke_individu", "TANGGAL_LAHIR", "date_iso", "identity", SOURCE_SHARE),
    VitalColumn("p3ke_keluarga", "NO_KK", "no_kk", "family", SOURCE_SHARE),
    VitalColumn("p3ke_keluarga", "NIK_KEPALA_KELUARGA", "nik", "family", SOURCE_SHARE),
    VitalColumn("regsosek_individu", "NIK", "nik", "identity", SOURCE_SHARE),
    VitalColumn("regsosek_individu", "TGL_LAHIR", "date_iso", "identity", SOURCE_SHARE),
    VitalColumn("regsosek_keluarga", "NO_KK", "no_kk", "family", SOURCE_SHARE),
    VitalColumn("regsosek_keluarga", "KODE_DESA", "kode_desa", "welfare", SOURCE_SHARE),
    VitalColumn("verivali_musdes", "NIK", "nik", "decision", SOURCE_SHARE),
    VitalColumn("verivali_musdes", "AKSI", "text", "decision", 0.0, empty_ok=False),
)


@dataclass(frozen=True)
class VitalCode:
    """A coded variable whose unknown (or empty) codes block at any share."""

    source: str               # staging source name
    variable: str             # canonical variable in staging
    file: str                 # the file and column it comes from, for the message
    column: str
    decides: str


VITAL_CODES: tuple[VitalCode, ...] = (
    VitalCode("dukcapil", "is_alive", "dukcapil/penduduk.csv", "STATUS", "activity"),
    VitalCode("dukcapil", "jenis_kelamin", "dukcapil/penduduk.csv", "JENIS_KLMIN", "identity"),
    VitalCode("dukcapil", "hub_kk", "dukcapil/penduduk.csv", "STAT_HBKEL", "family"),
    VitalCode("verivali", "aksi", "verivali/*.csv", "AKSI", "decision"),
)


def vital_columns(file_key: str) -> list[VitalColumn]:
    return [v for v in VITAL_COLUMNS if v.file_key == file_key]


def vital_codes_of_file(path: str) -> list[VitalCode]:
    """The vital coded columns of one contract file (path as in the contract, e.g. `verivali/*.csv`)."""
    return [v for v in VITAL_CODES if v.file == path]


@cache
def known_codes(source: str, column: str) -> frozenset[str]:
    """The codes codebook.csv knows for a source column, upper case with single spaces."""
    with CODEBOOK_PATH.open(encoding="utf-8", newline="") as handle:
        return frozenset(" ".join(row["code"].upper().split()) for row in csv.DictReader(handle)
                         if row["source"] == source and row["variable"] == column)


def vital_code(source: str, variable: str) -> VitalCode | None:
    return next((v for v in VITAL_CODES if v.source == source and v.variable == variable), None)


# --- severities of staging problems ---------------------------------------------------------

SEVERITIES = ("info", "warn", "severe")

# Harmless: the value was read right and staging repaired or standardized it.
_INFO = re.compile(
    r"^(name_(casing|title|bin_binti|abbreviation|initial|spaces)|.*_apostrophe|.*_spaces"
    r"|nik_region_old|nik_region_unknown|date_missing_age_only|code_empty:.*|flag_missing:.*)$"
)
# Severe: the value cannot be used and what it decides is lost or may be wrong.
_SEVERE = re.compile(
    r"^(nik_(excel_number|non_digit|length|all_zero|birthdate_impossible)"
    r"|no_kk_(excel_number|non_digit|length|all_zero)"
    r"|tgl_meninggal_.*|family_missing|.*_impossible|.*_unparseable)$"
)


def problem_severity(problem: str, source: str | None = None) -> str:
    """`info`, `warn` or `severe`; an unknown or empty code of a vital variable of `source` is `severe`."""
    if problem.startswith(("code_unknown:", "code_empty:")) and vital_code(source or "", problem.split(":", 1)[1]):
        return "severe"
    if _SEVERE.match(problem):
        return "severe"
    if _INFO.match(problem):
        return "info"
    return "warn"
