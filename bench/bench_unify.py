"""Benchmark of the unify stage on generated drops, scored against the generator's truth.

    python bench/bench_unify.py                        # 100,000 and 1,000,000 persons
    python bench/bench_unify.py 100000 --rate-scale 2  # a harder drop
    python bench/bench_unify.py 1000000 --keep bench/out   # keep drops and warehouses for a rerun
    python bench/bench_unify.py 1000000 --keep bench/out --profile   # also the heaviest SQL statements

For each size: generate a drop (python -m dtsen_assets.synth), load it through the raw and
staging assets (not timed), then run the unify stage (`run_unify`: stage, checks, publish) in a
child process, timed, with its peak memory. Then, against truth/:

- pairwise precision and recall of source records grouped by person_id (a pair is two records
  of one person; a rejected record pairs with nothing);
- share of persons whose nik is the true NIK of the person most of its records belong to;
- dead persons made inactive, living persons made inactive;
- comparisons per record (pairs scored: own NIK + candidate search + the rest).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine import machine  # noqa: E402  bench/machine.py, beside this script

WITH_BASELINE = False
PROFILE = False   # --profile: time every SQL statement (UnifyConfig.profile_statements) and print the heaviest
TARGETS = {"precision": 0.998, "recall": 0.997, "nik_true": 0.997, "dead_inactive": 0.995,
           "living_inactive_max": 0.0001, "wall_seconds_1m": 60.0, "peak_gib_1m": 4.0}


def generate(drop: Path, persons: int, seed: int, rate_args: list[str]) -> None:
    if (drop / "truth" / "summary.json").is_file():
        return
    command = [sys.executable, "-m", "dtsen_assets.synth", "--persons", str(persons), "--seed", str(seed),
               "--out", str(drop), *rate_args]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def load_staging(drop: Path, database: Path) -> str:
    """raw.* and staging.* for the drop, through the project's raw and staging assets (not timed)."""
    import dagster as dg

    from dtsen_assets.assets.sources import raw_source_assets
    from dtsen_assets.assets.staging import staging_assets
    from dtsen_assets.resources import DuckDBWarehouse, SourceDrop

    resources = {"source_drop": SourceDrop(source_dir=str(drop)), "warehouse": DuckDBWarehouse(database_path=str(database))}
    dg.materialize([*raw_source_assets, *staging_assets], resources=resources, raise_on_error=True,
                   run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    return "dtsen_assets.staging"


def run_stage_child(database: Path) -> dict:
    """The stage in a child process: wall time and that process's peak memory."""
    code = (
        "import json, resource, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from dtsen_assets.resources import DuckDBWarehouse\n"
        "from dtsen_assets.assets.unify import run_unify\n"
        "from dtsen_assets.unify.config import UnifyConfig\n"
        f"warehouse = DuckDBWarehouse(database_path={str(database)!r})\n"
        "started = time.perf_counter()\n"
        "with warehouse.connect() as connection:\n"
        f"    result = run_unify(connection, UnifyConfig(profile_statements={PROFILE!r}))\n"
        "wall = time.perf_counter() - started\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "peak = usage.ru_maxrss / 1024 ** 2\n"
        "print(json.dumps({'wall_seconds': wall, 'cpu_seconds': usage.ru_utime + usage.ru_stime, 'peak_gib': peak,\n"
        "  'published': result.published,\n"
        "  'timings': {**result.staged.timings, **result.timings}, 'figures': {k: v for k, v in result.staged.figures.items() if k != 'nik_correction_examples'},\n"
        "  'checks': {o.name: [o.passed, o.summary] for o in result.outcomes}}))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def evaluate(database: Path, drop: Path) -> dict:
    """Scores against truth/ (dtsen_assets/synth/scoring.py; DuckDB reads the truth files from the drop)."""
    import duckdb

    from dtsen_assets.synth.scoring import score_against_truth
    with duckdb.connect(str(database), read_only=True) as connection:
        return score_against_truth(connection, drop)


def baseline(database: Path, drop: Path) -> dict:
    """An off-the-shelf Splink dedupe of the source records, for comparison: the library's stock
    comparisons (name, date of birth, NIK, sex, village), the usual blocking, u by random sampling,
    m by EM, clustering at 0.95. No Dukcapil, no family cards, no NIK structure, no name rules."""
    import logging

    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from dtsen_assets.synth.scoring import score_against_truth

    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute(f"ATTACH '{database}' AS w (READ_ONLY)")
    connection.execute("""
        CREATE TABLE records AS
        SELECT row_number() OVER () AS unique_id, source, source_record_id, nik, nama, tgl_lahir, jenis_kelamin,
               kode_desa, no_kk
        FROM w.staging.person_record""")
    api = DuckDBAPI(connection=connection)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.NameComparison("nama"), cl.DateOfBirthComparison("tgl_lahir", input_is_string=False),
                     cl.LevenshteinAtThresholds("nik", [1, 2]), cl.ExactMatch("jenis_kelamin"),
                     cl.ExactMatch("kode_desa"), cl.ExactMatch("no_kk")],
        blocking_rules_to_generate_predictions=[block_on("nik"), block_on("nama", "tgl_lahir"),
                                                block_on("tgl_lahir", "kode_desa"), block_on("nama", "kode_desa")],
        retain_matching_columns=False)
    linker = Linker(api.register("records"), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match([block_on("nik", "tgl_lahir")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in (block_on("nik"), block_on("tgl_lahir", "kode_desa")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    connection.execute("CREATE SCHEMA dtsen")
    connection.execute(f"""CREATE TABLE dtsen.person_source AS SELECT source, source_record_id,
                           CAST(cluster_id AS VARCHAR) AS person_id FROM {clusters.physical_name}""")
    connection.execute("CREATE TABLE dtsen.person AS SELECT DISTINCT person_id, NULL::VARCHAR AS nik, true AS is_active "
                       "FROM dtsen.person_source")
    scores = score_against_truth(connection, drop)
    connection.close()
    return {"seconds": time.perf_counter() - started, **{k: scores[k] for k in
            ("pairwise_precision", "pairwise_recall", "pairwise_f1")}}


def bench(persons: int, seed: int, out: Path, rate_args: list[str]) -> dict:
    suffix = "" if not rate_args else "_" + "_".join(a.replace("=", "").replace("--", "") for a in rate_args)
    drop = out / f"drop_{persons}_{seed}{suffix}"
    database = out / f"warehouse_{persons}_{seed}{suffix}.duckdb"
    started = time.perf_counter()
    generate(drop, persons, seed, rate_args)
    generated = time.perf_counter() - started
    staging_copy = out / f"staging_{persons}_{seed}{suffix}.duckdb"
    if not staging_copy.is_file():
        started = time.perf_counter()
        staging_from = load_staging(drop, staging_copy)
        staging_seconds = time.perf_counter() - started
    else:
        staging_from, staging_seconds = "cached", 0.0
    shutil.copy(staging_copy, database)
    stage = run_stage_child(database)
    scores = evaluate(database, drop)
    if WITH_BASELINE:
        scores["baseline"] = baseline(staging_copy, drop)
    return {"persons": persons, "seed": seed, "rates": rate_args or "default", "generation_seconds": round(generated, 1),
            "staging": staging_from, "staging_seconds": round(staging_seconds, 1), **stage, **scores}


def report(result: dict) -> None:
    figures = result["figures"]
    print(f"\n=== {result['persons']:,} persons (seed {result['seed']}, rates {result['rates']}) ===")
    print(f"staging from {result['staging']}; unify published: {result['published']}")
    print(f"records {figures['records']:,} {figures['records_by_source']}; persons {figures['persons']}")
    rows = [
        ("pairwise precision", result["pairwise_precision"], f">= {TARGETS['precision']}"),
        ("pairwise recall", result["pairwise_recall"], f">= {TARGETS['recall']}"),
        ("pairwise F1", result["pairwise_f1"], ""),
        ("persons whose nik is the true NIK", result["nik_true_share"], f">= {TARGETS['nik_true']}"),
        ("dead persons made inactive", result["dead_made_inactive"], f">= {TARGETS['dead_inactive']}"),
        ("living persons made inactive", result["living_made_inactive"], f"<= {TARGETS['living_inactive_max']}"),
    ]
    for label, value, target in rows:
        print(f"  {label:<36} {value:.6f}   target {target}")
    print(f"  {'wall time of the stage':<36} {result['wall_seconds']:.1f} s   target < {TARGETS['wall_seconds_1m']:.0f} s at 1M")
    print(f"  {'CPU time of the stage (all threads)':<36} {result['cpu_seconds']:.1f} s   "
          f"(process start and imports included)")
    print(f"  {'peak memory of the stage':<36} {result['peak_gib']:.2f} GiB   target < {TARGETS['peak_gib_1m']:.0f} GiB at 1M")
    print(f"  {'comparisons per record':<36} {figures['comparisons_per_record']:.3f}   "
          f"(own NIK {figures['comparisons']['own_nik']:,}, search {figures['comparisons']['search']:,}, "
          f"rest {figures['comparisons']['rest']:,}; {figures['candidates_per_searched_record']:.2f} per searched record)")
    print(f"  true pairs {result['true_pairs']:,}, predicted pairs {result['predicted_pairs']:,}; "
          f"dead {result['dead_persons']:,}, living {result['living_persons']:,}")
    print(f"  match methods {figures['match_methods']}")
    print(f"  search left unmatched {figures['search_unmatched_reasons']}")
    timings = result["timings"]
    print(f"  timings (s) { {k: round(v, 1) for k, v in timings.items() if '#' not in k} }")
    statements = sorted(((k, v) for k, v in timings.items() if "#" in k and not k.endswith(" cpu")),
                        key=lambda item: -item[1])
    if statements:
        print("  heaviest statements (wall s / process CPU s):")
        for key, seconds in statements[:25]:
            print(f"    {key:<28} {seconds:6.2f} / {timings.get(key + ' cpu', 0.0):6.2f}")
    if "baseline" in result:
        b = result["baseline"]
        print(f"  off-the-shelf Splink (stock comparisons, no Dukcapil): precision {b['pairwise_precision']:.6f}, "
              f"recall {b['pairwise_recall']:.6f}, F1 {b['pairwise_f1']:.6f} ({b['seconds']:.0f} s)")
    failed = {k: v for k, v in result["checks"].items() if not v[0]}
    print(f"  checks: {'all passed' if not failed else failed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("persons", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", help="folder for drops and warehouses, kept (default: a temporary folder)")
    parser.add_argument("--rate-scale", type=float, help="multiply every problem rate of the generator")
    parser.add_argument("--rate", action="append", default=[], metavar="NAME=VALUE", help="override one problem rate")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--profile", action="store_true",
                        help="time every SQL statement of the stage and print the heaviest (UnifyConfig.profile_statements)")
    parser.add_argument("--baseline", action="store_true",
                        help="also run an off-the-shelf Splink dedupe on the same records, for comparison")
    args = parser.parse_args()
    global WITH_BASELINE, PROFILE
    WITH_BASELINE, PROFILE = args.baseline, args.profile
    rate_args = ([f"--rate-scale={args.rate_scale}"] if args.rate_scale is not None else []) + \
        [f"--rate={r}" for r in args.rate]
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_unify_"))
    out.mkdir(parents=True, exist_ok=True)
    print("machine:", json.dumps(machine()))
    results = []
    try:
        for persons in args.persons:
            result = bench(persons, args.seed, out, rate_args)
            results.append(result)
            report(result)
            print("machine load now:", round(os.getloadavg()[0], 2))
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(f"\nbench process peak memory (incl. staging): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2:.2f} GiB")
    if args.json:
        print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
