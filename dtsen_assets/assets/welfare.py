"""Welfare: a PMT trained on SUSENAS, a score and a national desil for every DTSEN family.

    staging.susenas_household ──> welfare/pmt_model ──┐
    dtsen.family ─────────────────────────────────────┴─> welfare/pmt_score + welfare/belum_terdata
        welfare/pmt_score ──> welfare/decile ──> welfare/desil_kabupaten
        welfare/pmt_score ──> welfare/explanation

Each asset is a thin wrapper: the work is done by plain functions in `dtsen_assets.welfare`, each
table is built under `<table>__staging`, checked (`dtsen_assets.checks.welfare`), and only then
published in one transaction. A blocking failure leaves the published tables as they were.
"""

import json

import dagster as dg
import pandas as pd
from pydantic import Field

from dtsen_assets.assets.constants import OWNER
from dtsen_assets.checks import welfare as checks
from dtsen_assets.checks.core import audit_then_publish, raise_if_blocking_failed
from dtsen_assets.column_docs import column_lineage
from dtsen_assets.pii import markdown_frame, mask_frame
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.warehouse import column_schema, publish, row_count, staging_table
from dtsen_assets.welfare.deciles import stage_cut_points, stage_decile, stage_desil_kabupaten
from dtsen_assets.welfare.explain import ExplanationSettings, stage_explanations
from dtsen_assets.welfare.features import feature_query
from dtsen_assets.welfare.metrics import QUOTAS
from dtsen_assets.welfare.models import (
    BASELINE,
    CANDIDATES,
    MODEL_CODE_VERSION,
    TrainingSettings,
    models_dir,
    planned_model_version,
    save_model,
    train_pmt,
    training_set,
)
from dtsen_assets.welfare.registry import (
    EVALUATION_TABLE,
    REGISTRY_TABLE,
    Registration,
    current_model,
    current_registration,
    model_of_scores,
    stage_registry,
)
from dtsen_assets.welfare.scoring import Eligibility, score_families

SUSENAS_HOUSEHOLD = dg.AssetKey(["staging", "susenas_household"])
DTSEN_FAMILY = dg.AssetKey(["dtsen", "family"])
PMT_MODEL = dg.AssetKey(["welfare", "pmt_model"])
PMT_SCORE = dg.AssetKey(["welfare", "pmt_score"])
BELUM_TERDATA = dg.AssetKey(["welfare", "belum_terdata"])
DECILE = dg.AssetKey(["welfare", "decile"])
EXPLANATION = dg.AssetKey(["welfare", "explanation"])
DESIL_KABUPATEN = dg.AssetKey(["welfare", "desil_kabupaten"])

SURVEY_TABLE = "staging.susenas_household"
FAMILY_TABLE = "dtsen.family"
SCORE_TABLE = "welfare.pmt_score"
SCORE_DETAIL_TABLE = "welfare.pmt_score_detail"
BELUM_TABLE = "welfare.belum_terdata"
DECILE_TABLE = "welfare.decile"
CUT_POINT_TABLE = "welfare.desil_batas"
EXPLANATION_TABLE = "welfare.explanation"
DESIL_KABUPATEN_TABLE = "welfare.desil_kabupaten"
GROUP = "welfare"

_DEFAULTS = TrainingSettings()
_ELIGIBILITY = Eligibility()
_EXPLAIN = ExplanationSettings()


# ----------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------

