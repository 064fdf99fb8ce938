"""Ingest one source file of a drop into schema `raw`: scan, stage, check, publish."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dtsen_assets.checks import sources as source_checks
from dtsen_assets.checks.core import CheckOutcome
from dtsen_assets.checks.drift import DriftBounds, check_drift, record_acceptance
from dtsen_assets.contract import SourceFile
from dtsen_assets.source_files import check_header, fix_line_numbers, list_source_files, load_csv_to_table, scan_file
from dtsen_assets.warehouse import drop_staging, publish, row_count, staging_table, table_exists

# One row per file of the drop as the raw tables hold it (source file key, path in the drop, size,
# sha256): published with each raw table, so a release knows the hash of the drop it was built from.
DROP_FILE_TABLE = "raw.drop_file"


@dataclass
class IngestResult:
    outcomes: list[CheckOutcome]
    published: bool
    files: list[dict[str, object]] = field(default_factory=list)   # path, size, sha256 per file
    data_version: str | None = None
    rows: int = 0


def ingest_source_file(
    connection: duckdb.DuckDBPyConnection,
    drop_root: Path,
    source_file: SourceFile,
    log: Callable[[str], None] = lambda message: None,
    bounds: DriftBounds = DriftBounds(),
    accept_drift_reason: str = "",
    run_id: str = "",
) -> IngestResult:
    """Stage the file(s) as `raw.<key>__staging`, run the contract checks, publish if all pass.

    Stops at a failing file-level check that makes the later ones meaningless (missing file, not
    UTF-8, wrong delimiter, missing columns: every later check would only repeat it). Once the rows
    are loaded, every check runs on the rows that parsed, so a file with a malformed row *and* a
    duplicated id reports both. The published `raw.<key>` is left untouched unless everything passed.
    """
    listing = list_source_files(drop_root, source_file)
    paths = listing.paths
    outcomes: list[CheckOutcome] = []

    def failed() -> bool:
        return any(o.blocking and not o.passed for o in outcomes)

    if source_file.optional and not listing.problem and not any(p.is_file() for p in paths):
        # An optional file (Cek Bansos) that the drop does not hold: an empty table, and a passing check.
        outcomes.extend(source_checks.optional_file_absent(source_file))
        staged = staging_table(source_file.table)
        load_csv_to_table(connection, [], source_file, [], [], staged, f"{staged}_rejects")
        connection.execute(f"DROP TABLE IF EXISTS {staged}_rejects")
        publish(connection, [source_file.table])
        log(f"{source_file.path} is not in the drop (optional): published an empty {source_file.table}")
        return IngestResult(outcomes, published=True, data_version="absent")
    outcomes.append(source_checks.check_file_present(source_file, paths, listing.problem, listing.refused))
    if failed():
        return IngestResult(outcomes, published=False)

    scans = []
    for path in paths:
        try:
            scans.append(scan_file(path))
        except OSError as error:
            outcomes[-1] = source_checks.unreadable_file(path, error)
            return IngestResult(outcomes, published=False)
    for scan in scans:
        log(f"scanned {scan.path}: {scan.size_bytes:,} bytes, sha256 {scan.sha256[:12]}…")
    files = [{"path": str(s.path), "size_bytes": s.size_bytes, "sha256": s.sha256} for s in scans]
    outcomes.append(source_checks.check_encoding(scans))
    if failed():
        return IngestResult(outcomes, published=False, files=files)

    headers = [check_header(s.header_line or "", source_file) for s in scans]
    outcomes.append(source_checks.check_delimiter(source_file, scans, headers))
    if failed():  # with the wrong delimiter every column would look missing
        return IngestResult(outcomes, published=False, files=files)
    outcomes.append(source_checks.check_header_well_formed(scans, headers))
    if failed():
        return IngestResult(outcomes, published=False, files=files)
    outcomes.append(source_checks.check_required_columns(scans, headers))
    if failed():
        return IngestResult(outcomes, published=False, files=files)

    table = source_file.table
    staged = staging_table(table)
    rejects = f"{staged}_rejects"
    try:
        load_csv_to_table(
            connection, paths, source_file, [h.columns for h in headers], [h.rename for h in headers], staged, rejects
        )
    except duckdb.Error as error:
        outcomes.append(source_checks.unparseable_file(source_file, paths, error))
        drop_staging(connection, [table])
        connection.execute(f"DROP TABLE IF EXISTS {rejects}")
        return IngestResult(outcomes, published=False, files=files)
    rows = row_count(connection, staged)
    log(f"staged {rows:,} rows into {staged}")
    outcomes.append(source_checks.check_rows_well_formed(connection, rejects))
    connection.execute(f"DROP TABLE IF EXISTS {rejects}")
    if outcomes[-1].passed:
        _physical_lines(connection, staged, scans, log)
        outcomes[-1] = source_checks.check_header_not_repeated(connection, staged, source_file)
    if not source_file.many_files and not source_file.optional:
        outcomes.append(source_checks.check_not_empty(source_file, paths, rows))
    # every check runs on the rows that parsed, so a file with several problems reports them all
    outcomes.append(source_checks.check_vital_columns(connection, staged, source_file))
    if source_file.record_id:
        outcomes.append(source_checks.check_record_id_unique(connection, staged, source_file))
    outcomes.extend(source_checks.check_column_expectations(connection, staged, source_file))
    if not failed():
        published = table if table_exists(connection, table) else None
        outcomes.append(check_drift(connection, staged, published, source_file, bounds, accept_drift_reason))

    data_version = _data_version(scans)
    if failed():
        drop_staging(connection, [table])
        return IngestResult(outcomes, published=False, files=files, data_version=data_version, rows=rows)
    stage_drop_files(connection, drop_root, source_file.key, scans)
    publish(connection, [table, DROP_FILE_TABLE])
    log(f"published {table}")
    drift = next(o for o in outcomes if o.name == "drift_within_bounds")
    if drift.metadata.get("accepted"):
        record_acceptance(connection, source_file, data_version, accept_drift_reason, run_id,
                          "; ".join(map(str, drift.metadata.get("changes", []))))
        log(f"drift of {source_file.path} accepted and recorded in raw.drift_acceptance")
    return IngestResult(outcomes, published=True, files=files, data_version=data_version, rows=rows)


def stage_drop_files(connection: duckdb.DuckDBPyConnection, drop_root: Path, key: str, scans) -> None:
    """`raw.drop_file__staging`: the published rows of the other source files, and this one's files."""
    staged = staging_table(DROP_FILE_TABLE)
    connection.execute(f"CREATE OR REPLACE TABLE {staged} (source_key VARCHAR, path VARCHAR, size_bytes BIGINT, "
                       "sha256 VARCHAR)")
    if table_exists(connection, DROP_FILE_TABLE):
        connection.execute(f"INSERT INTO {staged} SELECT source_key, path, size_bytes, sha256 FROM {DROP_FILE_TABLE} "
                           "WHERE source_key <> ?", [key])
    rows = [[key, _relative(scan.path, drop_root), scan.size_bytes, scan.sha256] for scan in scans]
    if rows:
        connection.executemany(f"INSERT INTO {staged} VALUES (?, ?, ?, ?)", rows)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _physical_lines(connection: duckdb.DuckDBPyConnection, staged: str, scans, log: Callable[[str], None]) -> None:
    """Where a file has more lines than records (quoted fields over lines, blank lines), renumber its rows."""
    per_file = dict(connection.execute(f"SELECT _source_file, count(*) FROM {staged} GROUP BY ALL").fetchall())
    for scan in scans:
        if scan.line_count - 1 != per_file.get(scan.path.name, 0):
            if fix_line_numbers(connection, staged, scan.path):
                log(f"{scan.path}: records span several lines; _line_number set to each record's first line")


def _data_version(scans) -> str:
    """A file's sha256 is its data version; several files: the hash of their names and hashes."""
    if len(scans) == 1:
        return scans[0].sha256
    digest = hashlib.sha256()
    for scan in sorted(scans, key=lambda s: s.path.name):
        digest.update(f"{scan.path.name}:{scan.sha256}\n".encode())
    return digest.hexdigest()
