"""Welfare benchmark: the published PMT against the OLS baseline and the generator's truth, in two worlds.

    python bench/bench_welfare.py [--persons 150000] [--worlds default linear] [--survey-households 2500 10000]
                                  [--pipeline] [--candidates ...] [--cv-repeats N] [--scoring-persons 0] [--seed 7]
                                  [--work /tmp/dtsen_bench_welfare]

For each world of the generator (`default`: consumption follows a latent welfare the dwelling only
reflects; `linear`: consumption linear in the attributes with heteroscedastic noise, R² about 0.5)
and each survey size (`--susenas-households` of the generator), it generates a drop, builds
`staging.susenas_household` and `dtsen.family` (by default with the documented stand-in read
straight from the drop, see `standin_tables`; with --pipeline by the project's own raw, staging and
unify assets), trains the PMT exactly as the `welfare/pmt_model` asset does (selection, nested-CV
gate, fallback to the OLS baseline), scores every family, assigns the desil, and prints side by side,
for the published model, the OLS baseline and the generator's true expected consumption
(`truth/families.csv: log_pengeluaran_expected`), against the true consumption of each family
(`truth/families.csv: pengeluaran_kapita`), all weighted by persons (`jumlah_art`):

- exclusion and inclusion error at desil 1-4 (40% quota) and desil 1 (10% quota), R² of log consumption,
- Spearman rank correlation with true per-capita consumption (over families),
- the share of persons in each desil (must be 10% +/- 0.5 pp),
- on the survey, by the gate's nested cross-validation: out-of-sample R², exclusion and inclusion
  errors at desil 1-4 and desil 1 of the selection procedure and of the OLS baseline.

It ends with one table of every world and survey size. With --scoring-persons N it also times scoring
the families of N persons (must be under 60 s). Never part of the test run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dtsen_assets.contract import LIVESTOCK_COLUMNS, REGSOSEK_ASSET_COLUMNS  # noqa: E402
from dtsen_assets.resources import DuckDBWarehouse  # noqa: E402, ModelStore
from dtsen_assets.staging.reference import load_wilayah  # noqa: E402
from dtsen_assets.synth.economy import WORLDS  # noqa: E402
from dtsen_assets.welfare.deciles import stage_decile  # noqa: E402
from dtsen_assets.welfare.features import feature_query  # noqa: E402
from dtsen_assets.welfare.metrics import spearman, targeting_errors  # noqa: E402
from dtsen_assets.welfare.models import TrainingSettings, train_pmt  # noqa: E402
from dtsen_assets.welfare.regions import load_regions  # noqa: E402
from dtsen_assets.welfare.scoring import Eligibility, score_families  # noqa: E402

from machine import machine, peak_memory_mb  # noqa: E402  bench/machine.py, beside this script

CODEBOOK = ROOT / "data" / "codebook.csv"
HOUSING_CODED = ("STATUS_BANGUNAN", "LANTAI", "DINDING", "ATAP", "AIR_MINUM", "PENERANGAN", "DAYA_LISTRIK",
                 "BAHAN_BAKAR", "FASILITAS_BAB", "JENIS_KLOSET", "PEMBUANGAN_TINJA")


# ----------------------------------------------------------------------------------------------
# Stand-in upstream tables (--standin: a quick look at the model alone, without the upstream assets)
# ----------------------------------------------------------------------------------------------

def _decode(codebook: pd.DataFrame, source: str, variable: str, expression: str) -> str:
    """CASE expression turning a source code into its canonical value, generated from the codebook."""
    key = "ASET_*" if variable.startswith("ASET_") else variable
    rows = codebook[(codebook["source"] == source) & (codebook["variable"] == key)]
    if rows.empty:
        raise KeyError(f"codebook has no {source} {key}")
    cases = " ".join(f"WHEN '{c}' THEN '{v}'" for c, v in zip(rows["code"], rows["canonical_value"]))
    return f"CASE trim({expression}) {cases} END"


def standin_tables(connection: duckdb.DuckDBPyConnection, drop: Path, survey: bool = True) -> None:
    """staging.susenas_household from susenas/rumah_tangga.csv; dtsen.family from REGSOSEK only.

    A stand-in, not the pipeline: the family table holds REGSOSEK families (near-census coverage;
    the families only DTKS or P3KE list are missing), members are the REGSOSEK members as listed
    (deaths not removed), and a family's id is REGSOSEK's ID_KELUARGA.
    """
    codebook = pd.read_csv(CODEBOOK, dtype=str, keep_default_na=False)
    welfare_columns = [*HOUSING_CODED, *REGSOSEK_ASSET_COLUMNS, "RUMAH_LAIN"]
    numbers = ["LUAS_LANTAI", "LUAS_LAHAN", *LIVESTOCK_COLUMNS]

    def welfare_select(source: str, alias: str) -> str:
        parts = [f"{_decode(codebook, source, c, f'{alias}.{c}')} AS {c.lower()}" for c in welfare_columns]
        parts += [f"TRY_CAST({alias}.{c} AS DOUBLE) AS {c.lower()}" for c in numbers]
        return ",\n".join(parts)

    susenas = drop / "susenas" / "rumah_tangga.csv"
    if survey:
        _standin_survey(connection, codebook, susenas, welfare_select)
    _standin_family(connection, codebook, drop, welfare_columns, numbers, welfare_select)


def _standin_survey(connection, codebook, susenas, welfare_select) -> None:
    connection.execute(f"""
        CREATE OR REPLACE TABLE staging.susenas_household AS
        SELECT s.ID_RT AS id_rt, s.KODE_KAB AS kode_kab, TRY_CAST(s.BOBOT AS DOUBLE) AS bobot,
               TRY_CAST(s.PENGELUARAN_KAPITA AS DOUBLE) AS pengeluaran_kapita,
               TRY_CAST(s.JUMLAH_ART AS INTEGER) AS jumlah_art, TRY_CAST(s.ART_BALITA AS INTEGER) AS art_balita,
               TRY_CAST(s.ART_SEKOLAH AS INTEGER) AS art_sekolah, TRY_CAST(s.ART_LANSIA AS INTEGER) AS art_lansia,
               TRY_CAST(s.ART_DISABILITAS AS INTEGER) AS art_disabilitas,
               {_decode(codebook, 'susenas', 'KRT_JK', 's.KRT_JK')} AS krt_jenis_kelamin,
               TRY_CAST(s.KRT_UMUR AS INTEGER) AS krt_umur,
               {_decode(codebook, 'susenas', 'KRT_PENDIDIKAN', 's.KRT_PENDIDIKAN')} AS krt_pendidikan,
               {_decode(codebook, 'susenas', 'KRT_STATUS_BEKERJA', 's.KRT_STATUS_BEKERJA')} AS krt_status_bekerja,
               {_decode(codebook, 'susenas', 'KRT_LAPANGAN_USAHA', 's.KRT_LAPANGAN_USAHA')} AS krt_lapangan_usaha,
               {_decode(codebook, 'susenas', 'KRT_KEDUDUKAN_KERJA', 's.KRT_KEDUDUKAN_KERJA')} AS krt_kedudukan_kerja,
               {welfare_select('susenas', 's')}
        FROM read_csv('{susenas}', all_varchar = true, header = true) AS s
    """)


def _standin_family(connection, codebook, drop, welfare_columns, numbers, welfare_select) -> None:
    keluarga = drop / "regsosek" / "keluarga.csv"
    individu = drop / "regsosek" / "individu.csv"
    source_columns = ", ".join(f"'regsosek' AS {c.lower()}_source" for c in [*welfare_columns, *numbers])
    connection.execute(f"""
        CREATE OR REPLACE TABLE dtsen.family AS
        WITH members AS (
            SELECT i.ID_KELUARGA AS id_keluarga, TRY_CAST(i.UMUR AS INTEGER) AS umur,
                   {_decode(codebook, 'regsosek', 'HUB_KK', 'i.HUB_KK')} AS hub_kk,
                   {_decode(codebook, 'regsosek', 'JK', 'i.JK')} AS jenis_kelamin,
                   {_decode(codebook, 'regsosek', 'PENDIDIKAN', 'i.PENDIDIKAN')} AS pendidikan,
                   {_decode(codebook, 'regsosek', 'STATUS_BEKERJA', 'i.STATUS_BEKERJA')} AS status_bekerja,
                   {_decode(codebook, 'regsosek', 'LAPANGAN_USAHA', 'i.LAPANGAN_USAHA')} AS lapangan_usaha,
                   {_decode(codebook, 'regsosek', 'KEDUDUKAN_KERJA', 'i.KEDUDUKAN_KERJA')} AS kedudukan_kerja,
                   {_decode(codebook, 'regsosek', 'DISABILITAS', 'i.DISABILITAS')} AS disabilitas
            FROM read_csv('{individu}', all_varchar = true, header = true) AS i
        ), composition AS (
            SELECT id_keluarga, count(*) AS jumlah_art,
                   count(*) FILTER (umur <= 4) AS art_balita,
                   count(*) FILTER (umur BETWEEN 7 AND 18) AS art_sekolah,
                   count(*) FILTER (umur >= 60) AS art_lansia,
                   count(*) FILTER (disabilitas = 'ya') AS art_disabilitas,
                   arg_max(jenis_kelamin, hub_kk = 'kepala_keluarga') AS krt_jenis_kelamin,
                   arg_max(umur, hub_kk = 'kepala_keluarga') AS krt_umur,
                   arg_max(pendidikan, hub_kk = 'kepala_keluarga') AS krt_pendidikan,
                   arg_max(status_bekerja, hub_kk = 'kepala_keluarga') AS krt_status_bekerja,
                   arg_max(lapangan_usaha, hub_kk = 'kepala_keluarga') AS krt_lapangan_usaha,
                   arg_max(kedudukan_kerja, hub_kk = 'kepala_keluarga') AS krt_kedudukan_kerja
            FROM members GROUP BY id_keluarga
        )
        SELECT k.ID_KELUARGA AS family_id, nullif(trim(k.NO_KK), '') AS no_kk, k.KODE_DESA AS kode_desa,
               c.* EXCLUDE (id_keluarga),
               {welfare_select('regsosek', 'k')},
               {source_columns}
        FROM read_csv('{keluarga}', all_varchar = true, header = true) AS k
        LEFT JOIN composition AS c ON c.id_keluarga = k.ID_KELUARGA
    """)


def _materialize_upstream_of(keys: list, drop: Path, database: Path) -> None:
    """Materialize `keys` and everything upstream of them with the project's own assets."""
    import dagster as dg

    import dtsen_assets.definitions as definitions
    from dtsen_assets.resources import ModelStore, SourceDrop
    result = dg.materialize(
        [a for a in definitions.defs.assets if isinstance(a, dg.AssetsDefinition)],
        selection=dg.AssetSelection.assets(*keys).required_multi_asset_neighbors().upstream(),
        resources={"source_drop": SourceDrop(source_dir=str(drop)),
                   "warehouse": DuckDBWarehouse(database_path=str(database)), "model_store": ModelStore()},
        raise_on_error=False,
    )
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        raise RuntimeError(f"upstream assets failed on the generated drop: {failed}")


