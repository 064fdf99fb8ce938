"""Who lives in a family: relations, sex, age, schooling and work of every member.

A family of `size` living members has a head (mostly a man in his 40s; single-member families are
young adults or the elderly, often women), usually a spouse, then children, and sometimes a
parent or parent-in-law, grandchildren with a son- or daughter-in-law, other relatives or a
domestic helper. Schooling and work of adults follow latent welfare and age; lines of work
follow town or village. Codes are REGSOSEK's (codebook.csv), the other sources are derived.
"""

from __future__ import annotations

import numpy as np

from dtsen_assets.synth.housing import NORMAL, normal_cuts

# Relations in the family card, in Dukcapil's words (STAT_HBKEL).
STAT_HBKEL: tuple[str, ...] = ("KEPALA KELUARGA", "SUAMI", "ISTRI", "ANAK", "MENANTU", "CUCU",
                               "ORANG TUA", "MERTUA", "FAMILI LAIN", "PEMBANTU", "LAINNYA")
HEAD, SUAMI, ISTRI, ANAK, MENANTU, CUCU, ORANG_TUA, MERTUA, FAMILI_LAIN, PEMBANTU, LAINNYA = range(11)

# Other members (not head or spouse): relation shares for younger and older heads.
OTHER_RELATIONS = np.array([ANAK, MENANTU, CUCU, ORANG_TUA, MERTUA, FAMILI_LAIN, LAINNYA])
OTHER_SHARES_YOUNG_HEAD = np.array([0.915, 0.0, 0.0, 0.035, 0.02, 0.025, 0.005])
OTHER_SHARES_OLD_HEAD = np.array([0.76, 0.05, 0.11, 0.015, 0.015, 0.045, 0.005])

EDUCATION_SHARES_ADULT = (0.08, 0.30, 0.18, 0.30, 0.04, 0.09, 0.01)   # REGSOSEK PENDIDIKAN 1..7
# LAPANGAN_USAHA 1..9 of workers in villages and in towns
SECTOR_SHARES_RURAL = np.array([0.45, 0.01, 0.08, 0.07, 0.17, 0.04, 0.05, 0.10, 0.03])
SECTOR_SHARES_URBAN = np.array([0.05, 0.005, 0.15, 0.08, 0.30, 0.07, 0.10, 0.22, 0.025])
# KEDUDUKAN_KERJA 1..8 of farm workers and of other workers
POSITION_SHARES_FARM = np.array([0.35, 0.25, 0.0, 0.05, 0.0, 0.20, 0.0, 0.15])
POSITION_SHARES_OTHER = np.array([0.25, 0.05, 0.03, 0.45, 0.07, 0.0, 0.10, 0.05])
AGRICULTURE = 1


def categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row of a (rows, categories) probability matrix: the category index."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    return (rng.random((probabilities.shape[0], 1)) > cumulative).sum(axis=1)


