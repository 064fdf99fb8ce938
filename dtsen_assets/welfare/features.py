"""The one feature builder: SUSENAS households and DTSEN families become the same model features.

Two steps, both shared by training and scoring so they cannot drift apart:

1. `feature_query` (SQL, `sql/welfare/features.sql`): any table with the canonical family welfare
   variables (`staging.susenas_household`, `dtsen.family`, a hand-made table in a test) becomes one
   row per unit with the canonical variables, `kode_kab`/`kode_prov`, and counts of how many dwelling
   and possession variables of each data tier are known (`known_<tier>`). Columns a source lacks are NULL; structural rules (a head who
   does not work has no lapangan usaha, ...) are applied there.
2. `FeatureEncoder` (fitted on the survey, stored inside the model artifact): turns a batch of those
   rows into a design matrix. A value the survey never showed, or an unknown one, is replaced by the
   survey's (weighted) most common value for categories and median for numbers, and counted.

Every design column belongs to exactly one variable (`column_variables`), so a linear model's
prediction splits exactly into one contribution per variable (see `explain.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp

from dtsen_assets.platform.sql import render
from dtsen_assets.welfare.regions import Regions
from dtsen_assets.welfare.variables import (
    CATEGORICAL,
    MODEL_VARIABLES,
    NUMERIC,
    ORDINAL,
    TIERS,
    tier_dwelling,
)

FEATURE_SPEC_VERSION = "features-4"     # change when the derived features below change
REGION = "kode_kab"

# Derived numeric features: (name, variable, transform). Each depends on one variable only.
NUMERIC_FEATURES: tuple[tuple[str, str, str], ...] = (
    ("log_jumlah_art", "jumlah_art", "log"),
    ("jumlah_art", "jumlah_art", "clip12"),
    ("art_balita", "art_balita", "clip5"),
    ("art_sekolah", "art_sekolah", "clip5"),
    ("art_lansia", "art_lansia", "clip5"),
    ("art_disabilitas", "art_disabilitas", "clip5"),
    ("krt_umur", "krt_umur", "age"),
    ("krt_umur_kuadrat", "krt_umur", "age_squared"),
    ("log_luas_lantai", "luas_lantai", "log_area"),
    ("log1p_luas_lahan", "luas_lahan", "log1p"),
    ("punya_lahan", "luas_lahan", "positive"),
    *((f"log1p_{v}", v, "log1p") for v in ("ternak_sapi", "ternak_kerbau", "ternak_kuda", "ternak_babi",
                                            "ternak_kambing")),
)


def _transform(values: np.ndarray, how: str) -> np.ndarray:
    if how == "log":
        return np.log(np.clip(values, 1, 50))
    if how == "clip12":
        return np.clip(values, 1, 12)
    if how == "clip5":
        return np.clip(values, 0, 5)
    if how == "age":
        return np.clip(values, 15, 95) / 10.0
    if how == "age_squared":
        return (np.clip(values, 15, 95) / 10.0) ** 2
    if how == "log_area":
        return np.log(np.clip(values, 4, 2000))
    if how == "log1p":
        return np.log1p(np.clip(values, 0, None))
    if how == "positive":
        return (values > 0).astype(float)
    raise ValueError(how)


# ----------------------------------------------------------------------------------------------
# Step 1: SQL
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeatureQuery:
    sql: str
    missing_columns: tuple[str, ...]     # canonical variables the source table lacks entirely


def table_columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in connection.execute(f"DESCRIBE {table}").fetchall()]


def feature_query(connection: duckdb.DuckDBPyConnection, table: str, unit_id: str,
                  where: str | None = None, passthrough: tuple[str, ...] = ()) -> FeatureQuery:
    """The features SQL over `table`, whose unit is identified by column `unit_id`.

    `passthrough` columns of the table (those it has) are carried along unchanged, e.g. the
    `<v>_source` columns of dtsen.family for explanations.
    """
    present = {c.lower(): c for c in table_columns(connection, table)}
    if unit_id.lower() not in present:
        raise ValueError(f"{table} has no column {unit_id}")

    def column(name: str, cast: str) -> str:
        if name in present:
            return f'TRY_CAST("{present[name]}" AS {cast}) AS {name}'
        return f"CAST(NULL AS {cast}) AS {name}"

    projection = [f'CAST("{present[unit_id.lower()]}" AS VARCHAR) AS unit_id',
                  (f'CAST("{present["kode_kab"]}" AS VARCHAR) AS kode_kab_raw' if "kode_kab" in present
                   else "CAST(NULL AS VARCHAR) AS kode_kab_raw"),
                  column("kode_desa", "VARCHAR"), column("bobot", "DOUBLE"), column("pengeluaran_kapita", "DOUBLE")]
    for name in MODEL_VARIABLES:
        projection.append(column(name, "VARCHAR" if name in CATEGORICAL else "DOUBLE"))
    carried = [c.lower() for c in passthrough if c.lower() in present]
    projection += [f'"{present[c]}" AS {c}' for c in carried]
    source = f"SELECT {', '.join(projection)} FROM {table}" + (f" WHERE {where}" if where else "")
    missing = tuple(v for v in MODEL_VARIABLES if v not in present)
    sql = render("welfare/features", 
        source_projection=source,
        variables=", ".join([*MODEL_VARIABLES, *carried]),
        known_counts=",\n    ".join(
            "(" + " + ".join(f"CAST({v} IS NOT NULL AS INTEGER)" for v in tier_dwelling(tier)) + f") AS known_{tier}"
            for tier in TIERS),
    )
    return FeatureQuery(sql, missing)


# ----------------------------------------------------------------------------------------------
# Step 2: encoding (fitted on the survey)
# ----------------------------------------------------------------------------------------------

@dataclass
class EncodedBatch:
    """One batch as model input: a design matrix and how much had to be filled in."""

    linear: sp.csr_matrix            # one-hot + standardized numbers + region
    tree: np.ndarray                 # integer codes for categories, numbers as they are
    filled: np.ndarray               # per row: how many variables were unknown/unseen and filled in

    def take(self, rows: np.ndarray) -> EncodedBatch:
        """The batch of the given rows (each row is encoded on its own, so this is their encoding)."""
        return EncodedBatch(self.linear[rows], self.tree[rows] if self.tree.size else self.tree, self.filled[rows])


@dataclass
class FeatureEncoder:
    """Fitted on the survey: levels, fill values, scaling and region facts. Pickled with the model."""

    levels: dict[str, list[str]] = field(default_factory=dict)
    fill_categorical: dict[str, str] = field(default_factory=dict)
    fill_numeric: dict[str, float] = field(default_factory=dict)
    numeric_mean: dict[str, float] = field(default_factory=dict)
    numeric_scale: dict[str, float] = field(default_factory=dict)
    provinces: list[str] = field(default_factory=list)
    regencies: list[str] = field(default_factory=list)
    province_p0: dict[str, float] = field(default_factory=dict)
    regency_is_kota: dict[str, bool] = field(default_factory=dict)
    national_p0: float = 0.09
    ordinal_thresholds: list[tuple[str, str]] = field(default_factory=list)
    spec_version: str = FEATURE_SPEC_VERSION

    # -- fitting -------------------------------------------------------------------------------
    @classmethod
    def fit(cls, frame: pd.DataFrame, weights: np.ndarray, regions: Regions) -> FeatureEncoder:
        """`regions`: from staging.wilayah (`load_regions(connection)`), as the survey was staged with."""
        weights = np.asarray(weights, dtype=float)
        encoder = cls()
        for variable in CATEGORICAL:
            values = frame[variable]
            known = values.notna().to_numpy()
            if known.any():
                totals = pd.Series(weights[known]).groupby(values[known].astype(str).to_numpy()).sum()
                encoder.levels[variable] = sorted(totals.index.tolist())
                encoder.fill_categorical[variable] = str(totals.sort_index().idxmax())
            else:
                encoder.levels[variable] = []
                encoder.fill_categorical[variable] = ""
        for variable in NUMERIC:
            values = pd.to_numeric(frame[variable], errors="coerce").to_numpy(float)
            known = ~np.isnan(values)
            encoder.fill_numeric[variable] = float(_weighted_median(values[known], weights[known])) if known.any() else 0.0
        filled = encoder._filled_numeric(frame)
        for name, variable, how in NUMERIC_FEATURES:
            x = _transform(filled[variable], how)
            mean = float(np.average(x, weights=weights))
            sd = float(np.sqrt(np.average((x - mean) ** 2, weights=weights)))
            encoder.numeric_mean[name] = mean
            encoder.numeric_scale[name] = sd if sd > 1e-9 else 1.0
        for variable, order in ORDINAL.items():
            seen = [level for level in order if level in encoder.levels[variable]]
            encoder.ordinal_thresholds += [(variable, level) for level in seen[1:]]
        kab = frame[REGION].dropna().astype(str)
        encoder.regencies = sorted(kab.unique().tolist())
        encoder.provinces = sorted({k[:2] for k in encoder.regencies})
        encoder.province_p0 = dict(regions.province_p0)
        encoder.regency_is_kota = {k: bool(regions.is_kota(k)) for k in regions.regency_is_kota}
        encoder.national_p0 = float(np.mean(list(regions.province_p0.values()))) if regions.province_p0 else 0.09
        return encoder

    # -- design ----------------------------------------------------------------------------------
    @property
    def categorical_columns(self) -> list[tuple[str, str]]:
        return [(v, level) for v in CATEGORICAL for level in self.levels[v]]

    @property
    def linear_column_names(self) -> list[str]:
        return ([f"{v}={level}" for v, level in self.categorical_columns]
                + [name for name, _, _ in NUMERIC_FEATURES]
                + ["is_kota", "logit_p0_provinsi"]
                + [f"provinsi={p}" for p in self.provinces] + [f"kab={k}" for k in self.regencies]
                + [f"{v}>={level}" for v, level in self.ordinal_thresholds])

    @property
    def column_variables(self) -> list[str]:
        """The variable each linear design column belongs to (region columns: `kode_kab`)."""
        return ([v for v, _ in self.categorical_columns] + [v for _, v, _ in NUMERIC_FEATURES]
                + [REGION] * (2 + len(self.provinces) + len(self.regencies))
                + [v for v, _ in self.ordinal_thresholds])

    @property
    def region_column_slices(self) -> dict[str, slice]:
        start = len(self.categorical_columns) + len(NUMERIC_FEATURES)
        p, k = len(self.provinces), len(self.regencies)
        kab_stop = start + 2 + p + k
        return {"regional": slice(start, start + 2), "provinsi": slice(start + 2, start + 2 + p),
                "kab": slice(start + 2 + p, kab_stop),
                "ordinal": slice(kab_stop, kab_stop + len(self.ordinal_thresholds))}

    @property
    def one_hot_width(self) -> int:
        """Columns of the conventional design (one-hot, numbers, region), before the ordinal indicators."""
        return self.region_column_slices["kab"].stop

    @property
    def tree_column_names(self) -> list[str]:
        return [*CATEGORICAL, *(name for name, _, _ in NUMERIC_FEATURES), "is_kota", "logit_p0_provinsi", "provinsi"]

    @property
    def tree_categorical_mask(self) -> np.ndarray:
        return np.array([True] * len(CATEGORICAL) + [False] * (len(NUMERIC_FEATURES) + 2) + [True])

    def _filled_numeric(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        out = {}
        for variable in NUMERIC:
            values = pd.to_numeric(frame[variable], errors="coerce").to_numpy(float)
            out[variable] = np.where(np.isnan(values), self.fill_numeric.get(variable, 0.0), values)
        return out

    def ordinal_substitutes(self, variable: str) -> dict[str, str]:
        """An ordered level the survey never showed -> the nearest level below it that it did show
        (above, when none below): a worse toilet than any surveyed is scored as the worst surveyed,
        not as the survey's most common one, which would overstate a poor family's welfare."""
        order, seen = ORDINAL.get(variable, ()), set(self.levels.get(variable, ()))
        substitutes = {}
        for i, level in enumerate(order):
            if level in seen:
                continue
            below = [s for s in order[:i] if s in seen]
            above = [s for s in order[i + 1:] if s in seen]
            if below or above:
                substitutes[level] = below[-1] if below else above[0]
        return substitutes

    def fill(self, frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """Level codes per categorical, filled numbers per numeric, and how many values were filled per row."""
        n = len(frame)
        filled_count = np.zeros(n, dtype=np.int32)
        codes: dict[str, np.ndarray] = {}
        for variable in CATEGORICAL:
            levels = self.levels[variable]
            # each value's position among the levels (-1: not one of them), as pd.Categorical's codes
            code = pd.Index(levels).get_indexer(frame[variable]).astype(np.int32) if levels else \
                np.full(n, -1, np.int32)
            unknown = code < 0
            filled_count += unknown
            if levels:
                raw = frame[variable].to_numpy(dtype=object)
                for level, seen in self.ordinal_substitutes(variable).items():
                    code[unknown & (raw == level)] = levels.index(seen)
                code[code < 0] = levels.index(self.fill_categorical[variable])
            codes[variable] = code
        numbers = {}
        for variable in NUMERIC:
            values = pd.to_numeric(frame[variable], errors="coerce").to_numpy(float)
            unknown = np.isnan(values)
            filled_count += unknown
            numbers[variable] = np.where(unknown, self.fill_numeric.get(variable, 0.0), values)
        return codes, numbers, filled_count

    def region_values(self, kab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """is_kota, logit(P0 of the province), province index, regency index (-1 when unseen)."""
        kab = np.asarray(kab, dtype=object)
        kab_text = np.array(["" if k is None or (isinstance(k, float) and np.isnan(k)) else str(k) for k in kab],
                            dtype=object)
        unique, inverse = np.unique(kab_text, return_inverse=True)
        is_kota = np.array([float(self.regency_is_kota.get(k, len(k) == 4 and k[2:].isdigit() and int(k[2:]) >= 71))
                            for k in unique])
        p0 = np.array([self.province_p0.get(k[:2], self.national_p0) for k in unique])
        p0 = np.clip(p0, 0.005, 0.6)
        logit = np.log(p0 / (1 - p0))
        prov_index = {p: i for i, p in enumerate(self.provinces)}
        kab_index = {k: i for i, k in enumerate(self.regencies)}
        prov = np.array([prov_index.get(k[:2], -1) for k in unique])
        reg = np.array([kab_index.get(k, -1) for k in unique])
        return is_kota[inverse], logit[inverse], prov[inverse], reg[inverse]

    def encode(self, frame: pd.DataFrame, tree: bool = True) -> EncodedBatch:
        n = len(frame)
        codes, numbers, filled_count = self.fill(frame)
        columns_categorical = self.categorical_columns
        offsets, offset = {}, 0
        for variable in CATEGORICAL:
            offsets[variable] = offset
            offset += len(self.levels[variable])
        # every row has one slot per column block, in column order: each categorical variable, each number,
        # the two regional values, its province, its regency and each ordinal threshold; the province,
        # regency and ordinal slots are present only where they apply. The slots kept, row by row, are the
        # CSR arrays themselves (columns already sorted), without a COO round trip and its sort.
        cols, vals, present = [], [], []
        everyone = np.ones(n, dtype=bool)
        for variable in CATEGORICAL:
            if self.levels[variable]:
                cols.append(offsets[variable] + codes[variable])
                vals.append(np.ones(n))
                present.append(everyone)
        is_kota, logit_p0, prov, reg = self.region_values(frame[REGION].to_numpy())
        start = len(columns_categorical)
        for j, (name, variable, how) in enumerate(NUMERIC_FEATURES):
            cols.append(np.full(n, start + j))
            vals.append((_transform(numbers[variable], how) - self.numeric_mean[name]) / self.numeric_scale[name])
            present.append(everyone)
        regional = self.region_column_slices
        cols += [np.full(n, regional["regional"].start), np.full(n, regional["regional"].start + 1)]
        vals += [is_kota, logit_p0]
        present += [everyone, everyone]
        cols += [regional["provinsi"].start + np.maximum(prov, 0), regional["kab"].start + np.maximum(reg, 0)]
        vals += [np.ones(n), np.ones(n)]
        present += [prov >= 0, reg >= 0]
        for j, (variable, level) in enumerate(self.ordinal_thresholds):
            order = ORDINAL[variable]
            rank = {lv: i for i, lv in enumerate(order)}
            levels = self.levels[variable]
            at_least = np.array([rank.get(lv, -1) >= rank[level] for lv in levels], dtype=bool)
            cols.append(np.full(n, regional["ordinal"].start + j))
            vals.append(np.ones(n))
            present.append(at_least[codes[variable]])
        width = regional["ordinal"].stop
        kept = np.column_stack(present) if present else np.zeros((n, 0), dtype=bool)
        indptr = np.concatenate([[0], np.cumsum(kept.sum(axis=1))])
        indices = np.column_stack(cols)[kept] if present else np.zeros(0, dtype=np.int64)
        data = np.column_stack(vals)[kept] if present else np.zeros(0)
        linear = sp.csr_matrix((data, indices, indptr), shape=(n, width))
        tree_matrix = np.empty((0, 0))
        if tree:
            tree_matrix = np.column_stack(
                [codes[v].astype(float) for v in CATEGORICAL]
                + [_transform(numbers[v], how) for _, v, how in NUMERIC_FEATURES]
                + [is_kota, logit_p0, np.where(prov >= 0, prov, np.nan)]
            )
        return EncodedBatch(linear=linear, tree=tree_matrix, filled=filled_count)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def blank_outside_tier(frame: pd.DataFrame, tier: str) -> pd.DataFrame:
    """A copy of `frame` where every model variable outside `tier` is unknown (what a tier model sees)."""
    out = frame.copy()
    for variable in MODEL_VARIABLES:
        if variable not in TIERS[tier]:
            out[variable] = None
    return out
