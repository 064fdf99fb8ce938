"""The publish gate: a PMT that excludes more of the poor than the OLS baseline is never published."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from dtsen_assets.assets.welfare import pmt_model
from dtsen_assets.welfare.features import feature_query
from dtsen_assets.welfare.models import TrainingSettings, gate_decision, models_dir, train_pmt
from tests.welfare.conftest import FAST_MODEL_CONFIG

# A ridge so heavily penalized that it predicts nearly the same consumption for everyone.
USELESS_MODEL_CONFIG = {**FAST_MODEL_CONFIG, "candidates": ["ridge"], "ridge_alphas": [1e9]}


def run_model(warehouse, config: dict) -> dg.ExecuteInProcessResult:
    return dg.materialize([pmt_model], resources={"warehouse": warehouse}, raise_on_error=False,
                          run_config={"ops": {"welfare__pmt_model": {"config": config}}})


def checks_of(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def registry(warehouse) -> list[tuple]:
    with warehouse.connect(read_only=True) as connection:
        tables = connection.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'welfare' "
                                    "AND table_catalog = current_database()").fetchall()
        if ("pmt_model",) not in tables:
            return []
        return connection.execute("SELECT model_version, model, is_current FROM welfare.pmt_model "
                                  "ORDER BY trained_at").fetchall()


def test_gate_decision() -> None:
    assert gate_decision(0.30, 0.35, 0.0)
    assert gate_decision(0.35, 0.35, 0.0)            # as good as the baseline is not worse
    assert not gate_decision(0.36, 0.35, 0.0)
    assert gate_decision(0.36, 0.35, 1.5)            # within an explicit tolerance (pp)


def test_gate_refuses_a_model_worse_than_the_baseline_on_held_out_households(survey_frame) -> None:
    connection = duckdb.connect()
    connection.register("survey", survey_frame)
    features = connection.execute(feature_query(connection, "survey", "id_rt").sql).df()
    useless = train_pmt(features, TrainingSettings(candidates=("ridge",), cv_folds=3, cv_repeats=1,
                                                   ridge_alphas=(1e9,)))
    assert not useless.gate.passed
    assert useless.gate.chosen_exclusion_error > useless.gate.baseline_exclusion_error
    assert "WORSE" in useless.gate.summary
    sensible = train_pmt(features, TrainingSettings(candidates=("ols_baseline", "ridge"), cv_folds=3, cv_repeats=1))
    assert sensible.gate.passed
    # the held-out comparison is on every household, each predicted by folds that never saw it
    assert sensible.gate.chosen_metrics["desil_1_4"]["units"] == len(features)


def test_a_refused_model_is_never_published_and_the_previous_one_stays_current(warehouse) -> None:
    refused = run_model(warehouse, USELESS_MODEL_CONFIG)
    assert not refused.success
    gate = checks_of(refused)["not_worse_than_ols_baseline"]
    assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
    assert registry(warehouse) == []
    models = models_dir(warehouse.database_path)
    assert not models.exists() or not list(models.glob("*.joblib"))

    published = run_model(warehouse, FAST_MODEL_CONFIG)
    assert published.success
    assert checks_of(published)["not_worse_than_ols_baseline"].passed
    [(version, model, current)] = registry(warehouse)
    assert current and (models / f"{version}.joblib").is_file()
    materialization = published.asset_materializations_for_node("welfare__pmt_model")[0]
    assert materialization.metadata["model_version"].value == version
    card = materialization.metadata["model_card"].value
    assert card["training_households"] == 320 and card["chosen"] == model
    assert {"ols_baseline", "ridge"} <= set(card["cv"])

    refused_again = run_model(warehouse, USELESS_MODEL_CONFIG)
    assert not refused_again.success
    assert registry(warehouse) == [(version, model, True)]


def test_same_survey_and_settings_give_the_same_model_version(warehouse) -> None:
    first = run_model(warehouse, FAST_MODEL_CONFIG)
    second = run_model(warehouse, FAST_MODEL_CONFIG)
    version = [r.asset_materializations_for_node("welfare__pmt_model")[0].metadata["model_version"].value
               for r in (first, second)]
    assert version[0] == version[1]
    other_seed = run_model(warehouse, {**FAST_MODEL_CONFIG, "seed": 7})
    newest = other_seed.asset_materializations_for_node("welfare__pmt_model")[0].metadata["model_version"].value
    assert newest != version[0]
    # one row per version, the newest current (trained_at has whole seconds: compare by version, not order)
    assert {r[0]: r[2] for r in registry(warehouse)} == {version[0]: False, newest: True}


def test_too_few_survey_households_stop_the_run(warehouse) -> None:
    with warehouse.connect() as connection:
        connection.execute("DELETE FROM staging.susenas_household WHERE id_rt > 'RT000030'")
    result = run_model(warehouse, FAST_MODEL_CONFIG)
    assert not result.success
    assert not checks_of(result)["survey_households_sufficient"].passed


@pytest.mark.parametrize("bad", [{"candidates": ["lasso"]}, {"selection_quota": "desil_2"}])
def test_unknown_settings_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        TrainingSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in bad.items()})
