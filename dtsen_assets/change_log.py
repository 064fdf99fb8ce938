"""The change log of a finalized semester: `final.perubahan`, who entered, left, moved family or desil.

    build_change_log(connection, "2026-S2", "2026-S1") -> {(jenis, alasan): persons}

Compares the finalized snapshots `final.person`, `final.family` and `final.decile` of a semester with
those of the previous finalized semester (`sql/final/perubahan.sql`) and writes one row per person and
change (columns of ../shared/spec/outputs.md), then `final.perubahan_ringkasan`, a view counting the
log per kabupaten/kota, desil, jenis and alasan. The finalize job calls it right after the snapshot;
a first semester (no previous one) has an empty log.

A person is followed by `person_id`; an id retired since (`unify.person_id_history`: a NIK confirmed
later, two ids merged) is read as the id that replaced it, so one person is never logged as one
leaving and another entering. Families are followed by their members: a family's successor is the
current family holding most of its members, so a re-issued card or a move of the whole family is
not a change; a person in another family than its family's successor has `pindah_keluarga`.

jenis and alasan (the vocabulary)
---------------------------------
keluar (active then, not now):
  meninggal         Dukcapil records the death (inactive_reason meninggal_dukcapil), or the person is
                    no longer listed and a village meeting decided MENINGGAL
  pindah            no longer listed; a village meeting decided PINDAH (moved away) for the person
  mampu             no longer listed; a village meeting decided MAMPU for the person or its family card
  duplikat          an earlier id of a person another id now stands for (ids merged)
  tidak_terdata     no longer listed by any source, no decision says why
  <inactive_reason> inactive now for another reason the pipeline records (as it says)
masuk (active now, not then):
  lahir             born on or after the first day of the previous semester
  usulan            a village meeting proposed the person or its family card (USULAN_BARU)
  aktif_kembali     known then but inactive (e.g. a death record corrected)
  baru_terdata      newly listed by a source, without a proposal
pindah_keluarga (active then and now, in another family than its family's successor):
  gabung_keluarga   joined a family that continues one of the previous semester
  keluarga_baru     in a family that continues none (e.g. a new family card of its own)
desil_naik / desil_turun (same family, its desil moved up / down; desil 1 is the poorest):
  jumlah_art_berubah     the family's number of active members changed
  data_keluarga_berubah  another variable of the family changed (housing, assets, head, ...)
  peringkat_bergeser     the family did not change; the national ranking around it did
Village decisions count from the first day of the previous semester. `desil_lama` / `desil_baru`
are the family desil then / now (NULL where there was none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb

from dtsen_assets.platform.sql import run_sql
from dtsen_assets.warehouse import table_exists

CHANGE_LOG_TABLE = "final.perubahan"
SUMMARY_VIEW = "final.perubahan_ringkasan"
HISTORY_TABLE = "unify.person_id_history"
DECISION_TABLE = "staging.verivali_decision"
SEMESTER = re.compile(r"(\d{4})-S([12])")
JENIS = ("masuk", "keluar", "desil_naik", "desil_turun", "pindah_keluarga")
# Columns of final.family that are not the family's own data (compared for data_keluarga_berubah).
_NOT_COMPARED = {"semester", "snapshot", "family_id", "no_kk", "kode_desa", "kode_kab", "jumlah_art"}


def semester_start(semester: str) -> str:
    """'2026-S1' -> '2026-01-01', '2026-S2' -> '2026-07-01'; anything else is an error."""
    match = SEMESTER.fullmatch(semester or "")
    if not match:
        raise ValueError(f"semester {semester!r} is not of the form YYYY-S1 or YYYY-S2")
    return f"{match.group(1)}-{'01' if match.group(2) == '1' else '07'}-01"


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in connection.execute(f"DESCRIBE {table}").fetchall()]


def _family_changed(columns: Iterable[str]) -> str:
    compared = [c for c in columns if c not in _NOT_COMPARED and not c.endswith("_source")]
    return " OR ".join(f'pf."{c}" IS DISTINCT FROM cf."{c}"' for c in compared) or "false"


def create_change_log_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("CREATE SCHEMA IF NOT EXISTS final")
    connection.execute(f"""CREATE TABLE IF NOT EXISTS {CHANGE_LOG_TABLE} (
        semester VARCHAR NOT NULL, snapshot INTEGER, semester_sebelumnya VARCHAR, person_id VARCHAR NOT NULL, family_id VARCHAR,
        kode_kab VARCHAR, jenis VARCHAR NOT NULL, alasan VARCHAR NOT NULL, desil_lama INTEGER, desil_baru INTEGER)""")
    run_sql(connection, "final/perubahan_ringkasan")


def build_change_log(connection: duckdb.DuckDBPyConnection, semester: str,
                     previous_semester: str | None) -> dict[tuple[str, str], int]:
    """Write `final.perubahan` rows of `semester` against `previous_semester`; return counts per (jenis, alasan).

    Replaces the rows of `semester` already there (the caller decides whether a semester may be
    written again, and runs this inside its transaction when it needs one). Reads the snapshots
    of both semesters, `unify.person_id_history` and `staging.verivali_decision` when present.
    """
    semester_start(semester)
    create_change_log_table(connection)
    if previous_semester is None:
        connection.execute(f"DELETE FROM {CHANGE_LOG_TABLE} WHERE semester = ? AND snapshot = ?",
                           [semester, current_snapshot_of(connection, semester)])
        return {}
    previous_start = semester_start(previous_semester)
    history = HISTORY_TABLE if table_exists(connection, HISTORY_TABLE) else (
        "(SELECT NULL::VARCHAR AS retired_id, NULL::VARCHAR AS person_id WHERE false)")
    decisions = DECISION_TABLE if table_exists(connection, DECISION_TABLE) else (
        "(SELECT NULL::VARCHAR AS nik, NULL::VARCHAR AS no_kk, NULL::VARCHAR AS aksi, NULL::DATE AS tgl_musdes "
        "WHERE false)")
    snapshot = current_snapshot_of(connection, semester)
    sources = _current_snapshots(connection, semester, snapshot, previous_semester,
                                 current_snapshot_of(connection, previous_semester))
    run_sql(connection, "final/perubahan", semester=semester, previous=previous_semester,
            previous_start=previous_start, history=history, decisions=decisions, snapshot=snapshot, **sources,
            family_changed=_family_changed(_columns(connection, "final.family")))
    return {(jenis, alasan): n for jenis, alasan, n in connection.execute(
        f"SELECT jenis, alasan, count(*) FROM {CHANGE_LOG_TABLE} WHERE semester = ? AND snapshot = ? "
        "GROUP BY ALL ORDER BY 1, 2", [semester, snapshot]).fetchall()}


def current_snapshot_of(connection: duckdb.DuckDBPyConnection, semester: str) -> int:
    """The snapshot of `semester` that is current in final.semester (an override adds one); 1 without that table."""
    if table_exists(connection, "final.semester"):
        rows = connection.execute("SELECT snapshot FROM final.semester WHERE semester = ? AND is_current_for_semester",
                                  [semester]).fetchall()
        if rows:
            return int(rows[0][0])
    return 1


def _current_snapshots(connection: duckdb.DuckDBPyConnection, semester: str, snapshot: int,
                       previous: str, previous_snapshot: int) -> dict[str, str]:
    """Temp copies of final.person/family/decile holding only the two semesters' current snapshots."""
    names = {}
    for name in ("person", "family", "decile"):
        temp = f"perubahan_src_{name}"
        if "snapshot" in _columns(connection, f"final.{name}"):
            connection.execute(
                f"CREATE OR REPLACE TEMP TABLE {temp} AS SELECT * EXCLUDE (snapshot) FROM final.{name} "
                "WHERE (semester = ? AND snapshot = ?) OR (semester = ? AND snapshot = ?)",
                [semester, snapshot, previous, previous_snapshot])
        else:   # snapshots made by hand, one per semester
            connection.execute(f"CREATE OR REPLACE TEMP TABLE {temp} AS SELECT * FROM final.{name} "
                               "WHERE semester IN (?, ?)", [semester, previous])
        names[name] = temp
    return names


