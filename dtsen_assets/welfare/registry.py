"""Which PMT is published: `welfare.pmt_model` (one row per published version) and its evaluation.

The artifact itself is `<model store>/<model_version>.joblib`. A model becomes current only
when the `welfare/pmt_model` asset publishes these tables, after its blocking checks passed; a
refused model never does, so scoring always applies a model that passed the gate.

The store is addressed by content: model_version hashes the survey, the settings and the model code,
so an artifact of the version a warehouse would train is that training's result, whichever warehouse
wrote it (`stored_model`); it carries its evaluation, from which these tables are staged again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dtsen_assets.platform.sql import scalar
from dtsen_assets.warehouse import table_exists
from dtsen_assets.welfare.metrics import QUOTAS
from dtsen_assets.welfare.models import GateResult, PmtModel, TrainingResult, load_model
from dtsen_assets.welfare.variables import FULL_TIER, TIERS
from dtsen_assets.welfare.regions import load_regions

REGISTRY_TABLE = "welfare.pmt_model"
EVALUATION_TABLE = "welfare.pmt_evaluation"


def stage_registry(connection: duckdb.DuckDBPyConnection, result: TrainingResult, artifact_file: str,
                   staged_registry: str, staged_evaluation: str) -> None:
    model = result.model
    card = model.card
    chosen_cv = result.cv_metrics[model.chosen.name]
    row = pd.DataFrame([{
        "model_version": model.model_version,
        "model": model.chosen.name,
        "selected_by_cv": result.gate.selected,
        "fallback_to_baseline": result.gate.fallback_to_baseline,
        "artifact_file": artifact_file,
        "trained_at": _utc_naive(card["trained_at"]),
        "training_households": int(card["training_households"]),
        "cv_r2": chosen_cv["r2"],
        "cv_exclusion_error_desil_1_4": chosen_cv["desil_1_4"]["exclusion_error"],
        "cv_exclusion_error_desil_1": chosen_cv["desil_1"]["exclusion_error"],
        "held_out_exclusion_error_desil_1_4": result.gate.chosen_metrics["desil_1_4"]["exclusion_error"],
        "baseline_held_out_exclusion_error_desil_1_4": result.gate.baseline_metrics["desil_1_4"]["exclusion_error"],
        "card_json": json.dumps(card, sort_keys=True, default=str),
        "is_current": True,
    }])
    connection.register("welfare_registry_row", row)
    try:
        if table_exists(connection, REGISTRY_TABLE):
            connection.execute(f"""
                CREATE OR REPLACE TABLE {staged_registry} AS
                SELECT * REPLACE (false AS is_current) FROM {REGISTRY_TABLE}
                WHERE model_version <> (SELECT model_version FROM welfare_registry_row)
                UNION ALL BY NAME SELECT * FROM welfare_registry_row
                ORDER BY trained_at, model_version
            """)
        else:
            connection.execute(f"CREATE OR REPLACE TABLE {staged_registry} AS SELECT * FROM welfare_registry_row")
    finally:
        connection.unregister("welfare_registry_row")

    evaluation = evaluation_frame(result, load_regions(connection).province_name)
    connection.register("welfare_evaluation_rows", evaluation)
    try:
        if table_exists(connection, EVALUATION_TABLE):
            connection.execute(f"""
                CREATE OR REPLACE TABLE {staged_evaluation} AS
                SELECT * FROM {EVALUATION_TABLE}
                WHERE model_version <> (SELECT first(model_version) FROM welfare_evaluation_rows)
                UNION ALL BY NAME SELECT * FROM welfare_evaluation_rows
            """)
        else:
            connection.execute(f"CREATE OR REPLACE TABLE {staged_evaluation} AS SELECT * FROM welfare_evaluation_rows")
    finally:
        connection.unregister("welfare_evaluation_rows")


def _utc_naive(text: str) -> pd.Timestamp:
    stamp = pd.Timestamp(text)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def evaluation_frame(result: TrainingResult, provinces: dict[str, str]) -> pd.DataFrame:
    """Long table: model_version, model, evaluation, kuota, kode_prov (NULL = national), errors, R².

    `provinces`: province code -> name, from staging.wilayah."""
    version = result.model.model_version
    rows = []
    sets = [("cv", name, metrics) for name, metrics in result.cv_metrics.items()]
    sets += [("held_out_nested", "published_procedure", result.gate.chosen_metrics),
             ("held_out_nested", "ols_baseline", result.gate.baseline_metrics)]
    for evaluation, name, metrics in sets:
        for quota in QUOTAS:
            errors = metrics[quota]
            rows.append(_row(version, name, evaluation, quota, None, None, errors, metrics["r2"]))
            for province, group in sorted((errors.get("by_group") or {}).items()):
                rows.append(_row(version, name, evaluation, quota, province, provinces.get(province), group, None))
    return pd.DataFrame(rows)


def _row(version, name, evaluation, quota, province, province_name, errors, r2) -> dict:
    return {"model_version": version, "model": name, "evaluation": evaluation, "kuota": quota,
            "kode_prov": province, "nama_provinsi": province_name,
            "exclusion_error": errors["exclusion_error"], "inclusion_error": errors["inclusion_error"],
            "r2": r2, "survey_households": errors["units"], "poor_persons_represented": errors["poor_persons"]}


@dataclass(frozen=True)
class Registration:
    """The current row of the registry: which model is published, where its artifact is, its card."""

    model_version: str
    model: str
    artifact_file: str
    card: dict


def current_registration(connection: duckdb.DuckDBPyConnection) -> Registration | None:
    """The current published model's registry row, or None when nothing is published yet."""
    schema, name = REGISTRY_TABLE.split(".")
    # fetchall, not table_exists' fetchone: a result left unfinished blocks the connection's next register()
    if not connection.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = "
                              "current_database() AND table_schema = ? AND table_name = ?",
                              [schema, name]).fetchall()[0][0]:
        return None
    rows = connection.execute(f"SELECT model_version, model, artifact_file, card_json FROM {REGISTRY_TABLE} "
                              "WHERE is_current ORDER BY trained_at DESC LIMIT 1").fetchall()
    if not rows:
        return None
    row = rows[0]
    return Registration(row[0], row[1], row[2], json.loads(row[3]) if row[3] else {})


