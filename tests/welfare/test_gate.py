"""The publish gate: never a model worse than the OLS baseline, and never no model on a valid survey."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from dtsen_assets.assets.welfare import pmt_model, welfare_assets
from dtsen_assets.checks.welfare import check_gate
from dtsen_assets.resources import ModelStore
from dtsen_assets.welfare.features import feature_query
from dtsen_assets.welfare.models import BASELINE, TrainingSettings, gate_decision, models_dir, train_pmt
from tests.welfare.conftest import FAST_MODEL_CONFIG, load_tables
from tests.welfare.synthetic import ols_best_survey

# A ridge so heavily penalized that it predicts nearly the same consumption for everyone.
USELESS_MODEL_CONFIG = {**FAST_MODEL_CONFIG, "candidates": ["ridge"], "ridge_alphas": [1e9]}
# The default candidates (monotone ridge, shrunk regional ridge, their average), with fast folds.
DEFAULT_FAST_CONFIG = {"cv_folds": 3, "cv_repeats": 1}


def run_model(warehouse, config: dict, instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    return dg.materialize([pmt_model], resources={"warehouse": warehouse, "model_store": ModelStore()}, raise_on_error=False, instance=instance,
                          run_config={"ops": {"welfare__pmt_model": {"config": config}}})


def checks_of(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def model_metadata(result: dg.ExecuteInProcessResult) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("welfare__pmt_model")[0].metadata.items()}


def run_log(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(entry.user_message for entry in instance.all_logs(result.run_id))


def registry(warehouse) -> list[tuple]:
    with warehouse.connect(read_only=True) as connection:
        tables = connection.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'welfare' "
                                    "AND table_catalog = current_database()").fetchall()
        if ("pmt_model",) not in tables:
            return []
        return connection.execute("SELECT model_version, model, is_current FROM welfare.pmt_model "
                                  "ORDER BY trained_at").fetchall()


def survey_features(frame):
    connection = duckdb.connect()
    connection.register("survey", frame)
    return connection.execute(feature_query(connection, "survey", "id_rt").sql).df()


def test_gate_decision() -> None:
    assert gate_decision(0.30, 0.35, 0.0)
    assert gate_decision(0.35, 0.35, 0.0)            # as good as the baseline is not worse
    assert not gate_decision(0.36, 0.35, 0.0)
    assert gate_decision(0.36, 0.35, 1.5)            # within an explicit tolerance (pp)


def test_a_procedure_worse_than_the_baseline_publishes_the_baseline(survey_frame, regions) -> None:
    features = survey_features(survey_frame)
    useless = train_pmt(features, TrainingSettings(candidates=("ridge",), cv_folds=3, cv_repeats=1,
                                                   ridge_alphas=(1e9,)), regions)
    gate = useless.gate
    assert not gate.passed and gate.fallback_to_baseline
    assert gate.chosen_exclusion_error > gate.baseline_exclusion_error
    assert gate.selected == "ridge" and gate.published == BASELINE
    assert "OLS baseline (ols_baseline) is published instead of ridge" in gate.summary
    # the published model, and every data tier's, is the baseline; the card says so
    assert useless.model.chosen.name == BASELINE
    assert {pair[0].name for pair in useless.model.tier_models.values()} == {BASELINE}
    card = useless.model.card
    assert card["fallback_to_baseline"] and card["selected_by_cv"] == "ridge" and card["chosen"] == BASELINE
    assert "baseline is published" in card["publication"]
    # being the baseline, it passes the gate
    outcome = check_gate(gate)
    assert outcome.passed and outcome.metadata["published_model"] == BASELINE
    assert outcome.metadata["published_exclusion_error"] == round(gate.baseline_exclusion_error, 4)

    sensible = train_pmt(features, TrainingSettings(candidates=("ols_baseline", "ridge"), cv_folds=3, cv_repeats=1),
                         regions)
    assert sensible.gate.passed and not sensible.model.card["fallback_to_baseline"]
    assert sensible.model.chosen.name == sensible.gate.selected
    # the held-out comparison is on every household, each predicted by folds that never saw it
    assert sensible.gate.chosen_metrics["desil_1_4"]["units"] == len(features)


def test_a_survey_where_ols_is_best_publishes_the_baseline_and_every_family_gets_a_desil(tmp_path, family_frames):
    """Consumption falls with better floors, walls and schooling: no monotone candidate can beat OLS."""
    from dtsen_assets.resources import DuckDBWarehouse

    warehouse = DuckDBWarehouse(database_path=str(tmp_path / "warehouse.duckdb"), threads=2)
    families = family_frames[0]
    load_tables(warehouse, ols_best_survey(), families)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(welfare_assets, resources={"warehouse": warehouse, "model_store": ModelStore()}, instance=instance,
                            run_config={"ops": {"welfare__pmt_model": {"config": DEFAULT_FAST_CONFIG}}})
    assert result.success
    gate = checks_of(result)["not_worse_than_ols_baseline"]
    assert gate.passed and gate.metadata["fallback_to_baseline"].value is True
    assert gate.metadata["published_model"].value == BASELINE
    metadata = model_metadata(result)
    assert metadata["published_model"] == BASELINE and metadata["fallback_to_baseline"] is True
    assert metadata["selected_by_cv"] in TrainingSettings().candidates
    assert "baseline is published" in metadata["publication"]
    assert metadata["model_card"]["fallback_to_baseline"] is True
    assert "publishing the OLS baseline" in run_log(instance, result)
    with warehouse.connect(read_only=True) as connection:
        [(model, fallback)] = connection.execute(
            "SELECT model, fallback_to_baseline FROM welfare.pmt_model WHERE is_current").fetchall()
        scored = connection.execute("SELECT count(*) FROM welfare.pmt_score").fetchall()[0][0]
        with_desil = connection.execute("SELECT count(*) FROM welfare.decile JOIN welfare.pmt_score USING (family_id) "
                                        "WHERE desil BETWEEN 1 AND 10").fetchall()[0][0]
        listed = connection.execute("SELECT count(*) FROM welfare.belum_terdata").fetchall()[0][0]
    assert (model, fallback) == (BASELINE, True)
    # every scorable family has a desil: only the families without data are listed as belum terdata
    unscorable = int((families["jumlah_art"] == 0).sum()) + 2
    assert listed == unscorable
    assert scored == with_desil == len(families) - unscorable


def test_same_survey_and_settings_give_the_same_model_version(warehouse) -> None:
    first = run_model(warehouse, FAST_MODEL_CONFIG)
    second = run_model(warehouse, FAST_MODEL_CONFIG)
    version = [model_metadata(r)["model_version"] for r in (first, second)]
    assert version[0] == version[1]
    other_seed = run_model(warehouse, {**FAST_MODEL_CONFIG, "seed": 7})
    newest = model_metadata(other_seed)["model_version"]
    assert newest != version[0]
    # one row per version, the newest current (trained_at has whole seconds: compare by version, not order)
    assert {r[0]: r[2] for r in registry(warehouse)} == {version[0]: False, newest: True}


@pytest.mark.parametrize("spoil, says", [
    ("DELETE FROM staging.susenas_household WHERE id_rt > 'RT000030'", "only 31 usable survey households"),
    ("UPDATE staging.susenas_household SET pengeluaran_kapita = NULL", "no survey household has a measured consumption"),
    ("UPDATE staging.susenas_household SET pengeluaran_kapita = 650000", "the same pengeluaran_kapita"),
])
def test_an_unusable_survey_stops_the_run_and_says_what_to_supply(warehouse, spoil, says) -> None:
    with warehouse.connect() as connection:
        connection.execute(spoil)
    result = run_model(warehouse, FAST_MODEL_CONFIG)
    assert not result.success
    check = checks_of(result)["survey_households_sufficient"]
    assert not check.passed
    assert says in check.description and "supply a SUSENAS household file" in check.description
    assert registry(warehouse) == []
    models = models_dir(warehouse.database_path)
    assert not models.exists() or not list(models.glob("*.joblib"))


@pytest.mark.parametrize("bad", [{"candidates": ["lasso"]}, {"selection_quota": "desil_2"},
                                 {"region_penalty_ratios": [0.0]}])
def test_unknown_settings_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        TrainingSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in bad.items()})
