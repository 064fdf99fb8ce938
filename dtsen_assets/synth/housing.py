"""Housing, assets, land and livestock of a family, driven by its latent welfare.

Each categorical variable is drawn as an ordered category: a score
`welfare_weight * w + sqrt(1 - welfare_weight^2) * noise + urban_shift * urban` is turned into a
percentile and cut at the national shares, worst category first. So a family with a low latent
welfare `w` tends to have an earth floor, a bamboo wall, an unprotected well and no toilet of its
own, all at once, as in REGSOSEK and SUSENAS; towns have more piped water and gas.
Values are the canonical values of codebook.csv.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from dtsen_assets.contract import LIVESTOCK_COLUMNS, REGSOSEK_ASSET_COLUMNS


@dataclass(frozen=True)
class Ordered:
    variable: str                 # canonical variable
    values: tuple[str, ...]       # canonical values, worst first
    shares: tuple[float, ...]     # national shares (normalised)
    welfare_weight: float         # how strongly the category follows latent welfare
    urban_shift: float = 0.0      # shift of the score in towns (kota, kelurahan)

    def draw(self, rng: np.random.Generator, welfare: np.ndarray, urban: np.ndarray) -> np.ndarray:
        score = (self.welfare_weight * welfare
                 + np.sqrt(1.0 - self.welfare_weight ** 2) * rng.standard_normal(welfare.size)
                 + self.urban_shift * (urban - URBAN_SHARE))
        return np.searchsorted(self.cuts, score).astype(np.int8)

    @property
    def cuts(self) -> np.ndarray:
        return normal_cuts(self.shares)


def normal_cuts(shares: tuple[float, ...]) -> np.ndarray:
    """Score thresholds between categories with these shares of a standard normal score."""
    cumulative = np.cumsum(shares)[:-1] / np.sum(shares)
    return np.array([NORMAL.inv_cdf(min(max(c, 1e-12), 1 - 1e-12)) for c in cumulative])


NORMAL = NormalDist()


URBAN_SHARE = 0.45   # about the share of families in towns: keeps the national shares near target

STATUS_BANGUNAN = Ordered(
    "status_bangunan", ("lainnya", "dinas", "bebas_sewa", "kontrak_sewa", "milik_sendiri"),
    (0.01, 0.01, 0.07, 0.09, 0.82), 0.15, -0.6)   # towns rent more
LANTAI = Ordered(
    "lantai", ("lainnya", "tanah", "bambu", "kayu_papan", "semen_bata_merah", "ubin_tegel_teraso",
               "keramik", "parket_vinil_karpet", "marmer_granit"),
    (0.002, 0.04, 0.01, 0.07, 0.20, 0.07, 0.58, 0.01, 0.018), 0.75, 0.5)
DINDING = Ordered(
    "dinding", ("lainnya", "bambu", "anyaman_bambu", "batang_kayu", "kayu_papan",
                "plesteran_anyaman_bambu", "tembok"),
    (0.002, 0.01, 0.03, 0.01, 0.11, 0.02, 0.818), 0.65, 0.5)
ATAP = Ordered(
    "atap", ("lainnya", "jerami_ijuk_daun", "bambu", "kayu_sirap", "asbes", "seng", "genteng", "beton"),
    (0.002, 0.02, 0.005, 0.015, 0.10, 0.33, 0.47, 0.058), 0.5, 0.3)
AIR_MINUM = Ordered(
    "air_minum", ("lainnya", "air_permukaan", "air_hujan", "mata_air_tak_terlindung", "sumur_tak_terlindung",
                  "mata_air_terlindung", "sumur_terlindung", "sumur_bor_pompa", "leding", "air_isi_ulang",
                  "air_kemasan"),
    (0.003, 0.02, 0.03, 0.03, 0.05, 0.08, 0.16, 0.20, 0.09, 0.30, 0.037), 0.55, 0.8)
PENERANGAN = Ordered(
    "penerangan", ("bukan_listrik", "listrik_non_pln", "pln_tanpa_meteran", "pln_meteran"),
    (0.01, 0.015, 0.04, 0.935), 0.5, 0.8)
DAYA_LISTRIK = Ordered(   # drawn for families with a PLN meter; the rest have none
    "daya_listrik", ("va_450", "va_900", "va_1300", "va_2200", "va_lebih_2200", "tidak_ada"),
    (0.30, 0.40, 0.18, 0.07, 0.05, 0.0), 0.7, 0.3)
BAHAN_BAKAR = Ordered(
    "bahan_bakar", ("lainnya", "kayu_bakar", "arang", "briket", "minyak_tanah", "elpiji_3kg", "biogas",
                    "elpiji_5kg_lebih", "elpiji_12kg", "gas_kota", "listrik", "tidak_memasak"),
    (0.002, 0.13, 0.003, 0.001, 0.015, 0.79, 0.001, 0.02, 0.02, 0.005, 0.013, 0.0), 0.6, 0.8)
FASILITAS_BAB = Ordered(
    "fasilitas_bab", ("tidak_ada", "ada_tidak_digunakan", "mck_umum", "mck_komunal", "bersama", "sendiri"),
    (0.05, 0.005, 0.03, 0.01, 0.07, 0.835), 0.55, 0.4)
JENIS_KLOSET = Ordered(   # asked only where there is a facility
    "jenis_kloset", ("cemplung_cubluk", "plengsengan_tanpa_tutup", "plengsengan_tutup", "leher_angsa"),
    (0.05, 0.02, 0.02, 0.91), 0.5, 0.3)
PEMBUANGAN_TINJA = Ordered(   # asked only where there is a facility
    "pembuangan_tinja", ("pantai_tanah_lapang", "kolam_sawah_sungai", "lubang_tanah", "lainnya",
                         "tangki_septik", "ipal"),
    (0.02, 0.07, 0.14, 0.005, 0.745, 0.02), 0.5, 0.5)

HOUSING: tuple[Ordered, ...] = (STATUS_BANGUNAN, LANTAI, DINDING, ATAP, AIR_MINUM, PENERANGAN, DAYA_LISTRIK,
                                BAHAN_BAKAR, FASILITAS_BAB, JENIS_KLOSET, PEMBUANGAN_TINJA)
HOUSING_BY_VARIABLE = {spec.variable: spec for spec in HOUSING}
# The variables all three registries (DTKS, P3KE, REGSOSEK) record, and so can disagree about.
SHARED_HOUSING: tuple[str, ...] = ("status_bangunan", "lantai", "dinding", "atap", "air_minum",
                                   "penerangan", "bahan_bakar", "fasilitas_bab")
NO_FACILITY = FASILITAS_BAB.values.index("tidak_ada")
PLN_METER = PENERANGAN.values.index("pln_meteran")
NO_POWER = DAYA_LISTRIK.values.index("tidak_ada")

# Assets: (column, national share, welfare weight, urban shift).
ASSETS: tuple[tuple[str, float, float, float], ...] = (
    ("ASET_TABUNG_GAS_5KG", 0.25, 0.6, 0.5), ("ASET_LEMARI_ES", 0.65, 0.7, 0.5), ("ASET_AC", 0.10, 0.75, 0.8),
    ("ASET_PEMANAS_AIR", 0.05, 0.75, 0.6), ("ASET_TELEPON_RUMAH", 0.02, 0.6, 0.6),
    ("ASET_TELEVISI", 0.85, 0.6, 0.4), ("ASET_EMAS", 0.30, 0.6, 0.2), ("ASET_KOMPUTER", 0.18, 0.75, 0.6),
    ("ASET_SEPEDA", 0.35, 0.3, 0.0), ("ASET_SEPEDA_MOTOR", 0.85, 0.6, 0.2), ("ASET_MOBIL", 0.12, 0.8, 0.4),
    ("ASET_PERAHU", 0.02, 0.0, -0.8), ("ASET_MOTOR_TEMPEL", 0.01, 0.1, -0.8),
    ("ASET_PERAHU_MOTOR", 0.01, 0.2, -0.8), ("ASET_SMARTPHONE", 0.90, 0.6, 0.4),
)
assert tuple(a[0] for a in ASSETS) == REGSOSEK_ASSET_COLUMNS
# Livestock: (column, share of rural families keeping it, mean head count of keepers).
LIVESTOCK: tuple[tuple[str, float, float], ...] = (
    ("TERNAK_SAPI", 0.10, 2.5), ("TERNAK_KERBAU", 0.015, 2.0), ("TERNAK_KUDA", 0.005, 1.5),
    ("TERNAK_BABI", 0.02, 3.0), ("TERNAK_KAMBING", 0.12, 4.0),
)
assert tuple(a[0] for a in LIVESTOCK) == LIVESTOCK_COLUMNS
# Pigs are kept where most people are not Muslim: North Sumatra, Bali, NTT, North Sulawesi, Maluku, Papua.
PIG_PROVINCES = (12, 51, 53, 71, 81, 91, 92, 93, 94, 95, 96)


def draw_housing(rng: np.random.Generator, welfare: np.ndarray, urban: np.ndarray,
                 size: np.ndarray, province: np.ndarray) -> dict[str, np.ndarray]:
    """Canonical category indices (housing), booleans (assets) and numbers (area, land, livestock)."""
    n = welfare.size
    out: dict[str, np.ndarray] = {}
    for spec in HOUSING:
        out[spec.variable] = spec.draw(rng, welfare, urban)
    out["daya_listrik"] = np.where(out["penerangan"] == PLN_METER, out["daya_listrik"], NO_POWER).astype(np.int8)
    no_facility = out["fasilitas_bab"] == NO_FACILITY
    out["jenis_kloset"] = np.where(no_facility, -1, out["jenis_kloset"]).astype(np.int8)
    out["pembuangan_tinja"] = np.where(no_facility, -1, out["pembuangan_tinja"]).astype(np.int8)
    # A few families, mostly small ones in town, do not cook at home.
    eats_out = rng.random(n) < np.where(urban & (size <= 2), 0.04, 0.003)
    out["bahan_bakar"] = np.where(eats_out, BAHAN_BAKAR.values.index("tidak_memasak"),
                                  out["bahan_bakar"]).astype(np.int8)

    out["luas_lantai"] = np.clip(np.round(np.exp(
        np.log(42.0) + 0.22 * welfare + 0.2 * np.log(size) + 0.35 * rng.standard_normal(n))), 9, 600).astype(np.int32)
    for column, share, weight, shift in ASSETS:
        score = (weight * welfare + np.sqrt(1 - weight ** 2) * rng.standard_normal(n)
                 + shift * (urban - URBAN_SHARE))
        out[column] = score > NORMAL.inv_cdf(1.0 - share)
    # Land besides the house: 45% of rural families (the better-off more often), 7% in town.
    land_score = 0.3 * welfare + np.sqrt(1 - 0.09) * rng.standard_normal(n)
    has_land = np.where(urban, rng.random(n) < 0.07, land_score > NORMAL.inv_cdf(0.55))
    land = np.round(np.exp(np.log(2500.0) + 0.4 * welfare + 1.0 * rng.standard_normal(n)), -1)
    out["luas_lahan"] = np.where(has_land, np.maximum(land, 10), 0).astype(np.int64)
    out["rumah_lain"] = 0.6 * welfare + 0.8 * rng.standard_normal(n) > NORMAL.inv_cdf(0.92)
    rural = ~urban
    pig_area = np.isin(province, PIG_PROVINCES)
    for column, share, mean_heads in LIVESTOCK:
        if column == "TERNAK_BABI":      # concentrated where pigs are kept, rare elsewhere
            share = np.where(pig_area, share * 6.0, share * 0.05)
        keeps = rural & (rng.random(n) < share)
        out[column] = np.where(keeps, 1 + rng.poisson(mean_heads - 1, n), 0).astype(np.int32)
    return out
