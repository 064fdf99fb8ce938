"""Checks on the staging tables, evaluated on `<table>__staging` before it is published.

Blocking: no raw record lost or duplicated; unknown codes stay under a share per variable (a
larger share means the source changed its coding, and the codebook must be updated, not the
data guessed); every person record belongs to a family of its source; Dukcapil has one row per
NIK; the reference tables are well formed. Informative (WARN): how often each problem occurs.
Examples name source files, lines and record ids, never a NIK or a name in the clear.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import duckdb

from dtsen_assets.platform.gate import Check, CheckOutcome, format_examples
from dtsen_assets.pii import mask_identifier
from dtsen_assets.staging.quality import CodeShare, ProblemCount
from dtsen_assets.vital import VITAL_CODES, problem_severity

# A source whose unknown codes exceed this share of a variable's codes has changed its
# coding (a new questionnaire or export): stop and update the codebook. Typing slips stay far below.
DEFAULT_MAX_UNKNOWN_CODE_SHARE = 0.05
# ... and has at least this many of them: in a small sample (a few SUSENAS households of a small
# drop) one slip is already 5%, which says nothing about the coding.
DEFAULT_MIN_UNKNOWN_CODES = 5
# A problem on more than this share of a source's records is systematic, worth a look; a severe one
# (the value is lost: a malformed NIK, an impossible date) already from a smaller share. Harmless
# problems (casing, titles, an apostrophe staging removed) never count (dtsen_assets/vital.py).
DEFAULT_WARN_PROBLEM_SHARE = 0.25
DEFAULT_SEVERE_PROBLEM_SHARE = 0.05


CODEBOOK, WILAYAH, FAMILY_RECORD, PERSON_RECORD, DUKCAPIL_PERSON, SUSENAS_HOUSEHOLD, VERIVALI_DECISION = (
    dg.AssetKey(["staging", name]) for name in ("codebook", "wilayah", "family_record", "person_record",
                                                "dukcapil_person", "susenas_household", "verivali_decision"))


def _record_table_checks(asset: dg.AssetKey, *extra: tuple[str, str]) -> list[Check]:
    """The checks every staging record table has, with the asset's own (blocking) ones before problem_shares."""
    return [
        Check("one_row_per_raw_record", asset,
              "Every raw record is in the table exactly once (none lost, none duplicated)."),
        Check("unknown_codes_under_threshold", asset,
              "Per source and variable, the share of codes outside the codebook is under the configured threshold.",
              threshold="max_unknown_code_share"),
        *(Check(name, asset, description) for name, description in extra),
        Check("problem_shares", asset,
              "Per severity: no severe problem on more than the severe share of a source's records, no other problem "
              "on more than the warn share; harmless ones never (informative).",
              blocking=False, threshold="warn_problem_share"),
    ]


_FAMILY_EXISTS = ("family_exists", "Every person record's source_family_id is a family of the same source in "
                  "staging.family_record.")
_NIK_UNIQUE = ("nik_unique", "No NIK appears twice in the civil registry after cleaning.")
_VITAL_CODES = ("vital_codes_known", "Every code of a vital column (Dukcapil STATUS, JENIS_KLMIN, STAT_HBKEL; "
                "verivali AKSI) is in the codebook and not empty: an unknown one blocks at any share.")

# Every check of the staging group, declared once.
STAGING_CHECKS: list[Check] = [
    Check("codebook_keys_unique", CODEBOOK,
          "No (source, variable, normalized code, canonical variable) has two canonical values."),
    Check("codebook_rows_complete", CODEBOOK,
          "Every codebook row has a source, a variable, a code, a canonical variable and value."),
    Check("region_codes_well_formed", WILAYAH,
          "Every region code is unique and has the digits of its level (2/4/6/10)."),
    *_record_table_checks(FAMILY_RECORD),
    *_record_table_checks(PERSON_RECORD, _FAMILY_EXISTS),
    *_record_table_checks(DUKCAPIL_PERSON, _NIK_UNIQUE, _VITAL_CODES),
    *_record_table_checks(SUSENAS_HOUSEHOLD),
    *_record_table_checks(VERIVALI_DECISION, _VITAL_CODES),
]


