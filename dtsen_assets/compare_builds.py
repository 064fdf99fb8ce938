"""Did two builds of one drop publish the same tables? Compares two warehouse files table by table.

    python -m dtsen_assets.compare_builds first.duckdb second.duckdb

e.g. after two builds of one drop, each into its own DTSEN_DUCKDB_PATH with the same DTSEN_ID_KEY, or
two runs of `bench/bench_scale.py --keep` with a copy of the warehouse taken in between.

Every published table (all schemas but raw, staging and internal `__` tables) is compared as a multiset
of rows (EXCEPT ALL both ways, inside DuckDB); for a table that differs, the columns whose values
differ are named. Only names and counts are printed, never a value: the tables hold NIKs and names.
Two fresh warehouses create two random id keys, so person_id and family_id differ unless both builds
are given the same key (DTSEN_ID_KEY); release ids and publication times always differ.
Exit status 1 when a table other than those expected to differ (`EXPECTED`) differs.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from dtsen_assets.platform.sql import quote_literal

# columns that name the run or the moment, not the data
EXPECTED = {"dtsen.release": {"release_id", "run_id", "published_at"}, "secret.id_key": {"created_at"}}


def differing_rows(connection: duckdb.DuckDBPyConnection, table: str, columns: str = "*") -> int:
    return connection.execute(
        f"SELECT count(*) FROM ((SELECT {columns} FROM a.{table} EXCEPT ALL SELECT {columns} FROM b.{table}) "
        f"UNION ALL (SELECT {columns} FROM b.{table} EXCEPT ALL SELECT {columns} FROM a.{table}))").fetchall()[0][0]


def compare(first: str, second: str) -> dict[str, tuple[int, int, list[str]]]:
    """table -> (rows in the first, rows differing both ways, the columns that differ)."""
    out = {}
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH {quote_literal(first)} AS a (READ_ONLY)")
        connection.execute(f"ATTACH {quote_literal(second)} AS b (READ_ONLY)")
        tables = connection.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'a' "
            "AND schema_name NOT IN ('raw', 'staging') AND table_name NOT LIKE '%\\_\\_%' ESCAPE '\\' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            rows = connection.execute(f"SELECT count(*) FROM a.{table}").fetchall()[0][0]
            differing = differing_rows(connection, table)
            columns = []
            if differing:
                names = [row[0] for row in connection.execute(f"DESCRIBE a.{table}").fetchall()]
                columns = [name for name in names if differing_rows(connection, table, f'"{name}"')]
            out[table] = (rows, differing, columns)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args()
    unexpected = 0
    for table, (rows, differing, columns) in compare(args.first, args.second).items():
        if not differing:
            print(f"  {table:<32} identical ({rows:,} rows)")
            continue
        surprising = sorted(set(columns) - EXPECTED.get(table, set()))
        unexpected += bool(surprising)
        print(f"  {table:<32} {differing:,} rows differ (of {rows:,}); columns: {', '.join(columns)}"
              + ("" if not surprising else "  <- NOT EXPECTED"))
    print("same tables" if not unexpected else f"{unexpected} table(s) differ beyond run ids and times")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
