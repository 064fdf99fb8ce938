"""PMT candidates, their cross-validated targeting accuracy, the choice, the gate and the version.

A proxy means test predicts log per-capita consumption from what a registry can observe.
Candidates (all fitted with weights = persons represented, `bobot * jumlah_art`, normalized to mean 1):

- `ols_baseline`   the conventional Indonesian PMT: weighted OLS on one-hot attributes, household
                   composition and head of household, with province and regency effects
                   (minimum-norm least squares where dummies are collinear);
- `ridge`          the same design plus "at least this good" indicators of ordered variables
                   (`variables.ORDINAL`), with a ridge penalty chosen by weighted generalized CV:
                   with a few households per regency, shrinking regency effects and rare categories
                   towards zero is what a small survey needs;
- `ridge_regional` ridge plus regional slopes: per-province and town/regency slopes of family size
                   and floor area (penalized like everything else);
- `ridge_monotone` ridge in which ordered variables enter only through their "at least this good"
                   indicators, each with a coefficient >= 0: a better floor, wall, roof, toilet,
                   fuel, electricity or head's schooling never lowers the prediction. A PMT step with
                   the wrong sign cannot be defended to a family that objects (sanggahan);
- `gbm`            histogram gradient boosting (shallow trees, strong leaf minimum) on the same
                   variables, region entering as province, town flag and provincial poverty.

Choice: the candidate with the lowest weighted cross-validated exclusion error at the selection
quota (default desil 1-4) on the survey (`cv_folds` folds, `cv_repeats` seeded repetitions; ties:
exclusion error at desil 1, then R²).

Gate (`gate_against_baseline`): nested cross-validation (repeated `cv_repeats` times), where every
survey household is held out of both the fitting and the choice of candidate. The published model may not have a larger
held-out exclusion error at the selection quota than the OLS baseline fitted on the same folds.

Data tiers: the chosen kind and the baseline are also fitted with only the variables of each poorer
data tier (`variables.TIERS`), for families whose registries record less (scored by `scoring.py`).

Version: `model_version` hashes the training rows, the feature specification and every setting,
so the same survey and settings give the same version (and artifact) again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.linalg import solve_triangular
from scipy.optimize import lsq_linear
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
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
from dtsen_assets.welfare.variables import FULL_TIER, MODEL_VARIABLES, ORDINAL, TIERS

MODEL_CODE_VERSION = "pmt-models-4"      # change when fitting or prediction logic changes
BASELINE = "ols_baseline"
CANDIDATES = ("ols_baseline", "ridge", "ridge_regional", "ridge_monotone", "gbm")


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that decides the fitted model (hashed into model_version)."""

    candidates: tuple[str, ...] = CANDIDATES
    cv_folds: int = 5
    cv_repeats: int = 2
    seed: int = 20_250_301
    ridge_alphas: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
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


# ----------------------------------------------------------------------------------------------
# Candidates
# ----------------------------------------------------------------------------------------------

class Candidate:
    """A fitted (or fittable) model of log per-capita consumption on an EncodedBatch."""

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

    def fit(self, batch: EncodedBatch, y: np.ndarray, w: np.ndarray) -> Candidate:
        raise NotImplementedError

    def predict(self, batch: EncodedBatch) -> np.ndarray:
        return np.asarray(self.design(batch) @ self.coef_).ravel() + self.intercept_


class OlsBaseline(Candidate):
    """Weighted OLS. As when a PMT is built by hand, an indicator (a category, a regency) observed
    in fewer than `ols_min_households` survey households gets no coefficient of its own: it is
    merged into the reference (its column is left out)."""

    name = BASELINE

    def design(self, batch):
        return batch.linear[:, : self.encoder.one_hot_width]

    def design_variables(self):
        return self.encoder.column_variables[: self.encoder.one_hot_width]

    def fit(self, batch, y, w):
        x = self.design(batch)
        counts = np.asarray((x != 0).sum(axis=0)).ravel()
        numeric = np.zeros(x.shape[1], dtype=bool)
        start = len(self.encoder.categorical_columns)
        numeric[start:start + len(NUMERIC_FEATURES) + 2] = True
        keep = numeric | (counts >= self.settings.ols_min_households)
        model = LinearRegression().fit(x[:, keep].toarray(), y, sample_weight=w)
        self.coef_ = np.zeros(x.shape[1])
        self.coef_[keep] = model.coef_
        self.intercept_ = float(model.intercept_)
        self.params_ = {"columns": int(keep.sum())}
        return self