# What the registry row, the evaluation table and the asset's metadata read from a model's card.
CARD_FIELDS = ("model_version", "chosen", "trained_at", "training_households", "training_persons_represented",
               "features", "cv", "held_out_gate")


def stored_model(directory: Path, version: str) -> tuple[PmtModel | None, str]:
    """(the model, "") when `<directory>/<version>.joblib` holds a complete model of that version,
    else (None, why not): it must load, carry its version, a complete card, the evaluation the registry
    tables are staged from, and a model for every data tier."""
    path = directory / f"{version}.joblib"
    if not path.is_file():
        return None, ""
    try:
        model = load_model(path)
    except Exception as error:          # a truncated or foreign file is a reason to train, not to fail
        return None, f"the model store's {path.name} cannot be read ({type(error).__name__})"
    card, evaluation = model.card or {}, getattr(model, "evaluation", None) or {}
    missing = [name for name in CARD_FIELDS if name not in card]
    gate = evaluation.get("gate")
    if model.model_version != version or card.get("model_version") != version:
        return None, f"the model store's {path.name} holds model {model.model_version}, not {version}"
    if missing or card["chosen"] != model.chosen.name:
        return None, f"the model store's {path.name} has an incomplete model card (missing {', '.join(missing)})"
    if (not isinstance(gate, GateResult) or model.chosen.name not in evaluation.get("cv_metrics", {})
            or set(evaluation.get("tier_metrics", {})) != set(TIERS) - {FULL_TIER}
            or set(model.tier_models) != set(TIERS) - {FULL_TIER}):
        return None, f"the model store's {path.name} lacks the evaluation or tier models a registration needs"
    return model, ""


class NoPublishedModel(RuntimeError):
    """No PMT has been published yet, or its artifact is gone."""


def current_model(connection: duckdb.DuckDBPyConnection, directory: Path) -> PmtModel:
    if not table_exists(connection, REGISTRY_TABLE):
        raise NoPublishedModel("no PMT has been published yet: materialize welfare/pmt_model first")
    artifact = scalar(connection, f"SELECT artifact_file FROM {REGISTRY_TABLE} WHERE is_current")
    if artifact is None:
        raise NoPublishedModel(f"{REGISTRY_TABLE} has no current model: materialize welfare/pmt_model")
    path = directory / artifact
    if not path.is_file():
        raise NoPublishedModel(f"the published model's artifact {path} is missing (models are build outputs next "
                               "to the warehouse file): materialize welfare/pmt_model again")
    return load_model(path)


def model_of_scores(connection: duckdb.DuckDBPyConnection, directory: Path, scores_table: str) -> PmtModel:
    """The model that produced `scores_table` (one model_version), so explanations match the scores."""
    versions = [r[0] for r in connection.execute(f"SELECT DISTINCT model_version FROM {scores_table}").fetchall()]
    if len(versions) != 1:
        raise NoPublishedModel(f"{scores_table} holds {len(versions)} model versions; materialize welfare/pmt_score")
    path = directory / f"{versions[0]}.joblib"
    if not path.is_file():
        raise NoPublishedModel(f"the artifact {path} of the model that scored {scores_table} is missing: "
                               "materialize welfare/pmt_model and welfare/pmt_score again")
    return load_model(path)
