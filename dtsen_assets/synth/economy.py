"""Latent welfare, family size and consumption: the economic model of the world.

Latent welfare of a family (about standard normal nationally):

    w = province_level + 0.25 * kota + 0.15 * kelurahan + village_effect + family_effect
    province_level = 0.5 * (z(1 - P0_nat) - z(1 - P0_province))     (poorer provinces lower)
    village_effect ~ N(0, 0.30^2),  family_effect ~ N(0, 0.85^2)

Living members: 1 + Poisson(exp(SIZE_LOG_LAMBDA - SIZE_WELFARE * w)), at most 12: poorer families
are larger (about 3.0 per family card on average, 4.7 among the poor).

Consumption per person per month (Rupiah):

    log(c) = a_province + log_price_regency + 0.45 * w - 0.35 * log(size) + e,  e ~ N(0, 0.30^2)

`log_pengeluaran_expected` in truth is that without e. The price level of a regency is higher in
towns, Papua, Maluku, Kalimantan's north and east and Jakarta. `a_province` is calibrated on a
large simulated population (fixed seed, not the drop's) so that the share of *persons* below the
poverty line (Rp 609,160, BPS March 2025) is the province's P0 of kemiskinan_provinsi.csv (March
2025, else March 2024); nationally that is about 9%.

The linear world (`world="linear"`, `--world linear`)
-----------------------------------------------------
In the default world consumption follows latent welfare and the dwelling is a noisy picture of
that welfare, which leaves room for flexible models. Real consumption is closer to linear in what
a registry sees, and noisier: published PMTs explain about half of its variance out of sample.
The linear world draws welfare, family size and the dwelling as above, then

    log(c) = a_province + log_price_regency + LINEAR_SCALE * z - 0.35 * log(size) + s * e
    z = standardized sum of LINEAR_WEIGHTS x attribute (ordered housing variables by their rank,
        worst 0 to best 1; assets; log floor area, land, other house, cattle)
    s = sigma0 * exp(HETERO_WELFARE * z) * (1 + HETERO_TOWN * town),  e ~ N(0, 1)

so the expectation is exactly linear in the attributes (one-hot housing, assets, log size, region
effects) and the noise is heteroscedastic (larger among the better-off and in towns). `sigma0` is
calibrated so that the share of variance of log consumption the expectation explains (the best
any PMT can reach) is LINEAR_R2 = 0.5 on the calibration population; `a_province` as above.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from dtsen_assets.synth.problems import Coverage
from dtsen_assets.synth.reference import Reference, load_reference

POVERTY_LINE = 609_160.0       # Rp per person per month, BPS March 2025

PROVINCE_WELFARE_SCALE = 0.5
KOTA_WELFARE = 0.25
KELURAHAN_WELFARE = 0.15
VILLAGE_SD = 0.30
FAMILY_SD = 0.85

SIZE_LOG_LAMBDA = np.log(1.97)
SIZE_WELFARE = 0.25
MAX_SIZE = 12

WELFARE_ELASTICITY = 0.45
SIZE_ELASTICITY = 0.35
CONSUMPTION_NOISE_SD = 0.30

# Price level (log) on top of a regency's own spread: dearer in the east and in Jakarta.
PROVINCE_PRICE = {31: 0.10, 21: 0.06, 64: 0.05, 65: 0.06, 81: 0.08, 82: 0.08,
                  91: 0.15, 92: 0.15, 93: 0.15, 94: 0.18, 95: 0.20, 96: 0.15}
KOTA_PRICE = 0.08
REGENCY_PRICE_SD = 0.05

CALIBRATION_SEED = 20_250_301      # fixed: every drop shares one economy
CALIBRATION_FAMILIES = 20_000      # per province

WORLDS = ("default", "linear")

# The linear world: weight of each attribute in the consumption index (before standardizing).
# Ordered housing variables enter by their rank (worst 0, best 1); a question skipped because
# there is no facility/meter counts as the worst rank.
LINEAR_HOUSING_WEIGHTS = {
    "lantai": 0.35, "dinding": 0.25, "atap": 0.15, "air_minum": 0.20, "penerangan": 0.10,
    "daya_listrik": 0.30, "bahan_bakar": 0.20, "fasilitas_bab": 0.20, "jenis_kloset": 0.10,
    "pembuangan_tinja": 0.10, "status_bangunan": 0.05,
}
LINEAR_ASSET_WEIGHTS = {
    "ASET_TABUNG_GAS_5KG": 0.05, "ASET_LEMARI_ES": 0.08, "ASET_AC": 0.15, "ASET_PEMANAS_AIR": 0.08,
    "ASET_TELEVISI": 0.04, "ASET_EMAS": 0.05, "ASET_KOMPUTER": 0.10, "ASET_SEPEDA_MOTOR": 0.08,
    "ASET_MOBIL": 0.20, "ASET_SMARTPHONE": 0.05,
}
LINEAR_NUMBER_WEIGHTS = {"log_luas_lantai": 0.15, "log1p_luas_lahan": 0.01, "rumah_lain": 0.10,
                         "log1p_ternak_sapi": 0.05}
LINEAR_SCALE = 0.40        # sd of the attribute index's contribution to log consumption
LINEAR_R2 = 0.50           # share of the variance of log consumption the expectation explains
HETERO_WELFARE = 0.20      # noise sd grows by exp(0.2) per sd of the attribute index
HETERO_TOWN = 0.20         # and by 20% in towns


@dataclass(frozen=True)
class Economy:
    """What the calibration fixed: per-province levels and national thresholds."""

    province_level: dict[int, float]        # mean latent welfare of a province
    province_intercept: dict[int, float]    # a_province of the consumption model
    regency_price: dict[int, float]         # log price level per regency
    national_p0: float                      # share of persons below the line (calibration population)
    log_consumption_p40: float              # person-weighted 40th percentile of log consumption
    dtks_cut: float                         # DTKS score below which a family is listed
    p3ke_cuts: tuple[float, ...]            # P3KE score cuts of its deciles 1..4
    persons_per_family: float = 3.0         # living persons per family (calibration population)
    world: str = "default"                  # "default" or "linear" (see the module docstring)
    linear_index_mean: float = 0.0          # linear world: standardization of the attribute index
    linear_index_sd: float = 1.0
    linear_noise_sd: float = CONSUMPTION_NOISE_SD   # linear world: sigma0


def lookup(table: dict[int, float], codes: np.ndarray) -> np.ndarray:
    """table[code] for every code in an integer array."""
    keys = np.fromiter(table.keys(), dtype=np.int64)
    values = np.fromiter(table.values(), dtype=float)
    order = np.argsort(keys)
    position = np.searchsorted(keys[order], codes)
    return values[order][position]


def family_welfare(rng: np.random.Generator, province_level: np.ndarray, is_kota: np.ndarray,
                   is_kelurahan: np.ndarray, village_effect: np.ndarray) -> np.ndarray:
    return (province_level + KOTA_WELFARE * is_kota + KELURAHAN_WELFARE * is_kelurahan
            + village_effect + FAMILY_SD * rng.standard_normal(province_level.size))


def family_size(rng: np.random.Generator, welfare: np.ndarray) -> np.ndarray:
    lam = np.exp(SIZE_LOG_LAMBDA - SIZE_WELFARE * welfare)
    return np.minimum(1 + rng.poisson(lam), MAX_SIZE).astype(np.int16)


def expected_log_consumption(intercept: np.ndarray, log_price: np.ndarray, welfare: np.ndarray,
                             size: np.ndarray) -> np.ndarray:
    return intercept + log_price + WELFARE_ELASTICITY * welfare - SIZE_ELASTICITY * np.log(size)


def dtks_score(rng: np.random.Generator, welfare: np.ndarray, coverage: Coverage) -> np.ndarray:
    """DTKS's own ranking of a family: welfare seen through its (noisy) proxy means test."""
    return welfare + coverage.dtks_score_noise * rng.standard_normal(welfare.size)


