"""Unify: the registries made one ("ditunggalkan") and matched to Dukcapil ("dipadankan").

    staging.person_record, staging.family_record, staging.dukcapil_person, staging.verivali_decision
        ──> dtsen/person + dtsen/person_source + dtsen/family (+ unify/verivali_outcome, unify/linkage_model)

One multi-asset goes through the gate: the stage (`dtsen_assets.unify.pipeline.stage_unify`) builds
every table under `<table>__staging`, the checks of `dtsen_assets.checks.unify` judge them, and the
tables are published together in one transaction only when every blocking check passed.
"""

import shutil
from pathlib import Path

import duckdb
import dagster as dg

from dtsen_assets.assets.constants import OWNER, WAREHOUSE_STEP
from dtsen_assets.checks import unify as checks
from dtsen_assets.platform.code_version import code_version
from dtsen_assets.platform.gate import CheckOutcome, Gated, check_specs, report, stage_check_publish
from dtsen_assets.platform.publish import table_metadata
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.assets.unify_shards import SHARDS_KEY, planned_shards
from dtsen_assets.unify import shards
from dtsen_assets.unify.config import UnifyConfig
from dtsen_assets.unify.evidence import FAMILY_VALUE_SOURCE_TABLE, MATCH_EVIDENCE_TABLE, PERSON_VALUE_SOURCE_TABLE
from dtsen_assets.unify.pipeline import (
    FAMILY_TABLE,
    LINKAGE_MODEL_TABLE,
    PERSON_ID_HISTORY_TABLE,
    PERSON_SOURCE_TABLE,
    PERSON_TABLE,
    VERIVALI_OUTCOME_TABLE,
    UnifyResult,
    stage_unify,
)
from dtsen_assets.unify.plausibility import KARANTINA_TABLE
from dtsen_assets.unify.splink_runner import model_parameters
from dtsen_assets.warehouse import staging_table

UNIFY_CODE_VERSION = code_version("unify")
GROUP = "unify"

PERSON_KEY, PERSON_SOURCE_KEY, FAMILY_KEY, FAMILY_KARANTINA_KEY = (
    checks.PERSON, checks.PERSON_SOURCE, checks.FAMILY, checks.FAMILY_KARANTINA)
VERIVALI_OUTCOME_KEY, LINKAGE_MODEL_KEY, MATCH_EVIDENCE_KEY, PERSON_VALUE_SOURCE_KEY, FAMILY_VALUE_SOURCE_KEY = (
    dg.AssetKey(table.split(".")) for table in (VERIVALI_OUTCOME_TABLE, LINKAGE_MODEL_TABLE, MATCH_EVIDENCE_TABLE,
                                                PERSON_VALUE_SOURCE_TABLE, FAMILY_VALUE_SOURCE_TABLE))
STAGING_DEPS = [dg.AssetKey(["staging", name]) for name in
                ("person_record", "family_record", "dukcapil_person", "verivali_decision")]

TABLE_OF_KEY = {PERSON_KEY: PERSON_TABLE, PERSON_SOURCE_KEY: PERSON_SOURCE_TABLE, FAMILY_KEY: FAMILY_TABLE,
                VERIVALI_OUTCOME_KEY: VERIVALI_OUTCOME_TABLE, LINKAGE_MODEL_KEY: LINKAGE_MODEL_TABLE,
                MATCH_EVIDENCE_KEY: MATCH_EVIDENCE_TABLE, PERSON_VALUE_SOURCE_KEY: PERSON_VALUE_SOURCE_TABLE,
                FAMILY_VALUE_SOURCE_KEY: FAMILY_VALUE_SOURCE_TABLE, FAMILY_KARANTINA_KEY: KARANTINA_TABLE}


