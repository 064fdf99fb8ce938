"""A PMT is retrained only when the survey, the settings or the model code changed; a lost artifact is recreated;
a warehouse that has not registered the model of its survey yet takes it from the model store."""

from __future__ import annotations

import dagster as dg
import joblib
import pytest

from dtsen_assets.assets.welfare import pmt_model, pmt_score
from dtsen_assets.resources import DuckDBWarehouse, ModelStore
from dtsen_assets.welfare import models
from dtsen_assets.welfare.models import models_dir
from tests.welfare.conftest import FAST_MODEL_CONFIG, load_tables


def run(warehouse, config: dict = FAST_MODEL_CONFIG, assets=(pmt_model,)):
    """A run with the default model store (beside the warehouse)."""
    return run_in(warehouse, None, config, assets)


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


def run_in(warehouse, store, config: dict = FAST_MODEL_CONFIG, assets=(pmt_model,)):
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(list(assets), resources={"warehouse": warehouse,
                                                          "model_store": ModelStore(path=str(store) if store else None)},
                            instance=instance, raise_on_error=False,
                            run_config={"ops": {"welfare__pmt_model": {"config": config}}})
    metadata = {k: v.value for k, v in result.asset_materializations_for_node("welfare__pmt_model")[0].metadata.items()}
    log = "\n".join(entry.user_message for entry in instance.all_logs(result.run_id))
    return result, metadata, log


def evaluation_rows(warehouse) -> list[tuple]:
    with warehouse.connect(read_only=True) as connection:
        return connection.execute("SELECT * EXCLUDE (nama_provinsi) FROM welfare.pmt_evaluation "
                                  "ORDER BY ALL").fetchall()


@pytest.fixture
def other_warehouse(tmp_path, survey_frame, family_frames) -> DuckDBWarehouse:
    """A second, fresh warehouse with the same survey (another build of the same drop)."""
    resource = DuckDBWarehouse(database_path=str(tmp_path / "other" / "warehouse.duckdb"), threads=2)
    load_tables(resource, survey_frame, family_frames[0])
    return resource


def test_a_fresh_warehouse_registers_the_stored_model_of_the_same_survey_without_training(
        warehouse, other_warehouse, tmp_path) -> None:
    store = tmp_path / "store"
    first, trained, _ = run_in(warehouse, store)
    assert first.success and trained["training"] == "trained"

    result, reused, log = run_in(other_warehouse, store, assets=(pmt_model, pmt_score))
    assert result.success
    assert reused["training"] == "reused" and reused["model_version"] == trained["model_version"]
    assert "model store" in reused["training_reason"] and "training on" not in log
    assert reused["model_card"] == trained["model_card"]          # the same model, trained once
    # registered in the new warehouse as training would have: registry row and evaluation tables
    assert [(v, current) for v, _, current in registry_rows(other_warehouse)] == [(trained["model_version"], True)]
    assert evaluation_rows(other_warehouse) == evaluation_rows(warehouse)
    gate = {e.check_name: e for e in result.get_asset_check_evaluations()}["not_worse_than_ols_baseline"]
    assert gate.passed and gate.metadata["reused"].value is True
    with other_warehouse.connect(read_only=True) as connection:
        assert connection.execute("SELECT DISTINCT model_version FROM welfare.pmt_score").fetchall() == [
            (trained["model_version"],)]
    # and the next run there reuses its own registration
    _, again, _ = run_in(other_warehouse, store)
    assert again["training"] == "reused" and "model store" not in again["training_reason"]


def test_a_changed_survey_trains_even_when_the_store_holds_a_model(warehouse, other_warehouse, tmp_path) -> None:
    store = tmp_path / "store"
    _, trained, _ = run_in(warehouse, store)
    with other_warehouse.connect() as connection:
        connection.execute("UPDATE staging.susenas_household SET pengeluaran_kapita = pengeluaran_kapita * 1.01 "
                           "WHERE id_rt = 'RT000001'")
    _, changed, log = run_in(other_warehouse, store)
    assert changed["training"] == "trained" and changed["model_version"] != trained["model_version"]
    assert "training on" in log


@pytest.mark.parametrize("spoil", ["garbage", "incomplete"])
def test_an_unusable_stored_artifact_is_trained_again(warehouse, other_warehouse, tmp_path, spoil) -> None:
    store = tmp_path / "store"
    _, trained, _ = run_in(warehouse, store)
    artifact = store / f"{trained['model_version']}.joblib"
    if spoil == "garbage":
        artifact.write_bytes(b"not a model")                     # a truncated copy
    else:
        model = models.load_model(artifact)
        model.evaluation = {}                                    # an artifact written without its evaluation
        joblib.dump(model, artifact)
    result, retrained, log = run_in(other_warehouse, store)
    assert result.success and retrained["training"] == "trained" and "training on" in log
    assert "model store" in retrained["training_reason"] and "training it again" in retrained["training_reason"]
    assert retrained["model_version"] == trained["model_version"]
    assert models.load_model(artifact).evaluation                # rewritten whole
