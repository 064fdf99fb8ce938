"""Releases: a run publishes every table it built together, or nothing.

Inside a run (the Definitions' warehouse has `release_per_run=True`) each asset checks its
tables and "publishes" them under the run's own names, `dtsen.person__run_1a2b3c4d`
(`dtsen_assets.warehouse.publish`); the run's later steps read those versions, and tables the run
did not rebuild are read as the current release has them. Readers outside the run see nothing of
it. The run's last step, the asset `dtsen/release`, first makes sure every blocking check of the
run passed, then in ONE DuckDB transaction renames every table of the run onto its published
name and records the release in `dtsen.release` (exactly one row current). So:

- a run that fails anywhere (a bad source file, the last check) changes no published table, not
  the contract tables (`dtsen.*`, `welfare.*`, `program.*`) nor the `raw` and `staging` tables the
  current release was built from;
- the tables of a failed run stay in the warehouse under their run names for inspection, until
  the next good release removes them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import duckdb

from dtsen_assets.sources.stage import DROP_FILE_TABLE
from dtsen_assets.unify.pipeline import FAMILY_TABLE, PERSON_TABLE
from dtsen_assets.warehouse import all_run_tables, raw_connection, resolve_table, run_tables_of, table_exists
from dtsen_assets.welfare.registry import REGISTRY_TABLE as MODEL_REGISTRY_TABLE

RELEASE_TABLE = "dtsen.release"
SCORE_TABLE = "welfare.pmt_score"
CONTRACT_SCHEMAS = ("dtsen", "welfare", "program")

RELEASE_COLUMNS = """
    release_id VARCHAR PRIMARY KEY, run_id VARCHAR, drop_sha256 VARCHAR, published_at TIMESTAMP,
    code_version VARCHAR, model_version VARCHAR, persons_active BIGINT, families BIGINT, is_current BOOLEAN,
    blocking_checks_passed INTEGER, blocking_checks_failed INTEGER, tables_released INTEGER
"""


class ReleaseRefused(dg.Failure):
    """The run may not be released (a blocking check failed, or it built nothing)."""


@dataclass(frozen=True)
class CheckTally:
    """The blocking checks a run evaluated: how many passed, and which failed."""

    passed: int
    failed: list[str]
    failed_steps: list[str]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.failed_steps


def blocking_check_tally(instance: dg.DagsterInstance, run_id: str) -> CheckTally:
    """Every blocking (ERROR) check evaluation of the run, and every failed step, from the event log."""
    passed, failed = 0, []
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        if evaluation.passed:
            passed += 1
        else:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    steps = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    failed_steps = sorted({r.event_log_entry.step_key or "?" for r in steps})
    return CheckTally(passed, failed, failed_steps)


def drop_sha256(connection: duckdb.DuckDBPyConnection) -> str | None:
    """One hash over the drop's file hashes (`path:sha256` lines, sorted by path) as raw.drop_file holds them."""
    if not table_exists(connection, DROP_FILE_TABLE):
        return None
    rows = connection.execute(f"SELECT path, sha256 FROM {DROP_FILE_TABLE} ORDER BY path").fetchall()
    digest = hashlib.sha256()
    for path, sha in rows:
        digest.update(f"{path}:{sha}\n".encode())
    return digest.hexdigest()


def release_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """persons_active, families and model_version of what a reader on `connection` sees."""
    counts: dict[str, object] = {"persons_active": None, "families": None, "model_version": None}
    if table_exists(connection, PERSON_TABLE):
        counts["persons_active"] = connection.execute(
            f"SELECT count(*) FILTER (WHERE is_active) FROM {PERSON_TABLE}").fetchall()[0][0]
    if table_exists(connection, FAMILY_TABLE):
        counts["families"] = connection.execute(f"SELECT count(*) FROM {FAMILY_TABLE}").fetchall()[0][0]
    if table_exists(connection, SCORE_TABLE):
        versions = connection.execute(f"SELECT DISTINCT model_version FROM {SCORE_TABLE} ORDER BY 1").fetchall()
        counts["model_version"] = ",".join(str(v) for (v,) in versions) or None
    elif table_exists(connection, MODEL_REGISTRY_TABLE):
        rows = connection.execute(f"SELECT model_version FROM {MODEL_REGISTRY_TABLE} WHERE is_current").fetchall()
        counts["model_version"] = rows[0][0] if rows else None
    return counts