def _output(key: dg.AssetKey, description: str, splink: bool = False, contract: bool = False) -> dg.AssetSpec:
    """One output of the unify multi-asset: its table, kinds and description."""
    metadata = {"table": TABLE_OF_KEY[key], **({"contract": "docs/contract.md"} if contract else {})}
    return dg.AssetSpec(key, kinds={"duckdb", "splink"} if splink else {"duckdb"}, group_name=GROUP, owners=[OWNER],
                        code_version=UNIFY_CODE_VERSION, deps=[*STAGING_DEPS, SHARDS_KEY], tags={"layer": "dtsen"},
                        metadata=metadata, description=description)


OUTPUT_SPECS = [
    _output(PERSON_KEY, ("dtsen.person: one row per unique person. A record is PADAN when its NIK is a Dukcapil NIK whose "
            "identity agrees (name, birth date, sex); otherwise Dukcapil is searched (NIK fragments, the family card "
            "its confirmed relatives are on, birth date, village, name tokens) and a Splink Fellegi-Sunter model "
            "trained on the drop decides. Persons are anchored on the confirmed NIK; the rest are linked with "
            "Splink. person_id is a keyed hash (the warehouse's secret key) of the NIK, else of the smallest record "
            "id, so it reveals nothing; it stays the same across runs and drops (unify.person_id_history keeps "
            "retired ids: NIK confirmed later, two ids merged). Dead in Dukcapil -> inactive ('meninggal_dukcapil'); current NO_KK and village from Dukcapil."), splink=True, contract=True),
    _output(PERSON_SOURCE_KEY, ("dtsen.person_source: every source person record (DTKS, P3KE, REGSOSEK) exactly once, with the person "
            "it became, how (exact_nik, cleaned_nik, corrected_nik, nik_ganda_resolved, verivali_nik, "
            "exact_nik_scored, dukcapil_search, linked_record, probabilistic_cluster, unmatched), the confidence and, "
            "for a rejected record, why."), splink=True, contract=True),
    _output(FAMILY_KEY, ("dtsen.family: one row per current family card with active members; composition and head-of-family "
            "variables from the active members, housing/asset/land/livestock variables by survivorship (DTKS when "
            "updated after REGSOSEK, then REGSOSEK, DTKS, P3KE), each with the source it came from."), contract=True),
    _output(VERIVALI_OUTCOME_KEY, ("unify.verivali_outcome: what each village-meeting decision did. Decisions are claims: a death counts "
            "only when Dukcapil confirms it, a NIK correction only when NIK_BARU is a Dukcapil NIK whose identity "
            "agrees, MAMPU is left to the welfare ranking; the rest is listed for a ground check.")),
    _output(LINKAGE_MODEL_KEY, ("unify.linkage_model: the trained Fellegi-Sunter model (m and u per comparison level, match "
                     "weights, the Splink settings as JSON), for review."), splink=True),
    _output(MATCH_EVIDENCE_KEY, ("unify.match_evidence: for every source person record (the key of dtsen.person_source, which "
                     "has its person, method and score), the evidence of how it was linked: the "
                     "own-NIK check (step 1), the Dukcapil candidate chosen and the runner-up with their match weights "
                     "and posteriors, the level and weight of every field (agreeing and disagreeing fields), the NIK a "
                     "village meeting gave. Read by `python -m dtsen_assets.explain` (docs/audit.md)."), splink=True),
    _output(PERSON_VALUE_SOURCE_KEY, ("unify.person_value_source: one row per person; for every value of dtsen.person (and the "
                     "person-level variables families use) the source and the source record (or Dukcapil) it came from "
                     "(<variable>_source, <variable>_source_record_id).")),
    _output(FAMILY_VALUE_SOURCE_KEY, ("unify.family_value_source: one row per family of dtsen.family: the source family of each "
                     "registry that spoke for it (with dtsen.family's <variable>_source, where each welfare value came "
                     "from) and the head of family (person_id) the krt_* values come from; the composition comes from "
                     "the active members.")),
    _output(FAMILY_KARANTINA_KEY, ("unify.family_karantina: families too implausible to rank until a field check (more than 20 "
                     "active members, several heads of family per Dukcapil, impossible ages), one reason each; "
                     "they stay in dtsen.family and go to welfare.belum_terdata (keluarga_dikarantina).")),
]

