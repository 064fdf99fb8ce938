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
"""

from __future__ import annotations

from dataclasses import dataclass
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


def calibrate(coverage: Coverage = Coverage(), data_dir: str | None = None) -> Economy:
    return _calibrate(coverage, data_dir)


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
    )


def _regency_prices(reference: Reference) -> dict[int, float]:
    rng = np.random.default_rng(CALIBRATION_SEED + 1)
    regencies = reference.regencies
    spread = REGENCY_PRICE_SD * rng.standard_normal(len(regencies))
    level = (regencies["kode_prov"].map(PROVINCE_PRICE).fillna(0.0).to_numpy()
             + KOTA_PRICE * regencies["is_kota"].to_numpy() + spread)
    return {int(k): float(v) for k, v in zip(regencies["kode_kab"], level)}
