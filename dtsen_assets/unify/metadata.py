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


def collect_figures(connection: duckdb.DuckDBPyConnection, work: str, family_table: str,
                    counts: dict[str, int]) -> dict[str, Any]:
    """Counts and examples from the work tables (called before they are dropped); `counts`: the rows of
    the work tables dropped earlier (search_record, search_candidate, rest_pair)."""
    figures: dict[str, Any] = {}
    records = _rows(connection, f"SELECT source, count(*) FROM {work}.record GROUP BY source ORDER BY source")
    figures["records_by_source"] = {s: int(n) for s, n in records}
    total_records = sum(figures["records_by_source"].values())
    figures["records"] = total_records

    methods = _rows(connection, f"""
        SELECT coalesce(match_method, '(rejected)'), count(*) FROM {work}.record_match GROUP BY ALL ORDER BY 2 DESC""")
    figures["match_methods"] = {m: int(n) for m, n in methods}
    rejects = _rows(connection, f"""
        SELECT reject_reason, count(*) FROM {work}.record_match WHERE reject_reason IS NOT NULL GROUP BY ALL ORDER BY 2 DESC""")
    figures["reject_reasons"] = {r: int(n) for r, n in rejects}
    unmatched = _rows(connection, f"""
        SELECT unmatched_reason, count(*) FROM {work}.search_match WHERE unmatched_reason IS NOT NULL
        GROUP BY ALL ORDER BY 2 DESC""")
    figures["search_unmatched_reasons"] = {r: int(n) for r, n in unmatched}
    exact = _rows(connection, f"SELECT status, count(*) FROM {work}.exact_pair GROUP BY ALL ORDER BY 2 DESC")
    figures["own_nik_check"] = {s: int(n) for s, n in exact}

    padan = _rows(connection, f"""
        SELECT m.source, count(*) AS records,
               count(*) FILTER (WHERE p.status_padan = 'PADAN') AS padan,
               count(*) FILTER (WHERE p.nik IS NOT NULL) AS nik_confirmed
        FROM {work}.record_match m
        LEFT JOIN {work}.record_person rp USING (record_key)
        LEFT JOIN {work}.person_full p ON p.person_id = rp.person_id
        GROUP BY m.source ORDER BY m.source""")
    figures["padan_rate_by_source"] = {s: round(int(p) / int(n), 6) if n else None for s, n, p, _ in padan}
    figures["nik_confirmed_rate_by_source"] = {s: round(int(c) / int(n), 6) if n else None for s, n, _, c in padan}

    corrections = _rows(connection, f"""
        SELECT m.match_method, count(*)
        FROM {work}.record_match m JOIN {work}.record r USING (record_key) JOIN {work}.dukcapil d USING (dukcapil_key)
        WHERE r.nik IS DISTINCT FROM d.nik
        GROUP BY ALL ORDER BY 2 DESC""")
    figures["nik_corrections"] = {m: int(n) for m, n in corrections}
    examples = _rows(connection, f"""
        SELECT match_method, source, source_record_id, nik_raw, nik
        FROM (
            SELECT m.match_method, m.source, m.source_record_id, r.nik_raw, d.nik,
                   row_number() OVER (PARTITION BY m.match_method ORDER BY hash(m.source_record_id)) AS rank
            FROM {work}.record_match m JOIN {work}.record r USING (record_key) JOIN {work}.dukcapil d USING (dukcapil_key)
            WHERE r.nik_raw IS DISTINCT FROM d.nik AND m.match_method IN {CORRECTION_METHODS})
        WHERE rank <= {EXAMPLES_PER_METHOD}
        ORDER BY match_method, source, source_record_id""")
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

    persons = _rows(connection, f"""
        SELECT count(*), count(*) FILTER (WHERE is_active), count(*) FILTER (WHERE status_padan = 'PADAN'),
               count(*) FILTER (WHERE nik IS NOT NULL)
        FROM {work}.person_full""")[0]
    figures["persons"] = {"total": int(persons[0]), "active": int(persons[1]), "padan": int(persons[2]),
                          "nik_confirmed": int(persons[3])}
    inactive = _rows(connection, f"""
        SELECT inactive_reason, count(*) FROM {work}.person_full WHERE NOT is_active GROUP BY ALL ORDER BY 2 DESC""")
    figures["inactive_reasons"] = {r: int(n) for r, n in inactive}
    family = _rows(connection, f"SELECT count(*), avg(jumlah_art) FROM {family_table}")[0]
    figures["families"] = {"total": int(family[0]), "mean_jumlah_art": round(float(family[1] or 0), 3)}
    return figures

