"""Spoiling true values the way source extracts do, and counting every spoil.

Each function takes true values and the rates of `problems.ProblemRates`, and returns the
values as a source shows them plus, per problem, a mask of the rows it hit. `Ledger` adds those
up per (problem, file, column) with the number of eligible rows: truth/problems.csv.
Decisions are vectorised; the few rows that get a spoiled NIK or name are edited one by one.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dtsen_assets.synth import names as name_rules
from dtsen_assets.synth.identity import date_parts
from dtsen_assets.synth.problems import DATE_PROBLEMS, NAME_PROBLEMS, NIK_PROBLEMS, ProblemRates

# Problems a person record can carry (truth/source_records.csv `problems`), in a fixed order.
RECORD_PROBLEMS: tuple[str, ...] = (
    *NIK_PROBLEMS, "nik_birthdate_mismatch", "nik_sex_mismatch", "nik_old_prefix",
    *NAME_PROBLEMS, *DATE_PROBLEMS, "code_outside_codebook", "empty_cell", "p3ke_label_noise",
    "duplicate_in_source", "dead_still_listed", "moved_village", "kk_reissued", "status_padan_stale",
)
BIT = {name: np.int64(1) << i for i, name in enumerate(RECORD_PROBLEMS)}

PLACEHOLDER_DATE = (1900, 1, 1)
IMPOSSIBLE_DAYS = ((30, 2), (31, 2), (31, 4), (31, 6), (31, 9), (31, 11))
INVALID_CODES = ("99", "98", "-", "X", "-1")
INVALID_LABELS = ("-", "Tidak Tahu", "Lainnya (sebutkan)", "Belum Didata", "N/A")


class Ledger:
    """Injected and eligible counts per (problem, file, column), summed over chunks."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])

    def add(self, problem: str, file: str, column: str, injected, eligible) -> None:
        entry = self.counts[(problem, file, column)]
        entry[0] += int(np.sum(injected)) if not isinstance(injected, (int, np.integer)) else int(injected)
        entry[1] += int(np.sum(eligible)) if not isinstance(eligible, (int, np.integer)) else int(eligible)

    def merge(self, counts: dict) -> None:
        """Add another ledger's counts (a chunk built in another process)."""
        for key, (injected, eligible) in counts.items():
            self.add(*key, injected, eligible)


def problem_bits(masks: dict[str, np.ndarray], n: int) -> np.ndarray:
    bits = np.zeros(n, dtype=np.int64)
    for problem, mask in masks.items():
        bits |= np.where(mask, BIT[problem], 0)
    return bits


def bits_to_text(bits: np.ndarray) -> pa.Array:
    """';'-joined problem names of each record, '' when none."""
    combinations, index = np.unique(bits, return_inverse=True)     # few distinct combinations
    names = [";".join(p for p in RECORD_PROBLEMS if int(c) & int(BIT[p])) for c in combinations]
    return pa.array(names, pa.string()).take(pa.array(index.astype(np.int64)))


def exclusive_choice(rng: np.random.Generator, rates: list[float], n: int) -> np.ndarray:
    """Index of the problem each row gets (-1 for none) from exclusive per-row rates."""
    cut = np.cumsum(rates)
    pick = np.searchsorted(cut, rng.random(n), side="right")
    return np.where(pick < len(rates), pick, -1)


# --- NIK ---

def render_nik(rng: np.random.Generator, nik: np.ndarray, other_nik: np.ndarray, rates: ProblemRates,
               empty_rate: float) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """NIK text of source records: the true NIK, or one of the exclusive NIK problems."""
    n = nik.size
    values = [getattr(rates, p) for p in NIK_PROBLEMS]
    values[NIK_PROBLEMS.index("nik_empty")] = empty_rate
    pick = exclusive_choice(rng, values, n)
    masks = {p: pick == i for i, p in enumerate(NIK_PROBLEMS)}
    text = pa.array(nik).cast(pa.string())
    hit = np.flatnonzero((pick >= 0) & (pick != NIK_PROBLEMS.index("nik_empty")))
    if hit.size:
        u = rng.random((hit.size, 3))
        true_text = text.take(pa.array(hit)).to_pylist()
        others = other_nik[hit].tolist()
        spoiled = [_spoil_nik(NIK_PROBLEMS[k], t, o, a, b, c)
                   for k, t, o, (a, b, c) in zip(pick[hit].tolist(), true_text, others, u.tolist())]
        text = pc.replace_with_mask(text, _mask(n, hit), pa.array(spoiled, pa.string()))
    empty = masks["nik_empty"]
    if empty.any():
        text = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), text)
    return text, masks


