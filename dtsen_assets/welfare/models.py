"""PMT candidates, their cross-validated targeting accuracy, the choice, the gate and the version.

A proxy means test predicts log per-capita consumption from what a registry can observe.
Candidates (all fitted with weights = persons represented, `bobot * jumlah_art`, normalized to mean 1):

- `ols_baseline`     the conventional Indonesian PMT: weighted OLS on one-hot attributes, household
                     composition and head of household, with province and regency effects
                     (minimum-norm least squares where dummies are collinear);
- `ridge`            the same design plus "at least this good" indicators of ordered variables
                     (`variables.ORDINAL`), with a ridge penalty chosen by weighted generalized CV:
                     with a few households per regency, shrinking regency effects and rare categories
                     towards zero is what a small survey needs;
- `ridge_regional`   ridge plus regional slopes: per-province and town/regency slopes of family size
                     and floor area (penalized like everything else);
- `ridge_monotone`   ridge in which ordered variables enter only through their "at least this good"
                     indicators, each with a coefficient >= 0: a better floor, wall, roof, toilet,
                     fuel, electricity or head's schooling never lowers the prediction. A PMT step with
                     the wrong sign cannot be defended to a family that objects (sanggahan);
- `ridge_shrunk`     the monotone ridge with regional coefficients shrunk toward the national ones:
                     per-province slopes of family size and floor area as deviations from the national
                     slope, regional terms with their own penalty (ratio to the attributes' chosen by GCV);
- `monotone_average` the average of `ridge_monotone` and `ridge_shrunk` (one linear, monotone model);
- `gbm`              histogram gradient boosting (shallow trees, strong leaf minimum) on the same
                     variables, region entering as province, town flag and provincial poverty.

Default candidates (`DEFAULT_CANDIDATES`): the three monotone ones. Selecting among five candidates
on a survey of a few thousand households costs more than the flexible ones gain (measured in
`bench/bench_welfare.py` and the welfare README), so the default compares fewer, better
regularized candidates, and every one of them keeps the no-wrong-direction property.

Choice: the candidate with the lowest weighted cross-validated exclusion error at the selection
quota (default desil 1-4) on the survey (`cv_folds` folds, `cv_repeats` seeded repetitions; ties:
exclusion error at desil 1, then R²).

Gate (`gate_against_baseline`): nested cross-validation (repeated `cv_repeats` times), where every
survey household is held out of both the fitting and the choice of candidate. When the selection
procedure's held-out exclusion error at the selection quota is larger than the OLS baseline's
fitted on the same folds, the baseline itself is published (`GateResult.fallback_to_baseline`):
the gate guards against a worse model, never against having one. Only a survey that cannot train
any model is refused (`survey_problem`: too few usable households, no measured consumption, no
variation in it), with a message that says what to supply.

Data tiers: the published kind and the baseline are also fitted with only the variables of each
poorer data tier (`variables.TIERS`), for families whose registries record less (scored by `scoring.py`).

Cost: all this is some 400 fits. Each linear fit needs only weighted cross products of its design,
which add up over households (`solvers.py`): every fold split passes over the survey once, every
training part is a sum of fold blocks, every candidate a sub-block (`FoldFits`). Penalties are chosen
from a tridiagonal reduction, bounds solved on the p x p system, and independent fits run on a few
threads. The result is that of fitting each fold on its own rows, up to rounding (`test_solvers.py`).

Version: `model_version` hashes the training rows, the feature specification, every setting, the
code version and a fingerprint of the model modules' source, so the same survey, settings and code
give the same version (and artifact) again; `planned_model_version` computes it without training,
which lets the asset reuse the current model when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from dtsen_assets.welfare.features import (
    FEATURE_SPEC_VERSION,
    NUMERIC_FEATURES,
    EncodedBatch,
    FeatureEncoder,
    blank_outside_tier,
)
from dtsen_assets.welfare.metrics import QUOTAS, evaluate
from dtsen_assets.welfare.regions import Regions
from dtsen_assets.welfare.solvers import (
    CrossDesign,
    CrossProducts,
    WeightedGram,
    bounded_ridge,
    gcv_choice,
    gcv_ridge,
    minimum_norm_least_squares,
    total,
)
from dtsen_assets.welfare.variables import FULL_TIER, MODEL_VARIABLES, ORDINAL, TIERS

MODEL_CODE_VERSION = "pmt-models-5"      # change when fitting or prediction logic changes
BASELINE = "ols_baseline"
CANDIDATES = ("ols_baseline", "ridge", "ridge_regional", "ridge_monotone", "ridge_shrunk", "monotone_average", "gbm")
# Compared by default: few, well-regularized and monotone candidates (see the module docstring).
DEFAULT_CANDIDATES = ("ridge_monotone", "ridge_shrunk", "monotone_average")
# The source files whose content decides a fitted model: part of model_version, so that a change
# of the model code retrains the model even where MODEL_CODE_VERSION was not bumped.
MODEL_SOURCE_FILES = ("models.py", "solvers.py", "features.py", "variables.py", "metrics.py")


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that decides the fitted model (hashed into model_version)."""

    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    cv_folds: int = 5
    cv_repeats: int = 2
    seed: int = 20_250_301
    ridge_alphas: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
    region_penalty_ratios: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0)
    gbm_max_iter: int = 150
    gbm_learning_rate: float = 0.06
    gbm_max_depth: int = 3
    gbm_min_samples_leaf: int = 25
    gbm_l2_regularization: float = 1.0
    selection_quota: str = "desil_1_4"
    gate_tolerance_pp: float = 0.0
    min_households: int = 50
    ols_min_households: int = 5

    def __post_init__(self) -> None:
        unknown = set(self.candidates) - set(CANDIDATES)
        if unknown or not self.candidates:
            raise ValueError(f"unknown PMT candidate(s) {sorted(unknown)}; choose from {list(CANDIDATES)}")
        if self.selection_quota not in QUOTAS:
            raise ValueError(f"selection_quota must be one of {list(QUOTAS)}")
        if self.cv_folds < 2 or self.cv_repeats < 1:
            raise ValueError("cv_folds must be at least 2 and cv_repeats at least 1")
        if not self.region_penalty_ratios or min(self.region_penalty_ratios) <= 0:
            raise ValueError("region_penalty_ratios must be positive numbers")
        if self.min_households < 2 * self.cv_folds:
            raise ValueError(f"min_households must be at least 2 x cv_folds ({2 * self.cv_folds})")