CHECK_SPECS = check_specs(checks.UNIFY_CHECKS)


def evaluate_unify(connection: duckdb.DuckDBPyConnection, config: UnifyConfig) -> list[CheckOutcome]:
    """The unify group's checks on the staged tables."""
    return checks.evaluate_unify_checks(
        connection, staging_table(PERSON_TABLE), staging_table(PERSON_SOURCE_TABLE), staging_table(FAMILY_TABLE),
        config.max_tidak_padan_share, config.max_unknown_code_share, karantina=staging_table(KARANTINA_TABLE),
        max_rejected_share=config.max_rejected_share)


def run_unify(connection: duckdb.DuckDBPyConnection, config: UnifyConfig | None = None, log=lambda message: None,
              id_key: str | None = None, shard_directory: Path | None = None) -> Gated[UnifyResult]:
    """The unify stage through the gate: stage, check, publish all tables together (or keep the previous ones).

    `id_key`: the secret key person and family ids are derived with (ids.py); when None, the
    warehouse's own key (created on first use, kept in `secret.id_key`). `shard_directory`: this
    run's province shards, already linked (`unify/shards`): they are merged instead of unifying here.
    """
    config = config or UnifyConfig()
    if shard_directory is None:
        stage = lambda c: stage_unify(c, config, log, id_key)  # noqa: E731
    else:
        stage = lambda c: merge_or_link_nationally(c, config, shard_directory, log, id_key)  # noqa: E731
    return stage_check_publish(connection, stage, lambda c, _: evaluate_unify(c, config), lambda staged: staged.tables)


def merge_or_link_nationally(connection: duckdb.DuckDBPyConnection, config: UnifyConfig, shard_directory: Path,
                             log=lambda message: None, id_key: str | None = None) -> UnifyResult:
    """The shards merged; or, when a family's members were linked in different shards (the merge cannot
    build such a family), the national linkage of `dtsen_build` on the warehouse: a valid drop gets its
    answer, and the figures say why the shards were not used."""
    merged = shards.merge(connection, shard_directory, shards.linked_outcomes(shard_directory), log)
    split = merged.figures["shared_across_shards"]["split_families"]
    if not split:
        return merged
    log(f"unify: {split:,} families have members linked in different province shards, which the merge cannot build "
        "as one family; the drop is linked nationally instead (as in dtsen_build), the shards' work is discarded")
    result = stage_unify(connection, config, log, id_key)
    result.figures["shards_not_used"] = {"split_families": split, "shards": sorted(merged.figures["shards"])}
    return result


def _markdown_counts(counts: dict, header: tuple[str, str]) -> dg.MetadataValue:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"] + [f"| {k} | {v:,} |" for k, v in counts.items()]
    return dg.MetadataValue.md("\n".join(lines) if counts else "none")


def _model_markdown(trained: dict) -> str:
    rows = model_parameters(trained)
    lines = ["| comparison | level | m | u | weight (bits) |", "|---|---|---|---|---|"]
    for r in rows:
        weight = "" if r["match_weight"] is None else f"{r['match_weight']:.2f}"
        lines.append(f"| {r['comparison']} | {r['level']}{' (tf)' if r['tf_adjusted'] else ''} | "
                     f"{r['m']:.6g} | {r['u']:.6g} | {weight} |")
    return "\n".join(lines)


@dg.multi_asset(specs=OUTPUT_SPECS, check_specs=CHECK_SPECS, can_subset=False, name="unify_registries",
                op_tags=WAREHOUSE_STEP)
