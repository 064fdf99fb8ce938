"""The canonical variables of the staging tables (docs/internal_tables.md), in contract order."""

from __future__ import annotations

HOUSING_CODED: tuple[str, ...] = (
    "status_bangunan", "lantai", "dinding", "atap", "air_minum", "penerangan", "daya_listrik",
    "bahan_bakar", "fasilitas_bab", "jenis_kloset", "pembuangan_tinja",
)
ASSETS: tuple[str, ...] = (
    "aset_tabung_gas_5kg", "aset_lemari_es", "aset_ac", "aset_pemanas_air", "aset_telepon_rumah",
    "aset_televisi", "aset_emas", "aset_komputer", "aset_sepeda", "aset_sepeda_motor", "aset_mobil",
    "aset_perahu", "aset_motor_tempel", "aset_perahu_motor", "aset_smartphone",
)
LIVESTOCK: tuple[str, ...] = ("ternak_sapi", "ternak_kerbau", "ternak_kuda", "ternak_babi", "ternak_kambing")

# Family variables a code feeds (housing, assets, RUMAH_LAIN); numbers are parsed, not decoded.
FAMILY_CODED: tuple[str, ...] = (*HOUSING_CODED, *ASSETS, "rumah_lain")

# Person variables a code feeds.
PERSON_CODED: tuple[str, ...] = (
    "jenis_kelamin", "hub_kk", "pendidikan", "status_bekerja", "lapangan_usaha", "kedudukan_kerja",
    "disabilitas", "penyakit_kronis",
)
# Head of household in SUSENAS: the codebook's person variables, named krt_<variable> in the table.
HEAD_CODED: tuple[str, ...] = ("jenis_kelamin", "pendidikan", "status_bekerja", "lapangan_usaha", "kedudukan_kerja")

DUKCAPIL_CODED: tuple[str, ...] = ("jenis_kelamin", "hub_kk", "is_alive")
VERIVALI_CODED: tuple[str, ...] = ("aksi",)
