"""The canonical variables: one list of each, in the order the tables carry them.

docs/internal_tables.md ("Canonical family welfare variables") names them; `staging.family_record`,
`staging.susenas_household` and `dtsen.family` carry the family welfare variables in the order of
`WELFARE_VARIABLES`, and the staging SQL builds its column lists from the tuples here
(`dtsen_assets.staging.columns_sql`). The raw contract (`contract.py`) names the same variables in
upper case, the welfare models group them (`welfare/variables.py`). Values come from the codebook.
"""

from __future__ import annotations

# --- family welfare variables: dwelling, possessions, land and livestock ---
# Coded housing variables (codebook categories); `luas_lantai` (m²) stands beside them.
HOUSING_CODED: tuple[str, ...] = (
    "status_bangunan", "lantai", "dinding", "atap", "air_minum", "penerangan", "daya_listrik",
    "bahan_bakar", "fasilitas_bab", "jenis_kloset", "pembuangan_tinja",
)
HOUSING: tuple[str, ...] = (HOUSING_CODED[0], "luas_lantai", *HOUSING_CODED[1:])
ASSETS: tuple[str, ...] = (
    "aset_tabung_gas_5kg", "aset_lemari_es", "aset_ac", "aset_pemanas_air", "aset_telepon_rumah",
    "aset_televisi", "aset_emas", "aset_komputer", "aset_sepeda", "aset_sepeda_motor", "aset_mobil",
    "aset_perahu", "aset_motor_tempel", "aset_perahu_motor", "aset_smartphone",
)
LIVESTOCK: tuple[str, ...] = ("ternak_sapi", "ternak_kerbau", "ternak_kuda", "ternak_babi", "ternak_kambing")
LAND_AND_LIVESTOCK: tuple[str, ...] = ("luas_lahan", "rumah_lain", *LIVESTOCK)
# Every family welfare variable, in table order (each has a <v>_source in dtsen.family).
WELFARE_VARIABLES: tuple[str, ...] = (*HOUSING, *ASSETS, *LAND_AND_LIVESTOCK)
# The family variables a code feeds; the others are numbers, parsed rather than decoded.
FAMILY_CODED: tuple[str, ...] = (*HOUSING_CODED, *ASSETS, "rumah_lain")
# Measured in m² (parsed as decimals); livestock are counts.
AREAS: tuple[str, ...] = ("luas_lantai", "luas_lahan")

# --- the family's members (SUSENAS counts them; unify counts dtsen.person) ---
COMPOSITION: tuple[str, ...] = ("jumlah_art", "art_balita", "art_sekolah", "art_lansia", "art_disabilitas")

# --- persons ---
PERSON_CODED: tuple[str, ...] = (
    "jenis_kelamin", "hub_kk", "pendidikan", "status_bekerja", "lapangan_usaha", "kedudukan_kerja",
    "disabilitas", "penyakit_kronis",
)
# The head of the family: the codebook's person variables, named krt_<variable> in family tables.
HEAD_CODED: tuple[str, ...] = ("jenis_kelamin", "pendidikan", "status_bekerja", "lapangan_usaha", "kedudukan_kerja")
HEAD_CATEGORICAL: tuple[str, ...] = tuple(f"krt_{v}" for v in HEAD_CODED)

DUKCAPIL_CODED: tuple[str, ...] = ("jenis_kelamin", "hub_kk", "is_alive")
VERIVALI_CODED: tuple[str, ...] = ("aksi",)


def source_column(variable: str) -> str:
    """The column a source file names a canonical variable with (`ternak_sapi` -> `TERNAK_SAPI`)."""
    return variable.upper()
