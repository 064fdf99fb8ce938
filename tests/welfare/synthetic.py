"""Small, realistic hand-made tables for the welfare tests: staging.susenas_household and dtsen.family.

Exactly the documented columns (docs/internal_tables.md), canonical values, and features that
follow one latent welfare per household, as in SUSENAS and REGSOSEK: poorer households are larger,
have earth floors and bamboo walls more often, own fewer assets, have less educated heads; their
per-capita consumption is log-linear in that latent welfare, a province level and the household
size, plus noise. The generator knows each family's true consumption, so tests can check accuracy.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from dtsen_assets.welfare.variables import ASSETS, CORE_HOUSING, DWELLING_AND_POSSESSIONS, LIVESTOCK

# province -> level of latent welfare; regencies (kota numbered 71+ have higher prices), as in a
# real survey: many regencies with a handful of households each.
PROVINCE_LEVEL = {"12": 0.1, "32": 0.2, "33": 0.0, "35": 0.1, "53": -0.5, "73": -0.1, "91": -0.7}
REGENCY_CODES = ("1201", "1275", "3201", "3204", "3273", "3275", "3301", "3302", "3374", "3501", "3507", "3578",
                 "5301", "5302", "5371", "7301", "7302", "7371", "9103", "9105")
_PRICES = np.random.default_rng(99).normal(0.0, 0.05, len(REGENCY_CODES))
# kode_kab -> (level of latent welfare, log price level)
REGENCIES = {k: (PROVINCE_LEVEL[k[:2]] + (0.25 if int(k[2:]) >= 71 else 0.0),
                 p + (0.08 if int(k[2:]) >= 71 else 0.0) + (0.15 if k[:2] == "91" else 0.0))
             for k, p in zip(REGENCY_CODES, _PRICES)}
# ordered worst to best, with national shares
ORDERED = {
    "lantai": (("tanah", "bambu", "kayu_papan", "semen_bata_merah", "ubin_tegel_teraso", "keramik"),
               (0.06, 0.02, 0.08, 0.22, 0.08, 0.54), 0.75),
    "dinding": (("bambu", "anyaman_bambu", "kayu_papan", "tembok"), (0.02, 0.04, 0.12, 0.82), 0.65),
    "atap": (("jerami_ijuk_daun", "seng", "asbes", "genteng", "beton"), (0.03, 0.33, 0.12, 0.46, 0.06), 0.5),
    "air_minum": (("air_permukaan", "sumur_tak_terlindung", "sumur_terlindung", "sumur_bor_pompa", "leding",
                   "air_isi_ulang", "air_kemasan"), (0.03, 0.06, 0.18, 0.22, 0.1, 0.37, 0.04), 0.55),
    "penerangan": (("bukan_listrik", "listrik_non_pln", "pln_tanpa_meteran", "pln_meteran"),
                   (0.01, 0.02, 0.05, 0.92), 0.5),
    "bahan_bakar": (("kayu_bakar", "minyak_tanah", "elpiji_3kg", "elpiji_12kg", "listrik"),
                    (0.14, 0.02, 0.79, 0.03, 0.02), 0.6),
    "fasilitas_bab": (("tidak_ada", "mck_umum", "bersama", "sendiri"), (0.06, 0.03, 0.08, 0.83), 0.55),
    "jenis_kloset": (("cemplung_cubluk", "plengsengan_tutup", "leher_angsa"), (0.06, 0.03, 0.91), 0.5),
    "pembuangan_tinja": (("kolam_sawah_sungai", "lubang_tanah", "tangki_septik"), (0.08, 0.14, 0.78), 0.5),
    "status_bangunan": (("bebas_sewa", "kontrak_sewa", "milik_sendiri"), (0.08, 0.1, 0.82), 0.15),
    "daya_listrik": (("va_450", "va_900", "va_1300", "va_2200"), (0.3, 0.42, 0.2, 0.08), 0.7),
    "krt_pendidikan": (("tidak_sekolah", "sd", "smp", "sma", "diploma", "sarjana"),
                       (0.07, 0.35, 0.18, 0.28, 0.04, 0.08), 0.6),
}
ASSET_SHARES = {a: s for a, s in zip(ASSETS, (0.25, 0.65, 0.1, 0.05, 0.02, 0.85, 0.3, 0.18, 0.35, 0.85, 0.12,
                                              0.02, 0.01, 0.01, 0.9))}
NORMAL = NormalDist()


def _ordered(rng: np.random.Generator, welfare: np.ndarray, values, shares, weight) -> np.ndarray:
    score = weight * welfare + np.sqrt(1 - weight ** 2) * rng.standard_normal(welfare.size)
    cuts = [NORMAL.inv_cdf(c) for c in np.cumsum(shares)[:-1] / np.sum(shares)]
    return np.asarray(values, dtype=object)[np.searchsorted(cuts, score)]


def households(n: int, seed: int) -> pd.DataFrame:
    """n households with every canonical variable, true consumption and latent welfare."""
    rng = np.random.default_rng(seed)
    kab = rng.choice(list(REGENCIES), n)
    level = np.array([REGENCIES[k][0] for k in kab])
    price = np.array([REGENCIES[k][1] for k in kab])
    welfare = level + 0.9 * rng.standard_normal(n)
    size = np.minimum(1 + rng.poisson(np.exp(np.log(2.0) - 0.25 * welfare)), 12)
    log_expected = 13.6 + price + 0.45 * welfare - 0.35 * np.log(size)
    consumption = np.exp(log_expected + 0.3 * rng.standard_normal(n))
    frame = pd.DataFrame({"kode_kab": kab, "jumlah_art": size})
    children = rng.binomial(np.maximum(size - 1, 0), 0.5)
    frame["art_balita"] = rng.binomial(children, 0.3)
    frame["art_sekolah"] = children - frame["art_balita"]
    frame["art_lansia"] = rng.binomial(size, 0.08)
    frame["art_disabilitas"] = rng.binomial(size, 0.03)
    frame["krt_jenis_kelamin"] = np.where(rng.random(n) < 0.15, "P", "L")
    frame["krt_umur"] = np.clip(np.round(45 + 12 * rng.standard_normal(n)), 18, 90).astype(int)
    for variable, (values, shares, weight) in ORDERED.items():
        frame[variable] = _ordered(rng, welfare, values, shares, weight)
    working = rng.random(n) < 0.8
    frame["krt_status_bekerja"] = np.where(working, "bekerja", "tidak_bekerja")
    frame["krt_lapangan_usaha"] = np.where(working, np.where(welfare + rng.standard_normal(n) < 0, "pertanian",
                                                             "perdagangan"), None)
    frame["krt_kedudukan_kerja"] = np.where(working, np.where(welfare + rng.standard_normal(n) < 0.3,
                                                              "berusaha_sendiri", "buruh_karyawan"), None)
    no_toilet = frame["fasilitas_bab"] == "tidak_ada"
    frame.loc[no_toilet, ["jenis_kloset", "pembuangan_tinja"]] = None
    frame.loc[frame["penerangan"] != "pln_meteran", "daya_listrik"] = "tidak_ada"
    frame["luas_lantai"] = np.clip(np.round(np.exp(np.log(42) + 0.22 * welfare + 0.2 * np.log(size)
                                                   + 0.35 * rng.standard_normal(n))), 9, 600)
    for asset, share in ASSET_SHARES.items():
        frame[asset] = np.where(0.65 * welfare + 0.76 * rng.standard_normal(n) > NORMAL.inv_cdf(1 - share), "ya", "tidak")
    has_land = rng.random(n) < 0.4
    frame["luas_lahan"] = np.where(has_land, np.round(np.exp(np.log(2500) + 0.4 * welfare + rng.standard_normal(n)), -1), 0.0)
    frame["rumah_lain"] = np.where(0.6 * welfare + 0.8 * rng.standard_normal(n) > 1.4, "ya", "tidak")
    for animal in LIVESTOCK:
        frame[animal] = np.where(rng.random(n) < 0.06, 1 + rng.poisson(2, n), 0)
    frame["true_consumption"] = consumption
    frame["true_log_expected"] = log_expected
    return frame


def susenas_household(n: int = 300, seed: int = 1) -> pd.DataFrame:
    """staging.susenas_household: id_rt, bobot, pengeluaran_kapita and the canonical variables."""
    frame = households(n, seed)
    rng = np.random.default_rng(seed + 1000)
    frame.insert(0, "id_rt", [f"RT{i:06d}" for i in range(n)])
    frame.insert(1, "bobot", np.round(40 * rng.uniform(0.85, 1.15, n), 2))
    frame.insert(2, "pengeluaran_kapita", np.round(frame.pop("true_consumption") * np.exp(0.08 * rng.standard_normal(n))))
    return frame.drop(columns=["true_log_expected"])


def dtsen_family(n: int = 2000, seed: int = 2, missing_share: float = 0.02,
                 core_only_share: float = 0.01) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(dtsen.family, truth): family_id, no_kk, kode_desa, jumlah_art, the variables with <v>_source.

    A `missing_share` of families lack the REGSOSEK-only variables (they are known to DTKS only), a
    `core_only_share` have only the eight core housing variables (known to P3KE only), a few have no
    active member left, one has an invalid village code, one has almost nothing recorded.
    """
    frame = households(n, seed)
    rng = np.random.default_rng(seed + 2000)
    truth = frame[["true_consumption", "true_log_expected", "jumlah_art"]].copy()
    frame = frame.drop(columns=["true_consumption", "true_log_expected"])
    family_id = [f"F{i:07d}" for i in range(n)]
    village = [f"{k}{rng.integers(1, 30):02d}{rng.choice([1, 2])}{rng.integers(1, 999):03d}" for k in frame["kode_kab"]]
    frame = frame.drop(columns=["kode_kab"])
    frame.insert(0, "family_id", family_id)
    frame.insert(1, "no_kk", [f"{v[:6]}{rng.integers(10**9, 10**10)}" for v in village])
    frame.insert(2, "kode_desa", village)
    for variable in DWELLING_AND_POSSESSIONS:
        frame[f"{variable}_source"] = "regsosek"
    dtks_only = rng.random(n) < missing_share
    regsosek_only = [v for v in DWELLING_AND_POSSESSIONS
                     if v not in ("status_bangunan", "luas_lantai", "lantai", "dinding", "atap", "air_minum",
                                  "penerangan", "daya_listrik", "bahan_bakar", "fasilitas_bab", "aset_lemari_es",
                                  "aset_ac", "aset_sepeda_motor", "aset_mobil", "aset_emas")]
    for variable in regsosek_only:
        frame.loc[dtks_only, variable] = None
        frame.loc[dtks_only, f"{variable}_source"] = None
    for variable in DWELLING_AND_POSSESSIONS:
        if variable not in regsosek_only:
            frame.loc[dtks_only, f"{variable}_source"] = "dtks"
    core_only = (rng.random(n) < core_only_share) & ~dtks_only
    for variable in DWELLING_AND_POSSESSIONS:
        if variable in CORE_HOUSING:
            frame.loc[core_only, f"{variable}_source"] = "p3ke"
        else:
            frame.loc[core_only, [variable, f"{variable}_source"]] = None
    nearly_nothing = frame.index[-2]
    for variable in DWELLING_AND_POSSESSIONS:
        if variable not in ("lantai", "dinding", "atap"):
            frame.loc[nearly_nothing, [variable, f"{variable}_source"]] = None
    # a handful of families with no active member, one with a broken village code
    gone = rng.choice(n, 3, replace=False)
    frame.loc[gone, "jumlah_art"] = 0
    frame.loc[frame.index[-1], "kode_desa"] = "99X"
    truth.insert(0, "family_id", family_id)
    return frame, truth


def ols_best_survey(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """staging.susenas_household where the conventional OLS PMT is the best model.

    Consumption is still log-linear in the recorded attributes, but it *falls* with every better
    floor, wall and level of the head's schooling: the free OLS coefficients fit that exactly, while
    every default candidate holds those steps non-negative (monotone) and cannot. A few regencies,
    a survey large for them: nothing for regularization to gain either."""
    from dtsen_assets.welfare.variables import ORDINAL

    frame = susenas_household(n, seed)
    for variable, step in (("lantai", -0.25), ("dinding", -0.3), ("krt_pendidikan", -0.2)):
        rank = frame[variable].map({level: i for i, level in enumerate(ORDINAL[variable])}).fillna(0).to_numpy(float)
        frame["pengeluaran_kapita"] = np.round(frame["pengeluaran_kapita"] * np.exp(step * rank))
    return frame