def build_upstream(drop: Path, database: Path, standin: bool = False) -> str:
    """Build staging.susenas_household and dtsen.family into `database`; returns how."""
    import dagster as dg
    if standin:
        with DuckDBWarehouse(database_path=str(database)).connect() as connection:
            standin_tables(connection, drop)
            load_wilayah(connection)      # the region names the PMT reads (the staging/wilayah asset's table)
        return "stand-in from the drop (REGSOSEK families only; --pipeline for the upstream assets)"
    _materialize_upstream_of([dg.AssetKey(["staging", "susenas_household"]), dg.AssetKey(["dtsen", "family"]),
                              dg.AssetKey(["staging", "wilayah"])], drop, database)
    return "pipeline assets (raw -> staging -> unify: staging.susenas_household, dtsen.family)"


# ----------------------------------------------------------------------------------------------
# The benchmark
# ----------------------------------------------------------------------------------------------

def evaluate_against_truth(connection: duckdb.DuckDBPyConnection, drop: Path, model) -> pd.DataFrame:
    """Per family: true consumption, true expectation, chosen and baseline predictions, persons."""
    truth = drop / "truth" / "families.csv"
    query = feature_query(connection, "dtsen.family", "family_id")
    frame = connection.execute(f"""
        SELECT f.*, t.pengeluaran_kapita AS true_consumption, t.log_pengeluaran_expected AS true_expected,
               t.jumlah_art AS true_members, detail.data_model
        FROM ({query.sql}) AS f
        JOIN dtsen.family AS d ON d.family_id = f.unit_id
        JOIN welfare.pmt_score_detail__bench AS detail ON detail.family_id = f.unit_id
        JOIN read_csv('{truth}', header = true, types = {{'no_kk': 'VARCHAR', 'kode_desa': 'VARCHAR'}}) AS t
          ON t.no_kk = d.no_kk
        SEMI JOIN welfare.pmt_score__bench AS s ON s.family_id = f.unit_id
    """).df()
    frame["chosen"] = model.predict_log(frame, "chosen")
    frame["baseline"] = model.predict_log(frame, "baseline")
    return frame