class PmtModelConfig(dg.Config):
    """How the PMT is fitted, chosen and gated. Every value is hashed into model_version."""

    candidates: list[str] = Field(default=list(_DEFAULTS.candidates), description=(
        f"PMT candidates to compare, from {list(CANDIDATES)}; {BASELINE} is always measured as the baseline, and "
        "published instead of the selection when the selection is not better on held-out households."))
    cv_folds: int = Field(default=_DEFAULTS.cv_folds, description="Cross-validation folds (also the outer folds of "
                          "the nested cross-validation of the publish gate).")
    cv_repeats: int = Field(default=_DEFAULTS.cv_repeats, description="Seeded repetitions of the cross-validation "
                            "used to choose the candidate; metrics are averaged over them.")
    seed: int = Field(default=_DEFAULTS.seed, description="Seed of every fold split and of gradient boosting.")
    ridge_alphas: list[float] = Field(default=list(_DEFAULTS.ridge_alphas), description=(
        "Ridge penalties tried; the one with the lowest weighted leave-one-out error is used."))
    region_penalty_ratios: list[float] = Field(default=list(_DEFAULTS.region_penalty_ratios), description=(
        "ridge_shrunk: penalties of the regional terms (regency/province effects, provincial slopes) relative to the "
        "attributes' penalty, tried by GCV; large = regional coefficients shrunk harder toward the national ones."))
    gbm_max_iter: int = Field(default=_DEFAULTS.gbm_max_iter, description="Boosting iterations (gbm).")
    gbm_learning_rate: float = Field(default=_DEFAULTS.gbm_learning_rate, description="Learning rate (gbm).")
    gbm_max_depth: int = Field(default=_DEFAULTS.gbm_max_depth, description="Tree depth (gbm); shallow for a small survey.")
    gbm_min_samples_leaf: int = Field(default=_DEFAULTS.gbm_min_samples_leaf, description="Minimum households per leaf (gbm).")
    gbm_l2_regularization: float = Field(default=_DEFAULTS.gbm_l2_regularization, description="L2 penalty on leaf values (gbm).")
    selection_quota: str = Field(default=_DEFAULTS.selection_quota, description=(
        f"Quota whose cross-validated exclusion error chooses the model and gates it: one of {list(QUOTAS)}."))
    gate_tolerance_pp: float = Field(default=_DEFAULTS.gate_tolerance_pp, description=(
        "How many percentage points of held-out exclusion error the published procedure may exceed the baseline by (0: none)."))
    min_households: int = Field(default=_DEFAULTS.min_households, description="Fewest usable survey households to train on.")
    ols_min_households: int = Field(default=_DEFAULTS.ols_min_households, description=(
        "OLS baseline: an indicator seen in fewer survey households is merged into its reference."))

    def settings(self) -> TrainingSettings:
        return TrainingSettings(
            candidates=tuple(self.candidates), cv_folds=self.cv_folds, cv_repeats=self.cv_repeats, seed=self.seed,
            ridge_alphas=tuple(self.ridge_alphas), region_penalty_ratios=tuple(self.region_penalty_ratios),
            gbm_max_iter=self.gbm_max_iter,
            gbm_learning_rate=self.gbm_learning_rate, gbm_max_depth=self.gbm_max_depth,
            gbm_min_samples_leaf=self.gbm_min_samples_leaf, gbm_l2_regularization=self.gbm_l2_regularization,
            selection_quota=self.selection_quota, gate_tolerance_pp=self.gate_tolerance_pp,
            min_households=self.min_households, ols_min_households=self.ols_min_households,
        )


class PmtScoreConfig(dg.Config):
    batch_rows: int = Field(default=100_000, description="Families read from DuckDB, scored and written back per batch.")
    min_known_share: float = Field(default=_ELIGIBILITY.min_known_share, description=(
        "A family is scored by the richest data tier (all variables; housing and five main assets; the eight core "
        "housing variables) of which at least this share of dwelling/possession variables is known; below that "
        "even for the core housing it is listed as belum terdata."))
    belum_terdata_warn_share: float = Field(default=0.05, description="Warn when a larger share of families cannot be scored.")


class DecileConfig(dg.Config):
    tolerance_pp: float = Field(default=0.5, description="Each desil must hold 10% of active persons within this many pp.")


class ExplanationConfig(dg.Config):
    factors_per_direction: int = Field(default=_EXPLAIN.factors_per_direction, description=(
        "At most this many factors raising, and this many lowering, a family's predicted welfare."))
    min_effect_percent: float = Field(default=_EXPLAIN.min_effect_percent, description=(
        "Factors moving the prediction by less than this percentage are not listed."))
    batch_rows: int = Field(default=100_000, description="Families explained per batch.")


