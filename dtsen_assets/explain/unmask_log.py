"""Unmasked use of the explain command is recorded in the warehouse: audit.unmask_log.

One row per unmasked explanation: when (UTC), who (the operating-system user), what was asked
(the kind and the masked value), the reason given, and which persons and families were shown in
the clear. The row is written before anything is shown; when it cannot be written (the warehouse
is read-only or held by a run), nothing is unmasked.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os

import duckdb

from dtsen_assets.pii import mask_value

UNMASK_LOG_TABLE = "audit.unmask_log"


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a container without a passwd entry)
        return f"uid:{os.getuid()}"


def record_unmasked_use(connection: duckdb.DuckDBPyConnection, kind: str, value: str, reason: str,
                        person_ids: list[str], family_ids: list[str], tool: str = "dtsen_assets.explain") -> None:
    connection.execute("CREATE SCHEMA IF NOT EXISTS audit")
    connection.execute(f"""
        CREATE TABLE IF NOT EXISTS {UNMASK_LOG_TABLE} (
            logged_at TIMESTAMP, os_user VARCHAR, tool VARCHAR, query_kind VARCHAR, query_value VARCHAR,
            reason VARCHAR, person_ids VARCHAR[], family_ids VARCHAR[])""")
    shown = mask_value("nik", value) if kind == "nik" else value
    connection.execute(f"INSERT INTO {UNMASK_LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), current_user(), tool, kind, shown,
                        reason, person_ids, family_ids])
