"""Build the program tables: candidates, the recipient comparison, Cek Bansos and the village worklist.

    rules (aturan.yaml) + dtsen.person/family + welfare.decile
        -> orang.sql (persons, families, PKH components)
        -> verivali_tugas.sql (every village decision's state; MAMPU families)
        -> kandidat.sql                         program.kandidat
        -> penerima.sql                         program.penerima_status, program.penerima_banding
        -> cekbansos.sql                        program.usulan (+ objections and proposals for the worklist)
        -> tugas.sql                            program.tugas_verifikasi

Every upstream table is named by the caller (`UpstreamTables`), never inside the SQL files, so that a
release mechanism can route the reads. Working tables live in an in-memory schema; the published
tables are written as `<table>__staging` for the caller to check and publish.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from dtsen_assets.platform.reference import CODEBOOK_PATH
from dtsen_assets.platform.sql import drop_schema, query_df, run_sql, work_schema
from dtsen_assets.program.rules import ProgramRules, write_rule_tables
from dtsen_assets.warehouse import staging_table, table_exists

WORK_SCHEMA = "program_work"
KANDIDAT_TABLE = "program.kandidat"
TUGAS_TABLE = "program.tugas_verifikasi"
USULAN_TABLE = "program.usulan"
PENERIMA_STATUS_TABLE = "program.penerima_status"
PENERIMA_BANDING_TABLE = "program.penerima_banding"
ATURAN_TABLE = "program.aturan"
PROGRAM_TABLES: tuple[str, ...] = (
    KANDIDAT_TABLE, PENERIMA_STATUS_TABLE, PENERIMA_BANDING_TABLE, USULAN_TABLE, TUGAS_TABLE, ATURAN_TABLE,
)
OPEN_STATES = ("menunggu_cek_lapangan", "menunggu_registrasi")


@dataclass(frozen=True)
class UpstreamTables:
    """Where the program stage reads from (the lead may point these at a release)."""

    person: str = "dtsen.person"
    family: str = "dtsen.family"
    person_source: str = "dtsen.person_source"
    decile: str = "welfare.decile"
    person_record: str = "staging.person_record"
    family_record: str = "staging.family_record"
    verivali_outcome: str = "unify.verivali_outcome"
    verivali_decision: str = "staging.verivali_decision"
    usul_raw: str = "raw.cekbansos_usul"
    sanggah_raw: str = "raw.cekbansos_sanggah"
    previous_tasks: str = TUGAS_TABLE      # last published worklist: keeps first-seen and closing dates


def _program_codes(connection: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Cek Bansos PROGRAM codes -> program names, from codebook.csv (canonical value upper-cased)."""
    with CODEBOOK_PATH.open(encoding="utf-8", newline="") as handle:
        rows = [(r["code"].strip().upper(), r["canonical_value"].strip().upper()) for r in csv.DictReader(handle)
                if r["source"] == "cekbansos" and r["variable"] == "PROGRAM"]
    connection.execute(f"CREATE OR REPLACE TABLE {schema}.program_kode (kode VARCHAR, program VARCHAR)")
    if rows:
        connection.executemany(f"INSERT INTO {schema}.program_kode VALUES (?, ?)", rows)


def _previous_tasks(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    if table_exists(connection, table):
        return table
    return ("(SELECT NULL::VARCHAR AS tugas_id, NULL::DATE AS pertama_tercatat, NULL::BOOLEAN AS terbuka, "
            "NULL::DATE AS ditutup_pada WHERE false)")


def build_program_tables(
    connection: duckdb.DuckDBPyConnection,
    rules: ProgramRules,
    as_of: dt.date,
    upstream: UpstreamTables = UpstreamTables(),
    log: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """Write every program table as `<table>__staging`; returns {published name: staged name}."""
    w = work_schema(connection, WORK_SCHEMA)
    try:
        write_rule_tables(connection, rules, w)
        _program_codes(connection, w)
        staged = {t: staging_table(t) for t in PROGRAM_TABLES}
        common = dict(w=w, as_of=as_of.isoformat(), person=upstream.person, family=upstream.family,
                      person_source=upstream.person_source, decile=upstream.decile,
                      person_record=upstream.person_record, family_record=upstream.family_record)
        run_sql(connection, "program/orang", log=log, **common)
        run_sql(connection, "program/verivali_tugas", log=log, **common,
                verivali_outcome=upstream.verivali_outcome, verivali_decision=upstream.verivali_decision)
        run_sql(connection, "program/kandidat", log=log, **common, target=staged[KANDIDAT_TABLE],
                mampu_ditunda="true" if rules.musdes_mampu_ditunda else "false")
        run_sql(connection, "program/penerima", log=log, **common, kandidat=staged[KANDIDAT_TABLE],
                target_status=staged[PENERIMA_STATUS_TABLE], target_banding=staged[PENERIMA_BANDING_TABLE])
        run_sql(connection, "program/cekbansos", log=log, **common, kandidat=staged[KANDIDAT_TABLE],
                usul_raw=upstream.usul_raw, sanggah_raw=upstream.sanggah_raw, target_usulan=staged[USULAN_TABLE])
        run_sql(connection, "program/tugas", log=log, w=w, target=staged[TUGAS_TABLE], run_date=as_of.isoformat(),
                previous=_previous_tasks(connection, upstream.previous_tasks))
        connection.execute(f"CREATE OR REPLACE TABLE {staged[ATURAN_TABLE]} AS SELECT * FROM {w}.aturan")
        return staged
    finally:
        drop_schema(connection, w)


def recipient_summary(connection: duckdb.DuckDBPyConnection, banding_table: str = PENERIMA_BANDING_TABLE,
                      by_kabupaten: bool = False):
    """Per program (and kabupaten/kota): recipients, who stays, who would leave, eligible not receiving,
    and the errors of today's lists: inclusion = recipients that would leave / recipients; exclusion =
    layak families not receiving / all layak families (receiving or not)."""
    keys = "program, kode_kab" if by_kabupaten else "program"
    return query_df(connection, "program/penerima_ringkasan", keys=keys, banding=banding_table)
