"""Contract checks on the raw source files (blocking unless noted).

File-level checks read the bytes (presence, UTF-8, delimiter, header); table-level checks
run on the staged DuckDB table: whole-table invariants in SQL, column expectations as a
great-expectations suite over every row. Example rows are reported by line number in the
file (the header is line 1); values that identify a person are masked or left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import great_expectations.expectations as gxe

from dtsen_assets.checks.drift import DriftBounds, check_drift
from dtsen_assets.checks.expectations import validate_table
from dtsen_assets.contract import SourceFile
from dtsen_assets.pii import mask_value
from dtsen_assets.platform.gate import Check, CheckOutcome, blocking_failed, format_examples
from dtsen_assets.sources.files import FileScan, HeaderCheck, describe_delimiter
from dtsen_assets.sources.stage import Rejects, StagedSource
from dtsen_assets.vital import VALUE_FORMATS, VitalColumn, known_codes, vital_codes_of_file, vital_columns

# Every raw asset has these checks (name, what it guards, blocking); declared once for all of them.
RAW_CHECKS: list[tuple[str, str, bool]] = [
    ("file_present", "The drop folder exists and is not empty; the contract's file is there and readable "
                     "(verivali: the folder is there, every file in it is a .csv in any case).", True),
    ("encoding_utf8", "Every line decodes as UTF-8.", True),
    ("delimiter_as_contract", "The header splits on the contract's delimiter (';' for dtks/*, ',' elsewhere).", True),
    ("header_well_formed", "No column name twice and none empty (a trailing separator on every line).", True),
    ("required_columns_present", "Every column the contract requires is in the header (any order, extras ignored).",
     True),
    ("rows_well_formed", "Every row parses (right number of fields, balanced quotes) and none repeats the header.", True),
    ("not_empty", "The file holds at least one data row.", True),
    ("record_id_unique", "The record id is present and unique on every row.", True),
    ("column_expectations", "Great Expectations suite: record ids present and without stray spaces, every row.", True),
    ("vital_columns_usable", "No vital column (dtsen_assets/vital.py) is unusable on more than its allowed "
                             "share of rows (Dukcapil: 1%, status and AKSI: none, source registries: half).", True),
    ("drift_within_bounds", "Compared with the last published file of its kind: rows, distinct record ids, "
                            "empty shares and code shares changed within the configured bounds, or the change "
                            "was accepted in the run config (recorded in raw.drift_acceptance). Evaluated only "
                            "when every other raw check passed; otherwise reported as not executed. Files of "
                            "events (verivali decisions, Cek Bansos claims) pass without a comparison.", True),
    # Informative only: real extracts break these on some rows, which staging repairs or rejects.
    ("value_formats", "Great Expectations suite: share of identifiers and dates in the contract's format.", False),
]
# Evaluated only when the checks before it passed; a run stopped earlier reports it as not executed.
LAST_CHECK = "drift_within_bounds"


def raw_checks(source_file: SourceFile) -> list[Check]:
    """The checks of the raw asset of `source_file` (its drift bounds are `RawSourceConfig` fields)."""
    asset = dg.AssetKey(["raw", source_file.key])
    left_out = set()
    if source_file.many_files or source_file.optional:
        left_out.add("not_empty")   # a meeting may decide nothing; a present Cek Bansos file may hold no proposal
    if not source_file.record_id:
        left_out.add("record_id_unique")
    return [Check(name, asset, description, blocking, threshold="max_row_change" if name == LAST_CHECK else None)
            for name, description, blocking in RAW_CHECKS if name not in left_out]


def evaluate_source_file(connection: duckdb.DuckDBPyConnection, staged: StagedSource,
                         bounds: DriftBounds = DriftBounds(), accept_drift_reason: str = "") -> list[CheckOutcome]:
    """The raw checks of a staged source file, in order.

    Stops at a failing file-level check that makes the later ones meaningless (missing file, not UTF-8,
    wrong delimiter, missing columns: every later check would only repeat it). Once the rows are
    loaded, every check runs on the rows that parsed, so a file with a malformed row *and* a duplicated
    id reports both. The drift check runs last, only when everything else passed.
    """
    source_file = staged.source_file
    if staged.absent_optional:
        return optional_file_absent(source_file)
    listing = staged.listing
    outcomes = [check_file_present(source_file, listing.paths, listing.problem, listing.refused)]
    if staged.unreadable:
        outcomes[-1] = unreadable_file(*staged.unreadable)
    file_level = [
        lambda: check_encoding(staged.scans),
        lambda: check_delimiter(source_file, staged.scans, staged.headers),  # wrong: every column looks missing
        lambda: check_header_well_formed(staged.scans, staged.headers),
        lambda: check_required_columns(staged.scans, staged.headers),
    ]
    for check in file_level:
        if blocking_failed(outcomes):
            return outcomes
        outcomes.append(check())
    if blocking_failed(outcomes):
        return outcomes
    if staged.load_error is not None or not staged.loaded:
        outcomes.append(unparseable_file(source_file, listing.paths, staged.load_error or RuntimeError("not loaded")))
        return outcomes
    table = staged.staged_table
    outcomes.append(check_rows_well_formed(staged.rejects))
    if outcomes[-1].passed:
        outcomes[-1] = check_header_not_repeated(connection, table, source_file)
    if not source_file.many_files and not source_file.optional:
        outcomes.append(check_not_empty(source_file, listing.paths, staged.rows))
    # every check runs on the rows that parsed, so a file with several problems reports them all
    outcomes.append(check_vital_columns(connection, table, source_file))
    if source_file.record_id:
        outcomes.append(check_record_id_unique(connection, table, source_file))
    outcomes.extend(check_column_expectations(connection, table, source_file))
    if not blocking_failed(outcomes):
        outcomes.append(check_drift(connection, table, staged.previous, source_file, bounds, accept_drift_reason))
    return outcomes


def check_file_present(source_file: SourceFile, paths: list[Path], problem: str | None = None,
                       refused: list[Path] = ()) -> CheckOutcome:
    if problem:
        return CheckOutcome("file_present", False, problem, metadata={"file": source_file.path})
    if refused:
        names = ", ".join(str(p) for p in refused[:5])
        return CheckOutcome(
            "file_present", False,
            f"{len(refused)} file(s) in the folder of {source_file.path} are not CSV and would be left out: {names}; "
            "export them as .csv or move them out of the drop",
            metadata={"file": source_file.path, "refused_files": [str(p) for p in refused[:5]]},
        )
    if source_file.many_files:
        return CheckOutcome("file_present", True, f"{len(paths)} file(s) found (zero or more allowed)")
    missing = [p for p in paths if not p.is_file()]
    if missing or not paths:
        where = missing[0] if missing else source_file.path
        return CheckOutcome(
            "file_present", False, f"file {where} is missing from the drop (required by the contract)",
            metadata={"file": str(where)},
        )
    return CheckOutcome("file_present", True, f"{len(paths)} file(s) found")


def optional_file_absent(source_file: SourceFile) -> list[CheckOutcome]:
    """Every check of an optional file the drop does not hold passes, saying why."""
    summary = f"file {source_file.path} is optional and not in the drop: an empty table"
    return [CheckOutcome(check.name, True, summary, blocking=check.blocking, metadata={"file": source_file.path})
            for check in raw_checks(source_file)]


def _file_problem(name: str, scan: FileScan, problem: str, **metadata: object) -> CheckOutcome:
    """A failed file-level check: `file <path> <problem>`, with the file in the metadata."""
    return CheckOutcome(name, False, f"file {scan.path} {problem}", metadata={"file": str(scan.path), **metadata})


def check_encoding(scans: list[FileScan]) -> CheckOutcome:
    bad = next((scan for scan in scans if scan.invalid_utf8_line_count), None)
    if bad is None:
        return CheckOutcome("encoding_utf8", True, "all lines are valid UTF-8")
    return _file_problem(
        "encoding_utf8", bad, f"is not UTF-8 (e.g. Latin-1/Windows-1252): {bad.invalid_utf8_line_count} line(s) "
        f"with invalid bytes, e.g. lines {format_examples(bad.invalid_utf8_lines)}; re-export it as UTF-8",
        invalid_lines=bad.invalid_utf8_line_count, example_lines=bad.invalid_utf8_lines)


def check_delimiter(source_file: SourceFile, scans: list[FileScan], headers: list[HeaderCheck]) -> CheckOutcome:
    for scan, header in zip(scans, headers):
        if header.delimiter_found:
            return _file_problem(
                "delimiter_as_contract", scan,
                f"is separated by {describe_delimiter(header.delimiter_found)} but the contract says "
                f"{describe_delimiter(source_file.delimiter)} (line 1, the header)",
                expected=source_file.delimiter, found=header.delimiter_found)
    return CheckOutcome("delimiter_as_contract", True, f"separated by {describe_delimiter(source_file.delimiter)}")


def unreadable_file(path: Path, error: OSError) -> CheckOutcome:
    """The file is there but cannot be opened (permissions, a folder of that name, a broken link)."""
    reason = error.strerror or type(error).__name__
    return CheckOutcome("file_present", False, f"file {path} cannot be read: {reason}; check its permissions",
                        metadata={"file": str(path)})


def check_header_well_formed(scans: list[FileScan], headers: list[HeaderCheck]) -> CheckOutcome:
    for scan, header in zip(scans, headers):
        if header.empty_positions:
            trailing = header.empty_positions == [len(header.columns)]
            what = ("the header ends with a separator (every line ends with one, an Excel habit): remove the "
                    "trailing separator when exporting" if trailing else
                    f"column(s) at position {', '.join(map(str, header.empty_positions))} have no name")
            return _file_problem("header_well_formed", scan, f"(line 1, the header): {what}",
                                 empty_positions=header.empty_positions)
        if header.duplicated:
            return _file_problem(
                "header_well_formed", scan,
                f"(line 1, the header): column(s) {', '.join(header.duplicated)} appear twice; "
                "a file must name each column once", duplicated_columns=header.duplicated)
    return CheckOutcome("header_well_formed", True, "every column named once")


def check_required_columns(scans: list[FileScan], headers: list[HeaderCheck]) -> CheckOutcome:
    for scan, header in zip(scans, headers):
        if header.missing:
            return _file_problem(
                "required_columns_present", scan,
                f"lacks required column(s) {', '.join(header.missing)} (line 1, the header)",
                missing_columns=header.missing)
    renamed = sorted({f"{k}->{v}" for h in headers for k, v in h.rename.items()})
    summary = "all required columns present" + (f"; matched ignoring case/spaces: {', '.join(renamed)}" if renamed else "")
    return CheckOutcome("required_columns_present", True, summary)


def check_header_not_repeated(connection: duckdb.DuckDBPyConnection, table: str, source_file: SourceFile) -> CheckOutcome:
    """A data row whose every required column holds its own name is the header again (two files pasted)."""
    condition = " AND ".join(
        f"upper(trim(coalesce(\"{c}\", ''))) = '{c}'" for c in source_file.columns)
    count, lines, file = connection.execute(
        f"SELECT count(*), list(_line_number ORDER BY _line_number)[1:5], min(_source_file) FROM {table} WHERE {condition}"
    ).fetchone()
    if count:
        file = source_file.path if not source_file.many_files else f"{Path(source_file.path).parent}/{file}"
        return CheckOutcome(
            "rows_well_formed", False,
            f"file {file}: the header line is repeated as data on {count} line(s), e.g. lines "
            f"{format_examples(lines)} (files pasted together?)",
            metadata={"file": file, "repeated_header_lines": count, "example_lines": lines})
    return CheckOutcome("rows_well_formed", True, "every row parsed; the header is not repeated")


def check_rows_well_formed(rejects: Rejects) -> CheckOutcome:
    if rejects.total:
        file = rejects.examples[0][0]
        described = format_examples([f"line {line} ({errors})" for _, line, errors in rejects.examples])
        return CheckOutcome(
            "rows_well_formed", False,
            f"file {file}: {rejects.total} row(s) could not be parsed, e.g. {described}",
            metadata={"file": file, "malformed_rows": rejects.total, "files_affected": rejects.files,
                      "example_lines": [e[1] for e in rejects.examples]},
        )
    return CheckOutcome("rows_well_formed", True, "every row parsed")


def unparseable_file(source_file: SourceFile, paths: list[Path], error: Exception) -> CheckOutcome:
    """DuckDB's reader gave up on the file as a whole (e.g. mixed line endings, broken quoting)."""
    # Only the first line of DuckDB's message: the rest can quote the offending row (personal data).
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    line = re.search(r"\bline (\d+)", str(error))
    where = f" near line {line.group(1)}" if line else ""
    files = ", ".join(str(p) for p in paths)
    return CheckOutcome(
        "rows_well_formed", False,
        f"file {files} could not be parsed{where}: {reason} (check line endings and quoting)",
        metadata={"file": files},
    )