# ----------------------------------------------------------------------------------------------
# Metadata helpers (personal columns masked; family_id is a salted hash, shown so a row can be
# followed with `python -m dtsen_assets.explain --family-id`)
# ----------------------------------------------------------------------------------------------

def _masked_preview(connection, table: str, limit: int = 5, order: str | None = None) -> str:
    frame = connection.execute(f"SELECT * FROM {table} {('ORDER BY ' + order) if order else ''} LIMIT {int(limit)}").df()
    return markdown_frame(mask_frame(frame)).to_markdown(index=False, floatfmt=".4g")


def _table_metadata(connection, table: str, order: str | None = None) -> dict:
    metadata = {
        "table": dg.MetadataValue.text(table),
        "dagster/row_count": dg.MetadataValue.int(row_count(connection, table)),
        "dagster/column_schema": column_schema(connection, table),
        "preview": dg.MetadataValue.md(_masked_preview(connection, table, order=order)),
    }
    lineage = column_lineage(table)
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    return metadata


def _percent(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:.1f}%"


def _metrics_markdown(rows: dict[str, dict]) -> str:
    frame = pd.DataFrame([
        {"model": name, "R²": round(m["r2"], 3),
         **{f"{kind} {quota}": _percent(m[quota][f"{kind}_error"]) for quota in QUOTAS for kind in ("exclusion", "inclusion")}}
        for name, m in rows.items()
    ])
    return frame.to_markdown(index=False)


def _province_markdown(result) -> str:
    from dtsen_assets.welfare.regions import load_regions
    names = load_regions().province_name
    chosen = result.gate.chosen_metrics
    baseline = result.gate.baseline_metrics
    rows = []
    for province, errors in sorted(chosen["desil_1_4"]["by_group"].items()):
        rows.append({
            "provinsi": f"{province} {names.get(province, '')}".strip(),
            "survey households": errors["units"],
            "exclusion desil 1-4": _percent(errors["exclusion_error"]),
            "inclusion desil 1-4": _percent(errors["inclusion_error"]),
            "exclusion desil 1": _percent(chosen["desil_1"]["by_group"][province]["exclusion_error"]),
            "inclusion desil 1": _percent(chosen["desil_1"]["by_group"][province]["inclusion_error"]),
            "baseline exclusion desil 1-4": _percent(baseline["desil_1_4"]["by_group"][province]["exclusion_error"]),
        })
    return pd.DataFrame(rows).to_markdown(index=False) if rows else "no provinces"


# ----------------------------------------------------------------------------------------------
# welfare/pmt_model
# ----------------------------------------------------------------------------------------------

def _model_metadata(card: dict, path, training: str, reason: str) -> dict:
    """What the UI shows of the published PMT, from its card (the same for a trained and a reused model)."""
    chosen = card["chosen"]
    cv = card.get("cv", {})
    gate = card.get("held_out_gate", {})
    chosen_cv = cv.get(chosen, {})
    metadata = {
        "model_version": card["model_version"],
        "chosen_model": chosen,
        "published_model": chosen,
        "selected_by_cv": card.get("selected_by_cv", chosen),
        "fallback_to_baseline": bool(card.get("fallback_to_baseline", False)),
        "publication": card.get("publication", ""),
        "training": training,
        "training_reason": reason,
        "chosen_params": json.dumps(card.get("chosen_params", {})),
        "artifact": dg.MetadataValue.path(str(path)),
        "training_households": card["training_households"],
        "training_persons_represented": card["training_persons_represented"],
        "trained_at": card["trained_at"],
        "features": ", ".join(card["features"]["variables"]),
        "model_card": dg.MetadataValue.json(card),
    }
    if chosen_cv:
        metadata.update({
            "cv_exclusion_error_desil_1_4": chosen_cv["desil_1_4"]["exclusion_error"],
            "cv_exclusion_error_desil_1": chosen_cv["desil_1"]["exclusion_error"],
            "cv_r2": chosen_cv["r2"],
        })
    if cv:
        metadata["candidates_cross_validated"] = dg.MetadataValue.md(_metrics_markdown(cv))
    if "published_procedure" in gate:
        metadata["held_out_nested_cv"] = dg.MetadataValue.md(_metrics_markdown({
            "selection procedure": gate["published_procedure"], BASELINE: gate["baseline"]}))
    tiers = card.get("data_tiers", {})
    if tiers:
        metadata["data_tiers_cross_validated"] = dg.MetadataValue.md(_metrics_markdown(
            {f"{chosen} on tier {tier}": t["cv_of_chosen_kind"] for tier, t in tiers.items()}))
    return metadata


