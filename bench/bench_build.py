"""Benchmark of the whole job `dtsen_build`: wall time per step and peak memory, from a generated drop.

    python bench/bench_build.py               # 1,000,000 persons
    python bench/bench_build.py 100000 --keep bench/out/build_100k

Runs the job exactly as `scripts/demo.sh` does (the CLI, `DTSEN_SOURCE_DIR` / `DTSEN_DUCKDB_PATH`,
one process), then reads each step's duration from the run's event log. Peak memory is that of the
job's process (and its children). Never part of the test run.
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

from machine import machine  # bench/machine.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).with_name("dagster")


def step_seconds(dagster_home: Path) -> dict[str, float]:
    """Duration of every step of the (only) run in this Dagster instance."""
    code = (
        "import json, dagster as dg\n"
        "instance = dg.DagsterInstance.get()\n"
        "run = instance.get_runs(limit=1)[0]\n"
        "started, done = {}, {}\n"
        "for e in instance.all_logs(run.run_id):\n"
        "    if e.is_dagster_event and e.dagster_event.event_type_value == 'STEP_START':\n"
        "        started[e.step_key] = e.timestamp\n"
        "    if e.is_dagster_event and e.dagster_event.event_type_value in ('STEP_SUCCESS', 'STEP_FAILURE'):\n"
        "        done[e.step_key] = e.timestamp\n"
        "print(json.dumps({k: done[k] - started[k] for k in done if k in started}))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("persons", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", help="folder for the drop, warehouse and instance, kept (default: temporary)")
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_build_"))
    work.mkdir(parents=True, exist_ok=True)
    drop, database, dagster_home = work / "drop", work / "warehouse.duckdb", work / "dagster_home"
    try:
        if not (drop / "dukcapil").is_dir():
            subprocess.run([sys.executable, "-m", "dtsen_assets.synth", "--persons", str(args.persons),
                            "--seed", str(args.seed), "--out", str(drop)], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        database.unlink(missing_ok=True)
        shutil.rmtree(dagster_home, ignore_errors=True)
        dagster_home.mkdir(parents=True)
        (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {**os.environ, "DTSEN_SOURCE_DIR": str(drop), "DTSEN_DUCKDB_PATH": str(database),
               "DAGSTER_HOME": str(dagster_home)}
        started = time.perf_counter()
        completed = subprocess.run([str(DAGSTER), "job", "execute", "-m", "dtsen_assets.definitions",
                                    "-j", "dtsen_build"], cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2
        print(f"dtsen_build on a generated drop of {args.persons:,} persons (seed {args.seed}): "
              f"{'succeeded' if completed.returncode == 0 else 'FAILED (rc ' + str(completed.returncode) + ')'}")
        print(f"  wall time of the job (process start to exit) {wall:.1f} s; peak memory {peak_gib:.2f} GiB")
        steps = step_seconds(dagster_home)
        print(f"  steps: {len(steps)}, together {sum(steps.values()):.1f} s; the slowest:")
        for step, seconds in sorted(steps.items(), key=lambda item: -item[1])[:10]:
            print(f"    {step:<36} {seconds:7.1f} s")
        size = database.stat().st_size / 1024 ** 3 if database.exists() else 0.0
        print(f"  warehouse file {size:.2f} GiB")
        print("machine:", machine())
        if completed.returncode != 0:
            print(completed.stdout[-3000:] + completed.stderr[-3000:])
            sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
