"""The unify multi-asset in Dagster: checks as AssetCheckResults, publication, masked metadata."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from dtsen_assets.assets.constants import OWNER
from dtsen_assets.assets.unify import (
    FAMILY_KARANTINA_KEY, FAMILY_KEY, FAMILY_VALUE_SOURCE_KEY, LINKAGE_MODEL_KEY, MATCH_EVIDENCE_KEY, PERSON_KEY,
    PERSON_SOURCE_KEY, PERSON_VALUE_SOURCE_KEY, VERIVALI_OUTCOME_KEY, unify_assets,
)
from dtsen_assets.resources import DuckDBWarehouse
from tests.unify.world import NIK, tricky_world

RUN_CONFIG = {"ops": {"unify_registries": {"config": {
    "as_of_date": "2025-12-31", "max_tidak_padan_share": 0.5, "max_unknown_code_share": 0.6}}}}


def _warehouse(tmp_path: Path) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(database_path=str(tmp_path / "w.duckdb"))
    with warehouse.connect() as connection:
        tricky_world().write(connection)
    return warehouse


def _metadata_text(result: dg.ExecuteInProcessResult) -> str:
    parts = []
    for event in result.get_asset_materialization_events():
        parts += [str(getattr(v, "value", v)) for v in event.materialization.metadata.values()]
    for evaluation in result.get_asset_check_evaluations():
        parts += [str(getattr(v, "value", v)) for v in evaluation.metadata.values()]
    return "\n".join(parts)


def test_asset_definition() -> None:
    (asset,) = unify_assets
    assert set(asset.keys) == {PERSON_KEY, PERSON_SOURCE_KEY, FAMILY_KEY, VERIVALI_OUTCOME_KEY, LINKAGE_MODEL_KEY,
                              MATCH_EVIDENCE_KEY, PERSON_VALUE_SOURCE_KEY, FAMILY_VALUE_SOURCE_KEY,
                              FAMILY_KARANTINA_KEY}
    for key in asset.keys:
        spec = asset.specs_by_key[key]
        assert spec.group_name == "unify" and spec.owners == [OWNER] and "duckdb" in spec.kinds
        assert spec.description and spec.code_version
        assert dg.AssetKey(["staging", "person_record"]) in {dep.asset_key for dep in spec.deps}
    assert "splink" in asset.specs_by_key[PERSON_KEY].kinds
    checks = {spec.name for spec in asset.check_specs}
    assert {"person_id_unique", "every_record_once", "no_active_dead_person", "unknown_code_share",
            "tidak_padan_share", "family_has_active_member", "references_resolve", "family_plausible"} <= checks


def test_materialize_publishes_with_checks_and_masked_metadata(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    result = dg.materialize(unify_assets, resources={"warehouse": warehouse}, run_config=RUN_CONFIG)
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations and all(evaluations.values())
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == set(unify_assets[0].keys)
    person_metadata = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                           if e.asset_key == PERSON_SOURCE_KEY)
    assert person_metadata["dagster/row_count"].value == len(tricky_world().records)
    assert "match_methods" in person_metadata and "nik_correction_examples" in person_metadata
    model = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                 if e.asset_key == LINKAGE_MODEL_KEY)
    assert "| nik | exact |" in model["m_u_parameters"].value
    # No NIK, NO_KK, name or birth date in the clear anywhere in metadata.
    text = _metadata_text(result)
    for nik in NIK.values():
        assert nik not in text
    for secret in ("AHMAD SOLEH", "SITI AMINAH", "1978-03-12", "3204100101150001"):
        assert secret not in text
    with warehouse.connect(read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM dtsen.person").fetchone()[0] > 0


def test_blocking_failure_stops_the_run_and_keeps_the_previous_tables(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    assert dg.materialize(unify_assets, resources={"warehouse": warehouse}, run_config=RUN_CONFIG).success
    with warehouse.connect(read_only=True) as connection:
        before = connection.execute("SELECT count(*) FROM dtsen.person").fetchone()[0]
    strict = json.loads(json.dumps(RUN_CONFIG))
    strict["ops"]["unify_registries"]["config"]["max_tidak_padan_share"] = 0.0
    result = dg.materialize(unify_assets, resources={"warehouse": warehouse}, run_config=strict, raise_on_error=False)
    assert not result.success
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {"tidak_padan_share"}
    with warehouse.connect(read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM dtsen.person").fetchone()[0] == before
        staged = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%__staging'").fetchone()[0]
    assert staged == 0