def training_decision(version: str, current: Registration | None, directory) -> tuple[str, str]:
    """("reused" | "trained", why): reuse the current model only when training would give the same
    version (survey, settings and model code unchanged) and its artifact is on disk."""
    if current is None:
        return "trained", "no PMT published yet"
    if current.model_version != version:
        return "trained", (f"the survey, the training settings or the model code changed since "
                           f"{current.model_version}: training {version}")
    if not (directory / current.artifact_file).is_file():
        return "trained", (f"the artifact {current.artifact_file} of the current model {version} is missing under "
                           f"{directory} (warehouse copied without its models/ folder?): recreating it by training")
    return "reused", (f"survey, training settings and model code unchanged since {version} was trained: "
                      "the current model is reused")


@dg.asset(
    key=PMT_MODEL,
    deps=[SUSENAS_HOUSEHOLD],
    description=(
        "The proxy means test (PMT): predicts a family's per-capita consumption (pengeluaran per kapita) from what "
        "a registry records about it. Trained on the SUSENAS sample (staging.susenas_household), the only place "
        "consumption is measured. Candidates (by default few, well-regularized and monotone: the monotone ridge, "
        "the monotone ridge with regional coefficients shrunk toward the national ones, and their average) are "
        "compared by weighted cross-validated exclusion error; the selection is published when it excludes no "
        "more of the poor than the conventional OLS PMT on held-out households, and otherwise the OLS baseline is "
        "published: a valid survey always gets a model. Retrained only when the survey, the settings or the model "
        "code changed (or its artifact is missing); otherwise the current model is reused. "
        f"Artifact: <warehouse dir>/models/<model_version>.joblib; registry {REGISTRY_TABLE}, metrics {EVALUATION_TABLE}."
    ),
    group_name=GROUP,
    kinds={"scikit-learn", "duckdb"},
    owners=[OWNER],
    code_version=f"welfare-pmt-model-2+{MODEL_CODE_VERSION}",
    check_specs=checks.specs(PMT_MODEL, checks.PMT_MODEL_CHECKS),
    tags={"layer": "welfare"},
)
def pmt_model(context: dg.AssetExecutionContext, config: PmtModelConfig, warehouse: DuckDBWarehouse):
    settings = config.settings()
    tables = [REGISTRY_TABLE, EVALUATION_TABLE]
    directory = models_dir(warehouse.database_path)
    with warehouse.connect() as connection:
        query = feature_query(connection, SURVEY_TABLE, "id_rt")
        survey = connection.execute(query.sql).df()
        data = training_set(survey)
        outcomes = [checks.check_survey_households(data, settings),
                    checks.check_survey_variables(query.missing_columns)]
        if not outcomes[0].passed:
            for outcome in outcomes:
                yield outcome.to_result(PMT_MODEL)
            raise_if_blocking_failed("welfare/pmt_model", outcomes)
        version = planned_model_version(survey, settings)
        current = current_registration(connection)
        training, reason = training_decision(version, current, directory)
        context.log.info(f"PMT {version}: {training} ({reason})")
        if training == "reused":
            outcomes.insert(1, checks.check_gate_of_reused_model(current.card))
            for outcome in outcomes:
                yield outcome.to_result(PMT_MODEL)
            raise_if_blocking_failed(f"welfare/pmt_model ({version}, reused)", outcomes)
            card, path, extra = current.card, directory / current.artifact_file, {}
        else:
            context.log.info(f"training on {len(data.frame)} survey households: {', '.join(settings.candidates)}")
            result = train_pmt(survey, settings)
            model = result.model
            gate = result.gate
            if gate.fallback_to_baseline:
                context.log.warning(f"publishing the OLS baseline ({BASELINE}) instead of {gate.selected}: {gate.summary}")
            else:
                context.log.info(f"gate: {gate.summary}")
            outcomes.insert(1, checks.check_gate(gate))
            for outcome in outcomes:
                yield outcome.to_result(PMT_MODEL)
            raise_if_blocking_failed(f"welfare/pmt_model ({model.model_version}, {model.chosen.name})", outcomes)
            path = save_model(model, directory)
            stage_registry(connection, result, path.name, staging_table(REGISTRY_TABLE),
                           staging_table(EVALUATION_TABLE))
            publish(connection, tables)
            context.log.info(f"published PMT {model.model_version} ({model.chosen.name}) -> {path}")
            card = model.card
            extra = {"held_out_by_province": dg.MetadataValue.md(_province_markdown(result))}
    yield dg.MaterializeResult(
        asset_key=PMT_MODEL,
        metadata={**_model_metadata(card, path, training, reason), **extra},
        data_version=dg.DataVersion(card["model_version"]),
    )


