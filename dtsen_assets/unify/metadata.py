"""Figures of a unify run, for the asset's metadata: what matched how, and what was corrected.

Everything is counted in DuckDB; the few examples shown have their NIKs masked
(`dtsen_assets.pii`), and no name, birth date or address is shown at all.
"""

from __future__ import annotations

from typing import Any

import duckdb

from dtsen_assets.pii import mask_identifier
from dtsen_assets.platform.sql import count_rows

EXAMPLES_PER_METHOD = 3
CORRECTION_METHODS = ("cleaned_nik", "corrected_nik", "nik_ganda_resolved", "verivali_nik", "dukcapil_search",
                      "exact_nik_scored", "linked_record")


def _rows(connection: duckdb.DuckDBPyConnection, query: str) -> list[tuple]:
    return connection.execute(query).fetchall()


def _markdown(header: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v)) for v in row) + " |"
              for row in rows]
    return "\n".join(lines)


def _by_count(counts: dict) -> dict:
    """Largest count first (ties in key order), as the figures show them."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))


def record_figures(connection: duckdb.DuckDBPyConnection, work: str, counts: dict[str, int]) -> dict[str, Any]:
    """Counts and examples of the records' matching, from the work tables once every record is matched
    (record_match.sql) and before the matching steps' tables are dropped; `counts`: the rows of the
    work tables dropped earlier (search_record, search_candidate, rest_pair)."""
    figures: dict[str, Any] = {}
    # one pass over the records' outcomes: records per source, match methods, reject reasons
    outcomes = _rows(connection, f"SELECT source, match_method, reject_reason, count(*) FROM {work}.record_match GROUP BY ALL")
    by_source: dict[str, int] = {}
    methods: dict[str, int] = {}
    rejects: dict[str, int] = {}
    for source, method, reason, n in outcomes:
        by_source[source] = by_source.get(source, 0) + int(n)
        methods[method or "(rejected)"] = methods.get(method or "(rejected)", 0) + int(n)
        if reason is not None:
            rejects[reason] = rejects.get(reason, 0) + int(n)
    figures["records_by_source"] = dict(sorted(by_source.items()))
    total_records = sum(by_source.values())
    figures["records"] = total_records
    figures["match_methods"] = _by_count(methods)
    figures["reject_reasons"] = _by_count(rejects)
    unmatched = _rows(connection, f"""
        SELECT unmatched_reason, count(*) FROM {work}.search_match WHERE unmatched_reason IS NOT NULL
        GROUP BY ALL ORDER BY 2 DESC, 1""")
    figures["search_unmatched_reasons"] = {r: int(n) for r, n in unmatched}
    exact = _rows(connection, f"SELECT status, count(*) FROM {work}.exact_pair GROUP BY ALL ORDER BY 2 DESC, 1")
    figures["own_nik_check"] = {s: int(n) for s, n in exact}

    # the records whose NIK (cleaned or as received) is not the NIK of the Dukcapil person they became,
    # found in one pass: counted by method, a few shown (masked)
    connection.execute(f"""
        CREATE OR REPLACE TABLE {work}.figures_nik_changed AS
        SELECT m.match_method, m.source, m.source_record_id, r.nik_raw, d.nik,
               r.nik IS DISTINCT FROM d.nik AS corrected, r.nik_raw IS DISTINCT FROM d.nik AS differs_as_received
        FROM {work}.record_match m JOIN {work}.record r USING (record_key) JOIN {work}.dukcapil d USING (dukcapil_key)
        WHERE r.nik IS DISTINCT FROM d.nik OR r.nik_raw IS DISTINCT FROM d.nik""")
    corrections = _rows(connection, f"""
        SELECT match_method, count(*) FROM {work}.figures_nik_changed WHERE corrected GROUP BY ALL ORDER BY 2 DESC, 1""")
    figures["nik_corrections"] = {m: int(n) for m, n in corrections}
    examples = _rows(connection, f"""
        SELECT match_method, source, source_record_id, nik_raw, nik
        FROM (
            SELECT *, row_number() OVER (PARTITION BY match_method ORDER BY hash(source_record_id)) AS rank
            FROM {work}.figures_nik_changed
            WHERE differs_as_received AND match_method IN {CORRECTION_METHODS})
        WHERE rank <= {EXAMPLES_PER_METHOD}
        ORDER BY match_method, source, source_record_id""")
    connection.execute(f"DROP TABLE {work}.figures_nik_changed")
    figures["nik_correction_examples"] = _markdown(
        ["method", "source", "record", "NIK as received (masked)", "NIK confirmed (masked)"],
        [(m, s, rid, mask_identifier(raw) if raw is not None else "(empty)", mask_identifier(nik))
         for m, s, rid, raw, nik in examples])

    search_records, search_pairs, rest_pairs = (counts[t] for t in ("search_record", "search_candidate", "rest_pair"))
    exact_pairs = count_rows(connection, f"{work}.exact_pair")
    figures["records_searched"] = int(search_records)
    figures["comparisons"] = {"own_nik": int(exact_pairs), "search": int(search_pairs), "rest": int(rest_pairs)}
    figures["comparisons_per_record"] = round((exact_pairs + search_pairs + rest_pairs) / total_records, 3) \
        if total_records else 0.0
    figures["candidates_per_searched_record"] = round(search_pairs / search_records, 3) if search_records else 0.0

    return figures


def person_figures(connection: duckdb.DuckDBPyConnection, work: str, family_table: str,
                   records_by_source: dict[str, int]) -> dict[str, Any]:
    """Counts of the persons and families built (person_full, the staged family table), with the
    records per source of `record_figures`."""
    figures: dict[str, Any] = {}
    # a rejected record has no person, so it counts in the records of its source only
    padan = dict(((s, (int(p), int(c))) for s, p, c in _rows(connection, f"""
        SELECT rp.source, count(*) FILTER (WHERE p.status_padan = 'PADAN'), count(*) FILTER (WHERE p.nik IS NOT NULL)
        FROM {work}.record_person rp JOIN {work}.person_full p USING (person_id)
        GROUP BY rp.source""")))
    figures["padan_rate_by_source"] = {s: round(padan.get(s, (0, 0))[0] / n, 6) if n else None
                                       for s, n in records_by_source.items()}
    figures["nik_confirmed_rate_by_source"] = {s: round(padan.get(s, (0, 0))[1] / n, 6) if n else None
                                               for s, n in records_by_source.items()}

    persons: dict[str, int] = {"total": 0, "active": 0, "padan": 0, "nik_confirmed": 0}
    inactive: dict[str, int] = {}
    for active, status, confirmed, reason, n in _rows(connection, f"""
            SELECT is_active, status_padan, nik IS NOT NULL, inactive_reason, count(*) FROM {work}.person_full GROUP BY ALL"""):
        persons["total"] += int(n)
        persons["active"] += int(n) if active else 0
        persons["padan"] += int(n) if status == "PADAN" else 0
        persons["nik_confirmed"] += int(n) if confirmed else 0
        if not active:
            inactive[reason] = inactive.get(reason, 0) + int(n)
    figures["persons"] = persons
    figures["inactive_reasons"] = _by_count(inactive)
    family = _rows(connection, f"SELECT count(*), avg(jumlah_art) FROM {family_table}")[0]
    figures["families"] = {"total": int(family[0]), "mean_jumlah_art": round(float(family[1] or 0), 3)}
    return figures