def check_one_row_per_raw_record(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    raw_tables: Sequence[tuple[str, str]],
    key: Sequence[str],
    source_column: str | None = "source",
) -> CheckOutcome:
    """Rows per source equal the raw rows, and `key` is unique. `raw_tables`: (source, raw table)."""
    problems: list[str] = []
    counts: dict[str, object] = {}
    for source, raw_table in raw_tables:
        where = f"WHERE {source_column} = ?" if source_column else ""
        params = [source] if source_column else []
        staged = connection.execute(f"SELECT count(*) FROM {table} {where}", params).fetchone()[0]
        raw = connection.execute(f"SELECT count(*) FROM {raw_table}").fetchone()[0]
        counts[f"{source}_raw"] = raw
        counts[f"{source}_staged"] = staged
        if staged != raw:
            problems.append(f"{source}: {raw} raw record(s) in {raw_table} but {staged} staged")
    key_sql = ", ".join(key)
    duplicated = connection.execute(
        f"SELECT count(*) FROM (SELECT {key_sql} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    if duplicated:
        examples = connection.execute(
            f"SELECT {key_sql} FROM {table} GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 5"
        ).fetchall()
        problems.append(f"{duplicated} key(s) ({key_sql}) on more than one row, e.g. "
                        f"{format_examples(['/'.join(map(str, e)) for e in examples])}")
    if problems:
        return CheckOutcome("one_row_per_raw_record", False, f"{table}: " + "; ".join(problems),
                            metadata={"table": table, "duplicated_keys": duplicated, **counts})
    return CheckOutcome("one_row_per_raw_record", True, f"one row per raw record ({key_sql} unique)", metadata=counts)


def check_unknown_codes(shares: Sequence[CodeShare], max_share: float, table: str,
                        min_unknown: int = DEFAULT_MIN_UNKNOWN_CODES) -> CheckOutcome:
    over = [s for s in shares if s.unknown_share > max_share and s.unknown >= min_unknown]
    worst = max(shares, key=lambda s: s.unknown_share, default=None)
    metadata: dict[str, object] = {"max_unknown_code_share": max_share, "min_unknown_codes": min_unknown,
                                   "worst_unknown_share": round(worst.unknown_share, 4) if worst else 0.0}
    if over:
        described = format_examples(
            [f"{s.source}.{s.variable} {s.unknown} of {s.codes_read} ({s.unknown_share:.1%})" for s in over])
        return CheckOutcome(
            "unknown_codes_under_threshold", False,
            f"{table}: codes outside the codebook above {max_share:.1%} of the codes read (and at least "
            f"{min_unknown}) for {described}; "
            "update codebook.csv if the source changed its coding",
            metadata={**metadata, "variables_over_threshold": [f"{s.source}.{s.variable}" for s in over]},
        )
    where = f", worst {worst.source}.{worst.variable} {worst.unknown_share:.2%}" if worst else ""
    return CheckOutcome("unknown_codes_under_threshold", True,
                        f"unknown codes under {max_share:.1%} (or fewer than {min_unknown}) for every variable{where}",
                        metadata=metadata)


def check_family_exists(connection: duckdb.DuckDBPyConnection, table: str, family_table: str) -> CheckOutcome:
    orphans = connection.execute(
        f"""
        SELECT p.source, p.source_record_id, p.source_family_id, p.line_number
        FROM {table} AS p
        ANTI JOIN {family_table} AS f ON f.source = p.source AND f.source_family_id = p.source_family_id
        ORDER BY p.source, p.line_number
        """
    ).fetchall()
    if orphans:
        described = format_examples([f"{s} line {line} (family {family})" for s, _, family, line in orphans])
        return CheckOutcome(
            "family_exists", False,
            f"{table}: {len(orphans)} person record(s) whose family is not in the source's family file, e.g. {described}",
            metadata={"orphan_records": len(orphans), "example_lines": [o[3] for o in orphans[:5]]},
        )
    return CheckOutcome("family_exists", True, "every person record belongs to a family of its source")


def check_nik_unique(connection: duckdb.DuckDBPyConnection, table: str) -> CheckOutcome:
    duplicates = connection.execute(
        f"""
        SELECT nik, count(*) AS n, list(line_number ORDER BY line_number)[1:3] AS lines
        FROM {table} WHERE nik IS NOT NULL GROUP BY nik HAVING count(*) > 1 ORDER BY min(line_number)
        """
    ).fetchall()
    without = connection.execute(f"SELECT count(*) FROM {table} WHERE nik IS NULL").fetchone()[0]
    metadata = {"duplicated_niks": len(duplicates), "rows_without_valid_nik": without}
    if duplicates:
        described = format_examples(
            [f"{mask_identifier(nik)} on lines {', '.join(map(str, lines))}" for nik, _, lines in duplicates])
        return CheckOutcome("nik_unique", False, f"{table}: {len(duplicates)} NIK(s) on several rows, e.g. {described}",
                            metadata=metadata)
    return CheckOutcome("nik_unique", True, f"every NIK once ({without} row(s) without a valid NIK)", metadata=metadata)


def check_problem_shares(counts: Sequence[ProblemCount], warn_share: float, table: str,
                         severe_share: float = DEFAULT_SEVERE_PROBLEM_SHARE) -> CheckOutcome:
    """Shares judged per severity: severe above `severe_share`, warn above `warn_share`, info never."""
    bound = {"severe": severe_share, "warn": warn_share}
    judged = [(c, problem_severity(c.problem, c.source)) for c in counts]
    over = [(c, s) for c, s in judged if s in bound and c.share > bound[s]]
    metadata: dict[str, object] = {"warn_problem_share": warn_share, "severe_problem_share": severe_share}
    for severity in ("severe", "warn", "info"):
        metadata[f"{severity}_problems"] = sum(1 for _, s in judged if s == severity)
    if over:
        described = format_examples([f"{c.source} {c.problem} ({s}) {c.share:.1%}" for c, s in over])
        return CheckOutcome("problem_shares", False,
                            f"{table}: problem(s) above their severity's share of a source's records (severe "
                            f"{severe_share:.0%}, warn {warn_share:.0%}): {described}",
                            blocking=False, metadata=metadata)
    top = max((c for c, s in judged if s != "info"), key=lambda c: c.share, default=None)
    where = f"; most frequent {top.source} {top.problem} {top.share:.1%}" if top else ""
    return CheckOutcome("problem_shares", True,
                        f"no severe problem above {severe_share:.0%} and none other above {warn_share:.0%} "
                        f"of a source's records (harmless ones not counted){where}",
                        blocking=False, metadata=metadata)


def check_vital_codes(connection: duckdb.DuckDBPyConnection, table: str, source: str,
                      file_column: str | None = None) -> CheckOutcome:
    """An unknown or empty code in a vital column blocks at any share, naming the file, column and lines."""
    vital = [v for v in VITAL_CODES if v.source == source]
    file_expression = file_column or "NULL::VARCHAR"
    order = f"{file_column}, line_number" if file_column else "line_number"
    found = []
    for code in vital:
        count, lines, file = connection.execute(
            f"""
            SELECT count(*), list(line_number ORDER BY {order})[1:5], min({file_expression})
            FROM {table}
            WHERE list_has_any(problems, ['code_unknown:{code.variable}', 'code_empty:{code.variable}'])
            """
        ).fetchone()
        if count:
            found.append((code, count, lines, file))
    if found:
        parts = [f"file {file or code.file} column {code.column}: {count} row(s) with a code the codebook does not "
                 f"know or no code, e.g. lines {format_examples(lines)}" for code, count, lines, file in found]
        return CheckOutcome(
            "vital_codes_known", False,
            "; ".join(parts) + ". A vital column decides "
            f"{'/'.join(sorted({c.decides for c, *_ in found}))}: no value is guessed. Add the code to codebook.csv "
            "if it is a real one, or have the file corrected",
            metadata={"file": found[0][3] or found[0][0].file, "column": found[0][0].column,
                      "rows": sum(n for _, n, _, _ in found), "example_lines": found[0][2]})
    return CheckOutcome("vital_codes_known", True,
                        f"every code of {', '.join(v.column for v in vital)} known")


# --- reference tables ---

def check_codebook_keys_unique(connection: duckdb.DuckDBPyConnection, table: str) -> CheckOutcome:
    clashes = connection.execute(
        f"""
        SELECT source, variable, code_key, canonical_variable, count(DISTINCT canonical_value) AS n
        FROM {table} GROUP BY ALL HAVING count(DISTINCT canonical_value) > 1 ORDER BY ALL LIMIT 5
        """
    ).fetchall()
    if clashes:
        described = format_examples([f"{s}.{v} code {c!r} -> {cv}" for s, v, c, cv, _ in clashes])
        return CheckOutcome("codebook_keys_unique", False,
                            f"codebook: a code maps to two values of one canonical variable: {described}")
    return CheckOutcome("codebook_keys_unique", True, "every code maps to one value per canonical variable")


def check_codebook_rows_complete(connection: duckdb.DuckDBPyConnection, table: str) -> CheckOutcome:
    incomplete = connection.execute(
        f"""
        SELECT codebook_file, source, variable, code FROM {table}
        WHERE nullif(variable, '') IS NULL OR code_key IS NULL
           OR nullif(canonical_variable, '') IS NULL OR nullif(canonical_value, '') IS NULL
        LIMIT 5
        """
    ).fetchall()
    if incomplete:
        described = format_examples([f"{f}: {s}.{v} code {c!r}" for f, s, v, c in incomplete])
        return CheckOutcome("codebook_rows_complete", False, f"codebook rows with an empty field: {described}")
    return CheckOutcome("codebook_rows_complete", True, "every codebook row complete")


def check_region_codes(connection: duckdb.DuckDBPyConnection, table: str) -> CheckOutcome:
    bad = connection.execute(
        f"""
        SELECT kode_dotted, tingkat FROM {table}
        WHERE NOT regexp_full_match(kode, '[0-9]+')
           OR length(kode) <> CASE tingkat WHEN 'provinsi' THEN 2 WHEN 'kabupaten_kota' THEN 4
                                           WHEN 'kecamatan' THEN 6 WHEN 'desa_kelurahan' THEN 10 END
           OR length(kode) IS NULL
        LIMIT 5
        """
    ).fetchall()
    duplicated = connection.execute(
        f"SELECT count(*) FROM (SELECT kode FROM {table} GROUP BY kode HAVING count(*) > 1)"
    ).fetchone()[0]
    if bad or duplicated:
        described = format_examples([f"{k} ({t})" for k, t in bad])
        return CheckOutcome("region_codes_well_formed", False,
                            f"wilayah.csv: {duplicated} duplicated code(s); malformed e.g. {described}")
    return CheckOutcome("region_codes_well_formed", True, "every region code unique and well formed")
