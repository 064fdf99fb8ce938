"""Welfare: a PMT trained on SUSENAS, a score and a national desil for every DTSEN family.

    staging.susenas_household ──> welfare/pmt_model ──┐
    dtsen.family ─────────────────────────────────────┴─> welfare/pmt_score + welfare/belum_terdata
                                                           + welfare/explanation (one scoring pass)
        welfare/pmt_score ──> welfare/decile ──> welfare/desil_kabupaten

Each asset is a thin wrapper that goes through the gate (`dtsen_assets.platform.gate`): plain
functions in `dtsen_assets.welfare` stage each table under `<table>__staging`, the checks of
`dtsen_assets.checks.welfare` judge it, and only then is it published in one transaction. A blocking
failure leaves the published tables as they were. Region names and codes come from the `staging/wilayah` asset
(the table staging.wilayah, read through the asset's connection: `welfare.regions.load_regions`).
"""

import contextlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP
from dtsen_assets.assets.unify_shards import plan_of_run, run_directory
from dtsen_assets.checks import welfare as checks
from dtsen_assets.pii import markdown_frame
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.platform.gate import check_specs, report, stage_check_publish
from dtsen_assets.platform.publish import table_metadata
from dtsen_assets.resources import DuckDBWarehouse, ModelStore
from dtsen_assets.warehouse import staging_table
from dtsen_assets.welfare.deciles import stage_cut_points, stage_decile, stage_desil_kabupaten
from dtsen_assets.welfare.explain import ExplanationSettings
from dtsen_assets.welfare.features import feature_query
from dtsen_assets.welfare.metrics import QUOTAS
from dtsen_assets.welfare.models import (
    BASELINE,
    CANDIDATES,
    TrainingSettings,
    planned_model_version,
    save_model,
    stored_result,
    survey_problem,
    train_pmt,
    training_set,
)
from dtsen_assets.welfare.regions import load_regions
from dtsen_assets.welfare.registry import (
    EVALUATION_TABLE,
    REGISTRY_TABLE,
    Registration,
    current_model,
    current_registration,
    stage_registry,
    stored_model,
)
from dtsen_assets.welfare import shards as score_shards
from dtsen_assets.welfare.scoring import (BELUM_TABLE, EXPLANATION_TABLE, SCORE_DETAIL_TABLE, SCORE_TABLE,
                                          Eligibility, score_families)

WELFARE_CODE_VERSION = code_version("welfare")

SUSENAS_HOUSEHOLD = dg.AssetKey(["staging", "susenas_household"])
WILAYAH = dg.AssetKey(["staging", "wilayah"])
DTSEN_FAMILY = dg.AssetKey(["dtsen", "family"])
PMT_MODEL = checks.PMT_MODEL
PMT_SCORE = checks.PMT_SCORE
BELUM_TERDATA = dg.AssetKey(["welfare", "belum_terdata"])
DECILE = checks.DECILE
EXPLANATION = checks.EXPLANATION
DESIL_KABUPATEN = checks.DESIL_KABUPATEN
# the scoring per province shard (job dtsen_build_provinces only: assets/welfare_shards.py)
SCORE_SHARDS = dg.AssetKey(["welfare", "score_shards"])

