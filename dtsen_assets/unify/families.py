"""Families (`family.sql`): one per current family card, welfare variables by survivorship.

The survivorship rule, per variable: DTKS when its family was updated after REGSOSEK was
collected, then REGSOSEK (the near-census 2022 questionnaire), then DTKS, then P3KE; the first
source with a value gives it, and `<variable>_source` records which. The variables are the
canonical family welfare variables (platform/vocabulary.py: housing, assets, land, livestock).
"""

from __future__ import annotations

from dtsen_assets.platform.vocabulary import WELFARE_VARIABLES

# Where the other values of dtsen.family come from (family.sql; unify.family_value_source and the
# explain command read these): the head of family's own values, and the active members as a whole.
HEAD_VARIABLES = ("krt_jenis_kelamin", "krt_umur", "krt_pendidikan", "krt_status_bekerja", "krt_lapangan_usaha",
                  "krt_kedudukan_kerja")
MEMBER_VARIABLES = ("no_kk", "kode_desa", "jumlah_art", "art_balita", "art_sekolah", "art_lansia", "art_disabilitas")

# Aliases in family.sql: rf = REGSOSEK, df = DTKS, pf = P3KE source family; sp.dtks_newer.
_ORDER_DTKS_NEWER = (("df", "dtks"), ("rf", "regsosek"), ("pf", "p3ke"))
_ORDER_DEFAULT = (("rf", "regsosek"), ("df", "dtks"), ("pf", "p3ke"))


def _chosen(variable: str, order) -> tuple[str, str]:
    value = "coalesce(" + ", ".join(f"{alias}.{variable}" for alias, _ in order) + ")"
    source = "CASE " + " ".join(f"WHEN {alias}.{variable} IS NOT NULL THEN '{name}'" for alias, name in order) + " END"
    return value, source


def welfare_columns_sql(variables: tuple[str, ...] = WELFARE_VARIABLES) -> str:
    """`<v>` and `<v>_source` of every welfare variable, by the survivorship rule above."""
    parts = []
    for variable in variables:
        newer_value, newer_source = _chosen(variable, _ORDER_DTKS_NEWER)
        value, source = _chosen(variable, _ORDER_DEFAULT)
        parts.append(f"CASE WHEN sp.dtks_newer THEN {newer_value} ELSE {value} END AS {variable}")
        parts.append(f"CASE WHEN sp.dtks_newer THEN {newer_source} ELSE {source} END AS {variable}_source")
    return ",\n    ".join(parts)
