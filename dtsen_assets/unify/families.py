"""Families (`family.sql`): one per current family card, welfare variables by survivorship.

The survivorship rule, per variable: DTKS when its family was updated after REGSOSEK was
collected, then REGSOSEK (the near-census 2022 questionnaire), then DTKS, then P3KE; the first
source with a value gives it, and `<variable>_source` records which. The variables are the
canonical family welfare variables of docs/internal_tables.md (housing, assets, land, livestock).
"""

from __future__ import annotations

HOUSING: tuple[str, ...] = (
    "status_bangunan", "luas_lantai", "lantai", "dinding", "atap", "air_minum", "penerangan", "daya_listrik",
    "bahan_bakar", "fasilitas_bab", "jenis_kloset", "pembuangan_tinja",
)
ASSETS: tuple[str, ...] = (
    "aset_tabung_gas_5kg", "aset_lemari_es", "aset_ac", "aset_pemanas_air", "aset_telepon_rumah",
    "aset_televisi", "aset_emas", "aset_komputer", "aset_sepeda", "aset_sepeda_motor", "aset_mobil",
    "aset_perahu", "aset_motor_tempel", "aset_perahu_motor", "aset_smartphone",
)
LAND_AND_LIVESTOCK: tuple[str, ...] = (
    "luas_lahan", "rumah_lain", "ternak_sapi", "ternak_kerbau", "ternak_kuda", "ternak_babi", "ternak_kambing",
)
WELFARE_VARIABLES: tuple[str, ...] = (*HOUSING, *ASSETS, *LAND_AND_LIVESTOCK)
# Variables whose values are codebook categories (the rest are numbers).
CATEGORICAL_WELFARE: tuple[str, ...] = tuple(
    v for v in WELFARE_VARIABLES if v not in ("luas_lantai", "luas_lahan") and not v.startswith("ternak_"))
COMPOSITION: tuple[str, ...] = ("jumlah_art", "art_balita", "art_sekolah", "art_lansia", "art_disabilitas")
HEAD: tuple[str, ...] = ("krt_jenis_kelamin", "krt_umur", "krt_pendidikan", "krt_status_bekerja",
                         "krt_lapangan_usaha", "krt_kedudukan_kerja")

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