SURVEY_TABLE = "staging.susenas_household"
FAMILY_TABLE = "dtsen.family"
DECILE_TABLE = "welfare.decile"
CUT_POINT_TABLE = "welfare.desil_batas"
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
    batch_rows: int = Field(default=50_000, description=(
        "Families read from DuckDB, scored, explained and written back per batch (two batches at a time)."))
    min_known_share: float = Field(default=_ELIGIBILITY.min_known_share, description=(
        "A family is scored by the richest data tier (all variables; housing and five main assets; the eight core "
        "housing variables) of which at least this share of dwelling/possession variables is known; below that "
        "even for the core housing it is listed as belum terdata."))
    belum_terdata_warn_share: float = Field(default=0.05, description="Warn when a larger share of families cannot be scored.")
    factors_per_direction: int = Field(default=_EXPLAIN.factors_per_direction, description=(
        "Explanations: at most this many factors raising, and this many lowering, a family's predicted welfare."))
    min_effect_percent: float = Field(default=_EXPLAIN.min_effect_percent, description=(
        "Explanations: factors moving the prediction by less than this percentage are not listed."))
    min_coverage: float = Field(default=checks.DEFAULT_MIN_COVERAGE, description=(
        "Explanations, warning: smallest share of scored families with at least one factor in words."))

    def explanation(self) -> ExplanationSettings:
        return ExplanationSettings(self.factors_per_direction, self.min_effect_percent)

    def scoring_settings(self) -> dict:
        """What decides the staged tables (not the checks' thresholds): the score shards must use the same."""
        return {"batch_rows": self.batch_rows, "min_known_share": self.min_known_share,
                "explanation": {"factors_per_direction": self.factors_per_direction,
                                "min_effect_percent": self.min_effect_percent}}


class DecileConfig(dg.Config):
    tolerance_pp: float = Field(default=0.5, description="Each desil must hold 10% of active persons within this many pp.")


# ----------------------------------------------------------------------------------------------
# Metadata helpers (personal columns masked; family_id is a salted hash, shown so a row can be
# followed with `python -m dtsen_assets.explain --family-id`)
# ----------------------------------------------------------------------------------------------

def _table_metadata(connection, table: str, order: str) -> dict:
    return table_metadata(connection, table, order=order)


def _percent(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:.1f}%"


def _metrics_markdown(rows: dict[str, dict]) -> str:
    frame = pd.DataFrame([
        {"model": name, "R²": round(m["r2"], 3),
         **{f"{kind} {quota}": _percent(m[quota][f"{kind}_error"]) for quota in QUOTAS for kind in ("exclusion", "inclusion")}}
        for name, m in rows.items()
    ])
    return frame.to_markdown(index=False)


def _province_markdown(result, names: dict[str, str]) -> str:
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


def welfare_asset(key: dg.AssetKey, deps: list[dg.AssetKey], description: str, kinds=frozenset({"duckdb"})):
    """The decorator every single-table welfare asset shares: its group, owner, code version and declared checks."""
    return dg.asset(key=key, deps=deps, description=description, group_name=GROUP, kinds=set(kinds), owners=[OWNER],
                    code_version=WELFARE_CODE_VERSION, check_specs=check_specs(checks.WELFARE_CHECKS, key),
                    tags={"layer": "welfare"}, op_tags=WAREHOUSE_STEP)


def training_decision(version: str, current: Registration | None, directory) -> tuple[str, str]:
    """("reused", why) when the current model can be reused: training would give its version (survey,
    settings and model code unchanged) and its artifact is on disk; else ("trained", why not)."""
    if current is None:
        return "trained", "no PMT registered in this warehouse yet"
    if current.model_version != version:
        return "trained", f"the survey, the training settings or the model code changed since {current.model_version}"
    if not (directory / current.artifact_file).is_file():
        return "trained", (f"the artifact {current.artifact_file} of the current model {version} is missing under "
                           f"{directory} (warehouse copied without its models/ folder?)")
    return "reused", (f"survey, training settings and model code unchanged since {version} was trained: "
                      "the current model is reused")


@dataclass
class StagedModel:
    """What staging the PMT produced: the survey, the decision to train or reuse, and the model's card."""

    data: object
    missing_columns: tuple[str, ...]
    trainable: bool
    version: str = ""
    training: str = ""
    reason: str = ""
    card: dict | None = None
    path: Path | None = None
    result: object = None                     # the TrainingResult when trained or taken from the store
    tables: tuple[str, ...] = ()              # the registry tables, when a model is registered by this run