def _spoil_nik(problem: str, nik: str, other: int, a: float, b: float, c: float) -> str:
    if problem == "nik_apostrophe":
        return "'" + nik
    if problem == "nik_spaces":
        forms = (" " + nik, nik + " ", f"{nik[:6]} {nik[6:12]} {nik[12:]}", f"{nik[:8]} {nik[8:]}", f" {nik} ")
        return forms[int(a * len(forms))]
    if problem == "nik_too_short":
        i = int(a * 16)
        short = nik[:i] + nik[i + 1:]
        if b < 0.2:
            j = int(c * 15)
            short = short[:j] + short[j + 1:]
        return short
    if problem == "nik_too_long":
        i = int(a * 16)
        return nik[:i] + nik[i] + nik[i:]
    if problem == "nik_all_zero":
        return "0" * 16
    if problem == "nik_typo":
        i = int(a * 15)
        if b < 0.3 and nik[i] != nik[i + 1]:       # two neighbours swapped
            return nik[:i] + nik[i + 1] + nik[i] + nik[i + 2:]
        i = int(a * 16)                            # one digit replaced by another
        digit = str((int(nik[i]) + 1 + int(c * 9)) % 10)
        return nik[:i] + digit + nik[i + 1:]
    if problem == "nik_ganda":
        return str(other)
    raise ValueError(problem)


def _mask(n: int, hit: np.ndarray) -> pa.Array:
    mask = np.zeros(n, dtype=bool)
    mask[hit] = True
    return pa.array(mask)


# --- names ---

