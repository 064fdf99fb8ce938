"""Finalizing (penetapan) a semester: the current release copied into `final.*`, never changed afterwards.

One transaction writes the semester's row in `final.semester` and its snapshot rows in
`final.person`, `final.family`, `final.decile`, `final.program` (when `program.kandidat` exists)
and `final.perubahan` (the change log hook), exports them as Parquet with a manifest, and records
the files' hashes; anything failing rolls all of it back and removes the files written.

A semester is finalized once. Finalizing it again needs an override reason: the new snapshot
gets the next `snapshot` number, `is_current_for_semester` moves to it, and the earlier snapshot
stays in every table and on disk. Every `final.*` table carries `semester` and `snapshot`; read
a semester as `... JOIN final.semester USING (semester, snapshot) WHERE is_current_for_semester`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from dtsen_assets.finalize.export import export_snapshot, snapshot_dir
from dtsen_assets.finalize.perubahan import PERUBAHAN_TABLE, build_perubahan
from dtsen_assets.finalize.semester import parse_semester
from dtsen_assets.platform.sql import count_rows
from dtsen_assets.release import current_release, release_counts
from dtsen_assets.warehouse import raw_connection, table_exists

SEMESTER_TABLE = "final.semester"
PERSON_TABLE = "final.person"
FAMILY_TABLE = "final.family"
DECILE_TABLE = "final.decile"
PROGRAM_TABLE = "final.program"
PROGRAM_SOURCE = "program.kandidat"

SEMESTER_COLUMNS = """
    semester VARCHAR, snapshot INTEGER, release_id VARCHAR, drop_sha256 VARCHAR, finalized_at TIMESTAMP,
    code_version VARCHAR, model_version VARCHAR, persons_active BIGINT, families BIGINT, sk_penetapan VARCHAR,
    override_reason VARCHAR, is_current_for_semester BOOLEAN, run_id VARCHAR, export_dir VARCHAR
"""
SNAPSHOT_OF = "SELECT ?::VARCHAR AS semester, ?::INTEGER AS snapshot, * FROM {table}"
DECILE_SQL = """
    SELECT ?::VARCHAR AS semester, ?::INTEGER AS snapshot, d.family_id, d.desil, d.persentil, s.pengeluaran_kapita_pmt, s.model_version
    FROM welfare.decile AS d LEFT JOIN welfare.pmt_score AS s USING (family_id)
