"""Scoring by province shard (welfare/shards.py): the same staged rows, in the same order, as the national
scoring pass; shards scored with another model or other settings are refused."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from dtsen_assets.assets.welfare import PmtScoreConfig, welfare_assets
from dtsen_assets.resources import DuckDBWarehouse, ModelStore
from dtsen_assets.warehouse import staging_table
from dtsen_assets.welfare import shards
from dtsen_assets.welfare.registry import REGISTRY_TABLE, current_model
from tests.welfare.conftest import FAST_MODEL_CONFIG, load_tables

SETTINGS = PmtScoreConfig().scoring_settings()


@pytest.fixture(scope="module")
def built(tmp_path_factory, survey_frame, family_frames) -> DuckDBWarehouse:
    """The welfare group built once, nationally (pmt_score in one step)."""
    warehouse = DuckDBWarehouse(database_path=str(tmp_path_factory.mktemp("score_shards") / "warehouse.duckdb"),
                                threads=2)
    load_tables(warehouse, survey_frame, family_frames[0])
    result = dg.materialize(welfare_assets, resources={"warehouse": warehouse, "model_store": ModelStore()},
                            run_config={"ops": {"welfare__pmt_model": {"config": FAST_MODEL_CONFIG}}})
    assert result.success
    return warehouse


def _score_by_shard(connection, warehouse: DuckDBWarehouse, directory: Path, min_families: int, settings=SETTINGS):
    models = ModelStore().directory(warehouse.database_file)
    model = current_model(connection, models)
    artifact = connection.execute(f"SELECT artifact_file FROM {REGISTRY_TABLE} WHERE is_current").fetchone()[0]
    planned = shards.prepare(connection, directory, models / artifact, model.model_version, settings, min_families)
    for shard in planned:
        shards.score(directory, shard.name)
    return planned, model


@pytest.mark.parametrize("rows_per_range", [shards.MERGE_ROWS_PER_RANGE, 700])
def test_shards_stage_the_rows_of_the_national_pass_in_its_order(built: DuckDBWarehouse, tmp_path: Path,
                                                                  rows_per_range: int) -> None:
    with built.connect() as connection:
        # 3,000 families in 7 provinces and one broken village code: shards of at least 700 families
        planned, model = _score_by_shard(connection, built, tmp_path / "score", min_families=700)
        assert len(planned) >= 3
        assert any(shard.name == "prov_xx" or "xx" in shard.provinces for shard in planned)
        # the merge sorts range by range (of family_id): one range, or several (explanations: ~15k rows)
        result = shards.merge(connection, tmp_path / "score", model.model_version, SETTINGS, rows_per_range)
        for table in shards.STAGED_ORDER:
            published = connection.execute(f"SELECT * FROM {table}").fetchall()
            merged = connection.execute(f"SELECT * FROM {staging_table(table)}").fetchall()
            assert len(published) > 0, table
            assert merged == published, table          # same rows, same table order
        scored = connection.execute("SELECT count(*) FROM welfare.pmt_score").fetchone()[0]
        belum = connection.execute("SELECT count(*) FROM welfare.belum_terdata").fetchone()[0]
        explanation_rows = connection.execute("SELECT count(*) FROM welfare.explanation").fetchone()[0]
    assert (result.scored, result.belum_terdata, result.explained.rows) == (scored, belum, explanation_rows)
    assert sum(result.by_tier.values()) == scored
    assert result.explained.families == scored


def test_the_merge_refuses_another_model_or_other_settings(built: DuckDBWarehouse, tmp_path: Path) -> None:
    with built.connect() as connection:
        _, model = _score_by_shard(connection, built, tmp_path / "score", min_families=2_000)
        with pytest.raises(RuntimeError, match="the published one is"):
            shards.merge(connection, tmp_path / "score", "pmt-other", SETTINGS)
        other = {**SETTINGS, "min_known_share": 0.5}
        with pytest.raises(ValueError, match="other scoring settings"):
            shards.merge(connection, tmp_path / "score", model.model_version, other)


def test_a_shard_without_its_step_outcome_stops_the_merge(built: DuckDBWarehouse, tmp_path: Path) -> None:
    with built.connect() as connection:
        planned, model = _score_by_shard(connection, built, tmp_path / "score", min_families=700)
        (tmp_path / "score" / f"{planned[0].name}.json").unlink()
        with pytest.raises(FileNotFoundError, match=planned[0].name):
            shards.merge(connection, tmp_path / "score", model.model_version, SETTINGS)


def test_the_province_assets_score_by_shard_and_publish_the_national_tables(built: DuckDBWarehouse) -> None:
    # welfare/score_shards then welfare/pmt_score, as dtsen_build_provinces runs them (here in one process)
    from dtsen_assets.assets.welfare import pmt_score
    from dtsen_assets.assets.welfare_shards import score_shards

    def published() -> dict[str, list]:
        with built.connect() as connection:
            return {t: connection.execute(f"SELECT * FROM {t}").fetchall() for t in shards.STAGED_ORDER}

    national = published()
    result = dg.materialize(
        [*welfare_assets, score_shards], selection=[score_shards, pmt_score],
        resources={"warehouse": built, "model_store": ModelStore()},
        run_config={"ops": {"welfare__score_shards": {"ops": {"score_shard_plan": {
            "config": {"min_shard_families": 700}}}}}})
    assert result.success
    planned = [e for e in result.get_step_success_events() if e.step_key.startswith("welfare__score_shards.score_shard[")]
    assert len(planned) >= 3
    shards_metadata = result.asset_materializations_for_node("welfare__score_shards")[0].metadata
    assert shards_metadata["shards"].value == len(planned)
    assert shards_metadata["families"].value == len(national["welfare.pmt_score"]) + len(national["welfare.belum_terdata"])
    assert "| shard | families | scored | seconds |" in shards_metadata["by_shard"].value
    metadata = result.asset_materializations_for_node("pmt_score")[0].metadata
    assert metadata["scored_in"].value == f"{len(planned)} province shards (welfare/score_shards)"
    assert published() == national
    # the shard files are build outputs: gone after the merge
    assert not list((Path(built.database_file).parent / ".dtsen_shards").glob("*"))