# ----------------------------------------------------------------------------------------------
# welfare/pmt_score + welfare/belum_terdata
# ----------------------------------------------------------------------------------------------

@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PMT_SCORE, deps=[PMT_MODEL, DTSEN_FAMILY], group_name=GROUP, kinds={"duckdb"}, owners=[OWNER],
            code_version="welfare-pmt-score-1", tags={"layer": "welfare"},
            description=(
                "welfare.pmt_score: one row per scored DTSEN family — family_id, pengeluaran_kapita_pmt (predicted "
                "Rupiah per person per month by the published PMT), model_version. Features come from the same "
                "feature builder as training; dtsen.family is streamed through the model in batches. Beside it, "
                f"{SCORE_DETAIL_TABLE}: the data tier that scored each family and how many values were filled in."),
        ),
        dg.AssetSpec(
            BELUM_TERDATA, deps=[PMT_MODEL, DTSEN_FAMILY], group_name=GROUP, kinds={"duckdb"}, owners=[OWNER],
            code_version="welfare-pmt-score-1", tags={"layer": "welfare"},
            description=(
                "welfare.belum_terdata: DTSEN families that cannot be scored, each with its reason (alasan: "
                "tanpa_anggota_aktif, keluarga_dikarantina, wilayah_tidak_valid, data_rumah_kurang) and an explanation (keterangan) a "
                "village officer can act on: what to collect at the next verifikasi dan validasi."),
        ),
    ],
    check_specs=checks.specs(PMT_SCORE, checks.PMT_SCORE_CHECKS),
    can_subset=False,
)
def pmt_score(context: dg.AssetExecutionContext, config: PmtScoreConfig, warehouse: DuckDBWarehouse):
    eligibility = Eligibility(config.min_known_share)
    tables = [SCORE_TABLE, SCORE_DETAIL_TABLE, BELUM_TABLE]
    with warehouse.connect() as connection:
        model = current_model(connection, models_dir(warehouse.database_path))
        result = score_families(connection, model, staging_table(SCORE_TABLE), staging_table(BELUM_TABLE), eligibility,
                                FAMILY_TABLE, config.batch_rows, log=context.log.debug,
                                detail_table=staging_table(SCORE_DETAIL_TABLE))
        context.log.info(f"scored {result.scored:,} families in {result.seconds:.1f} s; "
                         f"{result.belum_terdata:,} belum terdata")
        outcomes = checks.pmt_score_outcomes(connection, staging_table(SCORE_TABLE), staging_table(BELUM_TABLE),
                                             FAMILY_TABLE, model.model_version, config.belum_terdata_warn_share)
        yield from audit_then_publish(connection, PMT_SCORE, "welfare/pmt_score", outcomes, tables)
        score_metadata = _table_metadata(connection, SCORE_TABLE, order="family_id")
        belum_metadata = _table_metadata(connection, BELUM_TABLE, order="family_id")
        reasons = connection.execute(f"SELECT alasan, count(*) FROM {BELUM_TABLE} GROUP BY 1 ORDER BY 2 DESC").fetchall()
    yield dg.MaterializeResult(asset_key=PMT_SCORE, metadata={
        **score_metadata, "model_version": model.model_version, "model": model.chosen.name,
        "scoring_seconds": round(result.seconds, 2), "batches": result.batches,
        **{f"scored_by_tier_{tier}": count for tier, count in sorted(result.by_tier.items())},
        "family_variables_missing": ", ".join(result.missing_columns) or "none",
    })
    yield dg.MaterializeResult(asset_key=BELUM_TERDATA, metadata={
        **belum_metadata, **{f"alasan_{r}": int(n) for r, n in reasons},
    })