def fit_weighted_ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray,
                       alphas: tuple[float, ...]) -> tuple[np.ndarray, float, float]:
    """Weighted ridge (intercept not penalized), alpha by weighted generalized cross-validation (GCV).

    One eigen-decomposition of the weighted, centred Gram matrix serves every alpha:
    GCV(alpha) = RSS(alpha) / (1 - df(alpha) / n)^2, the rotation-invariant form of leave-one-out.
    """
    w = np.asarray(w, float)
    n = y.size
    x_mean = w @ x / w.sum()
    y_mean = float(w @ y / w.sum())
    root = np.sqrt(w)
    xc = (x - x_mean) * root[:, None]
    yc = (y - y_mean) * root
    eigenvalues, vectors = np.linalg.eigh(xc.T @ xc)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    projected = vectors.T @ (xc.T @ yc)                 # V' X' y  (= s * U' y)
    with np.errstate(divide="ignore", invalid="ignore"):
        uty_squared = np.where(eigenvalues > 1e-10 * eigenvalues.max(), projected ** 2 / eigenvalues, 0.0)
    total = float(yc @ yc)
    best = None
    for alpha in alphas:
        shrink = eigenvalues / (eigenvalues + alpha)
        rss = total - float(np.sum((2 * shrink - shrink ** 2) * uty_squared))
        df = float(shrink.sum()) + 1.0                   # + the intercept
        gcv = rss / max(1.0 - df / n, 1e-6) ** 2
        if best is None or gcv < best[0] - 1e-15:
            best = (gcv, alpha)
    alpha = best[1]
    coef = vectors @ (projected / (eigenvalues + alpha))
    return coef, y_mean - float(x_mean @ coef), float(alpha)


class RidgeCandidate(Candidate):
    name = "ridge"

    def fit(self, batch, y, w):
        self.coef_, self.intercept_, alpha = fit_weighted_ridge(
            self.design(batch).toarray(), y, w, self.settings.ridge_alphas)
        self.params_ = {"alpha": alpha}
        return self


