"""A finalized semester as Parquet files with a manifest of their sha256, and its verification.

    <warehouse dir>/final/<semester>/snapshot-<n>/person.parquet, family.parquet, decile.parquet,
        perubahan.parquet, program.parquet (when program.kandidat existed), manifest.json

The hashes are recorded twice: in `manifest.json` beside the files, and in `final.export_file`
inside the warehouse, so that a file changed together with its manifest is still caught.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dtsen_assets.platform.sql import count_rows, quote_literal

EXPORT_FILE_TABLE = "final.export_file"
EXPORT_FILE_COLUMNS = """
    semester VARCHAR, snapshot INTEGER, file VARCHAR, source_table VARCHAR, rows BIGINT, size_bytes BIGINT,
    sha256 VARCHAR
"""
MANIFEST = "manifest.json"


def export_root(database_path: str | Path) -> Path:
    """Where finalized semesters are exported: `final/` next to the warehouse file."""
    return Path(database_path).resolve().parent / "final"


def snapshot_dir(root: Path, semester: str, snapshot: int) -> Path:
    return root / semester / f"snapshot-{snapshot}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_snapshot(connection: duckdb.DuckDBPyConnection, semester: str, snapshot: int, tables: list[str],
                    directory: Path, header: dict[str, object]) -> list[dict[str, object]]:
    """Write each `final.<table>` rows of (semester, snapshot) to `<table>.parquet`; record and return their hashes."""
    directory.mkdir(parents=True, exist_ok=False)
    files = []
    for table in tables:
        name = table.split(".")[1]
        path = directory / f"{name}.parquet"
        connection.execute(
            f"COPY (SELECT * FROM {table} WHERE semester = ? AND snapshot = ? ORDER BY ALL) "
            f"TO {quote_literal(path)} (FORMAT parquet)", [semester, snapshot])
        rows = count_rows(connection, table, "semester = ? AND snapshot = ?", [semester, snapshot])
        files.append({"file": path.name, "source_table": table, "rows": rows,
                      "size_bytes": path.stat().st_size, "sha256": sha256_of(path)})
    manifest = {**{k: str(v) if v is not None else None for k, v in header.items()},
                "semester": semester, "snapshot": snapshot, "files": files}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {EXPORT_FILE_TABLE} ({EXPORT_FILE_COLUMNS})")
    connection.executemany(
        f"INSERT INTO {EXPORT_FILE_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[semester, snapshot, f["file"], f["source_table"], f["rows"], f["size_bytes"], f["sha256"]] for f in files])
    return files


@dataclass
class Verification:
    semester: str
    snapshot: int
    directory: Path
    files_checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_snapshot(connection: duckdb.DuckDBPyConnection, root: Path, semester: str,
                    snapshot: int | None = None) -> Verification:
    """Recompute the sha256 of every exported file of a semester's snapshot (default: the current one).

    A problem is named for a file that is missing, whose hash differs from the warehouse's record,
    or whose manifest entry differs from the warehouse's record; values are never printed.
    """
    from dtsen_assets.finalize.snapshot import current_snapshot

    snapshot = snapshot if snapshot is not None else current_snapshot(connection, semester)
    if snapshot is None:
        raise LookupError(f"semester {semester} has not been finalized in this warehouse")
    directory = snapshot_dir(root, semester, snapshot)
    recorded = connection.execute(
        f"SELECT file, sha256, rows FROM {EXPORT_FILE_TABLE} WHERE semester = ? AND snapshot = ? ORDER BY file",
        [semester, snapshot]).fetchall()
    problems = []
    manifest_path = directory / MANIFEST
    manifest_files = {}
    if not manifest_path.is_file():
        problems.append(f"{manifest_path}: missing")
    else:
        try:
            manifest_files = {f["file"]: f for f in json.loads(manifest_path.read_text(encoding="utf-8"))["files"]}
        except (ValueError, KeyError, TypeError):
            problems.append(f"{manifest_path}: not a readable manifest")
    for file, sha, _rows in recorded:
        path = directory / file
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        if sha256_of(path) != sha:
            problems.append(f"{path}: sha256 differs from the one recorded at finalization (the file was changed)")
        if manifest_files and manifest_files.get(file, {}).get("sha256") != sha:
            problems.append(f"{manifest_path}: the entry of {file} differs from the warehouse's record")
    extra = sorted(set(manifest_files) - {r[0] for r in recorded})
    problems += [f"{manifest_path}: lists {name}, which finalization did not write" for name in extra]
    if not recorded:
        problems.append(f"{EXPORT_FILE_TABLE}: no files recorded for {semester} snapshot {snapshot}")
    return Verification(semester, snapshot, directory, len(recorded), problems)