def check_not_empty(source_file: SourceFile, paths: list[Path], row_count: int) -> CheckOutcome:
    if row_count == 0:
        return CheckOutcome(
            "not_empty", False, f"file {paths[0] if paths else source_file.path} has a header but no data rows",
            metadata={"file": str(paths[0]) if paths else source_file.path},
        )
    return CheckOutcome("not_empty", True, f"{row_count} rows")


def check_record_id_unique(connection: duckdb.DuckDBPyConnection, table: str, source_file: SourceFile) -> CheckOutcome:
    id_columns = list(source_file.record_id)
    key = " || '-' || ".join(f'coalesce("{c}", \'\')' for c in id_columns)
    missing_condition = " OR ".join(f'nullif(trim("{c}"), \'\') IS NULL' for c in id_columns)
    missing_count, missing_lines = connection.execute(
        f"SELECT count(*), min(_line_number, 5) FROM {table} WHERE {missing_condition}").fetchone()
    missing_lines = sorted(missing_lines or [])
    # one grouping of the ids; the line numbers only for the five duplicates shown
    groups = connection.execute(
        f"""
        WITH duplicated AS (
            SELECT {key} AS record_id, min(_line_number) AS first_line FROM {table} WHERE NOT ({missing_condition})
            GROUP BY 1 HAVING count(*) > 1
        )
        SELECT record_id, count(*) OVER () FROM duplicated ORDER BY first_line LIMIT 5
        """
    ).fetchall()
    duplicate_count = groups[0][1] if groups else 0
    duplicates = []
    if groups:
        lines = dict(connection.execute(
            f"SELECT {key}, min(_line_number, 3) FROM {table} WHERE NOT ({missing_condition}) "
            f"AND {key} IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
            [[g[0] for g in groups]]).fetchall())
        duplicates = [(record_id, None, sorted(lines[record_id])) for record_id, _ in groups]
    column_label = "+".join(id_columns)
    if missing_count or duplicate_count:
        parts = []
        if duplicate_count:
            shown = "; ".join(
                f"{_mask_id(id_columns, record_id)} on lines {', '.join(map(str, lines))}"
                for record_id, _, lines in duplicates
            )
            parts.append(f"{duplicate_count} duplicated id(s), e.g. {shown}")
        if missing_count:
            parts.append(f"{missing_count} row(s) without an id, e.g. lines {format_examples(missing_lines)}")
        return CheckOutcome(
            "record_id_unique", False,
            f"file {source_file.path} column {column_label}: " + "; ".join(parts),
            metadata={"file": source_file.path, "column": column_label, "duplicated_ids": duplicate_count,
                      "rows_without_id": missing_count,
                      "example_lines": [lines[0] for _, _, lines in duplicates] + missing_lines},
        )
    return CheckOutcome("record_id_unique", True, f"{column_label} unique and present on every row")