def unify_registries(context: dg.AssetExecutionContext, config: UnifyConfig, warehouse: DuckDBWarehouse):
    """Match every source record to Dukcapil, link the rest into persons, build families; publish after the checks."""
    planned = planned_shards(warehouse, context.run.run_id)
    if planned:
        context.log.info(f"unify: merging the {len(planned[1]['shards'])} province shards of this run (unify/shards)")
    # its tables are written whole and no row deleted: nothing for a vacuum at its checkpoints to reclaim
    with warehouse.connect(vacuum=False) as connection:
        gated = run_unify(connection, config, log=context.log.info, id_key=warehouse.secret_id_key,
                          shard_directory=planned[0] if planned else None)
        yield from report("dtsen.person / dtsen.person_source / dtsen.family", gated.outcomes, checks.CHECK_ASSET)
        metadata = {key: table_metadata(connection, table) for key, table in TABLE_OF_KEY.items()}
        status = dict(connection.execute(
            "SELECT status_padan || CASE WHEN is_active THEN '' ELSE ' (inactive)' END, count(*) "
            f"FROM {PERSON_TABLE} GROUP BY ALL ORDER BY 1").fetchall())
        outcomes_verivali = {f"{a}: {o}": n for a, o, n in connection.execute(
            f"SELECT aksi, outcome, count(*) FROM {VERIVALI_OUTCOME_TABLE} GROUP BY ALL ORDER BY 1, 2").fetchall()}
        retired = dict(connection.execute(
            f"SELECT reason, count(*) FROM {PERSON_ID_HISTORY_TABLE} GROUP BY ALL ORDER BY 1").fetchall())
        sources = {f"{s}": n for s, n in connection.execute(
            f"SELECT status_bangunan_source, count(*) FROM {FAMILY_TABLE} GROUP BY ALL ORDER BY 2 DESC").fetchall()}

    if planned and gated.published:
        shutil.rmtree(planned[0], ignore_errors=True)     # build outputs: the published tables hold everything
    result = gated.staged
    figures, timings = result.figures, {**result.timings, **gated.timings}
    metadata[PERSON_KEY].update({
        "persons": dg.MetadataValue.json(figures["persons"]),
        "status_padan": _markdown_counts(status, ("status", "persons")),
        "inactive_reasons": _markdown_counts(figures["inactive_reasons"], ("reason", "persons")),
        "padan_rate_by_source": dg.MetadataValue.json(figures["padan_rate_by_source"]),
        "retired_person_ids": _markdown_counts(retired, ("reason (unify.person_id_history)", "ids")),
        "stage_seconds": round(timings.get("total", 0.0), 1),
    })
    if planned:      # the province shards: what they shared, or why they were not used
        metadata[PERSON_KEY]["province_shards"] = dg.MetadataValue.json(
            figures.get("shards_not_used") or figures.get("shared_across_shards", {}))
    metadata[PERSON_SOURCE_KEY].update({
        "match_methods": _markdown_counts(figures["match_methods"], ("match_method", "records")),
        "reject_reasons": _markdown_counts(figures["reject_reasons"], ("reject_reason", "records")),
        "search_unmatched_reasons": _markdown_counts(figures["search_unmatched_reasons"], ("reason", "records")),
        "own_nik_check": _markdown_counts(figures["own_nik_check"], ("own NIK in Dukcapil", "records")),
        "padan_rate_by_source": dg.MetadataValue.json(figures["padan_rate_by_source"]),
        "nik_corrections": _markdown_counts(figures["nik_corrections"], ("method", "records")),
        "nik_correction_examples": dg.MetadataValue.md(figures["nik_correction_examples"]),
        "comparisons": dg.MetadataValue.json(figures["comparisons"]),
        "comparisons_per_record": figures["comparisons_per_record"],
        "candidates_per_searched_record": figures["candidates_per_searched_record"],
        "timings_seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in timings.items()}),
    })
    metadata[FAMILY_KEY].update({
        "families": dg.MetadataValue.json(figures["families"]),
        "status_bangunan_source": _markdown_counts(sources, ("source", "families")),
    })
    metadata[VERIVALI_OUTCOME_KEY]["outcomes"] = _markdown_counts(outcomes_verivali, ("aksi: outcome", "decisions"))
    metadata[LINKAGE_MODEL_KEY]["m_u_parameters"] = dg.MetadataValue.md(_model_markdown(result.trained_model))
    for key, values in metadata.items():
        yield dg.MaterializeResult(asset_key=key, metadata=values)


unify_assets = [unify_registries]
