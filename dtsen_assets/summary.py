"""`python -m dtsen_assets.summary`: row counts of every published table and where the warehouse is."""

from __future__ import annotations

from pathlib import Path

from dtsen_assets.contract import SOURCE_FILES
from dtsen_assets.resources import DuckDBWarehouse, ReportsDirectory

PUBLISHED_SCHEMAS = ("raw", "staging", "dtsen", "unify", "welfare", "program", "final")


def published_row_counts(warehouse: DuckDBWarehouse) -> dict[str, int]:
    """Row count of every published table (staging copies left out), schema by schema."""
    with warehouse.connect(read_only=True) as connection:
        tables = connection.execute(
            """
            SELECT table_schema || '.' || table_name FROM information_schema.tables
            WHERE table_catalog = current_database() AND table_schema IN (SELECT unnest(?))
              AND table_name NOT LIKE '%\\_\\_staging%' ESCAPE '\\' AND NOT contains(table_name, '__run_')
            ORDER BY table_schema, table_name
            """,
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        return {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in tables}


def main() -> None:
    warehouse = DuckDBWarehouse()           # DTSEN_DUCKDB_PATH, else the default
    database = Path(warehouse.database_file)
    counts = published_row_counts(warehouse)
    print("\nRows per source file (schema raw):")
    for source_file in SOURCE_FILES:
        count = counts.get(source_file.table)
        shown = f"{count:,}" if count is not None else "not built"
        print(f"  {source_file.path:<28} {source_file.table:<28} {shown:>12}")
    others = {t: n for t, n in counts.items() if not t.startswith("raw.")}
    if others:
        print("\nOther published tables:")
        for table, count in others.items():
            print(f"  {table:<57} {count:>12,}")
    release = current_release_of(warehouse)
    if release:
        print(f"\nCurrent release: {release['release_id']} (drop sha256 {str(release['drop_sha256'])[:12]}…, "
              f"{release['persons_active'] or 0:,} active persons, {release['families'] or 0:,} families)")
    print(f"\nDuckDB warehouse: {database.resolve()}")
    reports = ReportsDirectory().root(str(database))
    pages = sorted(reports.glob("rilis_*/laporan_dinsos.html"))
    if pages:
        print(f"Dinas Sosial report (latest): {pages[-1].resolve()}")


def current_release_of(warehouse: DuckDBWarehouse) -> dict[str, object] | None:
    from dtsen_assets.release import current_release

    with warehouse.connect(read_only=True) as connection:
        return current_release(connection)


if __name__ == "__main__":
    main()