def fit_bounded_ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float,
                      nonnegative: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted ridge (intercept not penalized) with the coefficients `nonnegative` held >= 0.

    Solved as bounded least squares on the p x p Cholesky factor of the penalized Gram matrix
    (||R b - q||² equals the ridge objective up to a constant), so the cost grows with the number
    of design columns, not of households.
    """
    w = np.asarray(w, float)
    x_mean = w @ x / w.sum()
    y_mean = float(w @ y / w.sum())
    root = np.sqrt(w)
    xc = (x - x_mean) * root[:, None]
    yc = (y - y_mean) * root
    upper = np.linalg.cholesky(xc.T @ xc + alpha * np.eye(x.shape[1])).T
    target = solve_triangular(upper, xc.T @ yc, trans="T")
    lower = np.full(x.shape[1], -np.inf)
    lower[nonnegative] = 0.0
    coef = lsq_linear(upper, target, bounds=(lower, np.inf), method="bvls").x
    return coef, y_mean - float(x_mean @ coef)


class RidgeMonotone(RidgeCandidate):
    """Ridge with monotone ordered variables: their one-hot columns are left out, and their
    "at least this good" indicators get coefficients >= 0 (penalty chosen by GCV without the bounds)."""

    name = "ridge_monotone"

    def _columns(self) -> np.ndarray:
        one_hot = len(self.encoder.categorical_columns)
        return np.array([i for i, variable in enumerate(self.encoder.column_variables)
                         if not (i < one_hot and variable in ORDINAL)])

    def design(self, batch):
        return batch.linear[:, self._columns()]

    def design_variables(self):
        return [self.encoder.column_variables[i] for i in self._columns()]

    def fit(self, batch, y, w):
        x = self.design(batch).toarray()
        _, _, alpha = fit_weighted_ridge(x, y, w, self.settings.ridge_alphas)
        columns, thresholds = self._columns(), self.encoder.region_column_slices["ordinal"]
        nonnegative = np.flatnonzero((columns >= thresholds.start) & (columns < thresholds.stop))
        self.coef_, self.intercept_ = fit_bounded_ridge(x, y, w, alpha, nonnegative)
        self.params_ = {"alpha": alpha}
        return self


SLOPE_FEATURES = ("log_jumlah_art", "log_luas_lantai")


class RidgeRegional(RidgeCandidate):
    """Ridge with regional slopes: province x and town x family size and floor area."""

    name = "ridge_regional"

    def _slope_columns(self) -> list[int]:
        names = [n for n, _, _ in NUMERIC_FEATURES]
        start = len(self.encoder.categorical_columns)
        return [start + names.index(f) for f in SLOPE_FEATURES]

    def design(self, batch):
        base = batch.linear
        slices = self.encoder.region_column_slices
        region = sp.hstack([base[:, slices["provinsi"]], base[:, slices["regional"].start:slices["regional"].start + 1]])
        blocks = [base]
        for column in self._slope_columns():
            blocks.append(region.multiply(base[:, column]))
        return sp.hstack(blocks, format="csr")

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
    c.name: c for c in (OlsBaseline, RidgeCandidate, RidgeRegional, RidgeMonotone, GradientBoosting)
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


def out_of_fold(name: str, encoder: FeatureEncoder, batch: EncodedBatch, y: np.ndarray, w: np.ndarray,
                settings: TrainingSettings, rows: np.ndarray | None = None, seed_offset: int = 0,
                repeats: int | None = None) -> list[np.ndarray]:
    """Out-of-fold predictions for the households `rows` (default all), one array per repeat."""
    rows = np.arange(y.size) if rows is None else rows
    repeats = settings.cv_repeats if repeats is None else repeats
    out = []
    for repeat in range(repeats):
        predictions = np.zeros(rows.size)
        for train, test in _folds(rows.size, settings.cv_folds, settings.seed + seed_offset + repeat):
            model = make_candidate(name, encoder, settings).fit(_take(batch, rows[train]), y[rows[train]],
                                                                w[rows[train]])
            predictions[test] = model.predict(_take(batch, rows[test]))
        out.append(predictions)
    return out


def cross_validate(name: str, encoder: FeatureEncoder, batch: EncodedBatch, data_y: np.ndarray, w: np.ndarray,
                   weights: np.ndarray, settings: TrainingSettings, groups: np.ndarray | None = None,
                   rows: np.ndarray | None = None, seed_offset: int = 0, repeats: int | None = None) -> dict:
    """Metrics of the out-of-fold predictions, averaged over the repeats (each repeat evaluated alone)."""
    rows = np.arange(data_y.size) if rows is None else rows
    runs = out_of_fold(name, encoder, batch, data_y, w, settings, rows, seed_offset, repeats)
    return average_metrics([evaluate(data_y[rows], p, weights[rows], None if groups is None else groups[rows])
                            for p in runs])


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
    passed: bool
    quota: str
    chosen_exclusion_error: float
    baseline_exclusion_error: float
    tolerance_pp: float
    chosen_metrics: dict
    baseline_metrics: dict
    chosen_per_fold: list[str]

    @property
    def summary(self) -> str:
        verdict = "not worse than" if self.passed else "WORSE than"
        return (f"held-out (nested CV) exclusion error at {self.quota}: published procedure "
                f"{100 * self.chosen_exclusion_error:.1f}% vs OLS baseline {100 * self.baseline_exclusion_error:.1f}% "
                f"(tolerance {self.tolerance_pp:.1f} pp): {verdict} the baseline; "
                f"candidate chosen per outer fold: {', '.join(self.chosen_per_fold)}")


def gate_decision(chosen_error: float, baseline_error: float, tolerance_pp: float) -> bool:
    """The publish rule: the chosen model may not exclude more of the poor than the baseline."""
    return bool(chosen_error <= baseline_error + tolerance_pp / 100.0 + 1e-12)


def gate_against_baseline(encoder: FeatureEncoder, batch: EncodedBatch, data: TrainingSet,
                          settings: TrainingSettings) -> GateResult:
    """Nested CV, repeated `cv_repeats` times: each outer fold chooses a candidate on its own training part.

    Metrics are computed per repeat on the pooled held-out predictions, then averaged, which halves
    the noise of a small survey's comparison without ever letting a household judge a choice it shaped.
    """
    y, w, weights = data.log_consumption, data.fit_weights, data.person_weights
    chosen_runs, baseline_runs, chosen_names = [], [], []
    for repeat in range(settings.cv_repeats):
        held_out = np.zeros(y.size)
        baseline = np.zeros(y.size)
        for fold, (train, test) in enumerate(_folds(y.size, settings.cv_folds, settings.seed + 10_000 + repeat)):
            inner_metrics = {}
            for name in settings.candidates:
                inner_metrics[name] = cross_validate(name, encoder, batch, y, w, weights, settings, rows=train,
                                                     seed_offset=100 * (fold + 1) + 1000 * repeat, repeats=1)
            name = choose(inner_metrics, settings.selection_quota)
            chosen_names.append(name)
            model = make_candidate(name, encoder, settings).fit(_take(batch, train), y[train], w[train])
            held_out[test] = model.predict(_take(batch, test))
            base = make_candidate(BASELINE, encoder, settings).fit(_take(batch, train), y[train], w[train])
            baseline[test] = base.predict(_take(batch, test))
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

    def encode(self, features: pd.DataFrame) -> EncodedBatch:
        return self.encoder.encode(features, tree=not self.chosen.linear or not self.baseline.linear)

    def candidate(self, tier: str = FULL_TIER, which: str = "chosen") -> Candidate:
        pair = (self.chosen, self.baseline) if tier == FULL_TIER else self.tier_models[tier]
        return pair[0] if which == "chosen" else pair[1]

    def tiers_of(self, features: pd.DataFrame) -> np.ndarray:
        if "data_model" not in features.columns:
            return np.full(len(features), FULL_TIER, dtype=object)
        return features["data_model"].fillna(FULL_TIER).to_numpy(object)

    def predict(self, features: pd.DataFrame, which: str = "chosen") -> Prediction:
        tiers = self.tiers_of(features)
        out = np.empty(len(features))
        filled = np.zeros(len(features), dtype=np.int32)
        for tier in np.unique(tiers):
            rows = np.flatnonzero(tiers == tier)
            part = features.iloc[rows]
            if tier != FULL_TIER:
                part = blank_outside_tier(part, tier)
            batch = self.encode(part)
            out[rows] = self.candidate(tier, which).predict(batch)
            filled[rows] = batch.filled - (len(MODEL_VARIABLES) - len(TIERS[tier]))
        return Prediction(out, filled)

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


def train_pmt(features: pd.DataFrame, settings: TrainingSettings = TrainingSettings(),
              regions=None, now: datetime | None = None) -> TrainingResult:
    """Fit every candidate, choose, gate, and fit the chosen one and the baseline on all households.

    Runs single-threaded: hundreds of small fits are faster without BLAS/OpenMP thread start-up
    and contention, and the result does not depend on the machine's core count.
    """
    with threadpool_limits(limits=1):
        return _train_pmt(features, settings, regions, now)


def _train_pmt(features: pd.DataFrame, settings: TrainingSettings, regions, now: datetime | None) -> TrainingResult:
    data = training_set(features)
    if len(data.frame) < settings.min_households:
        raise ValueError(f"only {len(data.frame)} usable survey households; at least {settings.min_households} "
                         "are needed to fit and cross-validate a PMT")
    y, w, weights = data.log_consumption, data.fit_weights, data.person_weights
    encoder = FeatureEncoder.fit(data.frame, data.person_weights, regions)
    batch = encoder.encode(data.frame)
    cv_metrics = {}
    for name in (*settings.candidates, *(() if BASELINE in settings.candidates else (BASELINE,))):
        # the baseline is always measured: the gate and the card compare against it
        cv_metrics[name] = cross_validate(name, encoder, batch, y, w, weights, settings, data.provinces)
    chosen_name = choose({k: v for k, v in cv_metrics.items() if k in settings.candidates}, settings.selection_quota)
    gate = gate_against_baseline(encoder, batch, data, settings)
    chosen = make_candidate(chosen_name, encoder, settings).fit(batch, y, w)
    baseline = make_candidate(BASELINE, encoder, settings).fit(batch, y, w)
    tier_models, tier_metrics = {}, {}
    for tier in TIERS:
        if tier == FULL_TIER:
            continue
        tier_batch = encoder.encode(blank_outside_tier(data.frame, tier))
        tier_models[tier] = (make_candidate(chosen_name, encoder, settings).fit(tier_batch, y, w),
                             make_candidate(BASELINE, encoder, settings).fit(tier_batch, y, w))
        tier_metrics[tier] = cross_validate(chosen_name, encoder, tier_batch, y, w, weights, settings, repeats=1)
    version = model_version(data.frame, encoder, settings)
    model = PmtModel(version, encoder, chosen, baseline, tier_models=tier_models)
    model.card = model_card(model, cv_metrics, gate, data, settings, now or datetime.now(UTC), tier_metrics)
    return TrainingResult(model, cv_metrics, gate, data, tier_metrics)


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
    return "pmt-" + digest.hexdigest()[:16]


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
                          "published_procedure": _rounded(gate.chosen_metrics),
                          "baseline": _rounded(gate.baseline_metrics)},
        "code_version": MODEL_CODE_VERSION,
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
