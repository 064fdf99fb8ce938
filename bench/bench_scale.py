"""Scale benchmark of the whole job `dtsen_build` (issue 13): per-asset cost, raw-ingest ratio, exponent.

    python bench/bench_scale.py                                   # 1,000,000 and 10,000,000 persons
    python bench/bench_scale.py --persons 1000000 --keep bench/out/scale
    python bench/bench_scale.py --persons 10000000 --generate-only --keep bench/out/scale   # time the generator

For each size, in one run:
1. generate the drop (python -m dtsen_assets.synth, timed; reused when --keep already holds it);
2. the baseline: a raw DuckDB ingest of the same drop (every file of the drop read into a table with
   read_csv, in a child process, into a fresh DuckDB file with the same settings);
3. the job `dtsen_build` exactly as the README documents (the CLI in a child process, its own
   DAGSTER_HOME and DuckDB file), with the peak resident memory of the whole process tree (polled);
4. per asset (step) from the run's event log: wall time (step start to success), rows
   (dagster/row_count of its materializations) and rows/s;
5. accuracy against the generator's truth: linkage pairwise precision/recall (as bench_unify.py)
   and desil targeting (as bench_welfare.py: exclusion and inclusion error at desil 1-4 and desil 1).

Then the targets of issue 13, met or not, the scaling exponent between the two largest sizes
log(t2/t1)/log(n2/n1), and the machine. The CPU may be shared with other work: the load average
is printed with the machine, and the ratio to the raw ingest of the same run is the figure to compare
runs by (a fixed DuckDB join probe was tried and did not follow the machine's slow states; the ingest
did). Never part of the test run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine import machine  # noqa: E402  bench/machine.py, beside this script

from dtsen_assets.platform.event_log import instance_yaml  # noqa: E402  the project's instance, as scripts/setup.sh writes it

DAGSTER = Path(sys.executable).with_name("dagster")
TARGETS = {
    "wall_seconds_1m": 90.0, "raw_ratio_1m": 12.0, "raw_ratio_goal": 4.0,
    "wall_seconds_10m": 15 * 60.0, "peak_gib_10m": 8.0, "exponent": 1.1, "generate_seconds_10m": 300.0,
}


# ---------------------------------------------------------------- memory of a process tree

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _tree_usage(root: int) -> tuple[int, float]:
    """Resident bytes and CPU seconds (user + system) of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry))
    rss, cpu, todo = 0, 0.0, [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        if pid in stats:
            rss += int(stats[pid][21]) * page                          # rss (pages)
            # utime + stime, and cutime + cstime: the children it has reaped (the steps of the multiprocess
            # executor end before the next poll and are reaped by their forkserver)
            cpu += sum(int(stats[pid][i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS
        todo.extend(children.get(pid, []))
    return rss, cpu


def run_measured(command: list[str], env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `command`: its wall seconds, CPU seconds, peak resident GiB of its process tree (polled every
    0.2 s) and the samples (unix time, CPU seconds of the tree) that give each step its CPU time."""
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, samples = [0], []

    def poll() -> None:
        while process.poll() is None:
            rss, cpu = _tree_usage(process.pid)
            peak[0] = max(peak[0], rss)
            samples.append((time.time(), cpu))
            time.sleep(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    poller.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (subprocess.CompletedProcess(command, process.returncode, stdout, stderr),
            {"wall": wall, "cpu": cpu, "peak_gib": peak[0] / 1024 ** 3, "samples": samples})


def cpu_between(samples: list[tuple[float, float]], start: float, end: float) -> float | None:
    """CPU seconds of the tree between two unix times, from the last samples before each."""
    at = [cpu for t, cpu in samples if t <= start], [cpu for t, cpu in samples if t <= end]
    return at[1][-1] - at[0][-1] if at[0] and at[1] else None


# ---------------------------------------------------------------- the stages of one size

def generate(drop: Path, persons: int, seed: int, rates: tuple[str, ...] = ()) -> dict:
    summary = drop / "truth" / "summary.json"
    if summary.is_file() and json.loads(summary.read_text()).get("persons") == persons:
        return {"generated": "reused", **_drop_figures(drop)}
    done, usage = run_measured([sys.executable, "-m", "dtsen_assets.synth", "--persons", str(persons),
                                "--seed", str(seed), "--out", str(drop),
                                *[part for rate in rates for part in ("--rate", rate)]])
    if done.returncode != 0:
        raise SystemExit(f"generation failed:\n{done.stderr[-3000:]}")
    return {"generated": "now", "generate_seconds": usage["wall"], "generate_cpu_seconds": usage["cpu"],
            "generate_peak_gib": usage["peak_gib"], **_drop_figures(drop)}


def _drop_files(drop: Path) -> list[Path]:
    """Every file of the drop the pipeline reads (not truth/, not the manifest)."""
    return sorted(p for p in drop.rglob("*.csv") if "truth" not in p.relative_to(drop).parts)


def _drop_figures(drop: Path) -> dict:
    files = _drop_files(drop)
    return {"drop_files": len(files), "drop_gib": sum(p.stat().st_size for p in files) / 1024 ** 3}


RAW_INGEST = """
import duckdb, json, sys, time
database, settings, files = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
connection = duckdb.connect(database)
connection.execute("SET enable_progress_bar = false")   # its bar would share the line of the result
for name, value in settings.items():
    connection.execute(f"SET {name} = '{value}'")
started = time.perf_counter()
rows = 0
for i, path in enumerate(files):
    connection.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?, all_varchar = true)", [path])
    rows += connection.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]
connection.execute("CHECKPOINT")
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""


def raw_ingest(drop: Path, work: Path, settings: dict) -> dict:
    """The baseline: every file of the drop into a DuckDB table (read_csv, types left as text)."""
    database = work / "raw_ingest.duckdb"
    database.unlink(missing_ok=True)
    duckdb_settings = {"temp_directory": str(work / ".duckdb_tmp_raw"),
                       **{k: v for k, v in settings.items() if k in ("memory_limit", "threads") and v}}
    done, usage = run_measured([sys.executable, "-c", RAW_INGEST, str(database), json.dumps(duckdb_settings),
                                *map(str, _drop_files(drop))])
    database.unlink(missing_ok=True)
    if done.returncode != 0:
        raise SystemExit(f"raw ingest failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"raw_seconds": result["seconds"], "raw_rows": result["rows"], "raw_process_seconds": usage["wall"],
            "raw_cpu_seconds": usage["cpu"], "raw_peak_gib": usage["peak_gib"]}


def run_config(settings: dict, work: Path, job: str = "dtsen_build") -> list[str]:
    """`-c run_config.yaml` setting the warehouse's DuckDB memory limit and threads, when given, and for
    dtsen_build_provinces the shards' minimum sizes (unify, scoring), when given.

    Run config replaces the whole config of the resource, so it restates what the Definitions set
    (the path from DTSEN_DUCKDB_PATH, release_per_run) beside the memory limit and threads.
    """
    config = {k: v for k, v in settings.items() if k in ("memory_limit", "threads") and v}
    lines = []
    if config:
        lines += ["resources:", "  warehouse:", "    config:", "      database_path: {env: DTSEN_DUCKDB_PATH}",
                  "      release_per_run: true"] + [f"      {k}: {json.dumps(v)}" for k, v in config.items()]
    ops = []
    if job == "dtsen_build_provinces" and settings.get("min_shard_records"):
        for asset, plan in (("staging__shards", "staging_shard_plan"), ("unify__shards", "unify_shard_plan")):
            ops += [f"  {asset}:", "    ops:", f"      {plan}:", "        config:",
                    f"          min_shard_records: {int(settings['min_shard_records'])}"]
    if job == "dtsen_build_provinces" and settings.get("min_shard_families"):
        ops += ["  welfare__score_shards:", "    ops:", "      score_shard_plan:", "        config:",
                f"          min_shard_families: {int(settings['min_shard_families'])}"]
    if ops:
        lines += ["ops:", *ops]
    if not lines:
        return []
    path = work / "run_config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return ["-c", str(path)]


def build(drop: Path, work: Path, settings: dict, job: str = "dtsen_build", fresh: bool = True) -> dict:
    """`dagster job execute -j <job>` in a child process with its own instance and warehouse: a new one
    (`fresh`), or the one the previous build left (a continuing release: the drift checks compare with the
    published tables, ids are kept from the previous release, the PMT model is reused)."""
    work.mkdir(parents=True, exist_ok=True)
    database, dagster_home = work / "warehouse.duckdb", work / "dagster_home"
    if fresh:
        for path in (database, Path(f"{database}.wal")):
            path.unlink(missing_ok=True)
        shutil.rmtree(dagster_home, ignore_errors=True)
        shutil.rmtree(work / "laporan", ignore_errors=True)
        dagster_home.mkdir(parents=True)
        (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n" + instance_yaml(dagster_home))
    env = {**os.environ, "DTSEN_SOURCE_DIR": str(drop), "DTSEN_DUCKDB_PATH": str(database),
           "DAGSTER_HOME": str(dagster_home)}
    command = [str(DAGSTER), "job", "execute", "-m", "dtsen_assets.definitions", "-j", job,
               *run_config(settings, work, job)]
    done, usage = run_measured(command, env)
    result = {"job": job if fresh else f"{job} (again, on its own release)", "succeeded": done.returncode == 0, "wall_seconds": usage["wall"], "cpu_seconds": usage["cpu"],
              "peak_gib": usage["peak_gib"],
              "warehouse_gib": database.stat().st_size / 1024 ** 3 if database.exists() else 0.0}
    if done.returncode != 0:
        result["log_tail"] = (done.stdout[-2000:] + "\n" + done.stderr[-3000:]).strip()
    result["steps"] = step_profile(dagster_home)
    for step in result["steps"].get("steps", {}).values():
        if "start" in step and "end" in step:
            step["cpu"] = cpu_between(usage["samples"], step["start"], step["end"])
    result["duckdb"] = duckdb_settings(work / "settings_probe.duckdb", settings)
    return result


STEP_PROFILE = """
import json, dagster as dg
instance = dg.DagsterInstance.get()
runs = instance.get_runs(limit=1)
steps, first, last, province_shards, unify_files = {}, None, None, None, None
for e in (instance.all_logs(runs[0].run_id) if runs else []):
    first = e.timestamp if first is None else first
    last = e.timestamp
    if not e.is_dagster_event or not e.step_key:
        continue
    step = steps.setdefault(e.step_key, {"rows": 0, "assets": 0, "events": 0})
    step["events"] += 1
    kind = e.dagster_event.event_type_value
    if kind == "STEP_START":
        step["start"] = e.timestamp
    elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
        step["end"], step["status"] = e.timestamp, kind
    elif kind == "ASSET_MATERIALIZATION":
        step["assets"] += 1
        metadata = e.dagster_event.step_materialization_data.materialization.metadata
        rows = metadata.get("dagster/row_count")
        step["rows"] += int(rows.value) if rows is not None else 0
        if "province_shards" in metadata:       # what the shards shared, or why they were not used
            province_shards = metadata["province_shards"].value
        if "timings_seconds" in metadata and unify_files is None:    # unify's seconds per SQL file
            unify_files = metadata["timings_seconds"].value
events = len(instance.all_logs(runs[0].run_id)) if runs else 0
print(json.dumps({"steps": steps, "run_seconds": (last - first) if first else 0.0, "events": events,
                  "province_shards": province_shards, "unify_files": unify_files}))
"""


def unify_slowest(timings: dict, most: int = 10) -> str:
    """The unify step's slowest parts by their seconds (its `timings_seconds` metadata: SQL files and the
    Splink calls), without the totals."""
    parts = sorted(((k, v) for k, v in timings.items() if k not in ("total", "stage") and "#" not in k),
                   key=lambda item: -item[1])
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in parts[:most])


def step_profile(dagster_home: Path) -> dict:
    """Per step of the latest run: seconds from start to success, rows materialized, events."""
    done = subprocess.run([sys.executable, "-c", STEP_PROFILE], env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"error": done.stderr[-1500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def duckdb_settings(database: Path, settings: dict) -> dict:
    """DuckDB's settings as the warehouse resource opens its connections (memory limit, threads, spill
    folder), read from a throwaway file beside the warehouse."""
    from dtsen_assets.resources import DuckDBWarehouse

    config = {k: v for k, v in settings.items() if k in ("memory_limit", "threads") and v}
    with DuckDBWarehouse(database_path=str(database), **config).connect() as connection:
        rows = connection.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                  "('threads', 'memory_limit', 'temp_directory', 'max_temp_directory_size')").fetchall()
    database.unlink(missing_ok=True)
    return dict(rows)


def accuracy(database: Path, drop: Path) -> dict:
    """Linkage and desil against truth/ (dtsen_assets/synth/scoring.py)."""
    import duckdb

    from dtsen_assets.synth.scoring import desil_against_truth, movers_against_truth, score_against_truth

    with duckdb.connect(str(database), read_only=True) as connection:
        linkage = score_against_truth(connection, drop)
        desil = desil_against_truth(connection, drop)
        movers = movers_against_truth(connection, drop)
    return {"linkage": linkage, "desil": desil, "movers": movers}


def bench_size(persons: int, seed: int, out: Path, settings: dict, generate_only: bool,
               jobs: tuple[str, ...] = ("dtsen_build",), rates: tuple[str, ...] = (), again: bool = False) -> dict:
    # a drop with other rates is another drop: its own folder
    work = out / "_".join([f"scale_{persons}_{seed}", *[r.replace("=", "-") for r in sorted(rates)]])
    work.mkdir(parents=True, exist_ok=True)
    drop = work / "drop"
    result = {"persons": persons, "seed": seed, "rates": list(rates), **generate(drop, persons, seed, rates)}
    result.update(raw_ingest(drop, work, settings))
    if generate_only:
        return result
    result["builds"] = {}
    for job in jobs:
        # each job in a folder of its own (its instance and warehouse); dtsen_build's stays where it was
        place = work if job == "dtsen_build" else work / job
        built = build(drop, place, settings, job)
        if built["succeeded"]:
            built["accuracy"] = accuracy(place / "warehouse.duckdb", drop)
        result["builds"][job] = built
        if again and built["succeeded"]:
            rebuilt = build(drop, place, settings, job, fresh=False)
            if rebuilt["succeeded"]:
                rebuilt["accuracy"] = accuracy(place / "warehouse.duckdb", drop)
            result["builds"][rebuilt["job"]] = rebuilt
    return result


# ---------------------------------------------------------------- the report

def _mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(result: dict) -> None:
    n = result["persons"]
    rates = f", rates {', '.join(result['rates'])}" if result.get('rates') else ''
    print(f"\n=== {n:,} persons (seed {result['seed']}{rates}) ===")
    if "generate_seconds" in result:
        print(f"generation {result['generate_seconds']:.1f} s ({n / result['generate_seconds']:,.0f} persons/s; "
              f"CPU {result['generate_cpu_seconds']:.1f} s), peak {result['generate_peak_gib']:.2f} GiB")
    else:
        print("generation: drop reused (not timed in this run)")
    print(f"drop: {result['drop_files']} files, {result['drop_gib']:.2f} GiB")
    print(f"raw DuckDB ingest (baseline): {result['raw_seconds']:.1f} s for {result['raw_rows']:,} rows "
          f"({result['raw_rows'] / result['raw_seconds']:,.0f} rows/s; child process {result['raw_process_seconds']:.1f} s, "
          f"CPU {result['raw_cpu_seconds']:.1f} s, peak {result['raw_peak_gib']:.2f} GiB)")
    for build_result in result.get("builds", {}).values():
        report_build(result, build_result)


def _union_seconds(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one step (steps of dtsen_build_provinces overlap)."""
    total, end = 0.0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def report_build(result: dict, build_result: dict) -> None:
    wall = build_result["wall_seconds"]
    print(f"\n{build_result['job']}: {'succeeded' if build_result['succeeded'] else 'FAILED'}; end-to-end {wall:.1f} s "
          f"(CLI process start to exit), CPU {build_result['cpu_seconds']:.1f} s; peak RSS of the process tree "
          f"{build_result['peak_gib']:.2f} GiB; "
          f"warehouse {build_result['warehouse_gib']:.2f} GiB")
    print(f"ratio to the raw ingest: {wall / result['raw_seconds']:.1f}x wall"
          f" ({build_result['cpu_seconds'] / result['raw_cpu_seconds']:.1f}x in CPU seconds of the two processes)")
    print(f"DuckDB settings of the warehouse connections: {build_result['duckdb']}")
    profile = build_result["steps"]
    if "error" in profile:
        print("event log unreadable:", profile["error"])
    else:
        steps = {k: v for k, v in profile["steps"].items() if "start" in v and "end" in v}
        in_steps = _union_seconds([(v["start"], v["end"]) for v in steps.values()])
        summed = sum(v["end"] - v["start"] for v in steps.values())
        print(f"event log: {profile['events']:,} events; run {profile['run_seconds']:.1f} s from first to last event; "
              f"time in at least one step {in_steps:.1f} s (steps' own seconds added up: {summed:.1f} s); "
              f"outside steps (process start, imports, event log, between steps) {wall - in_steps:.1f} s")
        print(f"  {'step':<40} {'seconds':>8} {'share':>6} {'CPU s':>7} {'rows':>12} {'rows/s':>10} {'events':>7}")
        for key, step in sorted(steps.items(), key=lambda item: item[1]["start"] - item[1]["end"]):
            seconds = step["end"] - step["start"]
            rate = f"{step['rows'] / seconds:,.0f}" if step["rows"] and seconds > 0 else "-"
            cpu = f"{step['cpu']:.1f}" if step.get("cpu") is not None else "-"
            print(f"  {key:<40} {seconds:8.1f} {100 * seconds / wall:5.1f}% {cpu:>7} {step['rows']:>12,} {rate:>10} "
                  f"{step['events']:>7}")
    if profile.get("province_shards"):
        print(f"province shards: {json.dumps(profile['province_shards'])}")
    if profile.get("unify_files"):
        print(f"unify's slowest files (s): {unify_slowest(profile['unify_files'])}")
    if not build_result["succeeded"]:
        print(build_result["log_tail"])
        return
    linkage, desil = build_result["accuracy"]["linkage"], build_result["accuracy"]["desil"]
    print(f"linkage vs truth: pairwise precision {linkage['pairwise_precision']:.6f}, recall "
          f"{linkage['pairwise_recall']:.6f}, F1 {linkage['pairwise_f1']:.6f}; persons whose nik is the true NIK "
          f"{linkage['nik_true_share']:.6f}; dead made inactive {linkage['dead_made_inactive']:.6f}")
    print(f"desil vs true consumption ({desil['families']:,} scored families matched to truth): "
          f"desil 1-4 exclusion error {100 * desil['desil_1_4']['exclusion_error']:.1f}%, inclusion "
          f"{100 * desil['desil_1_4']['inclusion_error']:.1f}%; desil 1 exclusion "
          f"{100 * desil['desil_1']['exclusion_error']:.1f}%, inclusion {100 * desil['desil_1']['inclusion_error']:.1f}%")
    movers = build_result["accuracy"]["movers"]
    if movers["records"]:
        print(f"records listed in another province than their person today: {movers['records']:,}; "
              f"{movers['without_true_nik']:,} without the true NIK, {movers['linked_without_true_nik']:,} of them "
              f"linked to the true person's NIK")


def targets(results: list[dict]) -> None:
    jobs = sorted({job for r in results for job in r.get("builds", {})}) or ["dtsen_build"]
    for job in jobs:
        # each job's figures in the shape the targets read ("build": its result, "accuracy": its accuracy)
        targets_of(job, [{**r, "build": r.get("builds", {}).get(job, {}),
                          "accuracy": r.get("builds", {}).get(job, {}).get("accuracy")} for r in results])


def targets_of(job: str, results: list[dict]) -> None:
    print(f"\n=== targets of issue 13: {job} ===")
    by_size = {r["persons"]: r for r in results}
    built = {n: r for n, r in by_size.items() if r.get("build", {}).get("succeeded")}
    if 1_000_000 in built:
        r = built[1_000_000]
        wall, ratio = r["build"]["wall_seconds"], r["build"]["wall_seconds"] / r["raw_seconds"]
        print(f"  1M end-to-end <= {TARGETS['wall_seconds_1m']:.0f} s: {wall:.1f} s, {_mark(wall <= TARGETS['wall_seconds_1m'])}")
        print(f"  1M <= {TARGETS['raw_ratio_1m']:.0f}x the raw ingest: {ratio:.1f}x, {_mark(ratio <= TARGETS['raw_ratio_1m'])} "
              f"(long-run goal {TARGETS['raw_ratio_goal']:.0f}x: {_mark(ratio <= TARGETS['raw_ratio_goal'])})")
    else:
        print("  1M build: not run in this invocation")
    if 10_000_000 in built:
        r = built[10_000_000]
        wall, peak = r["build"]["wall_seconds"], r["build"]["peak_gib"]
        print(f"  10M end-to-end <= {TARGETS['wall_seconds_10m'] / 60:.0f} min: {wall / 60:.1f} min, "
              f"{_mark(wall <= TARGETS['wall_seconds_10m'])}")
        print(f"  10M peak memory <= {TARGETS['peak_gib_10m']:.0f} GiB: {peak:.2f} GiB, {_mark(peak <= TARGETS['peak_gib_10m'])}")
        if 1_000_000 in built:
            a, b = built[1_000_000]["accuracy"], r["accuracy"]
            ok = (b["linkage"]["pairwise_precision"] >= a["linkage"]["pairwise_precision"] - 1e-4
                  and b["linkage"]["pairwise_recall"] >= a["linkage"]["pairwise_recall"] - 1e-4
                  and b["desil"]["desil_1_4"]["exclusion_error"] <= a["desil"]["desil_1_4"]["exclusion_error"] + 0.005)
            print(f"  10M linkage and desil no worse than 1M (tolerance 1e-4, 0.5 points): {_mark(ok)}")
    else:
        print("  10M build: not run in this invocation")
    sizes = sorted(built)
    if len(sizes) >= 2:
        n1, n2 = sizes[-2], sizes[-1]
        t1, t2 = built[n1]["build"]["wall_seconds"], built[n2]["build"]["wall_seconds"]
        exponent = math.log(t2 / t1) / math.log(n2 / n1)
        print(f"  scaling exponent {n1:,} -> {n2:,} <= {TARGETS['exponent']}: {exponent:.3f}, "
              f"{_mark(exponent <= TARGETS['exponent'])}")
    else:
        print("  scaling exponent: needs two built sizes in one run")
    if 10_000_000 in by_size and "generate_seconds" in by_size[10_000_000]:
        seconds = by_size[10_000_000]["generate_seconds"]
        print(f"  generator writes 10M in <= {TARGETS['generate_seconds_10m'] / 60:.0f} min: {seconds:.1f} s, "
              f"{_mark(seconds <= TARGETS['generate_seconds_10m'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", nargs="+", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", help="folder for drops, warehouses and instances, kept (default: temporary)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit of the warehouse connections, e.g. 8GB for the "
                        "10M target (run config; default: as the Definitions leave it, DuckDB's 80%% of memory)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, all cores)")
    parser.add_argument("--generate-only", action="store_true", help="generate and raw-ingest only, no build")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    parser.add_argument("--jobs", nargs="+", default=["dtsen_build"], choices=["dtsen_build", "dtsen_build_provinces"],
                        help="the jobs to build each size with, one after the other (default: dtsen_build)")
    parser.add_argument("--rate", action="append", default=[], metavar="NAME=VALUE",
                        help="a problem rate of the generated drops (python -m dtsen_assets.synth --rate), e.g. "
                             "moved_province=0.02 for families that moved province (repeatable)")
    parser.add_argument("--again", action="store_true",
                        help="after each build, the same job again on the warehouse it left: a continuing release "
                             "(drift checks against the published tables, ids kept, the model reused), reported as "
                             "'<job> (again, on its own release)' with its own targets")
    parser.add_argument("--min-shard-records", type=int,
                        help="dtsen_build_provinces: min_shard_records of the staging and unify shards (default: the Definitions')")
    parser.add_argument("--min-shard-families", type=int,
                        help="dtsen_build_provinces: the score shards' minimum size (default: the Definitions')")
    args = parser.parse_args()

    out = (Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_scale_"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings = {"memory_limit": args.memory_limit, "threads": args.threads, "min_shard_records": args.min_shard_records,
                "min_shard_families": args.min_shard_families}
    print("machine:", json.dumps(machine()), "(2 cores may be shared with other work: see the load average)")
    results = []
    try:
        for persons in sorted(args.persons):
            result = bench_size(persons, args.seed, out, settings, args.generate_only, tuple(args.jobs),
                                tuple(args.rate), args.again)
            results.append(result)
            report(result)
            print("load average now:", [round(x, 2) for x in os.getloadavg()])
        targets(results)
    finally:
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1, default=str))
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print("machine at the end:", json.dumps(machine()))


if __name__ == "__main__":
    main()