def stage_pmt_model(connection, settings: TrainingSettings, directory: Path, log) -> StagedModel:
    """Train (or reuse) the PMT and stage its registry rows; the artifact is written under its version.

    Reused without training: the model this warehouse registered, when its version is the planned one
    (nothing is staged); else a complete artifact of the planned version already in the model store
    (written by another warehouse from the same survey, settings and model code), registered here from
    the evaluation it carries. A survey that cannot train a PMT stops here (the check
    `survey_households_sufficient` says why). The artifact `<model_version>.joblib` is written before the
    checks: it is named by its version and read only once the registry (published by the gate) names it.
    """
    query = feature_query(connection, SURVEY_TABLE, "id_rt")
    survey = connection.execute(query.sql).df()
    regions = load_regions(connection)
    data = training_set(survey)
    staged = StagedModel(data, query.missing_columns, trainable=survey_problem(data, settings) is None)
    if not staged.trainable:
        return staged
    staged.version = planned_model_version(survey, settings, regions)
    current = current_registration(connection)
    staged.training, staged.reason = training_decision(staged.version, current, directory)
    if staged.training == "reused":
        log.info(f"PMT {staged.version}: reused ({staged.reason})")
        staged.card, staged.path = current.card, directory / current.artifact_file
        return staged
    stored, problem = stored_model(directory, staged.version)
    if stored is not None:
        staged.training, staged.reason = "reused", (
            f"{staged.reason}; {staged.version} is in the model store (trained {stored.card['trained_at']} from the "
            "same survey, settings and model code): registered in this warehouse without training")
        result = stored_result(stored, data)
        staged.path = directory / f"{staged.version}.joblib"
    else:
        staged.reason += f"; {problem}: training it again" if problem else f": training {staged.version}"
    log.info(f"PMT {staged.version}: {staged.training} ({staged.reason})")
    if stored is None:
        log.info(f"training on {len(data.frame)} survey households: {', '.join(settings.candidates)}")
        result = train_pmt(survey, settings, regions)
        staged.path = save_model(result.model, directory)
    gate = result.gate
    if gate.fallback_to_baseline:
        log.warning(f"publishing the OLS baseline ({BASELINE}) instead of {gate.selected}: {gate.summary}")
    else:
        log.info(f"gate: {gate.summary}")
    staged.result, staged.card = result, result.model.card
    stage_registry(connection, result, staged.path.name, staging_table(REGISTRY_TABLE), staging_table(EVALUATION_TABLE))
    staged.tables = (REGISTRY_TABLE, EVALUATION_TABLE)
    return staged


def evaluate_pmt_model(staged: StagedModel, settings: TrainingSettings) -> list:
    outcomes = [checks.check_survey_households(staged.data, settings)]
    if staged.trainable:
        outcomes.append(checks.check_gate(staged.result.gate, reused=staged.training == "reused")
                        if staged.result is not None
                        else checks.check_gate_of_reused_model(staged.card))
    outcomes.append(checks.check_survey_variables(staged.missing_columns))
    return outcomes


@welfare_asset(PMT_MODEL, [SUSENAS_HOUSEHOLD, WILAYAH], kinds={"scikit-learn", "duckdb"}, description=(
        "The proxy means test (PMT): predicts a family's per-capita consumption (pengeluaran per kapita) from what "
        "a registry records about it. Trained on the SUSENAS sample (staging.susenas_household), the only place "
        "consumption is measured. Candidates (by default few, well-regularized and monotone: the monotone ridge, "
        "the monotone ridge with regional coefficients shrunk toward the national ones, and their average) are "
        "compared by weighted cross-validated exclusion error; the selection is published when it excludes no "
        "more of the poor than the conventional OLS PMT on held-out households, and otherwise the OLS baseline is "
        "published: a valid survey always gets a model. Retrained only when the survey, the settings or the model "
        "code changed (or its artifact is missing); otherwise the current model is reused, and a warehouse that has "
        "not registered it yet registers the model store's artifact of the same version without training. "
        f"Artifact: <model store>/<model_version>.joblib (resource `model_store`); registry {REGISTRY_TABLE}, "
        f"metrics {EVALUATION_TABLE}."
    ))