# ----------------------------------------------------------------------------------------------
# welfare/decile
# ----------------------------------------------------------------------------------------------

@dg.asset(
    key=DECILE,
    deps=[PMT_SCORE, DTSEN_FAMILY],
    description=(
        "welfare.decile: the national desil (1-10) and persentil (0-100] of every scored family, the way BPS ranks "
        "DTSEN: families ranked by predicted per-capita consumption and weighted by their active members, so each "
        "desil holds a tenth of people, not of families (a family straddling a cut goes where the middle of its "
        f"members falls; tied scores share a desil). Cut points in Rupiah: {CUT_POINT_TABLE}."),
    group_name=GROUP,
    kinds={"duckdb"},
    owners=[OWNER],
    code_version="welfare-decile-1",
    check_specs=checks.specs(DECILE, checks.DECILE_CHECKS),
    tags={"layer": "welfare"},
)
def decile(context: dg.AssetExecutionContext, config: DecileConfig, warehouse: DuckDBWarehouse):
    tables = [DECILE_TABLE, CUT_POINT_TABLE]
    with warehouse.connect() as connection:
        stage_decile(connection, SCORE_TABLE, FAMILY_TABLE, staging_table(DECILE_TABLE))
        cut_points = stage_cut_points(connection, staging_table(DECILE_TABLE), SCORE_TABLE, FAMILY_TABLE,
                                      staging_table(CUT_POINT_TABLE))
        outcomes = checks.decile_outcomes(connection, staging_table(DECILE_TABLE), SCORE_TABLE, FAMILY_TABLE,
                                          config.tolerance_pp)
        yield from audit_then_publish(connection, DECILE, "welfare/decile", outcomes, tables)
        metadata = _table_metadata(connection, DECILE_TABLE, order="family_id")
    shown = cut_points.rename(columns={"pengeluaran_kapita_pmt_min": "Rp/orang/bulan dari",
                                       "pengeluaran_kapita_pmt_maks": "sampai (batas atas)"})
    yield dg.MaterializeResult(metadata={
        **metadata,
        "cut_points": dg.MetadataValue.md(shown.to_markdown(index=False, floatfmt=",.2f")),
        "largest_share_deviation_pp": round(float((cut_points["persen_jiwa"] - 10.0).abs().max()), 4),
    })


# ----------------------------------------------------------------------------------------------
# welfare/explanation
# ----------------------------------------------------------------------------------------------