# ----------------------------------------------------------------------------------------------
# Candidates
# ----------------------------------------------------------------------------------------------

SLOPE_FEATURES = ("log_jumlah_art", "log_luas_lantai")


def _slope_columns(encoder) -> list[int]:
    """Columns of the linear design holding the SLOPE_FEATURES (numeric columns follow the categorical ones)."""
    names = [n for n, _, _ in NUMERIC_FEATURES]
    start = len(encoder.categorical_columns)
    return [start + names.index(f) for f in SLOPE_FEATURES]


def union_design(encoder: FeatureEncoder, batch: EncodedBatch) -> sp.csr_matrix:
    """Every column a linear candidate uses: the linear design, then province x each slope feature,
    then town x each slope feature. Each candidate's design is a selection of these (`columns`)."""
    linear = batch.linear
    slices = encoder.region_column_slices
    province = linear[:, slices["provinsi"]]
    kota = linear[:, slices["regional"].start:slices["regional"].start + 1]
    slopes = [linear[:, column] for column in _slope_columns(encoder)]
    return sp.hstack([linear, *(province.multiply(s) for s in slopes), *(kota.multiply(s) for s in slopes)],
                     format="csr")


def union_weights(candidate: Candidate, weights: np.ndarray) -> np.ndarray:
    """Weights given per column of `candidate`'s design (rows of `weights`), moved to the columns of
    `union_design` they are (added up where a candidate uses a column twice, as an average does)."""
    encoder = candidate.encoder
    width = len(encoder.linear_column_names) + (len(encoder.provinces) + 1) * len(SLOPE_FEATURES)
    out = np.zeros((width, weights.shape[1]))
    np.add.at(out, candidate.columns(), weights)
    return out


def linear_weights(candidate: Candidate, grouping: sp.spmatrix) -> np.ndarray:
    """`union_weights` of coefficient x `grouping` (design columns x groups, e.g. the variable of each
    column), with the coefficients themselves as a last column: `union_product` with it gives each
    group's share of the linear predictor and, last, the predictor without the intercept."""
    per_group = sp.csr_matrix(grouping).multiply(candidate.coef_[:, None]).toarray()
    return union_weights(candidate, np.column_stack([per_group, candidate.coef_]))


def union_product(encoder: FeatureEncoder, batch: EncodedBatch, weights: np.ndarray) -> np.ndarray:
    """`union_design(encoder, batch) @ weights` (dense), without building the union design: the linear
    design times its rows of `weights`, plus each slope block only when it is weighted. Building the
    union (or a candidate's) design is a sparse hstack per batch, most of the cost of applying a model."""
    linear = batch.linear
    width = linear.shape[1]
    out = np.asarray(linear @ weights[:width])
    provinces = len(encoder.provinces)
    slices = encoder.region_column_slices
    town_row = width + provinces * len(SLOPE_FEATURES)
    for i, column in enumerate(_slope_columns(encoder)):
        per_province = weights[width + i * provinces: width + (i + 1) * provinces]
        per_town = weights[town_row + i]
        if not (per_province.any() or per_town.any()):
            continue
        slope = linear[:, column].toarray().ravel()
        town = linear[:, slices["regional"].start].toarray().ravel()
        out += slope[:, None] * np.asarray(linear[:, slices["provinsi"]] @ per_province)
        out += (town * slope)[:, None] * per_town[None, :]
    return out


class Candidate:
    """A fitted (or fittable) model of log per-capita consumption on an EncodedBatch.

    A linear candidate's design is a selection of `union_design`'s columns (`columns`), and it is
    fitted from the weighted cross products of those columns (`fit_cross`), so that cross-validation
    can hand every candidate and every fold its cross products without building designs per fold."""

    name: str = ""
    linear: bool = True

    def __init__(self, encoder: FeatureEncoder, settings: TrainingSettings) -> None:
        self.encoder = encoder
        self.settings = settings
        self.coef_: np.ndarray | None = None
        self.intercept_: float = 0.0
        self.params_: dict = {}

    # linear candidates: design, then coef
    def design(self, batch: EncodedBatch) -> sp.csr_matrix:
        return batch.linear

    def design_variables(self) -> list[str]:
        return self.encoder.column_variables

    def columns(self) -> np.ndarray:
        """The columns of `union_design` this candidate's design is made of, in order."""
        return np.arange(len(self.encoder.linear_column_names))

    def fit(self, batch: EncodedBatch, y: np.ndarray, w: np.ndarray) -> Candidate:
        """Fit on every household of `batch`."""
        design = CrossDesign(union_design(self.encoder, batch), y, w)
        return self.fit_cross(design.cross_products(np.arange(len(y))))

    def fit_cross(self, cross: CrossProducts) -> Candidate:
        raise NotImplementedError

    def predict(self, batch: EncodedBatch) -> np.ndarray:
        # the coefficients moved to the union design's columns and applied to the encoded rows: no design built
        return union_product(self.encoder, batch, union_weights(self, self.coef_[:, None]))[:, 0] + self.intercept_


class OlsBaseline(Candidate):
    """Weighted OLS. As when a PMT is built by hand, an indicator (a category, a regency) observed
    in fewer than `ols_min_households` survey households gets no coefficient of its own: it is
    merged into the reference (its column is left out)."""

    name = BASELINE

    def design(self, batch):
        return batch.linear[:, : self.encoder.one_hot_width]

    def design_variables(self):
        return self.encoder.column_variables[: self.encoder.one_hot_width]

    def columns(self):
        return np.arange(self.encoder.one_hot_width)

    def fit_cross(self, cross):
        g = cross.gram(self.columns())
        numeric = np.zeros(g.gram.shape[0], dtype=bool)
        start = len(self.encoder.categorical_columns)
        numeric[start:start + len(NUMERIC_FEATURES) + 2] = True
        keep = numeric | (g.nonzero >= self.settings.ols_min_households)
        kept = g.restricted(np.flatnonzero(keep))
        coef = minimum_norm_least_squares(kept)
        self.coef_ = np.zeros(keep.size)
        self.coef_[keep] = coef
        self.intercept_ = kept.intercept(coef)
        self.params_ = {"columns": int(keep.sum())}
        return self


