"""A PMT is retrained only when the survey, the settings or the model code changed; a lost artifact is recreated."""

from __future__ import annotations

import dagster as dg

from dtsen_assets.assets.welfare import pmt_model, pmt_score
from dtsen_assets.resources import ModelStore
from dtsen_assets.welfare import models
from dtsen_assets.welfare.models import models_dir
from tests.welfare.conftest import FAST_MODEL_CONFIG


def run(warehouse, config: dict = FAST_MODEL_CONFIG, assets=(pmt_model,)):
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(list(assets), resources={"warehouse": warehouse, "model_store": ModelStore()}, instance=instance, raise_on_error=False,
                            run_config={"ops": {"welfare__pmt_model": {"config": config}}})
    metadata = {k: v.value for k, v in result.asset_materializations_for_node("welfare__pmt_model")[0].metadata.items()}
    log = "\n".join(entry.user_message for entry in instance.all_logs(result.run_id))
    return result, metadata, log


def registry_rows(warehouse) -> list[tuple]:
    with warehouse.connect(read_only=True) as connection:
        return connection.execute("SELECT model_version, trained_at, is_current FROM welfare.pmt_model "
                                  "ORDER BY model_version").fetchall()


def test_an_unchanged_survey_and_settings_reuse_the_current_model(warehouse, monkeypatch) -> None:
    first, trained, log = run(warehouse)
    assert first.success and trained["training"] == "trained" and "training on" in log
    rows = registry_rows(warehouse)

    second, reused, log = run(warehouse)
    assert second.success
    assert reused["training"] == "reused" and reused["model_version"] == trained["model_version"]
    assert "reused" in reused["training_reason"]
    assert f"PMT {trained['model_version']}: reused" in log and "training on" not in log
    assert registry_rows(warehouse) == rows                    # nothing retrained, nothing republished
    gate = {e.check_name: e for e in second.get_asset_check_evaluations()}["not_worse_than_ols_baseline"]
    assert gate.passed and gate.metadata["reused"].value is True
    assert reused["model_card"] == trained["model_card"]

    # a changed survey retrains
    with warehouse.connect() as connection:
        connection.execute("UPDATE staging.susenas_household SET pengeluaran_kapita = pengeluaran_kapita * 1.01 "
                           "WHERE id_rt = 'RT000001'")
    third, changed, log = run(warehouse)
    assert changed["training"] == "trained" and changed["model_version"] != trained["model_version"]
    assert "changed" in changed["training_reason"]

    # changed model code retrains too (the fingerprint of the model modules is part of the version)
    monkeypatch.setattr(models, "model_code_fingerprint", lambda: "other code")
    _, recoded, _ = run(warehouse)
    assert recoded["training"] == "trained" and recoded["model_version"] != changed["model_version"]
    # and changed settings
    _, resettled, _ = run(warehouse, {**FAST_MODEL_CONFIG, "cv_folds": 4})
    assert resettled["training"] == "trained" and resettled["model_version"] != recoded["model_version"]


def test_a_missing_model_file_is_recreated_not_a_failure(warehouse) -> None:
    _, trained, _ = run(warehouse)
    artifact = models_dir(warehouse.database_path) / f"{trained['model_version']}.joblib"
    artifact.unlink()                     # the warehouse file copied without its models/ folder
    result, recreated, log = run(warehouse, assets=(pmt_model, pmt_score))
    assert result.success
    assert recreated["training"] == "trained" and "missing" in recreated["training_reason"]
    assert recreated["model_version"] == trained["model_version"] and artifact.is_file()
    assert "missing" in log
    with warehouse.connect(read_only=True) as connection:
        versions = connection.execute("SELECT DISTINCT model_version FROM welfare.pmt_score").fetchall()
    assert versions == [(trained["model_version"],)]
