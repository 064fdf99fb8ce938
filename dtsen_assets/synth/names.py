"""Indonesian names: pools built once from faker's id_ID lists, sampled with numpy.

A canonical name is one to three upper-case parts: a first name, sometimes a second given name,
sometimes a family or second name (25% / 55% / 20% have 1 / 2 / 3 parts). About 30% of families
pass a family name (marga) from the head to the children. Common Muslim first names (MUHAMMAD,
AHMAD, ABDUL, SITI, NUR, SRI) get the weight they have in reality, so abbreviations such as
MUH. and MOCH. have something to abbreviate.

The functions at the end spoil a name the way source records do (titles, BIN/BINTI,
abbreviations, typos, swapped or missing parts, casing); `inject.py` decides which record gets what.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.person.id_ID import Provider as IndonesianNames

# Extra first names and the share of draws they take.
MALE_COMMON = {"MUHAMMAD": 0.05, "MOHAMMAD": 0.01, "MOCHAMMAD": 0.01, "AHMAD": 0.03, "ABDUL": 0.02}
FEMALE_COMMON = {"SITI": 0.06, "NUR": 0.03, "SRI": 0.03, "DEWI": 0.02}
PART_COUNT_SHARES = (0.25, 0.55, 0.20)
FAMILY_NAME_SHARE = 0.30

ABBREVIATIONS = {
    "MUHAMMAD": ("MUH.", "MOCH.", "MOCH", "MOH.", "M.", "MUH"),
    "MOHAMMAD": ("MOH.", "MOCH.", "M."),
    "MOCHAMMAD": ("MOCH.", "MOCH", "M."),
    "ABDUL": ("ABD.", "ABD"),
    "AHMAD": ("AHM.", "A."),
    "SITI": ("ST.",),
    "NUR": ("NR.",),
}
TITLES_BEFORE_MALE = ("H.", "H", "DRS.", "IR.", "DR.", "KH.")
TITLES_BEFORE_FEMALE = ("HJ", "HJ.", "DRA.", "IR.", "DR.")
TITLES_AFTER = (", S.PD", " S.PD", ", S.E.", ", S.H.", ", S.T.", ", S.KOM", ", S.AG", ", S.SOS", ", A.MD",
                ", M.PD", " SE", ", S.PD.I")
LETTERS = np.array(list("ABCDEFGHIJKLMNOPRSTUWY"))


class NamePools:
    """Upper-case name pools (object arrays) with sampling weights."""

    def __init__(self) -> None:
        self.male, self.male_weight = _pool(IndonesianNames.first_names_male, MALE_COMMON)
        self.female, self.female_weight = _pool(IndonesianNames.first_names_female, FEMALE_COMMON)
        self.surname = np.array(sorted({n.upper() for n in IndonesianNames.last_names}), dtype=object)

    def draw_given(self, rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
        male_pick = rng.choice(self.male.size, female.size, p=self.male_weight)
        female_pick = rng.choice(self.female.size, female.size, p=self.female_weight)
        return np.where(female, self.female[female_pick], self.male[male_pick])

    def draw_surname(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.surname[rng.integers(0, self.surname.size, n)]


def _pool(names, common: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    base = sorted({n.upper() for n in names} - set(common))
    rest = 1.0 - sum(common.values())
    values = list(common) + base
    weights = np.array(list(common.values()) + [rest / len(base)] * len(base))
    return np.array(values, dtype=object), weights / weights.sum()


@lru_cache(maxsize=1)
def name_pools() -> NamePools:
    return NamePools()


def draw_names(rng: np.random.Generator, female: np.ndarray, family: np.ndarray, inherits: np.ndarray,
               family_surname: np.ndarray) -> dict[str, np.ndarray]:
    """Name parts (object arrays, None for an absent part) for persons of the given sex.

    `inherits` marks persons who carry their family's name (`family_surname[family]`) as last part.
    """
    pools = name_pools()
    n = female.size
    parts = rng.choice(3, n, p=PART_COUNT_SHARES) + 1
    parts = np.where(inherits, np.maximum(parts, 2), parts)
    first = pools.draw_given(rng, female)
    middle_given = pools.draw_given(rng, female)
    surname = pools.draw_surname(rng, n)
    second_given = pools.draw_given(rng, female)
    # Two-part names end with a family-type name or a second given name, half and half.
    last = np.where(rng.random(n) < 0.5, surname, second_given)
    last = np.where(inherits, family_surname[family], last)
    middle = np.where(parts == 3, middle_given, None)
    last = np.where(parts >= 2, last, None)
    return {"first": first, "middle": middle, "last": last}


def join_parts(*parts: np.ndarray) -> pa.Array:
    """Parts joined by single spaces, absent (None) parts left out."""
    # Not null_handling="skip": pyarrow 26 drops the rows where every part is null.
    joined = pc.binary_join_element_wise(*[pa.array(p, pa.string()) for p in parts], " ",
                                         null_handling="replace", null_replacement="")
    return pc.utf8_trim(pc.replace_substring(joined, "  ", " "), " ")


# --- spoiling a name (per record, for the few records chosen; u are uniform draws) ---

def abbreviate(parts: list[str], u: float) -> list[str] | None:
    """MUHAMMAD -> MUH. (or a variant), else the last part to its initial; None if nothing to do."""
    if parts[0] in ABBREVIATIONS:
        options = ABBREVIATIONS[parts[0]]
        return [options[int(u * len(options))]] + parts[1:]
    if len(parts) >= 2:
        return parts[:-1] + [parts[-1][0] + "."]
    return None


def typo(text: str, u: float, v: float) -> str:
    """One edit at a letter: replace, drop, double or swap with the next letter."""
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(positions) < 3:
        return text + "H" if v < 0.5 else text[:-1] + "A"
    i = positions[int(u * len(positions))]
    kind = int(v * 4)
    if kind == 0:
        replacement = LETTERS[int(v * 1000) % len(LETTERS)]
        replacement = replacement if replacement != text[i] else ("A" if text[i] != "A" else "E")
        return text[:i] + replacement + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i + 1:]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    j = i + 1 if i + 1 < len(text) and text[i + 1].isalpha() and text[i + 1] != text[i] else None
    if j is None:
        return text[:i] + text[i + 1:]
    return text[:i] + text[j] + text[i] + text[j + 1:]


def add_title(name: str, female: bool, u: float, v: float) -> str:
    before = TITLES_BEFORE_FEMALE if female else TITLES_BEFORE_MALE
    if u < 0.45:
        return f"{before[int(v * len(before))]} {name}"
    if u < 0.85:
        return name + TITLES_AFTER[int(v * len(TITLES_AFTER))]
    return f"{before[int(v * len(before))]} {name}{TITLES_AFTER[int(v * 7) % len(TITLES_AFTER)]}"


def mixed_case(text: str, u: float) -> str:
    """Lower case, title case or a mix, as typed by hand (always different from upper case)."""
    if u < 0.4:
        return text.lower()
    cased = text.title() if u < 0.85 else \
        "".join(ch.lower() if (i * 7 + int(u * 100)) % 3 == 0 else ch for i, ch in enumerate(text))
    return cased if cased != text else text.lower()
