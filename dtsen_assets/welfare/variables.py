"""The canonical family welfare variables a PMT may use, and the words to explain them.

The names and values are those of `docs/internal_tables.md` ("Canonical family welfare
variables", platform/vocabulary.py), shared by `staging.susenas_household` and `dtsen.family`.
Value labels come from the shipped codebook (`data/codebook.csv`), never from maps typed in here;
only the short Indonesian description of each *variable* (how a village officer would name it) is
written below.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dtsen_assets.platform.reference import reference_path
from dtsen_assets.platform.vocabulary import (
    ASSETS, COMPOSITION, HEAD_CATEGORICAL, HOUSING_CODED, LIVESTOCK, WELFARE_VARIABLES,
)

# Housing: the coded housing variables of the vocabulary (codebook categories).
HOUSING_CATEGORICAL: tuple[str, ...] = HOUSING_CODED

# Every categorical variable (canonical text values); yes/no assets are categorical too.
CATEGORICAL: tuple[str, ...] = (*HEAD_CATEGORICAL, *HOUSING_CATEGORICAL, *ASSETS, "rumah_lain")
# Every numeric variable (counts, years, m²).
NUMERIC: tuple[str, ...] = (*COMPOSITION, "krt_umur", "luas_lantai", "luas_lahan", *LIVESTOCK)
# All model variables besides the region (kode_kab), in a fixed order.
MODEL_VARIABLES: tuple[str, ...] = (*COMPOSITION, "krt_umur", *HEAD_CATEGORICAL, *HOUSING_CATEGORICAL,
                                    "luas_lantai", *ASSETS, "luas_lahan", "rumah_lain", *LIVESTOCK)
# What a registry observes about the dwelling and possessions (each has a <v>_source in dtsen.family).
# How many of these are known decides whether a family has enough data to be scored.
DWELLING_AND_POSSESSIONS: tuple[str, ...] = WELFARE_VARIABLES
# The housing variables all three registries (DTKS, P3KE, REGSOSEK) record.
CORE_HOUSING: tuple[str, ...] = ("status_bangunan", "lantai", "dinding", "atap", "air_minum", "penerangan",
                                 "bahan_bakar", "fasilitas_bab")

# Data tiers, richest first: the variables a model of that tier may use. Registries differ in what
# they record (REGSOSEK: everything; DTKS: housing and five assets; P3KE: eight housing variables),
# so a family whose dwelling and possessions are only partly recorded is scored by a model fitted on
# the survey with just the variables of its tier, instead of guessing the missing ones.
TIERS: dict[str, tuple[str, ...]] = {
    "lengkap": MODEL_VARIABLES,
    "rumah_aset_utama": (*COMPOSITION, "krt_umur", *HEAD_CATEGORICAL, "status_bangunan", "luas_lantai", "lantai",
                         "dinding", "atap", "air_minum", "penerangan", "daya_listrik", "bahan_bakar",
                         "fasilitas_bab", "aset_lemari_es", "aset_ac", "aset_sepeda_motor", "aset_mobil",
                         "aset_emas"),
    "rumah_pokok": (*COMPOSITION, "krt_umur", *HEAD_CATEGORICAL, *CORE_HOUSING),
}
FULL_TIER = "lengkap"


def tier_dwelling(tier: str) -> tuple[str, ...]:
    """The dwelling/possession variables of a tier: how many of them are known decides the tier."""
    return tuple(v for v in DWELLING_AND_POSSESSIONS if v in TIERS[tier])


# Variables whose values have a clear order, worst first (domain knowledge about dwellings, not a
# code map). Ridge models also get cumulative "at least this good" indicators for them, so a
# small survey learns a gradient along the order instead of one free effect per rare value.
# Values not listed (e.g. `lainnya`) keep their own one-hot indicator only.
ORDINAL: dict[str, tuple[str, ...]] = {
    "krt_pendidikan": ("tidak_sekolah", "sd", "smp", "sma", "diploma", "sarjana", "pascasarjana"),
    "lantai": ("tanah", "bambu", "kayu_papan", "semen_bata_merah", "ubin_tegel_teraso", "keramik",
               "parket_vinil_karpet", "marmer_granit"),
    "dinding": ("bambu", "anyaman_bambu", "batang_kayu", "kayu_papan", "plesteran_anyaman_bambu", "tembok"),
    "atap": ("jerami_ijuk_daun", "bambu", "kayu_sirap", "seng", "asbes", "genteng", "beton"),
    "penerangan": ("bukan_listrik", "listrik_non_pln", "pln_tanpa_meteran", "pln_meteran"),
    "daya_listrik": ("tidak_ada", "va_450", "va_900", "va_1300", "va_2200", "va_lebih_2200"),
    "fasilitas_bab": ("tidak_ada", "ada_tidak_digunakan", "mck_umum", "mck_komunal", "bersama", "sendiri"),
    "jenis_kloset": ("tanpa_fasilitas_bab", "cemplung_cubluk", "plengsengan_tanpa_tutup", "plengsengan_tutup",
                     "leher_angsa"),
    "bahan_bakar": ("kayu_bakar", "arang", "briket", "minyak_tanah", "elpiji_3kg", "elpiji_5kg_lebih",
                    "elpiji_12kg"),
}

# The codebook variable whose labels name the values of a canonical variable, where they differ.
_CODEBOOK_VARIABLE = {
    "krt_jenis_kelamin": "jenis_kelamin", "krt_pendidikan": "pendidikan", "krt_status_bekerja": "status_bekerja",
    "krt_lapangan_usaha": "lapangan_usaha", "krt_kedudukan_kerja": "kedudukan_kerja",
}

# How a village officer names each variable (Indonesian), used in explanations.
DESCRIPTION: dict[str, str] = {
    "kode_kab": "kabupaten/kota",
    "jumlah_art": "jumlah anggota keluarga",
    "art_balita": "jumlah balita (0-4 tahun)",
    "art_sekolah": "jumlah anak usia sekolah (7-18 tahun)",
    "art_lansia": "jumlah lansia (60 tahun ke atas)",
    "art_disabilitas": "jumlah anggota dengan disabilitas",
    "krt_jenis_kelamin": "jenis kelamin kepala keluarga",
    "krt_umur": "umur kepala keluarga",
    "krt_pendidikan": "pendidikan kepala keluarga",
    "krt_status_bekerja": "status bekerja kepala keluarga",
    "krt_lapangan_usaha": "lapangan usaha kepala keluarga",
    "krt_kedudukan_kerja": "kedudukan dalam pekerjaan kepala keluarga",
    "status_bangunan": "status kepemilikan rumah",
    "luas_lantai": "luas lantai rumah (m²)",
    "lantai": "jenis lantai terluas",
    "dinding": "jenis dinding terluas",
    "atap": "jenis atap terluas",
    "air_minum": "sumber air minum",
    "penerangan": "sumber penerangan",
    "daya_listrik": "daya listrik terpasang",
    "bahan_bakar": "bahan bakar memasak",
    "fasilitas_bab": "fasilitas buang air besar",
    "jenis_kloset": "jenis kloset",
    "pembuangan_tinja": "tempat pembuangan akhir tinja",
    "aset_tabung_gas_5kg": "memiliki tabung gas 5,5 kg atau lebih",
    "aset_lemari_es": "memiliki lemari es/kulkas",
    "aset_ac": "memiliki AC",
    "aset_pemanas_air": "memiliki pemanas air",
    "aset_telepon_rumah": "memiliki telepon rumah",
    "aset_televisi": "memiliki televisi",
    "aset_emas": "memiliki emas/perhiasan",
    "aset_komputer": "memiliki komputer/laptop",
    "aset_sepeda": "memiliki sepeda",
    "aset_sepeda_motor": "memiliki sepeda motor",
    "aset_mobil": "memiliki mobil",
    "aset_perahu": "memiliki perahu",
    "aset_motor_tempel": "memiliki motor tempel",
    "aset_perahu_motor": "memiliki perahu motor",
    "aset_smartphone": "memiliki smartphone",
    "luas_lahan": "luas lahan selain rumah (m²)",
    "rumah_lain": "memiliki rumah/bangunan di tempat lain",
    "ternak_sapi": "jumlah sapi",
    "ternak_kerbau": "jumlah kerbau",
    "ternak_kuda": "jumlah kuda",
    "ternak_babi": "jumlah babi",
    "ternak_kambing": "jumlah kambing/domba",
}
# Values the feature builder gives where a question does not apply (not codebook values).
NOT_APPLICABLE_LABELS: dict[str, str] = {
    "tidak_bekerja": "tidak bekerja",
    "tanpa_fasilitas_bab": "tidak ada fasilitas BAB",
}


@dataclass(frozen=True)
class ValueLabels:
    """canonical (variable, value) -> label, from the codebook (REGSOSEK wording first)."""

    labels: dict[tuple[str, str], str]

    def label(self, variable: str, value: object) -> str:
        if value is None:
            return "tidak diketahui"
        text = str(value)
        if text in NOT_APPLICABLE_LABELS:
            return NOT_APPLICABLE_LABELS[text]
        key = _CODEBOOK_VARIABLE.get(variable, variable)
        found = self.labels.get((key, text))
        if found is None and key.startswith("aset_"):
            found = self.labels.get(("aset_*", text))
        return found if found is not None else text.replace("_", " ")


@cache
def value_labels(codebook_path: str | None = None) -> ValueLabels:
    path = Path(codebook_path) if codebook_path else reference_path("codebook.csv")
    labels: dict[tuple[str, str], str] = {}
    if path.is_file():
        preference = {"regsosek": 0, "susenas": 1, "dtks": 2, "p3ke": 3}
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        rows.sort(key=lambda r: preference.get(r["source"], 9))
        for row in rows:
            labels.setdefault((row["canonical_variable"], row["canonical_value"]), row["label"])
    return ValueLabels(labels)