def render_names(rng: np.random.Generator, first: np.ndarray, middle: np.ndarray, last: np.ndarray,
                 canonical: np.ndarray, female: np.ndarray, age: np.ndarray, father: np.ndarray,
                 rates: ProblemRates) -> tuple[pa.Array, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Names as a source shows them; returns text, problem masks and eligibility masks."""
    n = first.size
    part_count = 1 + (middle != None).astype(int) + (last != None).astype(int)  # noqa: E711
    first_abbreviable = np.isin(first, list(name_rules.ABBREVIATIONS))
    eligible = {
        "name_missing_part": part_count >= 2,
        "name_swapped": part_count >= 2,
        "name_abbreviation": first_abbreviable | (part_count >= 2),
        "name_typo": np.ones(n, bool),
        "name_title": age >= 25,
        "name_bin_binti": np.ones(n, bool),
        "name_casing": np.ones(n, bool),
    }
    masks = {p: eligible[p] & (rng.random(n) < getattr(rates, p)) for p in NAME_PROBLEMS}
    text = pa.array(canonical, pa.string())
    edited = np.flatnonzero(np.any([masks[p] for p in NAME_PROBLEMS if p != "name_casing"], axis=0)) \
        if n else np.zeros(0, int)
    if edited.size:
        u = rng.random((edited.size, 8)).tolist()
        rows = zip(edited.tolist(), first[edited].tolist(), middle[edited].tolist(), last[edited].tolist(),
                   female[edited].tolist(), father[edited].tolist(), u)
        wanted = {p: masks[p][edited].tolist() for p in NAME_PROBLEMS}
        applied = {p: np.zeros(edited.size, bool) for p in NAME_PROBLEMS if p != "name_casing"}
        spoiled = []
        for j, (i, f, m, l, fem, dad, uu) in enumerate(rows):
            parts = [p for p in (f, m, l) if p is not None]
            if wanted["name_missing_part"][j]:
                del parts[0 if uu[0] < 0.25 else len(parts) - 1]
                applied["name_missing_part"][j] = True
            if wanted["name_swapped"][j] and len(parts) >= 2 and parts[0] != parts[-1]:
                parts = parts[1:] + parts[:1]
                applied["name_swapped"][j] = True
            if wanted["name_abbreviation"][j]:
                shorter = name_rules.abbreviate(parts, uu[1])
                if shorter is not None:
                    parts, applied["name_abbreviation"][j] = shorter, True
            name = " ".join(parts)
            if wanted["name_typo"][j]:
                name, applied["name_typo"][j] = name_rules.typo(name, uu[2], uu[3]), True
            if wanted["name_bin_binti"][j]:
                name, applied["name_bin_binti"][j] = f"{name} {'BINTI' if fem else 'BIN'} {dad}", True
            if wanted["name_title"][j]:
                name, applied["name_title"][j] = name_rules.add_title(name, fem, uu[4], uu[5]), True
            spoiled.append(name)
        text = pc.replace_with_mask(text, _mask(n, edited), pa.array(spoiled, pa.string()))
        for p, done in applied.items():
            masks[p][edited] = done
    casing = np.flatnonzero(masks["name_casing"])
    if casing.size:
        u = rng.random(casing.size).tolist()
        cased = [name_rules.mixed_case(t, x) for t, x in zip(text.take(pa.array(casing)).to_pylist(), u)]
        text = pc.replace_with_mask(text, _mask(n, casing), pa.array(cased, pa.string()))
    return text, masks, eligible


# --- birth dates ---

def render_dates(rng: np.random.Generator, birth: np.ndarray, day_first: bool, age_given: bool,
                 rates: ProblemRates) -> tuple[pa.Array, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Birth dates as text (DD-MM-YYYY when day_first, else YYYY-MM-DD) with the date problems."""
    n = birth.size
    values = [rates.date_impossible, rates.date_placeholder, rates.date_missing_age_only if age_given else 0.0]
    pick = exclusive_choice(rng, values, n)
    masks = {p: pick == i for i, p in enumerate(DATE_PROBLEMS)}
    eligible = {"date_impossible": np.ones(n, bool), "date_placeholder": np.ones(n, bool),
                "date_missing_age_only": np.full(n, age_given)}
    year, month, day = date_parts(birth)
    impossible = masks["date_impossible"]
    swap = np.array(IMPOSSIBLE_DAYS)[rng.integers(0, len(IMPOSSIBLE_DAYS), n)]
    day = np.where(impossible, swap[:, 0], day)
    month = np.where(impossible, swap[:, 1], month)
    placeholder = masks["date_placeholder"]
    year = np.where(placeholder, PLACEHOLDER_DATE[0], year)
    month = np.where(placeholder, PLACEHOLDER_DATE[1], month)
    day = np.where(placeholder, PLACEHOLDER_DATE[2], day)
    parts = [pc.utf8_lpad(pa.array(v).cast(pa.string()), width, padding="0")
             for v, width in ((day, 2), (month, 2), (year, 4))]
    text = pc.binary_join_element_wise(*(parts if day_first else parts[::-1]), "-")
    if masks["date_missing_age_only"].any():
        text = pc.if_else(pa.array(masks["date_missing_age_only"]), pa.scalar(None, pa.string()), text)
    return text, masks, eligible


# --- coded cells ---

def spoil_cells(rng: np.random.Generator, codes: np.ndarray, eligible: np.ndarray, rates: ProblemRates,
                valid: set[str], labels: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes with some replaced by a code outside the codebook or left empty.

    Returns the new codes (object array) and the masks of both problems."""
    n = codes.size
    pick = np.where(eligible, exclusive_choice(rng, [rates.code_outside_codebook, rates.empty_cell], n), -1)
    outside, empty = pick == 0, pick == 1
    out = codes.copy()
    if outside.any():
        pool = [c for c in (INVALID_LABELS if labels else INVALID_CODES) if c not in valid]
        out[outside] = np.array(pool, dtype=object)[rng.integers(0, len(pool), int(outside.sum()))]
    out[empty] = None
    return out, outside, empty


def label_noise(rng: np.random.Generator, labels: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """P3KE labels in random casing with stray spaces (only cells holding a label)."""
    present = pd.notna(labels)
    hit = present & (rng.random(labels.size) < rate)
    if hit.any():
        rows = np.flatnonzero(hit)
        casing = rng.integers(0, 4, rows.size)
        spacing = rng.integers(0, 5, rows.size)        # 4: casing only
        labels = labels.copy()
        # Few distinct labels: spoil each (label, casing, spacing) once.
        for text in np.unique(labels[rows].astype(str)):
            of_text = labels[rows] == text
            for c in range(4):
                for sp in range(5):
                    at = rows[of_text & (casing == c) & (spacing == sp)]
                    if at.size:
                        labels[at] = _noisy_label(text, c, sp)
    return labels, hit


def _noisy_label(text: str, casing: int, spacing: int) -> str:
    cased = (text.upper(), text.lower(), text.title(), text.swapcase())[casing]
    if spacing == 4 and cased != text:
        return cased
    spaced = (f" {cased}", f"{cased} ", f"  {cased}  ", cased.replace(" ", "  ", 1) if " " in cased else f"{cased}  ")
    return spaced[spacing % 4]
