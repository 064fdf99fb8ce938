"""python -m dtsen_assets.explain --nik N | --person-id ID | --family-id ID [--json] [--unmask --reason R]

Reads the warehouse named by DTSEN_DUCKDB_PATH (default data/warehouse.duckdb), read-only unless
--unmask is given (the unmasked use is then written to audit.unmask_log first). docs/audit.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from dtsen_assets.explain.core import ExplainQuery, explain, find_person_ids
from dtsen_assets.explain.render import render_text
from dtsen_assets.explain.unmask_log import record_unmasked_use
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.resources.duckdb import DEFAULT_DATABASE_PATH


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dtsen_assets.explain",
        description="Why is this person or family where it is: source records and how they were linked, where "
                    "every value came from, verivali, PMT score, factors, desil and the cut points around it.")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--nik", help="a NIK: the person Dukcapil confirms it for, and any person whose record wrote it")
    target.add_argument("--person-id", help="a person_id of dtsen.person")
    target.add_argument("--family-id", help="a family_id of dtsen.family (all its members)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--unmask", action="store_true",
                        help="show NIK, NO_KK, names and birth dates in the clear (logged in audit.unmask_log)")
    parser.add_argument("--reason", help="why the unmasked view is needed (required with --unmask), e.g. the "
                                         "sanggahan or audit letter number")
    parser.add_argument("--database", help="the DuckDB file (default: DTSEN_DUCKDB_PATH, else data/warehouse.duckdb)")
    args = parser.parse_args(argv)
    if args.unmask and not (args.reason and args.reason.strip()):
        parser.error("--unmask needs --reason (what the unmasked view is for; it is logged)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.nik:
        query = ExplainQuery("nik", args.nik.strip())
    elif args.person_id:
        query = ExplainQuery("person_id", args.person_id.strip())
    else:
        query = ExplainQuery("family_id", args.family_id.strip())
    database = args.database or os.environ.get("DTSEN_DUCKDB_PATH") or DEFAULT_DATABASE_PATH
    if not os.path.exists(database):
        print(f"no warehouse at {database} (set DTSEN_DUCKDB_PATH)", file=sys.stderr)
        return 2
    warehouse = DuckDBWarehouse(database_path=database)
    with warehouse.connect(read_only=not args.unmask) as connection:
        if args.unmask:
            person_ids = find_person_ids(connection, query)
            family_ids = sorted({r[0] for r in connection.execute(
                "SELECT DISTINCT family_id FROM dtsen.person WHERE list_contains(?, person_id) AND family_id IS NOT NULL",
                [person_ids]).fetchall()} | ({query.value} if query.kind == "family_id" else set()))
            record_unmasked_use(connection, query.kind, query.value, args.reason.strip(), person_ids, family_ids)
        result = explain(connection, query, unmask=args.unmask)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        print(render_text(result))
    return 0 if result["found"] else 1


if __name__ == "__main__":
    sys.exit(main())
