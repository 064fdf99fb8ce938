"""NIK and NO_KK: building the true identifiers of the world.

NIK `PPKKCCDDMMYYSSSS`: the district where the person was first registered (mostly the family's
district; 15% of adults elsewhere in the area), birth day (+40 for women), month, two-digit year,
and a serial that counts up from a small random start among persons with the same first twelve
digits. Because generation runs in chunks of whole districts, and the retired codes of
`reference.retired_district_code` map districts one to one, a serial counted within a chunk is
unique nationally; `SerialRegistry` guards the rare retired code shared by two districts.

NO_KK `PPKKCCDDMMYYSSSS`: district of the card, issue date, serial; counted the same way.
"""

from __future__ import annotations

import numpy as np

from dtsen_assets.synth.reference import retired_district_code

EPOCH = np.datetime64("1970-01-01", "D")


def date_parts(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of datetime64 values."""
    dates = np.asarray(dates).astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def serials(keys: np.ndarray, rng: np.random.Generator, start_spread: int) -> np.ndarray:
    """1 + a random start per key + the rank of each item among items with the same key."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    new_key = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.flatnonzero(new_key)
    group = np.cumsum(new_key) - 1
    rank = np.arange(keys.size) - group_start[group]
    start = rng.integers(0, start_spread, group_start.size)
    serial = np.empty(keys.size, dtype=np.int64)
    serial[order] = 1 + start[group] + rank
    return serial


class SerialRegistry:
    """Numbers that must be unique across chunks (few: kept in a set): NIKs issued under retired region
    codes, and the cards of families that moved to another province."""

    def __init__(self) -> None:
        self.issued: set[int] = set()

    def make_unique(self, niks: np.ndarray) -> np.ndarray:
        niks = niks.copy()
        for i, nik in enumerate(niks.tolist()):
            while nik in self.issued:
                nik += 1 if nik % 10_000 < 9_999 else -5_000
            self.issued.add(nik)
            niks[i] = nik
        return niks


def build_niks(rng: np.random.Generator, district: np.ndarray, birth: np.ndarray, female: np.ndarray,
               old_prefix: np.ndarray, birthdate_mismatch: np.ndarray, sex_mismatch: np.ndarray,
               current_districts: np.ndarray, registry: SerialRegistry) -> np.ndarray:
    """NIKs (int64) for persons first registered in `district` (PPKKCC), with the person-level
    problems already decided: an old region prefix, birth-date digits or sex digits that disagree."""
    prefix = np.where(old_prefix, retired_district_code(district, current_districts), district)
    shown = birth.copy()
    # A NIK issued with a wrong date keeps it: often 1 July or 31 December (date unknown), else off.
    placeholder = rng.random(birth.size) < 0.5
    year, month, day = date_parts(birth)
    july_first = ((year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 6).astype("datetime64[D]")
    off = birth + rng.choice(np.r_[-400:-30, 31:400], birth.size).astype("timedelta64[D]")
    wrong = np.where(placeholder, july_first, off)
    wrong = np.where(wrong == birth, birth + 45, wrong)
    shown = np.where(birthdate_mismatch, wrong, shown)
    s_year, s_month, s_day = date_parts(shown)
    women_digits = female ^ sex_mismatch
    ddmmyy = (s_day + 40 * women_digits) * 10_000 + s_month * 100 + s_year % 100
    key = prefix * 1_000_000 + ddmmyy
    nik = key * 10_000 + serials(key, rng, start_spread=20)
    if old_prefix.any():
        nik[old_prefix] = registry.make_unique(nik[old_prefix])
    return nik


def build_no_kk(rng: np.random.Generator, district: np.ndarray, issued: np.ndarray) -> np.ndarray:
    """Family card numbers (int64) for cards of `district` issued on `issued` (datetime64[D])."""
    year, month, day = date_parts(issued)
    key = district * 1_000_000 + day * 10_000 + month * 100 + year % 100
    return key * 10_000 + serials(key, rng, start_spread=60)


def nik_birth_digits_agree(nik: np.ndarray, birth: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Whether the DDMMYY digits of a NIK agree with a birth date and sex."""
    year, month, day = date_parts(birth)
    ddmmyy = (day + 40 * female) * 10_000 + month * 100 + year % 100
    return (nik // 10_000) % 1_000_000 == ddmmyy
