"""Checks on the staged program tables (blocking unless noted), evaluated before they are published.

Each counts violations in SQL and names a few masked examples (family ids are masked: one may be
derived from a family card number).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from dtsen_assets.platform.gate import Check, CheckOutcome
from dtsen_assets.pii import mask_identifier

STATUSES = ("layak", "perlu_asesmen", "ditunda")
TASK_STATES = ("diterapkan", "ditolak", "menunggu_cek_lapangan", "menunggu_registrasi")

KANDIDAT, PENERIMA_BANDING, USULAN, TUGAS = (
    dg.AssetKey(["program", name]) for name in ("kandidat", "penerima_banding", "usulan", "tugas_verifikasi"))

# Every check of the program group, declared once: name, the asset it guards, what, blocking.
PROGRAM_CHECKS: list[Check] = [
    Check("kandidat_unit_unique", KANDIDAT, "program.kandidat holds each program x unit (family, or person) once, "
          "in the contract's vocabulary."),
    Check("kandidat_sesuai_aturan", KANDIDAT, "No candidate outside its rule: desil within the rule's bounds and "
          "equal to welfare.decile, layak only up to desil_layak_maks, persons active and aged within the rule's band."),
    Check("tugas_setiap_keputusan", TUGAS, "Every village decision and every Cek Bansos objection is in "
          "program.tugas_verifikasi exactly once, with a state; an open task says what to check."),
    Check("usulan_setiap_usul", USULAN, "Every Cek Bansos proposal is reported once in program.usulan with a status."),
    Check("penerima_lengkap", PENERIMA_BANDING, "Every DTKS program flag is counted once in the recipient comparison.",
          blocking=False),
]
CHECK_ASSET: dict[str, dg.AssetKey] = {c.name: c.asset for c in PROGRAM_CHECKS}


def _examples(connection: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    return [mask_identifier(r[0]) or "NULL" for r in connection.execute(query + " LIMIT 5").fetchall()]


def check_kandidat_unit_unique(connection: duckdb.DuckDBPyConnection, kandidat: str) -> CheckOutcome:
    duplicates = connection.execute(
        f"SELECT count(*) FROM (SELECT program, family_id, person_id FROM {kandidat} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    bad_values = connection.execute(
        f"""SELECT count(*) FROM {kandidat}
            WHERE status NOT IN {STATUSES} OR program NOT IN ('PKH', 'BPNT', 'PBI_JK', 'KIP_KULIAH')
               OR family_id IS NULL OR aturan IS NULL OR alasan IS NULL"""
    ).fetchone()[0]
    if duplicates or bad_values:
        return CheckOutcome("kandidat_unit_unique", False,
                            f"program.kandidat: {duplicates} repeated program x unit, {bad_values} row(s) with a "
                            "status/program outside the contract or without family_id/aturan/alasan",
                            metadata={"duplicated_units": duplicates, "rows_outside_vocabulary": bad_values})
    return CheckOutcome("kandidat_unit_unique", True, "one row per program x unit, statuses and programs as the contract says")


def check_kandidat_sesuai_aturan(connection: duckdb.DuckDBPyConnection, kandidat: str, aturan: str, decile: str,
                                 person: str, as_of: dt.date) -> CheckOutcome:
    outside = f"""
        SELECT k.family_id FROM {kandidat} k
        JOIN {aturan} a ON a.aturan = k.aturan AND a.program = k.program
        LEFT JOIN {decile} d ON d.family_id = k.family_id
        LEFT JOIN {person} p ON p.person_id = k.person_id
        WHERE k.desil IS DISTINCT FROM d.desil
           OR k.desil > a.desil_asesmen_maks
           OR (k.status = 'layak' AND k.desil > a.desil_layak_maks)
           OR (k.status = 'perlu_asesmen' AND k.desil <= a.desil_layak_maks)
           OR (a.unit = 'keluarga') <> (k.person_id IS NULL)
           OR (a.unit = 'orang' AND (p.person_id IS NULL OR NOT p.is_active OR p.family_id IS DISTINCT FROM k.family_id))
           OR (a.umur_min IS NOT NULL AND NOT coalesce(date_sub('year', p.tgl_lahir, DATE '{as_of.isoformat()}') >= a.umur_min, false))
           OR (a.umur_maks IS NOT NULL AND NOT coalesce(date_sub('year', p.tgl_lahir, DATE '{as_of.isoformat()}') <= a.umur_maks, false))
        UNION ALL
        SELECT k.family_id FROM {kandidat} k LEFT JOIN {aturan} a ON a.aturan = k.aturan AND a.program = k.program
        WHERE a.aturan IS NULL
    """
    count = connection.execute(f"SELECT count(*) FROM ({outside})").fetchone()[0]
    if count:
        examples = _examples(connection, outside)
        return CheckOutcome("kandidat_sesuai_aturan", False,
                            f"program.kandidat: {count} row(s) outside their rule (desil, status, unit or age), "
                            f"e.g. family_id {', '.join(examples)}",
                            metadata={"rows_outside_rule": count, "example_family_ids": examples})
    return CheckOutcome("kandidat_sesuai_aturan", True, "every candidate within its rule")


def check_tugas(connection: duckdb.DuckDBPyConnection, tugas: str, verivali_outcome: str, sanggah_raw: str) -> CheckOutcome:
    decisions = connection.execute(f"SELECT count(*) FROM {verivali_outcome}").fetchone()[0]
    objections = connection.execute(f"SELECT count(*) FROM {sanggah_raw}").fetchone()[0]
    tasks_verivali, tasks_sanggah, repeated, bad_state, open_without_what = connection.execute(
        f"""SELECT count(*) FILTER (WHERE sumber = 'verivali'),
                   count(*) FILTER (WHERE jenis = 'sanggah'),
                   count(*) - count(DISTINCT tugas_id),
                   count(*) FILTER (WHERE status NOT IN {TASK_STATES} OR status IS NULL),
                   count(*) FILTER (WHERE terbuka AND (yang_dicek IS NULL OR alasan IS NULL))
            FROM {tugas}"""
    ).fetchone()
    problems = []
    if tasks_verivali != decisions:
        problems.append(f"{decisions} village decision(s) but {tasks_verivali} verivali task(s)")
    if tasks_sanggah != objections:
        problems.append(f"{objections} objection(s) but {tasks_sanggah} sanggah task(s)")
    if repeated:
        problems.append(f"{repeated} repeated tugas_id")
    if bad_state:
        problems.append(f"{bad_state} task(s) without a known state")
    if open_without_what:
        problems.append(f"{open_without_what} open task(s) without what to check")
    if problems:
        return CheckOutcome("tugas_setiap_keputusan", False, "program.tugas_verifikasi: " + "; ".join(problems),
                            metadata={"decisions": decisions, "objections": objections})
    return CheckOutcome("tugas_setiap_keputusan", True,
                        f"{decisions} decision(s) and {objections} objection(s), each with a state",
                        metadata={"decisions": decisions, "objections": objections})


def check_usulan(connection: duckdb.DuckDBPyConnection, usulan: str, usul_raw: str) -> CheckOutcome:
    proposals = connection.execute(f"SELECT count(*) FROM {usul_raw}").fetchone()[0]
    rows, distinct, without = connection.execute(
        f"SELECT count(*), count(DISTINCT id_usul), count(*) FILTER (WHERE status IS NULL OR alasan IS NULL) FROM {usulan}"
    ).fetchone()
    if rows != proposals or distinct != rows or without:
        return CheckOutcome("usulan_setiap_usul", False,
                            f"program.usulan: {proposals} proposal(s) in cekbansos/usul.csv, {rows} row(s), "
                            f"{distinct} distinct ID_USUL, {without} without status or reason")
    return CheckOutcome("usulan_setiap_usul", True, f"{proposals} proposal(s), each reported once")


def check_penerima(connection: duckdb.DuckDBPyConnection, status: str, family_record: str) -> CheckOutcome:
    flags = connection.execute(
        f"SELECT coalesce(sum(pkh::INT + bpnt::INT + pbi_jk::INT), 0) FROM {family_record} WHERE source = 'dtks'"
    ).fetchone()[0]
    counted = connection.execute(
        f"SELECT count(*) FROM {status} WHERE kategori <> 'layak_belum_menerima'").fetchone()[0]
    passed = int(flags) == int(counted)
    return CheckOutcome("penerima_lengkap", passed,
                        f"{counted} recipient program flag(s) compared of {flags} in DTKS", blocking=False,
                        metadata={"dtks_flags": int(flags), "compared": int(counted)})