def snapshot_for_tests(connection: duckdb.DuckDBPyConnection, semester: str) -> None:
    """Copy the current dtsen.person / dtsen.family / welfare.decile (+ pmt_score) into final.* as `semester`.

    What the finalize job does (with its checks, releases and override rules); here only so that the
    change log can be built and tested before that job exists, and in bench/bench_changes.py.
    """
    semester_start(semester)
    connection.execute("CREATE SCHEMA IF NOT EXISTS final")
    selects = {
        "final.person": "SELECT ? AS semester, 1 AS snapshot, * FROM dtsen.person",
        "final.family": "SELECT ? AS semester, 1 AS snapshot, * FROM dtsen.family",
        "final.decile": ("SELECT ? AS semester, 1 AS snapshot, d.family_id, d.desil, d.persentil, s.pengeluaran_kapita_pmt, "
                         "s.model_version FROM welfare.decile d LEFT JOIN welfare.pmt_score s USING (family_id)"),
    }
    for table, select in selects.items():
        if table_exists(connection, table):
            connection.execute(f"DELETE FROM {table} WHERE semester = ?", [semester])
            connection.execute(f"INSERT INTO {table} BY NAME {select}", [semester])
        else:
            connection.execute(f"CREATE TABLE {table} AS {select}", [semester])
