"""`python -m dtsen_assets.finalize verify --semester 2026-S1`: recompute the hashes of a finalized semester.

Reads the warehouse named by DTSEN_DUCKDB_PATH (default data/warehouse.duckdb) read-only; exits 0
when every exported file matches its recorded sha256, 1 (naming each file) when one does not.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dtsen_assets.finalize.export import export_root, verify_snapshot
from dtsen_assets.finalize.snapshot import SEMESTER_TABLE
from dtsen_assets.resources.duckdb import DEFAULT_DATABASE_PATH, DuckDBWarehouse
from dtsen_assets.warehouse import table_exists


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dtsen_assets.finalize", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="recompute the sha256 of a finalized semester's Parquet files")
    verify.add_argument("--semester", help="e.g. 2026-S1; every finalized semester when omitted")
    verify.add_argument("--snapshot", type=int, help="a snapshot number (default: the current one of the semester)")
    verify.add_argument("--export-dir", help="where the semesters were exported (default: final/ next to the warehouse)")
    args = parser.parse_args(argv)

    database = os.environ.get("DTSEN_DUCKDB_PATH", DEFAULT_DATABASE_PATH)
    root = Path(args.export_dir) if args.export_dir else export_root(database)
    failed = False
    with DuckDBWarehouse(database_path=database).connect(read_only=True) as connection:
        if not table_exists(connection, SEMESTER_TABLE):
            print(f"{database}: no semester has been finalized", file=sys.stderr)
            return 1
        semesters = [args.semester] if args.semester else [r[0] for r in connection.execute(
            f"SELECT DISTINCT semester FROM {SEMESTER_TABLE} ORDER BY 1").fetchall()]
        for semester in semesters:
            try:
                result = verify_snapshot(connection, root, semester, args.snapshot)
            except LookupError as error:
                print(f"FAILED {error}", file=sys.stderr)
                failed = True
                continue
            if result.ok:
                print(f"OK {semester} snapshot {result.snapshot}: {result.files_checked} files match their sha256 "
                      f"({result.directory})")
            else:
                failed = True
                print(f"FAILED {semester} snapshot {result.snapshot}:", file=sys.stderr)
                for problem in result.problems:
                    print(f"  - {problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