def p3ke_score(rng: np.random.Generator, welfare: np.ndarray, coverage: Coverage) -> np.ndarray:
    """P3KE's older, noisier ranking of a family."""
    return welfare + coverage.p3ke_score_noise * rng.standard_normal(welfare.size)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    return values[order][np.minimum(np.searchsorted(cumulative, q), values.size - 1)]


def calibrate(coverage: Coverage = Coverage(), data_dir: str | None = None, world: str = "default") -> Economy:
    if world not in WORLDS:
        raise ValueError(f"unknown world {world!r}; choose from {list(WORLDS)}")
    if world == "linear":
        return _calibrate_linear(coverage, data_dir)
    return _calibrate(coverage, data_dir)


def _rank_fraction(values: np.ndarray, levels: int) -> np.ndarray:
    return np.clip(values, 0, levels - 1) / max(levels - 1, 1)


def linear_index_raw(housing: dict[str, np.ndarray]) -> np.ndarray:
    """The linear world's attribute index before standardizing (see the module docstring)."""
    from dtsen_assets.synth.housing import BAHAN_BAKAR, DAYA_LISTRIK, HOUSING_BY_VARIABLE

    n = housing["lantai"].size
    index = np.zeros(n)
    for variable, weight in LINEAR_HOUSING_WEIGHTS.items():
        values = housing[variable].astype(float)
        levels = len(HOUSING_BY_VARIABLE[variable].values)
        if variable == "daya_listrik":          # no meter: below the smallest connection
            values = np.where(values == DAYA_LISTRIK.values.index("tidak_ada"), -1.0, values) + 1.0
        if variable == "bahan_bakar":           # not cooking at home: as good as the best fuel below it
            values = np.where(values == BAHAN_BAKAR.values.index("tidak_memasak"), levels - 2, values)
            levels -= 1
        index += weight * _rank_fraction(np.where(values < 0, 0.0, values), levels)
    for column, weight in LINEAR_ASSET_WEIGHTS.items():
        index += weight * housing[column].astype(float)
    numbers = {"log_luas_lantai": np.log(np.maximum(housing["luas_lantai"], 1.0)),
               "log1p_luas_lahan": np.log1p(housing["luas_lahan"].astype(float)),
               "rumah_lain": housing["rumah_lain"].astype(float),
               "log1p_ternak_sapi": np.log1p(housing["TERNAK_SAPI"].astype(float))}
    for name, weight in LINEAR_NUMBER_WEIGHTS.items():
        index += weight * numbers[name]
    return index