def compose_families(rng: np.random.Generator, size: np.ndarray, welfare: np.ndarray) -> dict[str, np.ndarray]:
    """Members of families with `size` living members; family index, relation, sex, age (years)."""
    families = size.size
    single = size == 1
    head_female = rng.random(families) < np.where(single, 0.45, 0.12)
    head_age = np.where(
        single,
        np.where(rng.random(families) < 0.5, rng.uniform(20, 36, families), rng.uniform(55, 88, families)),
        np.clip(rng.normal(45, 12, families), 20, 85))
    has_spouse = (size >= 2) & (rng.random(families) < np.where(head_female, 0.15, 0.93))

    family = np.repeat(np.arange(families), size)
    start = np.cumsum(size) - size
    position = np.arange(family.size) - start[family]
    f_head_age = head_age[family]
    relation = np.full(family.size, ANAK, dtype=np.int8)
    is_head = position == 0
    is_spouse = (position == 1) & has_spouse[family]
    other = ~is_head & ~is_spouse
    old_head = f_head_age[other] >= 45
    shares = np.where(old_head[:, None], OTHER_SHARES_OLD_HEAD, OTHER_SHARES_YOUNG_HEAD)
    relation[other] = OTHER_RELATIONS[categorical(rng, shares)]
    helper = other & (welfare[family] > 1.6) & (rng.random(family.size) < 0.08)
    relation[helper] = PEMBANTU
    relation[is_head] = HEAD

    n = family.size
    female = rng.random(n) < np.select(
        [relation == MENANTU, np.isin(relation, (ORANG_TUA, MERTUA)), relation == PEMBANTU], [0.6, 0.65, 0.8], 0.5)
    female[is_head] = head_female
    female[is_spouse] = ~head_female[family[is_spouse]]
    relation[is_spouse] = np.where(female[is_spouse], ISTRI, SUAMI)

    age = np.empty(n)
    age[is_head] = head_age
    age[is_spouse] = np.clip(f_head_age[is_spouse] + np.where(female[is_spouse], -3, 3)
                             + rng.normal(0, 4, is_spouse.sum()), 17, 95)
    u = rng.random(n)
    bounds = {
        ANAK: (0, np.clip(f_head_age - 18, 1, 32)),
        CUCU: (0, np.clip(f_head_age - 40, 1, 18)),
        MENANTU: (18, np.clip(f_head_age - 16, 19, 50)),
        ORANG_TUA: (f_head_age + 20, np.minimum(f_head_age + 36, 101)),
        MERTUA: (f_head_age + 18, np.minimum(f_head_age + 36, 101)),
        FAMILI_LAIN: (3, 75), LAINNYA: (3, 75), PEMBANTU: (17, 56),
    }
    for rel, (low, high) in bounds.items():
        hit = relation == rel
        low_v = low[hit] if isinstance(low, np.ndarray) else low
        high_v = high[hit] if isinstance(high, np.ndarray) else high
        age[hit] = low_v + u[hit] * (high_v - low_v)
    return {"family": family, "position": position, "relation": relation, "female": female,
            "age": np.minimum(age, 100.0)}


def schooling_and_work(rng: np.random.Generator, age: np.ndarray, female: np.ndarray,
                       welfare: np.ndarray, urban: np.ndarray) -> dict[str, np.ndarray]:
    """REGSOSEK codes: PENDIDIKAN 1..7, STATUS_BEKERJA 1/2, LAPANGAN_USAHA and KEDUDUKAN_KERJA
    (0 = not asked: not working), DISABILITAS and PENYAKIT_KRONIS 1/2."""
    n = age.size
    years = np.floor(age)
    latent = 0.6 * welfare + 0.78 * rng.standard_normal(n) - 0.012 * (years - 40)
    education = (np.searchsorted(normal_cuts(EDUCATION_SHARES_ADULT), latent) + 1).astype(np.int8)
    school_age = np.select([years < 7, years < 13, years < 16, years < 19], [1, 2, 3, 4], 0)
    behind = (years >= 13) & (years < 19) & (latent < NORMAL.inv_cdf(0.15))   # dropped out earlier
    school_age = np.where(behind & (school_age > 2), school_age - 1, school_age)
    education = np.where(school_age > 0, school_age, education).astype(np.int8)

    p_work = np.select([years < 10, years < 15, years < 19, years < 65],
                       [0.0, 0.03, 0.25, np.where(female, 0.52, 0.86)], 0.38)
    working = rng.random(n) < p_work
    sector = categorical(rng, np.where(urban[:, None], SECTOR_SHARES_URBAN, SECTOR_SHARES_RURAL)) + 1
    educated = education >= 5
    sector = np.where(educated & (rng.random(n) < 0.5), 8, sector)           # graduates: services
    position = categorical(rng, np.where((sector == AGRICULTURE)[:, None], POSITION_SHARES_FARM,
                                         POSITION_SHARES_OTHER)) + 1
    civil_servant = (education >= 4) & (sector == 8) & (rng.random(n) < 0.25)
    position = np.where(civil_servant, 5, np.where((position == 5) & (education < 4), 4, position))
    employer = (position == 3) & (welfare < 0.5)                             # employers are better off
    position = np.where(employer, 1, position)
    disability = rng.random(n) < 0.01 + 0.0025 * np.maximum(years - 50, 0)
    chronic = rng.random(n) < 0.02 + 0.003 * np.maximum(years - 40, 0)
    return {
        "pendidikan": education,
        "status_bekerja": np.where(working, 1, 2).astype(np.int8),
        "lapangan_usaha": np.where(working, sector, 0).astype(np.int8),
        "kedudukan_kerja": np.where(working, position, 0).astype(np.int8),
        "disabilitas": np.where(disability, 1, 2).astype(np.int8),
        "penyakit_kronis": np.where(chronic, 1, 2).astype(np.int8),
    }