def _mask_id(columns: list[str], record_id: str) -> str:
    # Record ids are not personal, except Dukcapil's, which is the NIK.
    return str(mask_value(columns[0], record_id)) if len(columns) == 1 else record_id


def check_column_expectations(
    connection: duckdb.DuckDBPyConnection, table: str, source_file: SourceFile
) -> list[CheckOutcome]:
    """The blocking GX suite and the informative value-format suite."""
    blocking = [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(source_file.columns), exact_match=False),
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in source_file.record_id],
        *[gxe.ExpectColumnValuesToMatchRegex(column=c, regex=r"^\S(?:.*\S)?$") for c in source_file.record_id],
    ]
    formats = [gxe.ExpectColumnValuesToMatchRegex(column=c, regex=pattern, mostly=mostly)
               for c, pattern, mostly in _value_formats(source_file)]
    outcomes = [_summarize("column_expectations", source_file, validate_table(connection, table, blocking), True)]
    outcomes.append(_summarize("value_formats", source_file, validate_table(connection, table, formats), False) if formats
                    else CheckOutcome("value_formats", True, "no format expectations for this file", blocking=False))
    return outcomes


def _value_formats(source_file: SourceFile) -> list[tuple[str, str, float]]:
    """Format expectations where the contract fixes one; `mostly` because real extracts break them."""
    patterns = {
        "NIK": (r"^\d{16}$", 0.8), "NO_KK": (r"^\d{16}$", 0.8), "KODE_DESA": (r"^(?:\d{10}|\d{2}\.\d{2}\.\d{2}\.\d{4})$", 0.95),
        "KODE_WILAYAH": (r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$", 0.95),
        "TGL_LHR": (r"^\d{4}-\d{2}-\d{2}$", 0.95), "TGL_LAHIR": (r"^\d{1,4}-\d{2}-\d{2,4}$", 0.8),
        "TANGGAL_LAHIR": (r"^\d{4}-\d{2}-\d{2}$", 0.8), "TGL_MUSDES": (r"^\d{4}-\d{2}-\d{2}$", 0.95),
        "TGL_USUL": (r"^\d{4}-\d{2}-\d{2}$", 0.95), "TGL_SANGGAH": (r"^\d{4}-\d{2}-\d{2}$", 0.95),
        "NIK_PENYANGGAH": (r"^\d{16}$", 0.8), "NIK_SASARAN": (r"^\d{16}$", 0.8),
    }
    return [(c, *patterns[c]) for c in source_file.columns if c in patterns]


def _summarize(name: str, source_file: SourceFile, outcomes, blocking: bool) -> CheckOutcome:
    failed = [o for o in outcomes if not o.success]
    per_expectation = {
        f"{o.expectation}({o.column or 'table'})": f"{o.unexpected_count} of {o.element_count} unexpected"
        for o in outcomes
    }
    if failed:
        first = failed[0]
        if first.column is None:
            summary = f"file {source_file.path}: {first.expectation} failed"
        else:
            lines = f", e.g. lines {format_examples(first.example_lines)}" if first.example_lines else ""
            summary = (f"file {source_file.path} column {first.column}: {first.expectation} failed for "
                       f"{first.unexpected_count} of {first.element_count} rows{lines}")
        return CheckOutcome(name, False, summary, blocking=blocking,
                            metadata={"file": source_file.path, **per_expectation})
    return CheckOutcome(name, True, f"{len(outcomes)} expectation(s) met on every row", blocking=blocking,
                        metadata=per_expectation)


def check_vital_columns(connection: duckdb.DuckDBPyConnection, table: str, source_file: SourceFile) -> CheckOutcome:
    """Each vital column of the file usable on all but its allowed share of rows (dtsen_assets/vital.py)."""
    columns = vital_columns(source_file.key)
    if not columns:
        return CheckOutcome("vital_columns_usable", True, "no vital column in this file")
    # one pass over the rows for every vital column and code (the regexes are the cost, not the scans)
    conditions, parameters = [], []
    for vital in columns:
        value = f"""nullif(trim(regexp_replace(regexp_replace("{vital.column}", '[\\s\\x{{00A0}}]+', '', 'g'), '^[''`]', '')), '')"""
        unusable_if = f"NOT regexp_full_match({value}, '{VALUE_FORMATS[vital.kind]}')"
        unusable_if = f"{value} IS NULL OR {unusable_if}" if not vital.empty_ok else f"{value} IS NOT NULL AND {unusable_if}"
        # a value already in its format is usable: clean it (two regex replacements) only when it is not
        conditions.append(f"""CASE WHEN regexp_full_match("{vital.column}", '{VALUE_FORMATS[vital.kind]}') THEN false
                                   ELSE {unusable_if} END""")
    codes = vital_codes_of_file(source_file.path)
    for code in codes:
        normalized = f"""upper(trim(regexp_replace("{code.column}", '[\\s\\x{{00A0}}]+', ' ', 'g')))"""
        # a value already a known code is known: normalize it (a regex replacement) only when it is not
        conditions.append(f"""CASE WHEN list_contains(?::VARCHAR[], "{code.column}") THEN false
                                   ELSE NOT list_contains(?::VARCHAR[], coalesce({normalized}, '')) END""")
        parameters += [sorted(known_codes(code.source, code.column))] * 4   # twice per aggregate below
    aggregates = [f"count(*) FILTER (WHERE {c}), min(_line_number, 5) FILTER (WHERE {c})" for c in conditions]
    rows, *found = connection.execute(f"SELECT count(*), {', '.join(aggregates)} FROM {table}", parameters).fetchone()
    failures, figures = [], {}
    for index, vital in enumerate(columns):
        unusable, lines = int(found[2 * index]), sorted(found[2 * index + 1] or [])
        share = unusable / rows if rows else 0.0
        figures[f"{vital.column}_unusable"] = unusable
        if unusable and share > vital.max_unusable_share:
            allowed = "none" if vital.max_unusable_share == 0 else f"at most {vital.max_unusable_share:.0%}"
            failures.append((vital, unusable, share, lines, allowed))
    for index, code in enumerate(codes, start=len(columns)):
        unknown, lines = int(found[2 * index]), sorted(found[2 * index + 1] or [])
        figures[f"{code.column}_unknown_codes"] = unknown
        if unknown:
            vital = VitalColumn(source_file.key, code.column, "code", code.decides, 0.0)
            failures.insert(0, (vital, unknown, unknown / rows, lines, "none"))
    if failures:
        vital, unusable, share, lines, allowed = failures[0]
        what = {"nik": "not a 16-digit NIK (Excel number, wrong length, letters)",
                "no_kk": "not a 16-digit family card number (Excel number, wrong length, letters)",
                "kode_desa": "not a 10-digit village code", "date_iso": "not a YYYY-MM-DD date",
                "date_dmy": "not a DD-MM-YYYY date", "text": "empty",
                "code": "empty or a code codebook.csv does not know (no value is guessed: add the code to the "
                        "codebook if it is real, or have the file corrected)"}[vital.kind]
        others = "".join(f"; column {v.column} {n} of {rows} unusable" for v, n, *_ in failures[1:])
        return CheckOutcome(
            "vital_columns_usable", False,
            f"file {source_file.path} column {vital.column}: {unusable} of {rows} rows ({share:.1%}) {what}; "
            f"a vital column ({vital.decides}) may have {allowed}, e.g. lines {format_examples(lines)}{others}",
            metadata={"file": source_file.path, "column": vital.column, "example_lines": lines, **figures})
    return CheckOutcome("vital_columns_usable", True,
                        f"vital column(s) {', '.join(v.column for v in columns)} usable", metadata=figures)