def linear_index(economy: Economy, housing: dict[str, np.ndarray]) -> np.ndarray:
    """z: the attribute index standardized on the calibration population (about N(0, 1))."""
    return (linear_index_raw(housing) - economy.linear_index_mean) / economy.linear_index_sd


def linear_expected_log_consumption(intercept: np.ndarray, log_price: np.ndarray, z: np.ndarray,
                                    size: np.ndarray) -> np.ndarray:
    return intercept + log_price + LINEAR_SCALE * z - SIZE_ELASTICITY * np.log(size)


def linear_noise_scale(sigma0: float, z: np.ndarray, urban: np.ndarray) -> np.ndarray:
    """Heteroscedastic noise sd: larger among the better-off and in towns."""
    return sigma0 * np.exp(HETERO_WELFARE * z) * (1.0 + HETERO_TOWN * np.asarray(urban, float))


@lru_cache(maxsize=8)
def _calibrate_linear(coverage: Coverage, data_dir: str | None) -> Economy:
    """The linear world's economy: the default one's welfare, thresholds and prices, plus the
    standardization of the attribute index, sigma0 (R² of the expectation = LINEAR_R2) and a_province."""
    from dtsen_assets.synth.housing import draw_housing

    base = _calibrate(coverage, data_dir)
    reference = load_reference(data_dir)
    rng = np.random.default_rng(CALIBRATION_SEED + 2)
    villages = reference.villages
    kelurahan_share = villages.groupby("kode_kab")["is_kelurahan"].mean()
    parts = {"prov": [], "price": [], "raw": [], "size": [], "urban": [], "weight": [], "p0": []}
    provinces = reference.provinces
    for province in provinces.itertuples():
        regencies = reference.regencies[reference.regencies["kode_prov"] == province.kode_prov]
        families = CALIBRATION_FAMILIES // 4
        pick = rng.choice(len(regencies), families, p=regencies["population"] / regencies["population"].sum())
        kab = regencies["kode_kab"].to_numpy()[pick]
        is_kota = regencies["is_kota"].to_numpy()[pick].astype(bool)
        is_kelurahan = rng.random(kab.size) < kelurahan_share.reindex(kab).to_numpy()
        welfare = family_welfare(rng, np.full(kab.size, base.province_level[province.kode_prov]), is_kota,
                                 is_kelurahan, VILLAGE_SD * rng.standard_normal(kab.size))
        size = family_size(rng, welfare)
        urban = is_kota | is_kelurahan
        housing = draw_housing(rng, welfare, urban, size, np.full(kab.size, province.kode_prov))
        parts["prov"].append(np.full(kab.size, province.kode_prov))
        parts["price"].append(lookup(base.regency_price, kab))
        parts["raw"].append(linear_index_raw(housing))
        parts["size"].append(size.astype(float))
        parts["urban"].append(urban)
        parts["weight"].append(np.full(kab.size, province.population / size.sum()))
        parts["p0"].append(np.full(kab.size, province.p0))
    prov, price, raw, size, urban, family_weight, p0 = (np.concatenate(parts[k]) for k in
                                                        ("prov", "price", "raw", "size", "urban", "weight", "p0"))
    person_weight = family_weight * size
    mean = float(np.average(raw, weights=person_weight))
    sd = float(np.sqrt(np.average((raw - mean) ** 2, weights=person_weight)))
    z = (raw - mean) / sd
    shock = rng.standard_normal(z.size)
    sigma0 = CONSUMPTION_NOISE_SD
    intercept = {}
    for _ in range(4):      # a_province and sigma0 depend on each other: a few fixed-point steps
        partial = linear_expected_log_consumption(0.0, price, z, size)
        noisy = partial + linear_noise_scale(sigma0, z, urban) * shock
        for code in np.unique(prov):
            rows = prov == code
            intercept[int(code)] = np.log(POVERTY_LINE) - float(
                weighted_quantile(noisy[rows], size[rows], float(p0[rows][0])))
        expected = partial + lookup(intercept, prov)
        signal = float(np.average((expected - np.average(expected, weights=person_weight)) ** 2,
                                  weights=person_weight))
        noise = float(np.average(linear_noise_scale(1.0, z, urban) ** 2, weights=person_weight))
        sigma0 = float(np.sqrt(signal * (1.0 - LINEAR_R2) / LINEAR_R2 / noise))
    log_c = expected + linear_noise_scale(sigma0, z, urban) * shock
    return replace(
        base, province_intercept=intercept, world="linear", linear_index_mean=mean, linear_index_sd=sd,
        linear_noise_sd=sigma0,
        national_p0=float(np.average(log_c < np.log(POVERTY_LINE), weights=person_weight)),
        log_consumption_p40=float(weighted_quantile(log_c, person_weight, 0.40)),
    )


