"""From the world's canonical values to each source's codes and labels, through codebook.csv.

The world holds canonical values (codebook.csv `canonical_variable`/`canonical_value`); a source
file shows the code the codebook gives that value in that source. Where a source has no code of
its own for a value it folds it into a neighbour (FOLDED), and where it has two codes for one
value either may appear (SPLIT). Anything the codebook cannot express raises, so a codebook
change cannot silently produce codes the pipeline does not know.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

# (source, variable, canonical value the source lacks) -> the canonical value it is recorded as
FOLDED: dict[tuple[str, str, str], str] = {
    ("dtks", "BB_MASAK", "elpiji_12kg"): "elpiji_5kg_lebih",   # DTKS: "gas lebih dari 3 kg"
    ("dtks", "BB_MASAK", "biogas"): "gas_kota",                # DTKS: "gas kota/biogas"
    ("dtks", "BAB", "mck_komunal"): "mck_umum",
    ("dtks", "BAB", "ada_tidak_digunakan"): "tidak_ada",
    ("p3ke", "FASILITAS_BAB", "ada_tidak_digunakan"): "tidak_ada",
    ("p3ke", "HUBUNGAN_DENGAN_KEPALA_KELUARGA", "pembantu"): "lainnya",
}
# DTKS codes a PLN meter together with its power: above 2,200 VA is "2.200 VA atau lebih", and a
# meter whose power the source did not record (the sources disagree) is taken as the smallest.
DTKS_DAYA_FOLDED = {"va_lebih_2200": "va_2200", "tidak_ada": "va_450"}


class Codebook:
    """codebook.csv, indexed for encoding."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        # (source, variable) -> rows as (code, canonical_variable, canonical_value), in file order
        self._rows: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for row in frame.itertuples(index=False):
            self._rows.setdefault((row.source, row.variable), []).append(
                (row.code, row.canonical_variable, row.canonical_value))
        self._codes_for: dict[tuple, list[tuple[str, ...]]] = {}

    def has(self, source: str, variable: str) -> bool:
        """Whether the codebook codes this column of this source."""
        return (source, self._key(variable)) in self._rows

    def valid_codes(self, source: str, variable: str) -> set[str]:
        rows = self._rows.get((source, self._key(variable)))
        if not rows:
            raise KeyError(f"codebook.csv has no codes for {source}.{variable}")
        return {code for code, _, _ in rows}

    def codes_for(self, source: str, variable: str, canonical_variable: str,
                  canonical_values: tuple[str, ...]) -> list[tuple[str, ...]]:
        """For each canonical value, the codes the source may show for it (first = usual one)."""
        key = (source, variable, canonical_variable, canonical_values)
        if key not in self._codes_for:
            if variable.startswith("ASET_"):
                canonical_variable = "aset_*"       # one codebook row stands for every asset column
            rows = [r for r in self._rows.get((source, self._key(variable)), []) if r[1] == canonical_variable]
            out = []
            for value in canonical_values:
                value = FOLDED.get((source, variable, value), value)
                codes = tuple(code for code, _, canonical in rows if canonical == value)
                if not codes:
                    raise KeyError(f"codebook.csv has no {source}.{variable} code for {canonical_variable}={value}")
                out.append(codes)
            self._codes_for[key] = out
        return self._codes_for[key]

    def encode(self, source: str, variable: str, canonical_variable: str, canonical_values: tuple[str, ...],
               index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Codes (object array) for category indices `index` into `canonical_values`; -1 gives None."""
        choices = self.codes_for(source, variable, canonical_variable, canonical_values)
        first = np.array([c[0] for c in choices] + [None], dtype=object)
        codes = first[np.where(index < 0, len(choices), index)]
        for position, options in enumerate(choices):
            if len(options) > 1:        # a value with two codes (DTKS leding meteran/eceran ...)
                hit = np.flatnonzero(index == position)
                codes[hit] = np.array(options, dtype=object)[rng.integers(0, len(options), hit.size)]
        return codes

    @cached_property
    def dtks_penerangan(self) -> dict[tuple[str, str], str]:
        """DTKS PENERANGAN code for a (penerangan, daya_listrik) pair: one code carries both."""
        rows = self.frame[(self.frame["source"] == "dtks") & (self.frame["variable"] == "PENERANGAN")]
        pairs: dict[str, dict[str, str]] = {}
        for row in rows.itertuples():
            pairs.setdefault(row.code, {})[row.canonical_variable] = row.canonical_value
        return {(v["penerangan"], v["daya_listrik"]): code for code, v in pairs.items()}

    def encode_dtks_penerangan(self, penerangan_values: tuple[str, ...], penerangan: np.ndarray,
                               daya_values: tuple[str, ...], daya: np.ndarray) -> np.ndarray:
        """DTKS PENERANGAN codes for category indices of penerangan and daya_listrik."""
        table = self.dtks_penerangan
        lookup = np.empty((len(penerangan_values), len(daya_values)), dtype=object)
        for i, p in enumerate(penerangan_values):
            for j, d in enumerate(daya_values):
                # DTKS records the power only with a PLN meter; otherwise the source alone decides
                key = (p, DTKS_DAYA_FOLDED.get(d, d)) if p == "pln_meteran" else (p, "tidak_ada")
                lookup[i, j] = table.get(key)
        codes = lookup[penerangan, daya]
        if any(c is None for c in codes):
            raise KeyError("a penerangan/daya_listrik pair has no DTKS PENERANGAN code")
        return codes

    @staticmethod
    def _key(variable: str) -> str:
        return "ASET_*" if variable.startswith("ASET_") else variable