def pmt_model(context: dg.AssetExecutionContext, config: PmtModelConfig, warehouse: DuckDBWarehouse,
              model_store: ModelStore):
    settings = config.settings()
    directory = model_store.directory(warehouse.database_file)
    with warehouse.connect() as connection:
        gated = stage_check_publish(connection, lambda c: stage_pmt_model(c, settings, directory, context.log),
                                    lambda c, staged: evaluate_pmt_model(staged, settings),
                                    lambda staged: staged.tables)
        staged = gated.staged
        label = "welfare/pmt_model" if not staged.trainable else (
            f"welfare/pmt_model ({staged.version}, {staged.card['chosen']}, {staged.training})")
        yield from report(label, gated.outcomes, PMT_MODEL)
        extra = {}
        if staged.result is not None:
            context.log.info(f"published PMT {staged.version} ({staged.result.model.chosen.name}) -> {staged.path}")
            extra = {"held_out_by_province": dg.MetadataValue.md(
                _province_markdown(staged.result, load_regions(connection).province_name))}
    yield dg.MaterializeResult(
        asset_key=PMT_MODEL,
        metadata={**_model_metadata(staged.card, staged.path, staged.training, staged.reason), **extra},
        data_version=dg.DataVersion(staged.card["model_version"]),
    )


# ----------------------------------------------------------------------------------------------
# welfare/pmt_score + welfare/belum_terdata + welfare/explanation
# ----------------------------------------------------------------------------------------------

SCORE_DESCRIPTIONS = {
    PMT_SCORE: (
        "welfare.pmt_score: one row per scored DTSEN family — family_id, pengeluaran_kapita_pmt (predicted "
        "Rupiah per person per month by the published PMT), model_version. Features come from the same "
        "feature builder as training; dtsen.family is streamed through the model in batches. Beside it, "
        f"{SCORE_DETAIL_TABLE}: the data tier that scored each family and how many values were filled in. In the job "
        "dtsen_build_provinces the families are scored per province shard (welfare/score_shards) and merged here, "
        "before the same checks (metadata `scored_in`)."),
    BELUM_TERDATA: (
        "welfare.belum_terdata: DTSEN families that cannot be scored, each with its reason (alasan: "
        "tanpa_anggota_aktif, keluarga_dikarantina, wilayah_tidak_valid, data_rumah_kurang) and an explanation "
        "(keterangan) a village officer can act on: what to collect at the next verifikasi dan validasi."),
    EXPLANATION: (
        "welfare.explanation: for each scored family, the recorded facts that moved its predicted welfare most "
        "above (menaikkan) or below (menurunkan) a typical family of its kabupaten/kota, with the effect in percent "
        "and a sentence a village officer can read out when the family objects (sanggahan). Exact for linear "
        "models: the factors add up to the difference from the typical family. Made in the scoring pass, from the "
        "same encoded rows as the score."),
}