"""


class AlreadyFinalized(dg.Failure):
    """The semester is final; finalizing it again needs an override reason."""


class ReleaseNotFinalizable(dg.Failure):
    """There is no current release, or it did not pass every blocking check, or the tables differ from it."""


# (connection, semester, previous finalized semester or None) -> rows written to final.perubahan
ChangeLogHook = Callable[[duckdb.DuckDBPyConnection, str, "str | None"], int]


def current_snapshot(connection: duckdb.DuckDBPyConnection, semester: str) -> int | None:
    """The snapshot number of `semester` that is current (None when the semester is not final)."""
    if not table_exists(connection, SEMESTER_TABLE):
        return None
    rows = connection.execute(f"SELECT snapshot FROM {SEMESTER_TABLE} WHERE semester = ? AND is_current_for_semester",
                              [semester]).fetchall()
    return rows[0][0] if rows else None


def previous_finalized_semester(connection: duckdb.DuckDBPyConnection, semester: str) -> str | None:
    """The latest finalized semester before `semester` (what the change log compares against)."""
    if not table_exists(connection, SEMESTER_TABLE):
        return None
    rows = connection.execute(f"SELECT max(semester) FROM {SEMESTER_TABLE} WHERE semester < ?", [semester]).fetchall()
    return rows[0][0]


def finalized_rows(connection: duckdb.DuckDBPyConnection, semester: str) -> list[dict[str, object]]:
    if not table_exists(connection, SEMESTER_TABLE):
        return []
    result = connection.execute(f"SELECT * FROM {SEMESTER_TABLE} WHERE semester = ? ORDER BY snapshot", [semester])
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def finalizable_release(connection: duckdb.DuckDBPyConnection,
                        run_checks_ok: Callable[[str], bool | None] = lambda run_id: None) -> dict[str, object]:
    """The current release, when it may be finalized; else ReleaseNotFinalizable naming why.

    `run_checks_ok(run_id)` asks the Dagster instance whether every blocking check of the run that
    made the release passed (None when the instance does not know the run).
    """
    release = current_release(connection)
    if release is None:
        raise ReleaseNotFinalizable(description="there is no current release in dtsen.release: run dtsen_build first")
    if (release.get("blocking_checks_failed") or 0) > 0 or run_checks_ok(release["run_id"]) is False:
        raise ReleaseNotFinalizable(description=f"release {release['release_id']} did not pass every blocking "
                                                "check; it cannot be finalized")
    counts = release_counts(connection)
    for column in ("persons_active", "families"):
        if counts[column] != release[column]:
            raise ReleaseNotFinalizable(description=(
                f"the published tables no longer match release {release['release_id']} ({column}: release "
                f"{release[column]}, tables {counts[column]}); rebuild with dtsen_build before finalizing"))
    return release


def finalize_semester(connection: duckdb.DuckDBPyConnection, semester: str, export_root: Path, *,
                      sk_penetapan: str | None = None, override_reason: str | None = None, run_id: str | None = None,
                      run_checks_ok: Callable[[str], bool | None] = lambda run_id: None,
                      change_log: ChangeLogHook = build_perubahan,
                      now: datetime | None = None) -> dict[str, object]:
    """Snapshot the current release as semester `semester`; return its `final.semester` row (with file hashes)."""
    parse_semester(semester)
    override_reason = (override_reason or "").strip() or None
    release = finalizable_release(connection, run_checks_ok)
    earlier = finalized_rows(connection, semester)
    if earlier and not override_reason:
        current = next((r for r in earlier if r["is_current_for_semester"]), earlier[-1])
        raise AlreadyFinalized(
            description=(f"semester {semester} is already final (release {current['release_id']}, finalized at "
                         f"{current['finalized_at']:%Y-%m-%d %H:%M} UTC); nothing was changed. To finalize it again, "
                         "give an override reason (run config override_reason): the earlier snapshot is kept."),
            metadata={"semester": semester})
    snapshot = max((r["snapshot"] for r in earlier), default=0) + 1
    finalized_at = now or datetime.now(UTC).replace(tzinfo=None)
    directory = snapshot_dir(export_root, semester, snapshot)
    if directory.exists():   # left by a finalization whose transaction did not commit
        shutil.rmtree(directory)
    raw = raw_connection(connection)
    row = {
        "semester": semester, "snapshot": snapshot, "release_id": release["release_id"],
        "drop_sha256": release["drop_sha256"], "finalized_at": finalized_at, "code_version": release["code_version"],
        "model_version": release["model_version"], "persons_active": release["persons_active"],
        "families": release["families"], "sk_penetapan": (sk_penetapan or "").strip() or None,
        "override_reason": override_reason, "is_current_for_semester": True, "run_id": run_id,
        "export_dir": str(directory),
    }
    raw.execute("BEGIN TRANSACTION")
    try:
        raw.execute(f"CREATE TABLE IF NOT EXISTS {SEMESTER_TABLE} ({SEMESTER_COLUMNS})")
        raw.execute(f"UPDATE {SEMESTER_TABLE} SET is_current_for_semester = false WHERE semester = ?", [semester])
        columns = list(row)
        raw.execute(f"INSERT INTO {SEMESTER_TABLE} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [row[c] for c in columns])
        tables = [PERSON_TABLE, FAMILY_TABLE, DECILE_TABLE]
        _append(raw, PERSON_TABLE, SNAPSHOT_OF.format(table="dtsen.person"), semester, snapshot)
        _append(raw, FAMILY_TABLE, SNAPSHOT_OF.format(table="dtsen.family"), semester, snapshot)
        if table_exists(raw, "welfare.decile"):
            _append(raw, DECILE_TABLE, DECILE_SQL, semester, snapshot)
        else:
            tables.remove(DECILE_TABLE)
        if table_exists(raw, PROGRAM_SOURCE):
            _append(raw, PROGRAM_TABLE, SNAPSHOT_OF.format(table=PROGRAM_SOURCE),
                    semester, snapshot)
            tables.append(PROGRAM_TABLE)
        changes = change_log(raw, semester, previous_finalized_semester(raw, semester))
        tables.append(PERUBAHAN_TABLE)
        files = export_snapshot(raw, semester, snapshot, tables, directory,
                                {k: v for k, v in row.items() if k != "export_dir"})
        raw.execute("COMMIT")
    except Exception:
        raw.execute("ROLLBACK")
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return {**row, "files": files, "perubahan_rows": changes}


def _append(connection: duckdb.DuckDBPyConnection, table: str, select: str, semester: str, snapshot: int) -> None:
    """Append the rows of `select` (its first two parameters: semester, snapshot) to `table`, created on first use.

    A column the published table gained since is added to the final table (older snapshots: NULL).
    """
    if not table_exists(connection, table):
        connection.execute(f"CREATE TABLE {table} AS {select} LIMIT 0", [semester, snapshot])
    else:
        have = {r[0] for r in connection.execute(f"DESCRIBE {table}").fetchall()}
        connection.execute(f"CREATE OR REPLACE TEMP TABLE final_shape AS {select} LIMIT 0", [semester, snapshot])
        for name, kind, *_ in connection.execute("DESCRIBE final_shape").fetchall():
            if name not in have:
                connection.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {kind}')
        connection.execute("DROP TABLE final_shape")
    connection.execute(f"INSERT INTO {table} BY NAME {select}", [semester, snapshot])


def snapshot_counts(connection: duckdb.DuckDBPyConnection, semester: str, snapshot: int) -> dict[str, int]:
    counts = {}
    for table in (PERSON_TABLE, FAMILY_TABLE, DECILE_TABLE, PROGRAM_TABLE, PERUBAHAN_TABLE):
        if table_exists(connection, table):
            counts[table] = count_rows(connection, table, "semester = ? AND snapshot = ?", [semester, snapshot])
    return counts
