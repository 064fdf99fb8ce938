"""Benchmark of the drop generator: persons per second, wall time, peak memory.

    python bench/bench_synth.py              # 1,000,000 persons into a temporary folder
    python bench/bench_synth.py 10000000 --keep bench/out/drop_10m
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from dtsen_assets.synth import generate_drop

from machine import machine, peak_memory_mb  # bench/machine.py, beside this script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("persons", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="write the drop here and keep it (default: a temporary folder, removed)")
    parser.add_argument("--workers", type=int, help="processes building chunks (default: one per core)")
    args = parser.parse_args()

    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_synth_"))
    try:
        started = time.perf_counter()
        summary = generate_drop(out, args.persons, args.seed, workers=args.workers)
        wall = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1024 ** 2
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({
        "persons": summary["persons"],
        "families": summary["families"],
        "workers": args.workers or "one per core",
        "wall_seconds": round(wall, 1),
        "persons_per_second": round(summary["persons"] / wall),
        "peak_memory_mb": round(peak_memory_mb()),
        "drop_size_mb": round(size_mb),
        "machine": machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
