"""The shortcuts of cross-validation give what fitting each fold on its own households gives."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import numpy as np
import pytest
from scipy.linalg import solve_triangular
from scipy.optimize import lsq_linear
from sklearn.linear_model import LinearRegression

from dtsen_assets.welfare import models
from dtsen_assets.welfare.features import FeatureEncoder, feature_query
from dtsen_assets.welfare.models import (
    CANDIDATES,
    FoldFits,
    TrainingSettings,
    Workers,
    _folds,
    _take,
    make_candidate,
    train_pmt,
    training_set,
    union_design,
)
from dtsen_assets.welfare.solvers import (
    CrossDesign,
    WeightedGram,
    bounded_ridge,
    gcv_choice,
    gcv_ridge,
    minimum_norm_least_squares,
    total,
)

LINEAR = [name for name in CANDIDATES if make_candidate(name, None, TrainingSettings()).linear]


@pytest.fixture(scope="module")
def survey(survey_frame, regions):
    with duckdb.connect() as connection:
        connection.register("survey", survey_frame)
        features = connection.execute(feature_query(connection, "survey", "id_rt").sql).df()
    data = training_set(features)
    encoder = FeatureEncoder.fit(data.frame, data.person_weights, regions)
    return features, data, encoder, encoder.encode(data.frame)


def test_each_candidate_design_is_its_columns_of_the_union_design(survey) -> None:
    _, _, encoder, batch = survey
    union = union_design(encoder, batch)
    for name in LINEAR:
        candidate = make_candidate(name, encoder, TrainingSettings())
        design = candidate.design(batch)
        assert (union[:, candidate.columns()] != design).nnz == 0, name
        assert len(candidate.design_variables()) == design.shape[1]


def test_fold_cross_products_add_up_to_the_gram_of_the_training_households(survey) -> None:
    _, data, encoder, batch = survey
    union = union_design(encoder, batch)
    y, w = data.log_consumption, data.fit_weights
    cross = CrossDesign(union, y, w)
    folds = _folds(y.size, 4, 1)
    blocks = [cross.cross_products(test) for _, test in folds]
    train, _ = folds[2]
    columns = make_candidate("ridge_shrunk", encoder, TrainingSettings()).columns()
    summed = total([block for j, block in enumerate(blocks) if j != 2]).gram(columns)
    direct = WeightedGram.of(union[train][:, columns].toarray(), y[train], w[train])
    scale = np.abs(direct.gram).max()
    assert np.abs(summed.gram - direct.gram).max() < 1e-11 * scale
    assert np.abs(summed.moment - direct.moment).max() < 1e-11 * np.abs(direct.moment).max()
    assert summed.total == pytest.approx(direct.total, rel=1e-11)
    assert np.allclose(summed.x_mean, direct.x_mean, rtol=0, atol=1e-12)
    assert summed.y_mean == pytest.approx(direct.y_mean, rel=1e-13) and summed.n == train.size
    assert (summed.nonzero == direct.nonzero).all()


@pytest.mark.parametrize("name", LINEAR)
def test_a_fold_fitted_from_shared_cross_products_is_the_fold_fitted_alone(survey, name) -> None:
    _, data, encoder, batch = survey
    settings = TrainingSettings(cv_folds=3)
    y, w = data.log_consumption, data.fit_weights
    fits = FoldFits(encoder, batch, y, w, settings, Workers(1))
    everyone = np.arange(y.size)
    folds = _folds(y.size, 3, 5)
    shared = fits.out_of_fold((name,), everyone, 5)[name]
    alone = np.zeros(y.size)
    for train, test in folds:
        model = make_candidate(name, encoder, settings).fit(_take(batch, train), y[train], w[train])
        alone[test] = model.predict(_take(batch, test))
    assert np.abs(shared - alone).max() < 1e-10


def test_gcv_without_eigenvectors_chooses_as_the_eigendecomposition(survey) -> None:
    _, data, encoder, batch = survey
    settings = TrainingSettings()
    shrunk = make_candidate("ridge_shrunk", encoder, settings)
    g = CrossDesign(union_design(encoder, batch), data.log_consumption, data.fit_weights) \
        .cross_products(np.arange(len(data.frame))).gram(shrunk.columns())
    regional, _ = shrunk._groups()
    for ratio in (None, 0.3, 10.0):
        scale = None if ratio is None else np.where(regional, 1 / np.sqrt(ratio), 1.0)
        for alphas in (settings.ridge_alphas, (0.01, 0.02), (5000.0, 1e5)):
            _, alpha, gcv = gcv_ridge(g, alphas, scale)
            fast_alpha, fast_gcv = gcv_choice(g, alphas, scale)
            assert fast_alpha == alpha and fast_gcv == pytest.approx(gcv, rel=1e-10)


def _bvls(g: WeightedGram, alpha, nonnegative) -> np.ndarray:
    """The former solver: bounded least squares on the Cholesky factor of the penalized Gram matrix."""
    width = g.gram.shape[0]
    upper = np.linalg.cholesky(g.gram + np.diag(np.broadcast_to(np.asarray(alpha, float), (width,)))).T
    target = solve_triangular(upper, g.moment, trans="T")
    lower = np.full(width, -np.inf)
    lower[nonnegative] = 0.0
    return lsq_linear(upper, target, bounds=(lower, np.inf), method="bvls").x


def test_bounded_ridge_is_bounded_variable_least_squares() -> None:
    generator = np.random.default_rng(11)
    for trial in range(20):
        n, p = 200, 30
        x = generator.normal(size=(n, p))
        x[:, 5] = x[:, 4] + x[:, 3]                      # collinear, as one-hot designs are
        y = x @ generator.normal(size=p) + generator.normal(size=n)
        g = WeightedGram.of(x, y, generator.uniform(0.5, 2, n))
        nonnegative = generator.choice(p, size=20, replace=False)
        alpha = generator.choice([0.01, 1.0, 30.0]) * np.where(np.arange(p) < 10, 1.0, 3.0)
        expected = _bvls(g, alpha, nonnegative)
        coef = bounded_ridge(g, alpha, nonnegative)
        assert np.abs(coef - expected).max() < 1e-9 * max(1.0, np.abs(expected).max()), trial
        assert (coef[nonnegative] >= 0).all()


def test_ols_from_the_gram_is_linear_regression_also_near_collinear() -> None:
    generator = np.random.default_rng(3)
    n = 400
    groups = generator.integers(0, 6, n)
    x = np.column_stack([np.eye(6)[groups], generator.normal(size=(n, 4))])   # one-hot: collinear with the intercept
    y = x @ generator.normal(size=10) + generator.normal(size=n)
    w = generator.uniform(0.5, 2, n)
    expected = LinearRegression().fit(x, y, sample_weight=w).coef_
    assert np.abs(minimum_norm_least_squares(WeightedGram.of(x, y, w)) - expected).max() < 1e-10
    # a column that differs from another by 1e-6: its singular value is where rounding decides
    near = np.column_stack([x, x[:, 7] + 1e-6 * generator.normal(size=n)])
    expected = LinearRegression().fit(near, y, sample_weight=w).coef_
    assert np.abs(minimum_norm_least_squares(WeightedGram.of(near, y, w)) - expected).max() < 1e-9 * np.abs(expected).max()


def test_training_does_not_depend_on_the_number_of_threads(survey, regions, monkeypatch) -> None:
    features = survey[0]
    settings = TrainingSettings(cv_folds=3, cv_repeats=1)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    results = []
    for threads in (1, 3):
        monkeypatch.setattr(models, "_threads", lambda threads=threads: threads)
        results.append(train_pmt(features, settings, regions, now))
    one, three = results
    assert one.model.card == three.model.card
    assert (one.model.chosen.coef_ == three.model.chosen.coef_).all()
    assert (one.model.baseline.coef_ == three.model.baseline.coef_).all()