@lru_cache(maxsize=8)
def _calibrate(coverage: Coverage, data_dir: str | None) -> Economy:
    reference = load_reference(data_dir)
    rng = np.random.default_rng(CALIBRATION_SEED)
    provinces = reference.provinces
    z = NormalDist().inv_cdf
    national_p0 = float(np.average(provinces["p0"], weights=provinces["population"]))
    province_level = {int(p): PROVINCE_WELFARE_SCALE * (z(1 - national_p0) - z(1 - p0))
                      for p, p0 in zip(provinces["kode_prov"], provinces["p0"])}
    regency_price = _regency_prices(reference)

    intercept: dict[int, float] = {}
    pooled = {"log_c": [], "welfare": [], "size": [], "weight": []}
    villages = reference.villages
    kelurahan_share = villages.groupby("kode_kab")["is_kelurahan"].mean()
    for province in provinces.itertuples():
        regencies = reference.regencies[reference.regencies["kode_prov"] == province.kode_prov]
        pick = rng.choice(len(regencies), CALIBRATION_FAMILIES, p=regencies["population"] / regencies["population"].sum())
        kab = regencies["kode_kab"].to_numpy()[pick]
        is_kota = regencies["is_kota"].to_numpy()[pick]
        is_kelurahan = rng.random(kab.size) < kelurahan_share.reindex(kab).to_numpy()
        welfare = family_welfare(rng, np.full(kab.size, province_level[province.kode_prov]), is_kota,
                                 is_kelurahan, VILLAGE_SD * rng.standard_normal(kab.size))
        size = family_size(rng, welfare)
        partial = expected_log_consumption(0.0, lookup(regency_price, kab), welfare, size) \
            + CONSUMPTION_NOISE_SD * rng.standard_normal(kab.size)
        # a_p puts the province's person-weighted P0 quantile exactly on the poverty line
        a = np.log(POVERTY_LINE) - float(weighted_quantile(partial, size.astype(float), province.p0))
        intercept[int(province.kode_prov)] = a
        pooled["log_c"].append(partial + a)
        pooled["welfare"].append(welfare)
        pooled["size"].append(size)
        # each simulated family stands for population / simulated persons of its province
        pooled["weight"].append(np.full(kab.size, province.population / size.sum()))

    log_c = np.concatenate(pooled["log_c"])
    welfare = np.concatenate(pooled["welfare"])
    size = np.concatenate(pooled["size"]).astype(float)
    family_weight = np.concatenate(pooled["weight"])
    person_weight = family_weight * size
    dtks = dtks_score(rng, welfare, coverage)
    p3ke = p3ke_score(rng, welfare, coverage)
    deciles = np.arange(1, 5) * coverage.p3ke_ranked_share / 4
    return Economy(
        province_level=province_level,
        province_intercept=intercept,
        regency_price=regency_price,
        national_p0=float(np.average(log_c < np.log(POVERTY_LINE), weights=person_weight)),
        log_consumption_p40=float(weighted_quantile(log_c, person_weight, 0.40)),
        dtks_cut=float(weighted_quantile(dtks, family_weight, coverage.dtks_families)),
        p3ke_cuts=tuple(float(c) for c in weighted_quantile(p3ke, family_weight, deciles)),
        persons_per_family=float(np.average(size, weights=family_weight)),
    )


def _regency_prices(reference: Reference) -> dict[int, float]:
    rng = np.random.default_rng(CALIBRATION_SEED + 1)
    regencies = reference.regencies
    spread = REGENCY_PRICE_SD * rng.standard_normal(len(regencies))
    level = (regencies["kode_prov"].map(PROVINCE_PRICE).fillna(0.0).to_numpy()
             + KOTA_PRICE * regencies["is_kota"].to_numpy() + spread)
    return {int(k): float(v) for k, v in zip(regencies["kode_kab"], level)}