QUOTA_NAMES = (("desil_1_4", "desil 1-4 (40%)", 0.4), ("desil_1", "desil 1 (10%)", 0.1))


def weighted_r2(actual: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> float:
    mean = np.average(actual, weights=weights)
    return float(1.0 - np.average((actual - predicted) ** 2, weights=weights)
                 / np.average((actual - mean) ** 2, weights=weights))


def figures(frame: pd.DataFrame) -> dict[str, dict]:
    """predictor -> {r2, spearman, <quota>: {exclusion_error, inclusion_error}} against true consumption."""
    actual = np.log(frame["true_consumption"].to_numpy(float))
    weights = frame["jumlah_art"].to_numpy(float)
    out = {}
    for name, column in (("published", "chosen"), ("ols", "baseline"), ("truth", "true_expected")):
        predicted = frame[column].to_numpy(float)
        out[name] = {"r2": weighted_r2(actual, predicted, weights), "spearman": spearman(predicted, actual)}
        for quota, _, share in QUOTA_NAMES:
            errors = targeting_errors(actual, predicted, weights, share)
            out[name][quota] = {k: errors[k] for k in ("exclusion_error", "inclusion_error")}
    return out


def report(result: dict[str, dict], label: str) -> list[str]:
    lines = [f"  {'against true consumption (families)':38s} {'published (' + label + ')':>30s} {'OLS baseline':>13s} "
             f"{'true expectation':>17s}"]
    for quota, quota_name, _ in QUOTA_NAMES:
        for kind in ("exclusion_error", "inclusion_error"):
            values = [100 * result[p][quota][kind] for p in ("published", "ols", "truth")]
            lines.append(f"  {kind.replace('_', ' ') + ' at ' + quota_name:38s} {values[0]:29.1f}% {values[1]:12.1f}% "
                         f"{values[2]:16.1f}%")
    for key, title in (("r2", "R² of log consumption"), ("spearman", "Spearman with true consumption")):
        values = [result[p][key] for p in ("published", "ols", "truth")]
        lines.append(f"  {title:38s} {values[0]:30.3f} {values[1]:13.3f} {values[2]:17.3f}")
    return lines


def nested_cv_lines(gate) -> list[str]:
    lines = [f"  {'survey, nested CV of the gate (held out)':44s} {'selection procedure':>20s} {'OLS baseline':>13s}"]
    lines.append(f"  {'R² (out of sample)':44s} {gate.chosen_metrics['r2']:20.3f} {gate.baseline_metrics['r2']:13.3f}")
    for quota, quota_name, _ in QUOTA_NAMES:
        for kind in ("exclusion_error", "inclusion_error"):
            lines.append(f"  {kind.replace('_', ' ') + ' at ' + quota_name:44s} "
                         f"{100 * gate.chosen_metrics[quota][kind]:19.1f}% {100 * gate.baseline_metrics[quota][kind]:12.1f}%")
    return lines


def run_size(persons: int, seed: int, work: Path, settings: TrainingSettings, standin: bool = True,
             world: str = "default", households: int | None = None) -> dict:
    from dtsen_assets.synth import generate_drop

    tag = f"{world}_{persons}_{households or 'default'}"
    drop = work / f"drop_{tag}"
    database = work / f"warehouse_{tag}.duckdb"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    generate_drop(drop, persons=persons, seed=seed, world=world, susenas_households=households)
    how = build_upstream(drop, database, standin)
    generated = time.perf_counter() - started
    with DuckDBWarehouse(database_path=str(database)).connect() as connection:
        survey = connection.execute(feature_query(connection, "staging.susenas_household", "id_rt").sql).df()
        started = time.perf_counter()
        result = train_pmt(survey, settings, load_regions(connection))
        trained = time.perf_counter() - started
        model = result.model
        scoring = score_families(connection, model, "welfare.pmt_score__bench", "welfare.belum_terdata__bench",
                                 Eligibility(), detail_table="welfare.pmt_score_detail__bench")
        stage_decile(connection, "welfare.pmt_score__bench", "dtsen.family", "welfare.decile__bench")
        shares = connection.execute("""
            SELECT d.desil, 100.0 * sum(f.jumlah_art) / sum(sum(f.jumlah_art)) OVER () AS share
            FROM welfare.decile__bench d JOIN dtsen.family f USING (family_id) GROUP BY d.desil ORDER BY d.desil
        """).fetchall()
        frame = evaluate_against_truth(connection, drop, model)
        families = connection.execute("SELECT count(*), sum(jumlah_art) FROM dtsen.family").fetchall()[0]
    gate = result.gate
    against_truth = figures(frame)
    print(f"\n=== world {world}, drop of {persons:,} persons (seed {seed}), survey of {len(result.data.frame):,} "
          f"households — upstream: {how}")
    print(f"  families {families[0]:,} ({int(families[1] or 0):,} persons); scored {scoring.scored:,}, belum terdata "
          f"{scoring.belum_terdata:,}; matched to truth {len(frame):,}")
    print(f"  selected by CV: {gate.selected}; published: {model.chosen.name} {model.chosen.params_}"
          f"{' (FALLBACK to the OLS baseline)' if gate.fallback_to_baseline else ''}; model_version {model.model_version}")
    print("  survey CV (weighted, out-of-fold) exclusion error at desil 1-4: " + ", ".join(
        f"{name} {100 * m['desil_1_4']['exclusion_error']:.1f}%" for name, m in result.cv_metrics.items()))
    print(f"  gate: {gate.summary}")
    for line in nested_cv_lines(gate) + report(against_truth, model.chosen.name):
        print(line)
    print("  persons per desil (%): " + " ".join(f"{d}:{s:.2f}" for d, s in shares))
    worst = max(abs(s - 10.0) for _, s in shares)
    print(f"  largest deviation from 10%: {worst:.3f} pp ({'OK' if worst <= 0.5 else 'FAILS'} the 0.5 pp rule)")
    print(f"  timings: generate+upstream {generated:.1f} s, train {trained:.1f} s, score {scoring.seconds:.1f} s",
          flush=True)
    return {"world": world, "households": len(result.data.frame), "published": model.chosen.name,
            "selected": gate.selected, "fallback": gate.fallback_to_baseline, "truth": against_truth, "gate": gate,
            "model": model, "database": database, "scoring_seconds": scoring.seconds, "train_seconds": trained}


def summary_table(rows: list[dict]) -> list[str]:
    header = (f"| world | survey households | published (selected) | excl. d1-4: published / OLS / truth | "
              f"incl. d1-4: published / OLS | excl. d1: published / OLS / truth | incl. d1: published / OLS | "
              f"R²: published / OLS / truth | nested CV excl. d1-4: procedure / OLS | nested CV R²: procedure / OLS |")
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for r in rows:
        t, g = r["truth"], r["gate"]

        def pct(*values):
            return " / ".join(f"{100 * v:.1f}" for v in values)
        published = r["published"] + ("" if r["published"] == r["selected"] else f" ({r['selected']}; fallback)")
        lines.append(
            f"| {r['world']} | {r['households']:,} | {published} | "
            f"{pct(t['published']['desil_1_4']['exclusion_error'], t['ols']['desil_1_4']['exclusion_error'], t['truth']['desil_1_4']['exclusion_error'])} | "
            f"{pct(t['published']['desil_1_4']['inclusion_error'], t['ols']['desil_1_4']['inclusion_error'])} | "
            f"{pct(t['published']['desil_1']['exclusion_error'], t['ols']['desil_1']['exclusion_error'], t['truth']['desil_1']['exclusion_error'])} | "
            f"{pct(t['published']['desil_1']['inclusion_error'], t['ols']['desil_1']['inclusion_error'])} | "
            f"{t['published']['r2']:.3f} / {t['ols']['r2']:.3f} / {t['truth']['r2']:.3f} | "
            f"{pct(g.chosen_metrics['desil_1_4']['exclusion_error'], g.baseline_metrics['desil_1_4']['exclusion_error'])} | "
            f"{g.chosen_metrics['r2']:.3f} / {g.baseline_metrics['r2']:.3f} |")
    return lines


def time_scoring(persons: int, seed: int, work: Path, settings: TrainingSettings, standin: bool = True) -> None:
    seconds = run_size(persons, seed, work, settings, standin)["scoring_seconds"]
    verdict = "under" if seconds < 60 else "NOT under"
    print(f"\nScoring the families of {persons:,} persons took {seconds:.1f} s ({verdict} 60 s): features computed in "
          "DuckDB, streamed through the model in Arrow batches, scores INSERTed back.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=150_000, help="persons of every generated drop")
    parser.add_argument("--worlds", nargs="+", default=list(WORLDS), choices=WORLDS)
    parser.add_argument("--survey-households", type=int, nargs="+", default=[2_500, 10_000],
                        help="SUSENAS sizes to generate (the generator's --susenas-households)")
    parser.add_argument("--candidates", nargs="+", default=None, help="PMT candidates (default: the asset's default)")
    parser.add_argument("--cv-repeats", type=int, default=None,
                        help="repetitions of the cross-validation and of the gate's nested CV (default: the asset's)")
    parser.add_argument("--scoring-persons", type=int, default=0, help="also time scoring a drop of this many persons")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", default="/tmp/dtsen_bench_welfare")
    parser.add_argument("--pipeline", action="store_true",
                        help="build dtsen.family and the survey table with the upstream assets (raw, staging, unify) "
                             "instead of the stand-in read straight from the drop (REGSOSEK families only)")
    args = parser.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    settings = TrainingSettings(**({"candidates": tuple(args.candidates)} if args.candidates else {}),
                                **({"cv_repeats": args.cv_repeats} if args.cv_repeats else {}))
    print(f"candidates: {', '.join(settings.candidates)}; baseline ols_baseline; {settings.cv_folds} folds x "
          f"{settings.cv_repeats} repeats (nested CV for the gate)")
    rows = []
    for world in args.worlds:
        for households in args.survey_households:
            rows.append(run_size(args.persons, args.seed, work, settings, not args.pipeline, world, households))
    print("\nAll worlds and survey sizes (errors in %, persons-weighted, against the true consumption of every scored "
          "family; nested CV on the survey):")
    for line in summary_table(rows):
        print(line)
    for row in rows:
        if row["world"] == "linear":
            t = row["truth"]
            gain = 100 * (t["ols"]["desil_1_4"]["exclusion_error"] - t["published"]["desil_1_4"]["exclusion_error"])
            print(f"linear world, {row['households']:,} survey households: published exclusion error at desil 1-4 "
                  f"{'no worse than' if gain >= 0 else 'WORSE than'} OLS ({gain:+.1f} pp; "
                  f"{'>=' if gain >= 1 else '<'} 1 pp better)")
    if args.scoring_persons:
        time_scoring(args.scoring_persons, args.seed + 1, work, settings, not args.pipeline)
    print(f"\npeak memory of the benchmark (generation, upstream, training, scoring): {peak_memory_mb():,.0f} MB")
    print("machine:", machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