@dg.multi_asset(
    specs=[dg.AssetSpec(key, deps=[PMT_MODEL, DTSEN_FAMILY, WILAYAH, SCORE_SHARDS], group_name=GROUP, kinds={"duckdb"},
                        owners=[OWNER], code_version=WELFARE_CODE_VERSION, tags={"layer": "welfare"},
                        description=description)
           for key, description in SCORE_DESCRIPTIONS.items()],
    check_specs=check_specs(checks.WELFARE_CHECKS, PMT_SCORE) + check_specs(checks.WELFARE_CHECKS, EXPLANATION),
    can_subset=False,
    op_tags=WAREHOUSE_STEP,
)
def pmt_score(context: dg.AssetExecutionContext, config: PmtScoreConfig, warehouse: DuckDBWarehouse,
              model_store: ModelStore):
    eligibility = Eligibility(config.min_known_share)
    sharded = planned_score_shards(warehouse, context.run.run_id)
    with warehouse.connect() as connection:
        model = current_model(connection, model_store.directory(warehouse.database_file))
        if sharded:      # the job dtsen_build_provinces scored by province shard (welfare/score_shards)
            shard_count = len(score_shards.read_plan(sharded)["shards"])
            context.log.info(f"pmt_score: merging the {shard_count} score shards of this run")
            stage = lambda c: score_shards.merge(c, sharded, model.model_version, config.scoring_settings())  # noqa: E731
        else:
            stage = lambda c: score_families(  # noqa: E731
                c, model, staging_table(SCORE_TABLE), staging_table(BELUM_TABLE), eligibility, FAMILY_TABLE,
                config.batch_rows, log=context.log.debug, detail_table=staging_table(SCORE_DETAIL_TABLE),
                explanation_table=staging_table(EXPLANATION_TABLE), explanation=config.explanation())
        gated = stage_check_publish(
            connection, stage,
            lambda c, _: [
                *checks.pmt_score_outcomes(c, staging_table(SCORE_TABLE), staging_table(BELUM_TABLE), FAMILY_TABLE,
                                           model.model_version, config.belum_terdata_warn_share),
                *checks.explanation_outcomes(c, staging_table(EXPLANATION_TABLE), staging_table(SCORE_TABLE),
                                             model.model_version, config.min_coverage)],
            [SCORE_TABLE, SCORE_DETAIL_TABLE, BELUM_TABLE, EXPLANATION_TABLE])
        if sharded and gated.published:
            shutil.rmtree(sharded, ignore_errors=True)     # build outputs: the published tables hold everything
            with contextlib.suppress(OSError):
                sharded.parent.rmdir()                     # the run's shard folder, when unify's is gone too
        result = gated.staged
        context.log.info(f"scored and explained {result.scored:,} families in {result.seconds:.1f} s; "
                         f"{result.belum_terdata:,} belum terdata")
        yield from report("welfare/pmt_score", gated.outcomes, _CHECK_ASSET)
        score_metadata = _table_metadata(connection, SCORE_TABLE, order="family_id")
        belum_metadata = _table_metadata(connection, BELUM_TABLE, order="family_id")
        explanation_metadata = _table_metadata(connection, EXPLANATION_TABLE, order="family_id, peringkat")
        reasons = connection.execute(f"SELECT alasan, count(*) FROM {BELUM_TABLE} GROUP BY 1 ORDER BY 2 DESC").fetchall()
        sample = connection.execute(f"""
            SELECT family_id, peringkat, arah, dampak_persen, penjelasan FROM {EXPLANATION_TABLE}
            WHERE family_id IN (SELECT family_id FROM {EXPLANATION_TABLE} GROUP BY family_id
                                ORDER BY hash(family_id) LIMIT 3)
            ORDER BY hash(family_id), peringkat
        """).df()
    yield dg.MaterializeResult(asset_key=PMT_SCORE, metadata={
        **score_metadata, "model_version": model.model_version, "model": model.chosen.name,
        "scoring_seconds": round(result.seconds, 2), "batches": result.batches,
        "scored_in": f"{shard_count} province shards (welfare/score_shards)" if sharded else "this step",
        **{f"scored_by_tier_{tier}": count for tier, count in sorted(result.by_tier.items())},
        "family_variables_missing": ", ".join(result.missing_columns) or "none",
    })
    yield dg.MaterializeResult(asset_key=BELUM_TERDATA, metadata={
        **belum_metadata, **{f"alasan_{r}": int(n) for r, n in reasons},
    })
    explained = result.explained
    yield dg.MaterializeResult(asset_key=EXPLANATION, metadata={
        **explanation_metadata,
        "masked_sample": dg.MetadataValue.md(markdown_frame(sample).to_markdown(index=False)),
        "families_explained": explained.families - explained.families_without_factor,
        "families_without_factor": explained.families_without_factor,
        "model_version": model.model_version,
    })


def planned_score_shards(warehouse: DuckDBWarehouse, run_id: str) -> Path | None:
    """This run's score shard folder, when this run scored by shard (else None: score in this step)."""
    directory = score_shards.score_directory(run_directory(warehouse, run_id))
    return directory if plan_of_run(directory, run_id) else None


