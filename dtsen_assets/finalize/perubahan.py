"""The change log `final.perubahan`: what changed in a finalized semester against the previous one.

`build_perubahan` is the hook finalization calls, inside its transaction, right after the
semester's snapshot rows were written to `final.person`, `final.family` and `final.decile`. It
writes the rows of `semester` (its current snapshot) into `final.perubahan` through
`dtsen_assets.change_log.build_change_log`, which holds the rules and the vocabulary (masuk,
keluar, desil_naik, desil_turun, pindah_keluarga with their alasan, person ids followed through
retired ids).
"""

from __future__ import annotations

import duckdb

from dtsen_assets.change_log import build_change_log

PERUBAHAN_TABLE = "final.perubahan"

# The contract's columns (shared/spec/outputs.md) and `snapshot`, which finalization of the semester wrote them.
PERUBAHAN_COLUMNS = """
    semester VARCHAR, snapshot INTEGER, semester_sebelumnya VARCHAR, person_id VARCHAR, family_id VARCHAR,
    kode_kab VARCHAR, jenis VARCHAR, alasan VARCHAR, desil_lama INTEGER, desil_baru INTEGER
"""


def ensure_perubahan_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"CREATE TABLE IF NOT EXISTS {PERUBAHAN_TABLE} ({PERUBAHAN_COLUMNS})")


def build_perubahan(connection: duckdb.DuckDBPyConnection, semester: str, previous_semester: str | None) -> int:
    """Write the change log of `semester` against `previous_semester` (None: the first finalized semester).

    Returns the number of rows written. Runs inside the finalization's transaction.
    """
    ensure_perubahan_table(connection)
    counts = build_change_log(connection, semester, previous_semester)
    return int(sum(counts.values()))