def release_run(connection: duckdb.DuckDBPyConnection, run_key: str, run_id: str, code_version: str,
                tally: CheckTally, published_at: datetime | None = None) -> dict[str, object]:
    """Publish every table of the run and record the release, in one transaction; return the release row.

    `connection` reads as the run (a RunScopedConnection), so the counts are those of what is
    being released. Leftover tables of earlier failed runs are removed afterwards.
    """
    if not tally.ok:
        raise ReleaseRefused(
            description=f"run {run_id} is not released: blocking checks failed "
                        f"({', '.join(tally.failed) or 'none'}), failed steps ({', '.join(tally.failed_steps) or 'none'})",
            metadata={"failed_checks": ", ".join(tally.failed), "failed_steps": ", ".join(tally.failed_steps)})
    tables = run_tables_of(connection, run_key)
    if not tables:
        raise ReleaseRefused(description=f"run {run_id} built no table to release (select the assets to rebuild "
                                         "together with dtsen/release)")
    published_at = published_at or datetime.now(UTC).replace(tzinfo=None)
    counts = release_counts(connection)
    row = {
        "release_id": f"{published_at:%Y%m%dT%H%M%S}-{run_key}",
        "run_id": run_id,
        "drop_sha256": drop_sha256(connection),
        "published_at": published_at,
        "code_version": code_version,
        **counts,
        "is_current": True,
        "blocking_checks_passed": tally.passed,
        "blocking_checks_failed": len(tally.failed),
        "tables_released": len(tables),
    }
    raw = raw_connection(connection)
    raw.execute("BEGIN TRANSACTION")
    try:
        raw.execute(f"CREATE TABLE IF NOT EXISTS {RELEASE_TABLE} ({RELEASE_COLUMNS})")
        for published, run_version in sorted(tables.items()):
            raw.execute(f"DROP TABLE IF EXISTS {published}")
            raw.execute(f"ALTER TABLE {run_version} RENAME TO {published.split('.')[1]}")
        raw.execute(f"UPDATE {RELEASE_TABLE} SET is_current = false WHERE is_current")
        columns = list(row)
        raw.execute(f"INSERT INTO {RELEASE_TABLE} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [row[c] for c in columns])
        raw.execute("COMMIT")
    except Exception:
        raw.execute("ROLLBACK")
        raise
    if hasattr(connection, "versions"):
        connection.versions.clear()   # the run's tables are the published ones now
    row["tables"] = sorted(tables)
    row["leftovers_removed"] = remove_leftover_run_tables(connection)
    return row


def remove_leftover_run_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop the run tables of failed or unreleased runs (kept until now for inspection)."""
    raw = raw_connection(connection)
    removed = []
    for _, table, _ in all_run_tables(raw):
        raw.execute(f"DROP TABLE IF EXISTS {table}")
        removed.append(table)
    return removed


def current_release(connection: duckdb.DuckDBPyConnection) -> dict[str, object] | None:
    """The current row of dtsen.release, or None before the first release."""
    if not table_exists(connection, RELEASE_TABLE):
        return None
    result = connection.execute(f"SELECT * FROM {resolve_table(connection, RELEASE_TABLE)} WHERE is_current")
    columns = [d[0] for d in result.description]
    rows = result.fetchall()
    return dict(zip(columns, rows[0])) if len(rows) == 1 else None


def contract_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The published contract tables (dtsen.*, welfare.*, program.*), run tables and staging copies left out."""
    rows = raw_connection(connection).execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema IN (SELECT unnest(?)) "
        "AND NOT contains(table_name, '__') ORDER BY 1", [list(CONTRACT_SCHEMAS)]).fetchall()
    return [t for (t,) in rows]
