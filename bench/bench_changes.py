"""Benchmark of the change log: two consecutive semesters on generated drops, graded against the truth.

    python bench/bench_changes.py                    # 20,000 persons, default problem rates
    python bench/bench_changes.py 10000 --clean      # no data problems in the first drop

Generates a drop, builds it (the whole graph, in-process), snapshots it as 2026-S1, generates its next
semester (`python -m dtsen_assets.synth next`), builds that into the same warehouse, snapshots it as
2026-S2 and writes final.perubahan; then prints, per jenis, what the truth expects, what was logged,
precision, recall and how often the alasan agrees, how desil moves follow housing changes, and the
time of each step. Persons the pipeline could not resolve (their truth person has no person_id) count
as missed. Never part of the tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine import machine  # noqa: E402  (bench/machine.py, beside this script)

import dagster as dg  # noqa: E402

from dtsen_assets.change_log import build_change_log, snapshot_for_tests  # noqa: E402
from dtsen_assets.definitions import build_assets  # noqa: E402
from dtsen_assets.resources import DuckDBWarehouse, ModelStore, ReportsDirectory, SourceDrop  # noqa: E402
from dtsen_assets.synth import generate_drop  # noqa: E402
from dtsen_assets.synth.grading import grade_change_log, person_ids_of_truth  # noqa: E402
from dtsen_assets.synth.next_semester import next_semester  # noqa: E402


def build(drop: Path, database: Path) -> None:
    result = dg.materialize(build_assets, resources={"source_drop": SourceDrop(source_dir=str(drop)),
                                                     "warehouse": DuckDBWarehouse(database_path=str(database)), "model_store": ModelStore(),
                                                     "reports": ReportsDirectory(path=str(database.parent / "laporan"))},
                            raise_on_error=False)
    if not result.success:
        raise SystemExit(f"the build of {drop} failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("persons", type=int, nargs="?", default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--clean", action="store_true", help="first drop without data problems")
    parser.add_argument("--keep", help="keep drops and warehouse in this folder")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_changes_"))
    work.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    try:
        first, second, database = work / "semester1", work / "semester2", work / "warehouse.duckdb"
        database.unlink(missing_ok=True)
        started = time.perf_counter()
        generate_drop(first, persons=args.persons, seed=args.seed, rate_scale=0.0 if args.clean else None)
        timings["generate"] = time.perf_counter() - started
        started = time.perf_counter()
        generated = next_semester(first, second, seed=args.seed)
        timings["generate_next"] = time.perf_counter() - started
        warehouse = DuckDBWarehouse(database_path=str(database))
        ids = {}
        for semester, drop in (("2026-S1", first), ("2026-S2", second)):
            started = time.perf_counter()
            build(drop, database)
            timings[f"build_{semester}"] = time.perf_counter() - started
            with warehouse.connect() as connection:
                ids[semester] = person_ids_of_truth(connection, drop / "truth")
                snapshot_for_tests(connection, semester)
        started = time.perf_counter()
        with warehouse.connect() as connection:
            counts = build_change_log(connection, "2026-S2", "2026-S1")
            log = connection.execute("SELECT * FROM final.perubahan WHERE semester = '2026-S2'").df()
            history = connection.execute(
                "SELECT reason, count(*) FROM unify.person_id_history GROUP BY ALL ORDER BY 1").fetchall()
        timings["change_log"] = time.perf_counter() - started
        changes = pd.read_csv(second / "truth" / "changes.csv", dtype=str, keep_default_na=False)
        report = grade_change_log(log, changes, ids["2026-S1"], ids["2026-S2"])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"machine: {json.dumps(machine())}")
    print(f"persons: {args.persons:,}  seed: {args.seed}  first drop: {'clean' if args.clean else 'default problem rates'}")
    print(f"changes generated (persons): {json.dumps(generated)}")
    print(f"\n{'jenis':<16}{'expected':>9}{'logged':>8}{'found':>7}{'precision':>10}{'recall':>8}{'alasan ok':>10}"
          f"{'no id':>7}")
    for jenis in ("masuk", "keluar", "pindah_keluarga"):
        r = report[jenis]
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        print(f"{jenis:<16}{r['expected']:>9}{r['logged']:>8}{r['found']:>7}{fmt(r['precision']):>10}"
              f"{fmt(r['recall']):>8}{fmt(r['alasan_agrees']):>10}{r['unmatched_truth']:>7}")
    print(f"\nlogged although the truth expects no entry (by change): {report['logged_though_no_change_expected']}")
    for change in ("rumah_membaik", "rumah_memburuk"):
        print(f"{change}: {report[change]}")
    print(f"desil moves logged: {report['desil_moves_logged']}")
    print(f"change log (jenis, alasan): { {f'{j}/{a}': n for (j, a), n in counts.items()} }")
    print(f"retired ids (unify.person_id_history): {dict(history)}")
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))


if __name__ == "__main__":
    main()
