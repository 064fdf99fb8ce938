"""The monotone ridge: a better ordered value (floor, wall, schooling, ...) never lowers the prediction."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from dtsen_assets.welfare.features import FeatureEncoder, feature_query
from dtsen_assets.welfare.models import (
    TrainingSettings,
    fit_bounded_ridge,
    fit_weighted_ridge,
    make_candidate,
    training_set,
)
from dtsen_assets.welfare.variables import ORDINAL


@pytest.fixture(scope="module")
def reversed_floor_survey(survey_frame) -> pd.DataFrame:
    """The survey with an earth floor made to look rich: consumption x 2.5 for `lantai = tanah`.

    A free coefficient learns that an earth floor raises welfare; the monotone model may not."""
    survey = survey_frame.copy()
    earth = survey["lantai"] == "tanah"
    assert earth.sum() >= 10
    survey.loc[earth, "pengeluaran_kapita"] = survey.loc[earth, "pengeluaran_kapita"] * 2.5
    with duckdb.connect() as connection:
        connection.register("survey", survey)
        return connection.execute(feature_query(connection, "survey", "id_rt").sql).df()


def fitted(name: str, features: pd.DataFrame, regions):
    data = training_set(features)
    encoder = FeatureEncoder.fit(data.frame, data.person_weights, regions)
    model = make_candidate(name, encoder, TrainingSettings()).fit(encoder.encode(data.frame),
                                                                  data.log_consumption, data.fit_weights)
    return model, encoder, data.frame


def predictions_by_level(model, encoder, frame: pd.DataFrame, variable: str) -> np.ndarray:
    """(levels x households) predictions with `variable` set to each of its ordered levels in turn."""
    levels = [level for level in ORDINAL[variable] if level in encoder.levels[variable]]
    rows = []
    for level in levels:
        changed = frame.copy()
        changed[variable] = level
        rows.append(model.predict(encoder.encode(changed)))
    return np.array(rows)


@pytest.mark.parametrize("name", ["ridge_monotone", "ridge_shrunk", "monotone_average"])
def test_monotone_models_never_lower_the_prediction_for_a_better_ordered_value(reversed_floor_survey, name, regions) -> None:
    model, encoder, frame = fitted(name, reversed_floor_survey, regions)
    for variable in ORDINAL:
        by_level = predictions_by_level(model, encoder, frame.head(50), variable)
        assert (np.diff(by_level, axis=0) >= -1e-9).all(), variable


def test_shrunk_regional_ridge_gives_provinces_their_own_slopes(survey_frame, regions) -> None:
    with duckdb.connect() as connection:
        connection.register("survey", survey_frame)
        features = connection.execute(feature_query(connection, "survey", "id_rt").sql).df()
    model, encoder, frame = fitted("ridge_shrunk", features, regions)
    assert model.params_["region_penalty_ratio"] in TrainingSettings().region_penalty_ratios
    provinces = len(encoder.provinces)
    slopes = model.coef_[-2 * provinces:]
    assert len(model.design_variables()) == model.coef_.size
    assert model.design_variables()[-2 * provinces:] == ["jumlah_art"] * provinces + ["luas_lantai"] * provinces
    # the provincial deviations are shrunk, not zero: each province's size slope differs a little
    assert np.abs(slopes).max() > 1e-6
    # a larger penalty ratio shrinks the regional terms toward the national ones
    strict = make_candidate("ridge_shrunk", encoder, TrainingSettings(region_penalty_ratios=(1e4,)))
    strict.fit(encoder.encode(frame), training_set(features).log_consumption, training_set(features).fit_weights)
    assert np.abs(strict.coef_[-2 * provinces:]).sum() < np.abs(slopes).sum()


def test_the_average_is_one_linear_model_of_its_members(survey_frame, regions) -> None:
    with duckdb.connect() as connection:
        connection.register("survey", survey_frame)
        features = connection.execute(feature_query(connection, "survey", "id_rt").sql).df()
    average, encoder, frame = fitted("monotone_average", features, regions)
    batch = encoder.encode(frame)
    members = [part.predict(batch) for part in average.parts_]
    np.testing.assert_allclose(average.predict(batch), np.mean(members, axis=0), atol=1e-9)
    assert len(average.design_variables()) == average.design(batch).shape[1] == average.coef_.size


def test_a_free_ridge_learns_the_reversed_floor(reversed_floor_survey, regions) -> None:
    # the same data through the unconstrained ridge: the inversion the monotone model refuses
    model, encoder, frame = fitted("ridge", reversed_floor_survey, regions)
    by_level = predictions_by_level(model, encoder, frame.head(50), "lantai")
    assert (by_level[1:] < by_level[0] - 0.01).any()


def test_bounded_ridge_without_active_bounds_is_the_ridge() -> None:
    generator = np.random.default_rng(5)
    x = generator.normal(size=(300, 12))
    y = x @ generator.normal(size=12) + generator.normal(scale=0.5, size=300)
    w = generator.uniform(0.5, 2.0, size=300)
    coef, intercept, alpha = fit_weighted_ridge(x, y, w, (3.0,))
    bounded, bounded_intercept = fit_bounded_ridge(x, y, w, alpha, np.array([], dtype=int))
    assert np.allclose(bounded, coef, atol=1e-8) and bounded_intercept == pytest.approx(intercept, abs=1e-8)
    # with a bound that binds, the coefficient sits on it and the fit is still a ridge fit of the rest
    negative = int(np.argmin(coef))
    assert coef[negative] < 0
    clipped, _ = fit_bounded_ridge(x, y, w, alpha, np.array([negative]))
    assert clipped[negative] == pytest.approx(0.0, abs=1e-10)
    assert not np.allclose(clipped, coef)