# the asset each of the scoring step's checks belongs to
_CHECK_ASSET = {check.name: check.asset for check in checks.WELFARE_CHECKS if check.asset in (PMT_SCORE, EXPLANATION)}


# ----------------------------------------------------------------------------------------------
# welfare/decile
# ----------------------------------------------------------------------------------------------

@welfare_asset(DECILE, [PMT_SCORE, DTSEN_FAMILY, WILAYAH], description=(
        "welfare.decile: the national desil (1-10) and persentil (0-100] of every scored family, the way BPS ranks "
        "DTSEN: families ranked by predicted per-capita consumption and weighted by their active members, so each "
        "desil holds a tenth of people, not of families (a family straddling a cut goes where the middle of its "
        f"members falls; tied scores share a desil). Cut points in Rupiah: {CUT_POINT_TABLE}."))
def decile(context: dg.AssetExecutionContext, config: DecileConfig, warehouse: DuckDBWarehouse):
    def stage(connection):
        stage_decile(connection, SCORE_TABLE, FAMILY_TABLE, staging_table(DECILE_TABLE))
        return stage_cut_points(connection, staging_table(DECILE_TABLE), SCORE_TABLE, FAMILY_TABLE,
                                staging_table(CUT_POINT_TABLE))

    with warehouse.connect() as connection:
        gated = stage_check_publish(
            connection, stage,
            lambda c, _: checks.decile_outcomes(c, staging_table(DECILE_TABLE), SCORE_TABLE, FAMILY_TABLE,
                                                config.tolerance_pp),
            [DECILE_TABLE, CUT_POINT_TABLE])
        yield from report("welfare/decile", gated.outcomes, DECILE)
        cut_points = gated.staged
        metadata = _table_metadata(connection, DECILE_TABLE, order="family_id")
    shown = cut_points.rename(columns={"pengeluaran_kapita_pmt_min": "Rp/orang/bulan dari",
                                       "pengeluaran_kapita_pmt_maks": "sampai (batas atas)"})
    yield dg.MaterializeResult(metadata={
        **metadata,
        "cut_points": dg.MetadataValue.md(shown.to_markdown(index=False, floatfmt=",.2f")),
        "largest_share_deviation_pp": round(float((cut_points["persen_jiwa"] - 10.0).abs().max()), 4),
    })


# ----------------------------------------------------------------------------------------------
# welfare/desil_kabupaten
# ----------------------------------------------------------------------------------------------

@welfare_asset(DESIL_KABUPATEN, [DECILE, DTSEN_FAMILY, WILAYAH], description=(
        "welfare.desil_kabupaten: persons and families per national desil in each kabupaten/kota, the table Dinas "
        "Sosial publish (all ten desil for every regency, zero where none; shares of the regency's persons)."))
def desil_kabupaten(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse):
    with warehouse.connect() as connection:
        gated = stage_check_publish(
            connection,
            lambda c: stage_desil_kabupaten(c, DECILE_TABLE, FAMILY_TABLE, staging_table(DESIL_KABUPATEN_TABLE)),
            lambda c, _: checks.desil_kabupaten_outcomes(c, staging_table(DESIL_KABUPATEN_TABLE), DECILE_TABLE,
                                                         FAMILY_TABLE),
            [DESIL_KABUPATEN_TABLE])
        yield from report("welfare/desil_kabupaten", gated.outcomes, DESIL_KABUPATEN)
        metadata = _table_metadata(connection, DESIL_KABUPATEN_TABLE, order="kode_kab, desil")
        regencies = connection.execute(f"SELECT count(DISTINCT kode_kab) FROM {DESIL_KABUPATEN_TABLE}").fetchall()[0][0]
    yield dg.MaterializeResult(metadata={**metadata, "kabupaten_kota": int(regencies)})


welfare_assets = [pmt_model, pmt_score, decile, desil_kabupaten]