def fit_weighted_ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray,
                       alphas: tuple[float, ...]) -> tuple[np.ndarray, float, float]:
    """Weighted ridge (intercept not penalized), alpha by weighted generalized cross-validation (GCV).

    One eigen-decomposition of the weighted, centred Gram matrix serves every alpha:
    GCV(alpha) = RSS(alpha) / (1 - df(alpha) / n)^2, the rotation-invariant form of leave-one-out.
    """
    g = WeightedGram.of(x, y, w)
    coef, alpha, _ = gcv_ridge(g, alphas)
    return coef, g.intercept(coef), alpha


class RidgeCandidate(Candidate):
    name = "ridge"

    def fit_cross(self, cross):
        g = cross.gram(self.columns())
        self.coef_, alpha, _ = gcv_ridge(g, self.settings.ridge_alphas)
        self.intercept_ = g.intercept(self.coef_)
        self.params_ = {"alpha": alpha}
        return self


def fit_bounded_ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float | np.ndarray,
                      nonnegative: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted ridge (intercept not penalized) with the coefficients `nonnegative` held >= 0.

    `alpha` is one penalty, or one per column. Solved by bounded-variable least squares on the
    p x p penalized Gram matrix (`solvers.bounded_ridge`), so the cost grows with the number of
    design columns, not of households.
    """
    g = WeightedGram.of(x, y, w)
    coef = bounded_ridge(g, alpha, nonnegative)
    return coef, g.intercept(coef)


class RidgeMonotone(RidgeCandidate):
    """Ridge with monotone ordered variables: their one-hot columns are left out, and their
    "at least this good" indicators get coefficients >= 0 (penalty chosen by GCV without the bounds)."""

    name = "ridge_monotone"

    def _columns(self) -> np.ndarray:
        one_hot, variables = len(self.encoder.categorical_columns), self.encoder.column_variables
        return np.array([i for i, variable in enumerate(variables) if not (i < one_hot and variable in ORDINAL)])

    def columns(self):
        return self._columns()

    def design(self, batch):
        return batch.linear[:, self._columns()]

    def design_variables(self):
        variables = self.encoder.column_variables       # a property built anew each time: read it once
        return [variables[i] for i in self._columns()]

    def fit_cross(self, cross):
        g = cross.gram(self.columns())
        alpha, _ = gcv_choice(g, self.settings.ridge_alphas)
        columns, thresholds = self._columns(), self.encoder.region_column_slices["ordinal"]
        nonnegative = np.flatnonzero((columns >= thresholds.start) & (columns < thresholds.stop))
        self.coef_ = bounded_ridge(g, alpha, nonnegative)
        self.intercept_ = g.intercept(self.coef_)
        self.params_ = {"alpha": alpha}
        return self


class RidgeShrunk(RidgeMonotone):
    """The monotone ridge with regional coefficients shrunk toward the national ones.

    BPS fits a PMT per region; with a few thousand survey households a separate model per province
    has too few households, so here each province gets its own slope of family size and floor area
    as a *deviation* from the national slope, and the regency and province effects are deviations
    from what the national terms (town flag, provincial poverty rate) predict. Region terms and
    deviations get their own penalty, `region_penalty_ratio` x the attributes' one, both chosen by
    weighted GCV: a province the survey knows well keeps its own slope, one it barely knows takes
    the national slope. Ordered variables keep the monotone constraint (no wrong-direction step)."""

    name = "ridge_shrunk"

    def design(self, batch):
        province = batch.linear[:, self.encoder.region_column_slices["provinsi"]]
        blocks = [batch.linear[:, self._columns()]]
        blocks += [province.multiply(batch.linear[:, column]) for column in _slope_columns(self.encoder)]
        return sp.hstack(blocks, format="csr")

    def columns(self):
        # the monotone columns, then province x each slope feature
        width = len(self.encoder.linear_column_names)
        return np.r_[self._columns(), width + np.arange(len(self.encoder.provinces) * len(SLOPE_FEATURES))]

    def design_variables(self):
        feature_variable = {n: v for n, v, _ in NUMERIC_FEATURES}
        variables = super().design_variables()
        for feature in SLOPE_FEATURES:
            variables += [feature_variable[feature]] * len(self.encoder.provinces)
        return variables

    def _groups(self) -> tuple[np.ndarray, np.ndarray]:
        """(is a regional column, indices of the columns held >= 0) of the design."""
        columns, slices = self._columns(), self.encoder.region_column_slices
        regional = (columns >= slices["regional"].start) & (columns < slices["kab"].stop)
        regional = np.r_[regional, np.ones(len(self.encoder.provinces) * len(SLOPE_FEATURES), dtype=bool)]
        nonnegative = np.flatnonzero((columns >= slices["ordinal"].start) & (columns < slices["ordinal"].stop))
        return regional, nonnegative

    def fit_cross(self, cross):
        g = cross.gram(self.columns())
        regional, nonnegative = self._groups()
        best = None
        for ratio in self.settings.region_penalty_ratios:
            # penalizing the regional columns ratio x alpha = scaling them by 1 / sqrt(ratio)
            alpha, gcv = gcv_choice(g, self.settings.ridge_alphas, np.where(regional, 1.0 / np.sqrt(ratio), 1.0))
            if best is None or gcv < best[0] - 1e-15:
                best = (gcv, alpha, ratio)
        _, alpha, ratio = best
        self.coef_ = bounded_ridge(g, np.where(regional, alpha * ratio, alpha), nonnegative)
        self.intercept_ = g.intercept(self.coef_)
        self.params_ = {"alpha": alpha, "region_penalty_ratio": ratio}
        return self


class MonotoneAverage(Candidate):
    """The average of `ridge_monotone` and `ridge_shrunk`, rather than a choice between them.

    Averaging two fits that err differently lowers the variance of the prediction; the average of
    two linear models is linear (both designs side by side, each coefficient halved), so it is
    explained exactly, and of two monotone models monotone."""

    name = "monotone_average"
    members = ("ridge_monotone", "ridge_shrunk")

    def fit_cross(self, cross):
        self.parts_ = [make_candidate(name, self.encoder, self.settings).fit_cross(cross) for name in self.members]
        share = 1.0 / len(self.parts_)
        self.coef_ = np.concatenate([share * part.coef_ for part in self.parts_])
        self.intercept_ = float(share * sum(part.intercept_ for part in self.parts_))
        self.params_ = {part.name: part.params_ for part in self.parts_}
        return self

    def _parts(self) -> list[Candidate]:
        return self.parts_ if hasattr(self, "parts_") else [
            make_candidate(name, self.encoder, self.settings) for name in self.members]

    def columns(self):
        return np.concatenate([part.columns() for part in self._parts()])

    def design(self, batch):
        return sp.hstack([part.design(batch) for part in self._parts()], format="csr")

    def design_variables(self):
        return [variable for part in self._parts() for variable in part.design_variables()]


class RidgeRegional(RidgeCandidate):
    """Ridge with regional slopes: province x and town x family size and floor area."""

    name = "ridge_regional"

    def design(self, batch):
        base = batch.linear
        slices = self.encoder.region_column_slices
        region = sp.hstack([base[:, slices["provinsi"]], base[:, slices["regional"].start:slices["regional"].start + 1]])
        blocks = [base]
        for column in _slope_columns(self.encoder):
            blocks.append(region.multiply(base[:, column]))
        return sp.hstack(blocks, format="csr")

    def columns(self):
        # the linear design, then for each slope feature: province x it, town x it
        width, provinces = len(self.encoder.linear_column_names), len(self.encoder.provinces)
        town = width + provinces * len(SLOPE_FEATURES)
        return np.concatenate([np.arange(width)] + [np.r_[width + i * provinces + np.arange(provinces), town + i]
                                                    for i in range(len(SLOPE_FEATURES))])

    def design_variables(self):
        variables = list(self.encoder.column_variables)
        feature_variable = {n: v for n, v, _ in NUMERIC_FEATURES}
        regions = len(self.encoder.provinces) + 1
        for feature in SLOPE_FEATURES:
            variables += [feature_variable[feature]] * regions
        return variables


class GradientBoosting(Candidate):
    name = "gbm"
    linear = False

    def fit(self, batch, y, w):
        s = self.settings
        self.model_ = HistGradientBoostingRegressor(
            loss="squared_error", learning_rate=s.gbm_learning_rate, max_iter=s.gbm_max_iter,
            max_depth=s.gbm_max_depth, min_samples_leaf=s.gbm_min_samples_leaf,
            l2_regularization=s.gbm_l2_regularization, categorical_features=self.encoder.tree_categorical_mask,
            early_stopping=False, random_state=s.seed,
        ).fit(batch.tree, y, sample_weight=w)
        return self

    def predict(self, batch):
        return self.model_.predict(batch.tree)


CANDIDATE_CLASSES: dict[str, type[Candidate]] = {
    c.name: c for c in (OlsBaseline, RidgeCandidate, RidgeRegional, RidgeMonotone, RidgeShrunk, MonotoneAverage,
                        GradientBoosting)
}


def make_candidate(name: str, encoder: FeatureEncoder, settings: TrainingSettings) -> Candidate:
    return CANDIDATE_CLASSES[name](encoder, settings)


# ----------------------------------------------------------------------------------------------
# The survey as a training set
# ----------------------------------------------------------------------------------------------

@dataclass
class TrainingSet:
    frame: pd.DataFrame        # one row per usable household: features, bobot, pengeluaran_kapita
    dropped: dict[str, int]    # reason -> households left out

    @property
    def log_consumption(self) -> np.ndarray:
        return np.log(self.frame["pengeluaran_kapita"].to_numpy(float))

    @property
    def person_weights(self) -> np.ndarray:
        return self.frame["bobot"].to_numpy(float) * self.frame["jumlah_art"].to_numpy(float)

    @property
    def fit_weights(self) -> np.ndarray:
        w = self.person_weights
        return w / w.mean()

    @property
    def provinces(self) -> np.ndarray:
        return self.frame["kode_prov"].to_numpy(object)


def training_set(features: pd.DataFrame) -> TrainingSet:
    """Households usable for training: measured consumption, a weight, members and a regency."""
    reasons = {
        "pengeluaran_kapita_tidak_valid": ~(features["pengeluaran_kapita"] > 0),
        "bobot_tidak_valid": ~(features["bobot"] > 0),
        "jumlah_art_tidak_valid": ~(features["jumlah_art"] >= 1),
        "kode_kab_tidak_valid": features["kode_kab"].isna(),
    }
    keep = np.ones(len(features), dtype=bool)
    dropped = {}
    for reason, mask in reasons.items():
        mask = mask.to_numpy() & keep
        dropped[reason] = int(mask.sum())
        keep &= ~mask
    frame = features.loc[keep].sort_values("unit_id", kind="stable").reset_index(drop=True)
    return TrainingSet(frame, dropped)


# ----------------------------------------------------------------------------------------------
# Cross-validation, choice, gate
# ----------------------------------------------------------------------------------------------

def _folds(n: int, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(KFold(n_splits=min(folds, n), shuffle=True, random_state=seed).split(np.arange(n)))


def _threads() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cores))


class Workers:
    """Runs independent fits on a few threads (LAPACK releases the GIL; each call is single-threaded).

    Work mapped from inside a worker runs in turn on that worker, so nested maps never wait on a full
    pool. Every fit computes the same numbers whichever thread runs it and in whatever order."""

    def __init__(self, threads: int) -> None:
        self.executor = ThreadPoolExecutor(threads) if threads > 1 else None
        self.local = threading.local()

    def map(self, function, items) -> list:
        items = list(items)
        if self.executor is None or getattr(self.local, "inside", False) or len(items) < 2:
            return [function(item) for item in items]

        def run(item):
            self.local.inside = True
            try:
                return function(item)
            finally:
                self.local.inside = False
        return list(self.executor.map(run, items))

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown()


class FoldFits:
    """Fits candidates on subsets of one encoded survey (folds), from shared cross products.

    A fold split's households are passed over once (`blocks`: the cross products of each test fold);
    the training part of fold k is the sum of the other folds' blocks, and each linear candidate
    takes its columns from it. Non-linear candidates (gbm) are fitted on the rows themselves."""

    def __init__(self, encoder: FeatureEncoder, batch: EncodedBatch, y: np.ndarray, w: np.ndarray,
                 settings: TrainingSettings, workers: Workers) -> None:
        self.encoder, self.batch, self.y, self.w, self.settings, self.workers = encoder, batch, y, w, settings, workers
        self.design = union_design(encoder, batch)
        self.cross = CrossDesign(self.design, y, w)

    def blocks(self, rows: np.ndarray, folds: list) -> list[CrossProducts]:
        return self.workers.map(lambda fold: self.cross.cross_products(rows[fold[1]]), folds)

    def everyone(self) -> CrossProducts:
        return self.cross.cross_products(np.arange(self.y.size))

    def fit(self, name: str, train: np.ndarray, cross: CrossProducts) -> Candidate:
        """Candidate `name` fitted on households `train`, whose cross products are `cross`."""
        model = make_candidate(name, self.encoder, self.settings)
        if model.linear:
            return model.fit_cross(cross)
        return model.fit(_take(self.batch, train), self.y[train], self.w[train])

    def predict(self, model: Candidate, rows: np.ndarray, design: sp.csr_matrix | None = None) -> np.ndarray:
        """Predictions for households `rows` (`design`: their rows of the union design, when at hand)."""
        if not model.linear:
            return model.predict(_take(self.batch, rows))
        design = self.design[rows] if design is None else design
        # the coefficients spread over the union design's columns: no column selection per candidate
        coef = np.bincount(model.columns(), weights=model.coef_, minlength=design.shape[1])
        return np.asarray(design @ coef).ravel() + model.intercept_

    def fold_predictions(self, names, train: np.ndarray, test: np.ndarray, cross: CrossProducts) -> dict:
        """Predictions for households `test` of each candidate fitted on households `train`.

        An average of candidates (`members`) predicts the mean of its members' predictions, which
        is exactly its own prediction (its coefficients are its members' averaged)."""
        out = {}
        design = self.design[test]

        def prediction(name: str) -> np.ndarray:
            if name not in out:
                members = getattr(CANDIDATE_CLASSES[name], "members", None)
                if members:
                    out[name] = np.mean([prediction(member) for member in members], axis=0)
                else:
                    out[name] = self.predict(self.fit(name, train, cross), test, design)
            return out[name]
        return {name: prediction(name) for name in names}

    def out_of_fold(self, names, rows: np.ndarray, seed: int) -> dict[str, np.ndarray]:
        """Out-of-fold predictions of each candidate for households `rows`, folds drawn with `seed`."""
        folds = _folds(rows.size, self.settings.cv_folds, seed)
        blocks = self.blocks(rows, folds)

        def fold(k: int) -> dict:
            train, test = folds[k]
            return self.fold_predictions(names, rows[train], rows[test],
                                         total([block for j, block in enumerate(blocks) if j != k]))
        out = {name: np.zeros(rows.size) for name in names}
        for (_, test), predicted in zip(folds, self.workers.map(fold, range(len(folds)))):
            for name in names:
                out[name][test] = predicted[name]
        return out


def cross_validate(fits: FoldFits, names, weights: np.ndarray, groups: np.ndarray | None = None,
                   rows: np.ndarray | None = None, seed_offset: int = 0, repeats: int | None = None) -> dict[str, dict]:
    """Per candidate: metrics of the out-of-fold predictions for households `rows` (default all),
    averaged over the repeats (each repeat evaluated alone). Every candidate sees the same folds."""
    settings, y = fits.settings, fits.y
    rows = np.arange(y.size) if rows is None else rows
    repeats = settings.cv_repeats if repeats is None else repeats
    runs = {name: [] for name in names}
    for repeat in range(repeats):
        predictions = fits.out_of_fold(names, rows, settings.seed + seed_offset + repeat)
        for name in names:
            runs[name].append(evaluate(y[rows], predictions[name], weights[rows],
                                       None if groups is None else groups[rows]))
    return {name: average_metrics(runs[name]) for name in names}


def average_metrics(runs: list[dict]) -> dict:
    """Field-by-field mean of metric dictionaries of the same shape (NaN-aware)."""
    first = runs[0]
    if isinstance(first, dict):
        return {k: average_metrics([r[k] for r in runs if k in r]) for k in first}
    values = np.array(runs, dtype=float)
    if np.all(np.isnan(values)):
        return float("nan")
    mean = float(np.nanmean(values))
    return int(round(mean)) if isinstance(first, int) and not isinstance(first, bool) else mean


def _take(batch: EncodedBatch, rows: np.ndarray) -> EncodedBatch:
    return EncodedBatch(linear=batch.linear[rows], tree=batch.tree[rows], filled=batch.filled[rows])


def choice_key(metrics: dict, quota: str) -> tuple[float, float, float]:
    other = "desil_1" if quota != "desil_1" else "desil_1_4"
    return (round(metrics[quota]["exclusion_error"], 10), round(metrics[other]["exclusion_error"], 10),
            -metrics["r2"])


def choose(metrics_by_candidate: dict[str, dict], quota: str) -> str:
    """The candidate with the lowest exclusion error at `quota` (ties: the other quota, then R²)."""
    return min(metrics_by_candidate, key=lambda name: (*choice_key(metrics_by_candidate[name], quota),
                                                       list(CANDIDATES).index(name)))


@dataclass
class GateResult:
    """The held-out comparison of the selection procedure with the OLS baseline, and what it decided.

    `passed`: the procedure is not worse than the baseline, and its choice is published. Otherwise
    the baseline itself is published (`fallback_to_baseline`): the gate guards against a worse
    model, never against having a model, so a valid survey always ends with scores and desil."""

    passed: bool
    quota: str
    chosen_exclusion_error: float
    baseline_exclusion_error: float
    tolerance_pp: float
    chosen_metrics: dict
    baseline_metrics: dict
    chosen_per_fold: list[str]
    selected: str = ""              # the candidate the procedure chose on the whole survey

    @property
    def fallback_to_baseline(self) -> bool:
        return not self.passed

    @property
    def published(self) -> str:
        return self.selected if self.passed else BASELINE

    @property
    def published_exclusion_error(self) -> float:
        return self.chosen_exclusion_error if self.passed else self.baseline_exclusion_error

    @property
    def summary(self) -> str:
        comparison = (f"held-out (nested CV) exclusion error at {self.quota}: selection procedure "
                      f"{100 * self.chosen_exclusion_error:.1f}% vs OLS baseline "
                      f"{100 * self.baseline_exclusion_error:.1f}% (tolerance {self.tolerance_pp:.1f} pp); "
                      f"candidate chosen per outer fold: {', '.join(self.chosen_per_fold)}")
        if self.passed:
            return f"{comparison}. Not worse than the baseline: {self.selected or 'its choice'} is published."
        return (f"{comparison}. The procedure is not better than the conventional PMT, so the OLS baseline "
                f"({BASELINE}) is published instead of {self.selected or 'its choice'}; being the baseline, "
                "it passes the gate.")


def gate_decision(chosen_error: float, baseline_error: float, tolerance_pp: float) -> bool:
    """The publish rule: the chosen model may not exclude more of the poor than the baseline."""
    return bool(chosen_error <= baseline_error + tolerance_pp / 100.0 + 1e-12)


def gate_against_baseline(fits: FoldFits, data: TrainingSet, settings: TrainingSettings) -> GateResult:
    """Nested CV, repeated `cv_repeats` times: each outer fold chooses a candidate on its own training part.

    Metrics are computed per repeat on the pooled held-out predictions, then averaged, which halves
    the noise of a small survey's comparison without ever letting a household judge a choice it shaped.
    """
    y, weights = data.log_consumption, data.person_weights
    everyone = np.arange(y.size)
    chosen_runs, baseline_runs, chosen_names = [], [], []
    for repeat in range(settings.cv_repeats):
        outer = _folds(y.size, settings.cv_folds, settings.seed + 10_000 + repeat)
        blocks = fits.blocks(everyone, outer)

        def outer_fold(fold: int, repeat: int = repeat, outer: list = outer, blocks: list = blocks) -> tuple:
            train, test = outer[fold]
            inner_metrics = cross_validate(fits, settings.candidates, weights, rows=train,
                                           seed_offset=100 * (fold + 1) + 1000 * repeat, repeats=1)
            name = choose(inner_metrics, settings.selection_quota)
            cross = total([block for j, block in enumerate(blocks) if j != fold])
            predicted = fits.fold_predictions((name, BASELINE), train, test, cross)
            return name, predicted[name], predicted[BASELINE]

        held_out = np.zeros(y.size)
        baseline = np.zeros(y.size)
        for (_, test), (name, chosen, base) in zip(outer, fits.workers.map(outer_fold, range(len(outer)))):
            chosen_names.append(name)
            held_out[test] = chosen
            baseline[test] = base
        chosen_runs.append(evaluate(y, held_out, weights, data.provinces))
        baseline_runs.append(evaluate(y, baseline, weights, data.provinces))
    chosen_metrics = average_metrics(chosen_runs)
    baseline_metrics = average_metrics(baseline_runs)
    quota = settings.selection_quota
    chosen_error = chosen_metrics[quota]["exclusion_error"]
    baseline_error = baseline_metrics[quota]["exclusion_error"]
    return GateResult(
        passed=gate_decision(chosen_error, baseline_error, settings.gate_tolerance_pp), quota=quota,
        chosen_exclusion_error=chosen_error, baseline_exclusion_error=baseline_error,
        tolerance_pp=settings.gate_tolerance_pp, chosen_metrics=chosen_metrics, baseline_metrics=baseline_metrics,
        chosen_per_fold=chosen_names,
    )


# ----------------------------------------------------------------------------------------------
# The published model
# ----------------------------------------------------------------------------------------------

@dataclass
class Prediction:
    """Predicted log per-capita consumption, and how many values each row had filled in."""

    log_consumption: np.ndarray
    filled: np.ndarray


@dataclass
class PmtModel:
    """What is stored as `<models>/<model_version>.joblib` and applied to every DTSEN family.

    `chosen` / `baseline` use every variable (tier `lengkap`); `tier_models` holds, for each poorer
    data tier (variables.TIERS), the same two model kinds fitted on the survey with only that tier's
    variables. A feature frame with a `data_model` column is scored tier by tier; without it, as `lengkap`.
    """

    model_version: str
    encoder: FeatureEncoder
    chosen: Candidate
    baseline: Candidate
    card: dict = field(default_factory=dict)
    tier_models: dict[str, tuple[Candidate, Candidate]] = field(default_factory=dict)
    # what the registry tables record of its training (cv_metrics, gate, tier_metrics), unrounded: another
    # warehouse with the same survey registers the model from here instead of training it again
    evaluation: dict = field(default_factory=dict)

    def encode(self, features: pd.DataFrame) -> EncodedBatch:
        return self.encoder.encode(features, tree=not self.chosen.linear or not self.baseline.linear)

    def candidate(self, tier: str = FULL_TIER, which: str = "chosen") -> Candidate:
        pair = (self.chosen, self.baseline) if tier == FULL_TIER else self.tier_models[tier]
        return pair[0] if which == "chosen" else pair[1]

    def tiers_of(self, features: pd.DataFrame) -> np.ndarray:
        if "data_model" not in features.columns:
            return np.full(len(features), FULL_TIER, dtype=object)
        return features["data_model"].fillna(FULL_TIER).to_numpy(object)

    def tier_batches(self, features: pd.DataFrame) -> Iterator[tuple[str, np.ndarray, EncodedBatch]]:
        """(tier, its rows, their encoding as the tier's model sees them) for each data tier in `features`."""
        tiers = self.tiers_of(features)
        for tier in np.unique(tiers):
            rows = np.flatnonzero(tiers == tier)
            if tier == FULL_TIER:
                # encoding is row by row: encoding everything and taking the tier's rows from the matrix
                # costs less than copying most of the frame's columns into a frame of its own
                batch = self.encode(features)
                yield tier, rows, batch if rows.size == len(features) else batch.take(rows)
            else:
                yield tier, rows, self.encode(blank_outside_tier(features.iloc[rows], tier))

    def predict(self, features: pd.DataFrame, which: str = "chosen") -> Prediction:
        out = np.empty(len(features))
        filled = np.zeros(len(features), dtype=np.int32)
        for tier, rows, batch in self.tier_batches(features):
            out[rows] = self.candidate(tier, which).predict(batch)
            filled[rows] = self.filled(batch, tier)
        return Prediction(out, filled)

    @staticmethod
    def filled(batch: EncodedBatch, tier: str) -> np.ndarray:
        """Values the model filled in for each row of a tier's batch (the variables outside the tier not counted)."""
        return batch.filled - (len(MODEL_VARIABLES) - len(TIERS[tier]))

    def predict_log(self, features: pd.DataFrame, which: str = "chosen") -> np.ndarray:
        return self.predict(features, which).log_consumption

    def predict_consumption(self, features: pd.DataFrame, which: str = "chosen") -> np.ndarray:
        """Predicted Rupiah per person per month."""
        return np.exp(self.predict_log(features, which))


@dataclass
class TrainingResult:
    model: PmtModel
    cv_metrics: dict[str, dict]          # candidate -> evaluate() on out-of-fold predictions
    gate: GateResult
    data: TrainingSet
    tier_metrics: dict[str, dict] = field(default_factory=dict)   # poorer data tier -> CV of its chosen model


def train_pmt(features: pd.DataFrame, settings: TrainingSettings, regions: Regions,
              now: datetime | None = None) -> TrainingResult:
    """Fit every candidate, choose, gate, and fit the chosen one and the baseline on all households.

    BLAS runs single-threaded (hundreds of small factorizations are faster without thread start-up
    and contention); independent fits (folds, outer folds, data tiers) run on a few threads. Every
    fit computes the same numbers on any thread, so the result does not depend on the core count.
    """
    workers = Workers(_threads())
    try:
        with threadpool_limits(limits=1):
            return _train_pmt(features, settings, regions, now, workers)
    finally:
        workers.close()


class UnusableSurvey(ValueError):
    """The survey cannot train any PMT, not even the OLS baseline; the message says what to supply."""


def survey_problem(data: TrainingSet, settings: TrainingSettings) -> str | None:
    """Why the survey cannot train a PMT (and what to supply), or None when it can.

    Only what makes every model impossible: too few usable households, no measured consumption, or
    no variation in it. Anything else trains, at worst, the OLS baseline."""
    usable = len(data.frame)
    left_out = ", ".join(f"{reason} {count}" for reason, count in data.dropped.items() if count) or "none"
    supply = ("supply a SUSENAS household file (susenas/rumah_tangga.csv) with PENGELUARAN_KAPITA (Rp per person "
              "per month, > 0), BOBOT (> 0), JUMLAH_ART (>= 1) and a valid KODE_KAB")
    if usable == 0 and data.dropped.get("pengeluaran_kapita_tidak_valid", 0) == sum(data.dropped.values()) > 0:
        return (f"no survey household has a measured consumption (staging.susenas_household.pengeluaran_kapita "
                f"empty or not positive in all {data.dropped['pengeluaran_kapita_tidak_valid']} rows): {supply}")
    if usable < settings.min_households:
        return (f"only {usable} usable survey households (left out: {left_out}); a PMT needs at least "
                f"{settings.min_households} to be fitted and cross-validated: {supply}")
    log_consumption = data.log_consumption
    if float(np.ptp(log_consumption)) < 1e-9:
        return (f"all {usable} usable survey households report the same pengeluaran_kapita, so there is no "
                f"variation for a PMT to explain (placeholder values?): {supply} as measured")
    return None


def planned_model_version(features: pd.DataFrame, settings: TrainingSettings, regions: Regions) -> str:
    """The model_version training on `features` with `settings` would give, without training.

    Equal to the current model's version exactly when neither the survey, the settings nor the
    model code changed: then the current model can be reused."""
    data = training_set(features)
    encoder = FeatureEncoder.fit(data.frame, data.person_weights, regions)
    return model_version(data.frame, encoder, settings)


def _train_pmt(features: pd.DataFrame, settings: TrainingSettings, regions: Regions,
               now: datetime | None, workers: Workers) -> TrainingResult:
    data = training_set(features)
    problem = survey_problem(data, settings)
    if problem:
        raise UnusableSurvey(problem)
    y, w, weights = data.log_consumption, data.fit_weights, data.person_weights
    encoder = FeatureEncoder.fit(data.frame, data.person_weights, regions)
    fits = FoldFits(encoder, encoder.encode(data.frame), y, w, settings, workers)
    # the baseline is always measured: the gate and the card compare against it
    measured = (*settings.candidates, *(() if BASELINE in settings.candidates else (BASELINE,)))
    cv_metrics = cross_validate(fits, measured, weights, data.provinces)
    selected = choose({k: v for k, v in cv_metrics.items() if k in settings.candidates}, settings.selection_quota)
    gate = gate_against_baseline(fits, data, settings)
    gate.selected = selected
    published = gate.published          # the selection, or the OLS baseline when it is not better
    everyone = np.arange(y.size)

    def fitted(tier: str) -> tuple[Candidate, Candidate, dict | None]:
        """The published kind and the baseline on every household with only `tier`'s variables, and
        (poorer tiers) the cross-validation of the published kind there."""
        tier_fits = fits if tier == FULL_TIER else FoldFits(
            encoder, encoder.encode(blank_outside_tier(data.frame, tier)), y, w, settings, workers)
        cross = tier_fits.everyone()
        metrics = None if tier == FULL_TIER else cross_validate(tier_fits, (published,), weights, repeats=1)[published]
        return tier_fits.fit(published, everyone, cross), tier_fits.fit(BASELINE, everyone, cross), metrics

    tiers = list(TIERS)
    results = dict(zip(tiers, workers.map(fitted, tiers)))
    chosen, baseline, _ = results[FULL_TIER]
    tier_models = {tier: result[:2] for tier, result in results.items() if tier != FULL_TIER}
    tier_metrics = {tier: result[2] for tier, result in results.items() if tier != FULL_TIER}
    version = model_version(data.frame, encoder, settings)
    model = PmtModel(version, encoder, chosen, baseline, tier_models=tier_models,
                     evaluation={"cv_metrics": cv_metrics, "gate": gate, "tier_metrics": tier_metrics})
    model.card = model_card(model, cv_metrics, gate, data, settings, now or datetime.now(UTC), tier_metrics)
    return TrainingResult(model, cv_metrics, gate, data, tier_metrics)


def stored_result(model: PmtModel, data: TrainingSet) -> TrainingResult:
    """The TrainingResult of a model read from the store, for a survey that gives its version."""
    evaluation = model.evaluation
    return TrainingResult(model, evaluation["cv_metrics"], evaluation["gate"], data, evaluation["tier_metrics"])


TRAINING_COLUMNS = ("unit_id", "kode_kab", "bobot", "pengeluaran_kapita", *MODEL_VARIABLES)


def model_version(frame: pd.DataFrame, encoder: FeatureEncoder, settings: TrainingSettings) -> str:
    """`pmt-` + 16 hex digits of sha256(training rows, feature specification, settings, code version)."""
    digest = hashlib.sha256()
    rows = frame.loc[:, list(TRAINING_COLUMNS)].sort_values("unit_id", kind="stable")
    digest.update(rows.to_csv(index=False, float_format="%.10g").encode())
    digest.update(json.dumps({"features": encoder.linear_column_names, "spec": FEATURE_SPEC_VERSION,
                              "tree": encoder.tree_column_names, "tiers": TIERS}, sort_keys=True).encode())
    digest.update(json.dumps(asdict(settings), sort_keys=True, default=list).encode())
    digest.update(MODEL_CODE_VERSION.encode())
    digest.update(model_code_fingerprint().encode())
    return "pmt-" + digest.hexdigest()[:16]


def model_code_fingerprint() -> str:
    """sha256 of the welfare modules whose code decides a fitted model (MODEL_SOURCE_FILES)."""
    digest = hashlib.sha256()
    for name in MODEL_SOURCE_FILES:
        digest.update(name.encode())
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def _rounded(metrics: dict) -> dict:
    out = {"r2": round(metrics["r2"], 4)}
    for quota in QUOTAS:
        out[quota] = {k: round(metrics[quota][k], 4) for k in ("exclusion_error", "inclusion_error")}
    return out


def model_card(model: PmtModel, cv_metrics: dict, gate: GateResult, data: TrainingSet,
               settings: TrainingSettings, trained_at: datetime, tier_metrics: dict | None = None) -> dict:
    chosen = model.chosen.name
    return {
        "model_version": model.model_version,
        "chosen": chosen,
        "chosen_params": model.chosen.params_,
        "selected_by_cv": gate.selected,
        "fallback_to_baseline": gate.fallback_to_baseline,
        "publication": (f"{chosen}: the selection procedure is not worse than the OLS baseline on held-out households"
                        if gate.passed else
                        f"{BASELINE} (the conventional PMT): the selection procedure ({gate.selected}) was not "
                        "better than it on held-out households, so the baseline is published"),
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "target": "log pengeluaran per kapita (Rp/orang/bulan), SUSENAS",
        "weights": "bobot x jumlah_art (persons represented)",
        "training_households": int(len(data.frame)),
        "training_persons_represented": round(float(data.person_weights.sum()), 1),
        "households_left_out": data.dropped,
        "provinces": int(len(set(data.provinces.tolist()))),
        "regencies": int(data.frame["kode_kab"].nunique()),
        "features": {"variables": list(MODEL_VARIABLES), "region": "kode_kab (regency and province effects, "
                     "kota flag, provincial P0)", "design_columns": len(model.encoder.linear_column_names),
                     "spec_version": FEATURE_SPEC_VERSION},
        "settings": asdict(settings),
        "cv": {name: _rounded(m) for name, m in cv_metrics.items()},
        "data_tiers": {tier: {"variables": len(TIERS[tier]), "cv_of_chosen_kind": _rounded(m)}
                       for tier, m in (tier_metrics or {}).items()},
        "held_out_gate": {"passed": gate.passed, "summary": gate.summary,
                          "fallback_to_baseline": gate.fallback_to_baseline, "published": gate.published,
                          "published_procedure": _rounded(gate.chosen_metrics),
                          "baseline": _rounded(gate.baseline_metrics),
                          "chosen_per_fold": list(gate.chosen_per_fold)},
        "code_version": MODEL_CODE_VERSION,
        "code_fingerprint": model_code_fingerprint(),
    }


# ----------------------------------------------------------------------------------------------
# Artifact
# ----------------------------------------------------------------------------------------------

def models_dir(database_path: str | os.PathLike) -> Path:
    """`<warehouse dir>/models`: a build output next to the DuckDB file, not in git."""
    return Path(database_path).resolve().parent / "models"


def save_model(model: PmtModel, directory: Path) -> Path:
    """Write `<directory>/<model_version>.joblib` atomically; the same version is written once."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model.model_version}.joblib"
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    os.close(handle)
    try:
        joblib.dump(model, temporary, compress=3)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def load_model(path: str | os.PathLike) -> PmtModel:
    model = joblib.load(path)
    if not isinstance(model, PmtModel):
        raise TypeError(f"{path} does not hold a PmtModel")
    return model
