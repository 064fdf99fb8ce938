"""Checks of the welfare group, evaluated inside each asset before it publishes (write, audit, publish).

Whole-table invariants are DuckDB SQL counting violations with a few masked examples; the score
columns are also validated with a Great Expectations suite over every row. Blocking checks stop
publication and everything downstream; the others warn.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import great_expectations.expectations as gxe

from dtsen_assets.platform.gate import Check, CheckOutcome, declared, format_examples, outcome
from dtsen_assets.checks.expectations import validate_table
from dtsen_assets.pii import mask_identifier
from dtsen_assets.platform.sql import scalar
from dtsen_assets.welfare.models import (
    GateResult,
    TrainingSet,
    TrainingSettings,
    gate_decision,
    survey_problem,
)

PMT_MODEL, PMT_SCORE, DECILE, EXPLANATION, DESIL_KABUPATEN = (
    dg.AssetKey(["welfare", name]) for name in ("pmt_model", "pmt_score", "decile", "explanation", "desil_kabupaten"))

# Every check of the welfare group, declared once: name, the asset it guards, what, blocking, threshold
# (the field of the asset's run config that holds its bound).
WELFARE_CHECKS: list[Check] = [
    Check("survey_households_sufficient", PMT_MODEL,
          "The survey can train a PMT: enough SUSENAS households (min_households) with a measured consumption, a "
          "weight, members and a regency, and consumption that varies. The only reason a PMT is refused; the "
          "message says what to supply.", threshold="min_households"),
    Check("not_worse_than_ols_baseline", PMT_MODEL,
          "Publish gate: on held-out survey households (nested cross-validation, the model choice made without "
          "them) the published model's population-weighted exclusion error at the selection quota is not larger "
          "than the OLS baseline's. When the selection procedure is not better than the baseline, the baseline "
          "itself (the conventional PMT) is published and passes: a valid survey always gets a model.",
          threshold="gate_tolerance_pp"),
    Check("survey_has_every_variable", PMT_MODEL,
          "staging.susenas_household has every canonical family welfare variable the feature builder uses.",
          blocking=False),
    Check("one_score_per_family", PMT_SCORE, "Each scored family_id appears once and exists in dtsen.family."),
    Check("every_family_scored_or_listed", PMT_SCORE,
          "Every family of dtsen.family is either scored or in welfare.belum_terdata (with a reason), never both."),
    Check("scores_valid", PMT_SCORE,
          "Great Expectations suite: pengeluaran_kapita_pmt present, positive and finite; model_version the "
          "published model's on every row."),
    Check("belum_terdata_share", PMT_SCORE, "At most `belum_terdata_warn_share` of families cannot be scored.",
          blocking=False, threshold="belum_terdata_warn_share"),
    Check("desil_person_share", DECILE,
          "Each desil holds 10% of active persons, within the tolerance (default 0.5 pp).", threshold="tolerance_pp"),
    Check("one_desil_per_family", DECILE,
          "Each scored family has exactly one desil in 1..10 and a persentil in (0, 100]; no other family has one."),
    Check("desil_follows_score", DECILE, "Desil never decreases as predicted per-capita consumption increases."),
    Check("explains_scored_families_only", EXPLANATION,
          "Every explained family is a scored family, with the published model's version."),
    Check("explanation_coverage", EXPLANATION,
          "Nearly every scored family (at least `min_coverage`, default 99%) has at least one factor in words.",
          blocking=False, threshold="min_coverage"),
    Check("totals_match_decile", DESIL_KABUPATEN,
          "Persons and families summed over kabupaten/kota x desil equal those of welfare.decile, desil by desil."),
]
CHECKS = declared(WELFARE_CHECKS)
DEFAULT_MIN_COVERAGE = 0.99


def _outcome(name: str, passed: bool, summary: str, **metadata) -> CheckOutcome:
    return outcome(CHECKS[name], passed, summary, **metadata)


def _masked_ids(rows: list) -> str:
    return format_examples([mask_identifier(r[0]) for r in rows])


# ----------------------------------------------------------------------------------------------
# welfare/pmt_model
# ----------------------------------------------------------------------------------------------

def check_survey_households(data: TrainingSet, settings: TrainingSettings) -> CheckOutcome:
    usable, dropped = len(data.frame), data.dropped
    left_out = ", ".join(f"{k}: {v}" for k, v in dropped.items() if v) or "none"
    problem = survey_problem(data, settings)
    return _outcome("survey_households_sufficient", problem is None,
        problem or f"{usable} usable survey households (minimum {settings.min_households}); left out: {left_out}",
        usable_households=usable, **{f"left_out_{k}": v for k, v in dropped.items()},
    )


def check_gate(gate: GateResult, reused: bool = False) -> CheckOutcome:
    """The published model against the baseline: the selection when it is not worse, else the baseline itself.

    `reused`: the gate as recorded when the model was trained, for a model taken from the model store."""
    return _outcome("not_worse_than_ols_baseline",
        gate_decision(gate.published_exclusion_error, gate.baseline_exclusion_error, gate.tolerance_pp),
        gate.summary,
        quota=gate.quota,
        published_model=gate.published,
        fallback_to_baseline=gate.fallback_to_baseline,
        published_exclusion_error=round(gate.published_exclusion_error, 4),
        selection_procedure_exclusion_error=round(gate.chosen_exclusion_error, 4),
        baseline_exclusion_error=round(gate.baseline_exclusion_error, 4),
        tolerance_pp=gate.tolerance_pp,
        selection_procedure_r2=round(gate.chosen_metrics["r2"], 4),
        baseline_r2=round(gate.baseline_metrics["r2"], 4),
        candidate_chosen_per_fold=", ".join(gate.chosen_per_fold),
        reused=reused,
    )


def check_gate_of_reused_model(card: dict) -> CheckOutcome:
    """The gate as decided when the reused model was trained (its card), for a run that does not retrain."""
    gate = card.get("held_out_gate", {})
    return _outcome("not_worse_than_ols_baseline", True,
        f"model {card.get('model_version')} reused (survey, settings and model code unchanged); when trained: "
        f"{gate.get('summary', 'no gate summary recorded')}",
        published_model=card.get("chosen", ""), fallback_to_baseline=bool(card.get("fallback_to_baseline", False)),
        reused=True,
    )


def check_survey_variables(missing: tuple[str, ...]) -> CheckOutcome:
    return _outcome("survey_has_every_variable", not missing,
        f"staging.susenas_household lacks {len(missing)} variable(s): {', '.join(missing)} (treated as unknown)"
        if missing else "every canonical variable present",
        missing=", ".join(missing) or "none",
    )


# ----------------------------------------------------------------------------------------------
# welfare/pmt_score + welfare/belum_terdata
# ----------------------------------------------------------------------------------------------

def pmt_score_outcomes(connection: duckdb.DuckDBPyConnection, scores: str, belum: str, families: str,
                       model_version: str, warn_share: float) -> list[CheckOutcome]:
    duplicated = connection.execute(
        f"SELECT family_id FROM {scores} GROUP BY family_id HAVING count(*) > 1 ORDER BY family_id LIMIT 5").fetchall()
    duplicated_count = scalar(connection, f"SELECT count(*) - count(DISTINCT family_id) FROM {scores}")
    orphans = connection.execute(
        f"SELECT family_id FROM {scores} ANTI JOIN {families} USING (family_id) ORDER BY family_id LIMIT 5").fetchall()
    orphan_count = scalar(connection, f"SELECT count(*) FROM {scores} ANTI JOIN {families} USING (family_id)")
    unique = _outcome("one_score_per_family", not duplicated_count and not orphan_count,
        (f"{duplicated_count} duplicated family_id (e.g. {_masked_ids(duplicated)}); "
         f"{orphan_count} not in {families} (e.g. {_masked_ids(orphans)})")
        if duplicated_count or orphan_count else "one score per family, every family in dtsen.family",
        duplicated=int(duplicated_count), not_in_family=int(orphan_count),
    )

    total = scalar(connection, f"SELECT count(DISTINCT family_id) FROM {families}")
    both = scalar(connection, f"SELECT count(*) FROM (SELECT family_id FROM {scores} INTERSECT SELECT family_id FROM {belum})")
    neither_rows = connection.execute(
        f"SELECT family_id FROM {families} ANTI JOIN {scores} USING (family_id) ANTI JOIN {belum} USING (family_id) "
        "ORDER BY family_id LIMIT 5").fetchall()
    neither = scalar(connection, f"SELECT count(*) FROM {families} ANTI JOIN {scores} USING (family_id) "
                                 f"ANTI JOIN {belum} USING (family_id)")
    no_reason = scalar(connection, f"SELECT count(*) FROM {belum} WHERE alasan IS NULL")
    scored = scalar(connection, f"SELECT count(*) FROM {scores}")
    listed = scalar(connection, f"SELECT count(*) FROM {belum}")
    accounted = _outcome("every_family_scored_or_listed", not both and not neither and not no_reason,
        (f"{neither} famil(ies) neither scored nor listed (e.g. {_masked_ids(neither_rows)}), {both} both, "
         f"{no_reason} listed without a reason") if both or neither or no_reason
        else f"{total:,} families: {scored:,} scored, {listed:,} belum terdata",
        families=int(total), scored=int(scored), belum_terdata=int(listed), neither=int(neither), both=int(both),
    )

    # the suite reads the staged scores numbered as lines; nothing is written into the welfare schema
    numbered = f"(SELECT row_number() OVER () AS _line_number, * FROM {scores})"
    expectations = [
        gxe.ExpectColumnValuesToNotBeNull(column="pengeluaran_kapita_pmt"),
        gxe.ExpectColumnValuesToBeBetween(column="pengeluaran_kapita_pmt", min_value=1.0, max_value=1e10),
        gxe.ExpectColumnValuesToBeInSet(column="model_version", value_set=[model_version]),
        gxe.ExpectColumnValuesToNotBeNull(column="family_id"),
    ]
    results = validate_table(connection, numbered, expectations)
    failed = [r for r in results if not r.success]
    valid = _outcome("scores_valid", not failed,
        "; ".join(f"{r.expectation}({r.column}): {r.unexpected_count} of {r.element_count} rows unexpected"
                  for r in failed) if failed else f"all {scored:,} scores positive and finite, model {model_version}",
        **{f"{r.expectation}({r.column})": f"{r.unexpected_count} of {r.element_count} unexpected" for r in results},
    )

    share = listed / total if total else 0.0
    reasons = connection.execute(f"SELECT alasan, count(*) FROM {belum} GROUP BY alasan ORDER BY 2 DESC").fetchall()
    belum_share = _outcome("belum_terdata_share", share <= warn_share,
        f"{listed:,} of {total:,} families ({100 * share:.2f}%) cannot be scored (warn above {100 * warn_share:.1f}%)"
        + (": " + ", ".join(f"{r} {n:,}" for r, n in reasons) if reasons else ""),
        share=round(share, 4), **{f"alasan_{r}": int(n) for r, n in reasons},
    )
    return [unique, accounted, valid, belum_share]


# ----------------------------------------------------------------------------------------------
# welfare/decile
# ----------------------------------------------------------------------------------------------

def decile_outcomes(connection: duckdb.DuckDBPyConnection, decile: str, scores: str, families: str,
                    tolerance_pp: float) -> list[CheckOutcome]:
    shares = connection.execute(f"""
        WITH persons AS (
            SELECT d.desil, sum(f.jumlah_art) AS jiwa FROM {decile} d JOIN {families} f USING (family_id) GROUP BY d.desil
        )
        SELECT g.desil, coalesce(100.0 * p.jiwa / sum(p.jiwa) OVER (), 0.0)
        FROM range(1, 11) AS g(desil) LEFT JOIN persons p ON p.desil = g.desil ORDER BY g.desil
    """).fetchall()
    worst = max((abs(s - 10.0), d, s) for d, s in shares)
    person_share = _outcome("desil_person_share", worst[0] <= tolerance_pp,
        (f"desil {worst[1]} holds {worst[2]:.3f}% of persons, {worst[0]:.3f} pp from 10% "
         f"(tolerance {tolerance_pp} pp)") + ("" if worst[0] <= tolerance_pp else
                                              ": a family too large for the population to split evenly, or tied scores"),
        **{f"desil_{d}_persen_jiwa": round(s, 4) for d, s in shares}, largest_deviation_pp=round(worst[0], 4),
    )

    scored = scalar(connection, f"SELECT count(*) FROM {scores}")
    rows, distinct = connection.execute(f"SELECT count(*), count(DISTINCT family_id) FROM {decile}").fetchall()[0]
    bad_values = scalar(connection, f"SELECT count(*) FROM {decile} WHERE desil IS NULL OR desil NOT BETWEEN 1 AND 10 "
                                    "OR persentil IS NULL OR persentil <= 0 OR persentil > 100")
    unscored = connection.execute(f"SELECT family_id FROM {decile} ANTI JOIN {scores} USING (family_id) LIMIT 5").fetchall()
    unscored_count = scalar(connection, f"SELECT count(*) FROM {decile} ANTI JOIN {scores} USING (family_id)")
    missing_count = scalar(connection, f"SELECT count(*) FROM {scores} ANTI JOIN {decile} USING (family_id)")
    ok = rows == distinct == scored and not bad_values and not unscored_count and not missing_count
    one = _outcome("one_desil_per_family", ok,
        f"{scored:,} scored families, each with one desil" if ok else
        (f"{rows:,} rows for {distinct:,} families ({scored:,} scored); {missing_count} scored without desil; "
         f"{unscored_count} not scored (e.g. {_masked_ids(unscored)}); {bad_values} desil/persentil out of range"),
        rows=int(rows), families=int(distinct), scored=int(scored), out_of_range=int(bad_values),
    )

    inversions = scalar(connection, f"""
        WITH bounds AS (
            SELECT d.desil, min(s.pengeluaran_kapita_pmt) AS low, max(s.pengeluaran_kapita_pmt) AS high
            FROM {decile} d JOIN {scores} s USING (family_id) GROUP BY d.desil
        )
        SELECT count(*) FROM bounds a JOIN bounds b ON b.desil = a.desil + 1 WHERE a.high > b.low
    """)
    monotone = _outcome("desil_follows_score", not inversions,
        "desil ranges of predicted consumption do not overlap" if not inversions
        else f"{inversions} pair(s) of neighbouring desil overlap in predicted consumption",
        overlapping_pairs=int(inversions),
    )
    return [person_share, one, monotone]


# ----------------------------------------------------------------------------------------------
# welfare/explanation
# ----------------------------------------------------------------------------------------------

def explanation_outcomes(connection: duckdb.DuckDBPyConnection, explanation: str, scores: str,
                         model_version: str, min_coverage: float = DEFAULT_MIN_COVERAGE) -> list[CheckOutcome]:
    strangers = connection.execute(
        f"SELECT DISTINCT family_id FROM {explanation} ANTI JOIN {scores} USING (family_id) LIMIT 5").fetchall()
    stranger_count = scalar(connection, f"SELECT count(DISTINCT family_id) FROM {explanation} "
                                        f"ANTI JOIN {scores} USING (family_id)")
    other_version = scalar(connection, f"SELECT count(*) FROM {explanation} WHERE model_version IS DISTINCT FROM ?",
                           [model_version])
    scored_only = _outcome("explains_scored_families_only", not stranger_count and not other_version,
        "every explained family is scored, model " + model_version if not stranger_count and not other_version
        else (f"{stranger_count} explained famil(ies) not scored (e.g. {_masked_ids(strangers)}); "
              f"{other_version} row(s) of another model version"),
        not_scored=int(stranger_count), other_model_version=int(other_version),
    )
    scored = scalar(connection, f"SELECT count(*) FROM {scores}")
    explained = scalar(connection, f"SELECT count(DISTINCT family_id) FROM {explanation}")
    share = explained / scored if scored else 1.0
    coverage = _outcome("explanation_coverage", share >= min_coverage,
        f"{explained:,} of {scored:,} scored families ({100 * share:.2f}%) have at least one factor; the others "
        "are within 1% of the typical family of their regency on every recorded variable",
        explained=int(explained), scored=int(scored), share=round(share, 4),
    )
    return [scored_only, coverage]


# ----------------------------------------------------------------------------------------------
# welfare/desil_kabupaten
# ----------------------------------------------------------------------------------------------

def desil_kabupaten_outcomes(connection: duckdb.DuckDBPyConnection, summary: str, decile: str,
                             families: str) -> list[CheckOutcome]:
    differences = connection.execute(f"""
        WITH expected AS (
            SELECT d.desil, count(*) AS keluarga, sum(f.jumlah_art) AS jiwa
            FROM {decile} d JOIN {families} f USING (family_id) GROUP BY d.desil
        ), summed AS (
            SELECT desil, sum(jumlah_keluarga) AS keluarga, sum(jumlah_jiwa) AS jiwa FROM {summary} GROUP BY desil
        )
        SELECT coalesce(e.desil, s.desil), coalesce(e.keluarga, 0), coalesce(s.keluarga, 0),
               coalesce(e.jiwa, 0), coalesce(s.jiwa, 0)
        FROM expected e FULL JOIN summed s USING (desil)
        WHERE coalesce(e.keluarga, 0) <> coalesce(s.keluarga, 0) OR coalesce(e.jiwa, 0) <> coalesce(s.jiwa, 0)
        ORDER BY 1
    """).fetchall()
    return [_outcome("totals_match_decile", not differences,
        "kabupaten/kota totals equal the national desil, desil by desil" if not differences
        else "; ".join(f"desil {d}: families {a} vs {b}, persons {c} vs {e}" for d, a, b, c, e in differences[:5]),
        mismatched_desil=len(differences),
    )]