@dg.asset(
    key=EXPLANATION,
    deps=[PMT_SCORE, PMT_MODEL, DTSEN_FAMILY],
    description=(
        "welfare.explanation: for each scored family, the recorded facts that moved its predicted welfare most "
        "above (menaikkan) or below (menurunkan) a typical family of its kabupaten/kota, with the effect in percent "
        "and a sentence a village officer can read out when the family objects (sanggahan). Exact for linear "
        "models: the factors add up to the difference from the typical family."),
    group_name=GROUP,
    kinds={"duckdb"},
    owners=[OWNER],
    code_version="welfare-explanation-1",
    check_specs=checks.specs(EXPLANATION, checks.EXPLANATION_CHECKS),
    tags={"layer": "welfare"},
)
def explanation(context: dg.AssetExecutionContext, config: ExplanationConfig, warehouse: DuckDBWarehouse):
    settings = ExplanationSettings(config.factors_per_direction, config.min_effect_percent)
    tables = [EXPLANATION_TABLE]
    with warehouse.connect() as connection:
        model = model_of_scores(connection, models_dir(warehouse.database_path), SCORE_TABLE)
        result = stage_explanations(connection, model, SCORE_TABLE, staging_table(EXPLANATION_TABLE), settings,
                                    FAMILY_TABLE, config.batch_rows, log=context.log.debug,
                                    detail_table=SCORE_DETAIL_TABLE)
        outcomes = checks.explanation_outcomes(connection, staging_table(EXPLANATION_TABLE), SCORE_TABLE,
                                               model.model_version)
        yield from audit_then_publish(connection, EXPLANATION, "welfare/explanation", outcomes, tables)
        metadata = _table_metadata(connection, EXPLANATION_TABLE, order="family_id, peringkat")
        sample = connection.execute(f"""
            SELECT family_id, peringkat, arah, dampak_persen, penjelasan FROM {EXPLANATION_TABLE}
            WHERE family_id IN (SELECT family_id FROM {EXPLANATION_TABLE} GROUP BY family_id
                                ORDER BY hash(family_id) LIMIT 3)
            ORDER BY hash(family_id), peringkat
        """).df()
    yield dg.MaterializeResult(metadata={
        **metadata,
        "masked_sample": dg.MetadataValue.md(markdown_frame(sample).to_markdown(index=False)),
        "families_explained": result.families - result.families_without_factor,
        "families_without_factor": result.families_without_factor,
        "model_version": model.model_version,
    })


# ----------------------------------------------------------------------------------------------
# welfare/desil_kabupaten
# ----------------------------------------------------------------------------------------------

@dg.asset(
    key=DESIL_KABUPATEN,
    deps=[DECILE, DTSEN_FAMILY],
    description=(
        "welfare.desil_kabupaten: persons and families per national desil in each kabupaten/kota, the table Dinas "
        "Sosial publish (all ten desil for every regency, zero where none; shares of the regency's persons)."),
    group_name=GROUP,
    kinds={"duckdb"},
    owners=[OWNER],
    code_version="welfare-desil-kabupaten-1",
    check_specs=checks.specs(DESIL_KABUPATEN, checks.DESIL_KABUPATEN_CHECKS),
    tags={"layer": "welfare"},
)
def desil_kabupaten(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse):
    tables = [DESIL_KABUPATEN_TABLE]
    with warehouse.connect() as connection:
        stage_desil_kabupaten(connection, DECILE_TABLE, FAMILY_TABLE, staging_table(DESIL_KABUPATEN_TABLE))
        outcomes = checks.desil_kabupaten_outcomes(connection, staging_table(DESIL_KABUPATEN_TABLE), DECILE_TABLE,
                                                   FAMILY_TABLE)
        yield from audit_then_publish(connection, DESIL_KABUPATEN, "welfare/desil_kabupaten", outcomes, tables)
        metadata = _table_metadata(connection, DESIL_KABUPATEN_TABLE, order="kode_kab, desil")
        regencies = connection.execute(f"SELECT count(DISTINCT kode_kab) FROM {DESIL_KABUPATEN_TABLE}").fetchall()[0][0]
    yield dg.MaterializeResult(metadata={**metadata, "kabupaten_kota": int(regencies)})


welfare_assets = [pmt_model, pmt_score, decile, explanation, desil_kabupaten]
