"""Reading one source file of a drop: its bytes, its header and its rows.

File-level facts (presence, encoding, delimiter, header) are read by streaming the bytes
once; the rows are loaded by DuckDB's CSV reader, every value kept as its original text.
Nothing here holds a whole file in Python.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dtsen_assets.contract import SourceFile

CHUNK_BYTES = 16 * 1024 * 1024
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class FileScan:
    """What one pass over a file's bytes tells."""

    path: Path
    size_bytes: int
    sha256: str
    invalid_utf8_lines: list[int] = field(default_factory=list)   # 1-based line numbers, at most 5
    invalid_utf8_line_count: int = 0
    header_line: str | None = None


@dataclass
class HeaderCheck:
    """The header read with the contract's delimiter."""

    columns: list[str]                   # as found (trimmed), in file order
    missing: list[str]                   # required columns not found
    rename: dict[str, str]               # found name -> contract name, where only case/space differ
    delimiter_found: str | None          # the delimiter that would have worked, when it is not the contract's


def scan_file(path: Path, max_examples: int = 5) -> FileScan:
    """Hash the file and find lines that are not valid UTF-8, streaming in chunks."""
    digest = hashlib.sha256()
    invalid: list[int] = []
    invalid_count = 0
    lines_before = 0                 # complete lines in earlier chunks
    carry = b""
    header: bytes | None = None
    size = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            size += len(chunk)
            digest.update(chunk)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1    # decode whole lines only
                block, carry = data[:cut], data[cut:]
            else:
                block, carry = data, b""
            if header is None and block:
                header = block.split(b"\n", 1)[0]
            if block:
                try:
                    block.decode("utf-8")
                except UnicodeDecodeError:
                    for offset, line in enumerate(block.split(b"\n")):
                        try:
                            line.decode("utf-8")
                        except UnicodeDecodeError:
                            invalid_count += 1
                            if len(invalid) < max_examples:
                                invalid.append(lines_before + offset + 1)
                lines_before += block.count(b"\n")
            if not chunk:
                break
    header_text = None
    if header is not None:
        header_text = header.removeprefix(UTF8_BOM).decode("utf-8", errors="replace").rstrip("\r")
    return FileScan(path, size, digest.hexdigest(), invalid, invalid_count, header_text)


def check_header(header_line: str, source_file: SourceFile) -> HeaderCheck:
    """Split the header with the contract's delimiter and match it to the required columns."""
    columns = _split_header(header_line, source_file.delimiter)
    by_normalized = {_normalize(c): c for c in columns}
    missing, rename = [], {}
    for required in source_file.columns:
        found = by_normalized.get(_normalize(required))
        if found is None:
            missing.append(required)
        elif found != required:
            rename[found] = required
    delimiter_found = None
    if missing:
        for candidate in CANDIDATE_DELIMITERS:
            if candidate == source_file.delimiter:
                continue
            other = {_normalize(c) for c in _split_header(header_line, candidate)}
            if sum(_normalize(r) in other for r in source_file.columns) > len(source_file.columns) // 2:
                delimiter_found = candidate
                break
    return HeaderCheck(columns, missing, rename, delimiter_found)


def _split_header(header_line: str, delimiter: str) -> list[str]:
    row = next(csv.reader(io.StringIO(header_line), delimiter=delimiter), [])
    return [c.strip() for c in row]


def _normalize(name: str) -> str:
    return name.strip().upper()


def describe_delimiter(delimiter: str) -> str:
    return {",": "',' (comma)", ";": "';' (semicolon)", "\t": "tab", "|": "'|' (pipe)"}.get(
        delimiter, repr(delimiter)
    )


def load_csv_to_table(
    connection: duckdb.DuckDBPyConnection,
    paths: list[Path],
    source_file: SourceFile,
    header_columns: list[list[str]],
    renames: list[dict[str, str]],
    table: str,
    rejects_table: str,
) -> None:
    """Load one or more files into `table`, every value as text, with their line numbers.

    Columns come out in the contract's order; extra columns follow, as found. Rows DuckDB
    cannot parse (wrong number of fields, broken quotes) are not loaded but stored in
    `rejects_table` with their line number, for the `rows_well_formed` check.
    """
    connection.execute(f"DROP TABLE IF EXISTS {table}")
    connection.execute(f"DROP TABLE IF EXISTS {rejects_table}")
    connection.execute(
        f"CREATE TABLE {rejects_table} (file VARCHAR, line BIGINT, column_name VARCHAR, error_type VARCHAR)"
    )
    extras: list[str] = []
    for columns, rename in zip(header_columns, renames):
        for column in columns:
            if rename.get(column, column) not in source_file.columns and column not in extras:
                extras.append(column)
    selects = []
    for path, columns, rename in zip(paths, header_columns, renames):
        inverse = {v: k for k, v in rename.items()}
        select_list = [
            f'{_ident(inverse.get(required, required))} AS {_ident(required)}' for required in source_file.columns
        ] + [
            (f"{_ident(extra)}" if extra in columns else f"NULL::VARCHAR AS {_ident(extra)}") for extra in extras
        ]
        selects.append((path, select_list))
    if not paths:
        column_defs = ", ".join(f"{_ident(c)} VARCHAR" for c in source_file.columns)
        connection.execute(
            f"CREATE TABLE {table} (_source_file VARCHAR, _line_number BIGINT, {column_defs})"
        )
        return
    parts = []
    for index, (path, select_list) in enumerate(selects):
        scan = (
            f"read_csv('{_literal(str(path))}', delim='{_literal(source_file.delimiter)}', header=true, "
            "all_varchar=true, quote='\"', escape='\"', auto_detect=false, "
            f"columns={_columns_struct(header_columns[index])}, "
            "store_rejects=true, rejects_scan='reject_scans', rejects_table='reject_errors')"
        )
        parts.append(
            f"SELECT '{_literal(path.name)}' AS _source_file, "
            f"row_number() OVER () + 1 AS _line_number, {', '.join(select_list)} FROM {scan}"
        )
    connection.execute(f"CREATE TABLE {table} AS " + " UNION ALL ".join(f"({p})" for p in parts))
    connection.execute(
        f"""
        INSERT INTO {rejects_table}
        SELECT s.file_path, e.line, e.column_name, e.error_type::VARCHAR
        FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id)
        """
    )
    connection.execute("DROP TABLE IF EXISTS reject_errors")
    connection.execute("DROP TABLE IF EXISTS reject_scans")


def _columns_struct(columns: list[str]) -> str:
    return "{" + ", ".join(f"'{_literal(c)}': 'VARCHAR'" for c in columns) + "}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return text.replace("'", "''")
