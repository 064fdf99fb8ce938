"""Checks on the unified tables, evaluated on the staged tables before they are published.

Each check counts violations in DuckDB SQL and reports a few examples: person_id (a keyed
hash, not personal data), record ids, masked NIKs; never a name, birth date or address.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from dtsen_assets.platform.gate import Check, CheckOutcome, format_examples

PERSON, PERSON_SOURCE, FAMILY = (dg.AssetKey(["dtsen", name]) for name in ("person", "person_source", "family"))
FAMILY_KARANTINA = dg.AssetKey(["unify", "family_karantina"])

# Every check of the unify group, declared once: name, the asset it guards, what, blocking, threshold.
UNIFY_CHECKS: list[Check] = [
    Check("person_id_unique", PERSON, "Every dtsen.person row has a person_id, and no two rows share one."),
    Check("every_record_once", PERSON_SOURCE, "Every staging.person_record record appears exactly once in "
          "dtsen.person_source, and nothing else does."),
    Check("no_active_dead_person", PERSON, "No active person is dead in Dukcapil."),
    Check("unknown_code_share", FAMILY, "For every canonical variable, the share of source values the codebook "
          "does not know stays under the threshold.", threshold="max_unknown_code_share"),
    Check("tidak_padan_share", PERSON, "The share of active persons that are TIDAK_PADAN stays under the threshold.",
          threshold="max_tidak_padan_share"),
    Check("family_has_active_member", FAMILY, "Every family has at least one active member, and jumlah_art counts them."),
    Check("references_resolve", PERSON, "Every person's family_id is in dtsen.family; every person_id of "
          "person_source is in dtsen.person and every person has a record."),
    Check("rejected_records", PERSON_SOURCE, "Records rejected (no person) stay rare (informative).", blocking=False,
          threshold="max_rejected_share"),
    Check("family_plausible", FAMILY_KARANTINA, "No family is quarantined as implausible (too many members, several "
          "heads, impossible ages); quarantined ones are listed in unify.family_karantina and not ranked "
          "(informative).", blocking=False),
]
CHECK_ASSET: dict[str, dg.AssetKey] = {c.name: c.asset for c in UNIFY_CHECKS}
DEFAULT_MAX_REJECTED_SHARE = 0.01


def _one(connection: duckdb.DuckDBPyConnection, query: str) -> tuple:
    return connection.execute(query).fetchone()


def check_person_id_unique(connection: duckdb.DuckDBPyConnection, person: str) -> CheckOutcome:
    rows, distinct, missing = _one(connection, f"SELECT count(*), count(DISTINCT person_id), count(*) - count(person_id) FROM {person}")
    passed = missing == 0 and rows - missing == distinct
    # the examples are looked for only when something is wrong
    duplicated = [] if passed else [r[0] for r in connection.execute(
        f"SELECT person_id FROM {person} WHERE person_id IS NOT NULL GROUP BY person_id HAVING count(*) > 1 "
        "ORDER BY person_id LIMIT 5").fetchall()]
    summary = (f"{rows:,} persons, all with a unique person_id" if passed else
               f"{missing:,} persons without person_id, {rows - missing - distinct:,} duplicated ids, e.g. "
               f"{format_examples(duplicated)}")
    return CheckOutcome("person_id_unique", passed, summary,
                        metadata={"persons": rows, "missing": missing, "duplicates": rows - missing - distinct})


def check_every_record_once(connection: duckdb.DuckDBPyConnection, person_source: str,
                            records: str = "staging.person_record") -> CheckOutcome:
    # Counts first (one join); the examples are looked for only when something is wrong.
    total, distinct = _one(connection, f"""
        SELECT coalesce(sum(n), 0), count(*) FROM (SELECT count(*) AS n FROM {person_source} GROUP BY source, source_record_id)""")
    expected = _one(connection, f"SELECT count(*) FROM {records}")[0]
    matched = _one(connection, f"""
        SELECT count(*) FROM {person_source} s JOIN {records} r
        ON s.source = r.source AND s.source_record_id = r.source_record_id""")[0]
    passed = total == distinct == expected == matched
    if passed:
        return CheckOutcome("every_record_once", True, f"{total:,} source records, each exactly once",
                            metadata={"records": total, "missing": 0, "repeated": 0, "unknown": 0})
    missing = [r[0] for r in connection.execute(f"""
        SELECT r.source || ':' || r.source_record_id FROM {records} r
        ANTI JOIN {person_source} s ON s.source = r.source AND s.source_record_id = r.source_record_id
        ORDER BY 1 LIMIT 5""").fetchall()]
    extra = [r[0] for r in connection.execute(f"""
        SELECT s.source || ':' || s.source_record_id FROM {person_source} s
        ANTI JOIN {records} r ON s.source = r.source AND s.source_record_id = r.source_record_id
        ORDER BY 1 LIMIT 5""").fetchall()]
    repeated = [r[0] for r in connection.execute(f"""
        SELECT source || ':' || source_record_id FROM {person_source}
        GROUP BY source, source_record_id HAVING count(*) > 1 ORDER BY 1 LIMIT 5""").fetchall()]
    summary = (f"{expected:,} records in staging, {total:,} in person_source ({total - distinct:,} repeated, e.g. "
               f"{format_examples(repeated)}); missing e.g. {format_examples(missing)}; not in staging e.g. "
               f"{format_examples(extra)}")
    return CheckOutcome("every_record_once", False, summary, metadata={
        "records": total, "expected": expected, "repeated": total - distinct, "matched": matched})


def check_no_active_dead(connection: duckdb.DuckDBPyConnection, person: str,
                         dukcapil: str = "staging.dukcapil_person") -> CheckOutcome:
    rows = connection.execute(f"""
        SELECT p.person_id, p.nik FROM {person} p JOIN {dukcapil} d ON d.nik = p.nik
        WHERE p.is_active AND NOT coalesce(d.is_alive, true)
        ORDER BY p.person_id""").fetchall()
    examples = [pid for pid, _ in rows[:5]]     # never an id beside a partial NIK
    passed = not rows
    summary = "no active person is dead in Dukcapil" if passed else \
        f"{len(rows):,} active persons are dead in Dukcapil, e.g. {format_examples(examples)}"
    return CheckOutcome("no_active_dead_person", passed, summary, metadata={"violations": len(rows)})


def unknown_code_shares(connection: duckdb.DuckDBPyConnection,
                        tables: tuple[str, ...] = ("staging.person_record", "staging.family_record")) -> list[tuple[str, int, int]]:
    """(variable, unknown, given) over the source records unify reads: a value was given when it
    is known (not NULL) or flagged `code_unknown:<variable>`."""
    results: dict[str, list[int]] = {}
    for table in tables:
        columns = {r[0] for r in connection.execute(f"DESCRIBE {table}").fetchall()}
        unknown = connection.execute(f"""
            SELECT substr(p, 14) AS variable, count(*) FROM (SELECT unnest(problems) AS p FROM {table})
            WHERE p LIKE 'code_unknown:%' GROUP BY ALL""").fetchall()
        for variable, count in unknown:
            if variable not in columns:
                continue
            known = _one(connection, f'SELECT count("{variable}") FROM {table}')[0]
            entry = results.setdefault(variable, [0, 0])
            entry[0] += int(count)
            entry[1] += int(count) + int(known)
    return sorted((v, u, g) for v, (u, g) in results.items())


def check_unknown_code_share(shares: list[tuple[str, int, int]], max_share: float) -> CheckOutcome:
    over = [(v, u, g) for v, u, g in shares if g and u / g > max_share]
    worst = max(shares, key=lambda s: s[1] / s[2] if s[2] else 0.0, default=None)
    passed = not over
    if passed:
        summary = (f"every variable under {max_share:.1%} unknown codes"
                   + (f" (highest: {worst[0]} {worst[1] / worst[2]:.2%})" if worst and worst[2] else ""))
    else:
        summary = "unknown codes above {:.1%}: ".format(max_share) + ", ".join(
            f"{v} {u / g:.2%} ({u:,} of {g:,})" for v, u, g in over[:5])
    return CheckOutcome("unknown_code_share", passed, summary, metadata={
        "max_share": max_share, "variables_over": len(over),
        "shares": {v: round(u / g, 6) for v, u, g in shares if g}})


def check_tidak_padan_share(connection: duckdb.DuckDBPyConnection, person: str, max_share: float) -> CheckOutcome:
    active, tidak = _one(connection, f"""
        SELECT count(*) FILTER (WHERE is_active), count(*) FILTER (WHERE is_active AND status_padan = 'TIDAK_PADAN')
        FROM {person}""")
    share = tidak / active if active else 0.0
    passed = share <= max_share
    summary = f"{tidak:,} of {active:,} active persons TIDAK_PADAN ({share:.2%}, limit {max_share:.1%})"
    return CheckOutcome("tidak_padan_share", passed, summary,
                        metadata={"active_persons": active, "tidak_padan": tidak, "share": round(share, 6),
                                  "max_share": max_share})


def check_family_has_active_member(connection: duckdb.DuckDBPyConnection, family: str, person: str) -> CheckOutcome:
    rows = connection.execute(f"""
        SELECT f.family_id, f.jumlah_art, count(p.person_id) AS active
        FROM {family} f LEFT JOIN {person} p ON p.family_id = f.family_id AND p.is_active
        GROUP BY f.family_id, f.jumlah_art
        HAVING count(p.person_id) = 0 OR count(p.person_id) <> f.jumlah_art
        ORDER BY f.family_id""").fetchall()
    total = _one(connection, f"SELECT count(*) FROM {family}")[0]
    passed = not rows
    summary = f"{total:,} families, each with its active members counted" if passed else \
        f"{len(rows):,} families without active members or with a wrong jumlah_art, e.g. " \
        f"{format_examples([f'{fid} ({n} counted, {a} active)' for fid, n, a in rows])}"
    return CheckOutcome("family_has_active_member", passed, summary, metadata={"families": total, "violations": len(rows)})


def check_references(connection: duckdb.DuckDBPyConnection, person: str, person_source: str, family: str) -> CheckOutcome:
    unknown_family, active_without_family = _one(connection, f"""
        SELECT count(*) FILTER (WHERE p.family_id IS NOT NULL AND f.family_id IS NULL),
               count(*) FILTER (WHERE p.is_active AND p.family_id IS NULL)
        FROM {person} p LEFT JOIN {family} f ON f.family_id = p.family_id""")
    unknown_person = _one(connection, f"""
        SELECT count(*) FROM {person_source} s LEFT JOIN {person} p ON p.person_id = s.person_id
        WHERE s.person_id IS NOT NULL AND p.person_id IS NULL""")[0]
    without_record = _one(connection, f"""
        SELECT count(*) FROM {person} p
        WHERE p.person_id NOT IN (SELECT person_id FROM {person_source} WHERE person_id IS NOT NULL)""")[0]
    passed = unknown_family == unknown_person == without_record == active_without_family == 0
    if passed:
        summary = "all family_id and person_id references resolve"
    else:
        examples = [r[0] for r in connection.execute(f"""
            SELECT p.person_id FROM {person} p ANTI JOIN {family} f ON f.family_id = p.family_id
            WHERE p.family_id IS NOT NULL ORDER BY 1 LIMIT 5""").fetchall()]
        summary = (f"{unknown_family:,} persons with an unknown family_id (e.g. {format_examples(examples)}), "
                   f"{unknown_person:,} records with an unknown person_id, {without_record:,} persons without a "
                   f"record, {active_without_family:,} active persons without a family")
    return CheckOutcome("references_resolve", passed, summary, metadata={
        "unknown_family": unknown_family, "unknown_person": unknown_person, "person_without_record": without_record,
        "active_without_family": active_without_family})


def check_rejected_records(connection: duckdb.DuckDBPyConnection, person_source: str,
                           max_share: float = DEFAULT_MAX_REJECTED_SHARE) -> CheckOutcome:
    total, rejected = _one(connection, f"SELECT count(*), count(*) FILTER (WHERE person_id IS NULL) FROM {person_source}")
    share = rejected / total if total else 0.0
    reasons = connection.execute(f"""
        SELECT reject_reason, count(*) FROM {person_source} WHERE person_id IS NULL GROUP BY ALL ORDER BY 2 DESC""").fetchall()
    return CheckOutcome("rejected_records", share <= max_share,
                        f"{rejected:,} of {total:,} records rejected ({share:.3%})", blocking=False,
                        metadata={"rejected": rejected, "share": round(share, 6),
                                  "reasons": ", ".join(f"{r}: {n}" for r, n in reasons) or "none"})


def check_family_plausible(connection: duckdb.DuckDBPyConnection, karantina: str, family: str) -> CheckOutcome:
    rows = connection.execute(f"SELECT alasan, count(*) FROM {karantina} GROUP BY 1 ORDER BY 2 DESC").fetchall()
    total = _one(connection, f"SELECT count(*) FROM {family}")[0]
    quarantined = sum(n for _, n in rows)
    by_reason = {f"karantina_{r}": int(n) for r, n in rows}
    if quarantined:
        examples = [r[0] for r in connection.execute(
            f"SELECT family_id FROM {karantina} ORDER BY jumlah_art DESC, family_id LIMIT 5").fetchall()]
        summary = (f"{quarantined:,} of {total:,} families quarantined as implausible and not ranked "
                   f"({', '.join(f'{r} {n}' for r, n in rows)}), e.g. {format_examples(examples)}; "
                   "see unify.family_karantina")
        return CheckOutcome("family_plausible", False, summary, blocking=False,
                            metadata={"quarantined": quarantined, **by_reason})
    return CheckOutcome("family_plausible", True, f"all {total:,} families plausible", blocking=False,
                        metadata={"quarantined": 0})


def evaluate_unify_checks(connection: duckdb.DuckDBPyConnection, person: str, person_source: str, family: str,
                          max_tidak_padan_share: float, max_unknown_code_share: float,
                          karantina: str | None = None,
                          max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE) -> list[CheckOutcome]:
    """Every check of the unify group, on the given (staged) tables."""
    plausible = [check_family_plausible(connection, karantina, family)] if karantina else []
    return [
        check_person_id_unique(connection, person),
        check_every_record_once(connection, person_source),
        check_no_active_dead(connection, person),
        check_unknown_code_share(unknown_code_shares(connection), max_unknown_code_share),
        check_tidak_padan_share(connection, person, max_tidak_padan_share),
        check_family_has_active_member(connection, family, person),
        check_references(connection, person, person_source, family),
        check_rejected_records(connection, person_source, max_rejected_share),
        *plausible,
    ]
