"""Stage one source file of a drop as `raw.<key>__staging`, with the facts the raw checks judge.

The stage goes as far as the file can be read: it lists the drop, hashes and scans the bytes, reads
the header, and loads the rows with DuckDB only when the contract's columns can be selected (every
file present and readable, UTF-8, the contract's delimiter, every required column named once).
Where it stops, `StagedSource` says why; the checks turn that into outcomes. Nothing is published here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dtsen_assets.contract import SourceFile
from dtsen_assets.sources.files import (
    DropListing,
    FileScan,
    HeaderCheck,
    check_header,
    fix_line_numbers,
    list_source_files,
    load_csv_to_table,
    read_header_line,
    scan_file,
)
from dtsen_assets.warehouse import drop_staging, row_count, staging_table, table_exists

# One row per file of the drop as the raw tables hold it (source file key, path in the drop, size,
# sha256): published with each raw table, so a release knows the hash of the drop it was built from.
DROP_FILE_TABLE = "raw.drop_file"


@dataclass
class Rejects:
    """Rows DuckDB could not parse: how many, in how many files, and (file, line, errors) of the first five."""

    total: int = 0
    files: int = 0
    examples: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class StagedSource:
    """What staging one contract entry found, and which tables it staged."""

    source_file: SourceFile
    listing: DropListing
    absent_optional: bool = False              # an optional file the drop does not hold: an empty table
    unreadable: tuple[Path, OSError] | None = None
    scans: list[FileScan] = field(default_factory=list)
    headers: list[HeaderCheck] = field(default_factory=list)
    load_error: duckdb.Error | None = None
    loaded: bool = False
    rejects: Rejects = field(default_factory=Rejects)
    rows: int = 0
    previous: str | None = None                # the published table of this kind, when there is one
    tables: list[str] = field(default_factory=list)   # what to publish together
    data_version: str | None = None

    @property
    def staged_table(self) -> str:
        return staging_table(self.source_file.table)

    @property
    def files(self) -> list[dict[str, object]]:
        """path, size and sha256 of every file read."""
        return [{"path": str(s.path), "size_bytes": s.size_bytes, "sha256": s.sha256} for s in self.scans]


def stage_source_file(connection: duckdb.DuckDBPyConnection, drop_root: Path, source_file: SourceFile,
                      log: Callable[[str], None] = lambda message: None) -> StagedSource:
    """Stage `source_file` of the drop at `drop_root` as far as it can be read."""
    listing = list_source_files(drop_root, source_file)
    staged = StagedSource(source_file, listing)
    table = source_file.table
    paths = listing.paths
    if source_file.optional and not listing.problem and not any(p.is_file() for p in paths):
        # An optional file (Cek Bansos) that the drop does not hold: an empty table.
        load_csv_to_table(connection, [], source_file, [], [], staged.staged_table, f"{staged.staged_table}_rejects")
        connection.execute(f"DROP TABLE IF EXISTS {staged.staged_table}_rejects")
        staged.absent_optional, staged.loaded, staged.data_version = True, True, "absent"
        staged.tables = [table]
        log(f"{source_file.path} is not in the drop (optional): staged an empty {table}")
        return staged
    missing = not paths and not source_file.many_files or any(not p.is_file() for p in paths)
    if listing.problem or listing.refused or missing:
        return staged
    header_lines = []
    for path in paths:
        try:
            header_lines.append(read_header_line(path))
        except OSError as error:
            staged.unreadable = (path, error)
            return staged
    headers = [check_header(line or "", source_file) for line in header_lines]
    # the contract's columns can be selected: load the rows
    loadable = not any(h.delimiter_found or h.empty_positions or h.duplicated or h.missing for h in headers)
    rejects = f"{staged.staged_table}_rejects"
    # The bytes are hashed and checked for UTF-8 on a second thread while DuckDB loads the rows (both release
    # the GIL; a 10M-person Dukcapil file is ~3 s of hashing). The load counts only when every file is
    # readable and UTF-8: otherwise it is dropped, and the outcome is the same as had the scan come first.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dtsen-scan") as pool:
        scanning = pool.submit(_scan_files, paths)
        if loadable:
            try:
                load_csv_to_table(connection, paths, source_file, [h.columns for h in headers],
                                  [h.rename for h in headers], staged.staged_table, rejects)
            except duckdb.Error as error:
                staged.load_error = error
        staged.scans, staged.unreadable = scanning.result()
    for scan in staged.scans:
        log(f"scanned {scan.path}: {scan.size_bytes:,} bytes, sha256 {scan.sha256[:12]}…")
    bytes_readable = staged.unreadable is None and not any(s.invalid_utf8_line_count for s in staged.scans)
    if bytes_readable:
        staged.headers = headers
    else:
        staged.load_error = None
    if not loadable or staged.load_error is not None or not bytes_readable:
        if loadable:
            drop_staging(connection, [table])
            connection.execute(f"DROP TABLE IF EXISTS {rejects}")
        return staged
    staged.loaded = True
    staged.rows = row_count(connection, staged.staged_table)
    log(f"staged {staged.rows:,} rows into {staged.staged_table}")
    staged.rejects = _rejects(connection, rejects)
    connection.execute(f"DROP TABLE IF EXISTS {rejects}")
    if not staged.rejects.total:
        _physical_lines(connection, staged.staged_table, staged.scans, log)
    staged.previous = table if table_exists(connection, table) else None
    staged.data_version = _data_version(staged.scans)
    stage_drop_files(connection, drop_root, source_file.key, staged.scans)
    staged.tables = [table, DROP_FILE_TABLE]
    return staged


def _scan_files(paths: list[Path]) -> tuple[list[FileScan], tuple[Path, OSError] | None]:
    """The scan of every file (hash, UTF-8, lines) up to the first that cannot be read, and that file's error."""
    scans = []
    for path in paths:
        try:
            scans.append(scan_file(path))
        except OSError as error:
            return scans, (path, error)
    return scans, None


def _rejects(connection: duckdb.DuckDBPyConnection, rejects_table: str) -> Rejects:
    total, files = connection.execute(
        f"SELECT count(DISTINCT (file, line)), count(DISTINCT file) FROM {rejects_table}").fetchone()
    if not total:
        return Rejects()
    examples = connection.execute(
        f"""
        SELECT file, line, string_agg(DISTINCT lower(error_type) || coalesce(' at column ' || column_name, ''), ', ')
        FROM {rejects_table} GROUP BY file, line ORDER BY file, line LIMIT 5
        """
    ).fetchall()
    return Rejects(int(total), int(files), [tuple(e) for e in examples])


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
