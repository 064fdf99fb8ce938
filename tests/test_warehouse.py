"""The warehouse resource: the single-writer lock message, and write-audit-publish."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import markdown
import pytest

from dtsen_assets.resources import DuckDBWarehouse, WarehouseLockedError
from dtsen_assets.platform.publish import PREVIEW_CELL_CHARS, masked_preview
from dtsen_assets.warehouse import drop_staging, publish, staging_table


def test_second_writer_gets_a_clear_message(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(database)!r}); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseLockedError, match=rf"in use by process {holder.pid}.*one writer"):
            with DuckDBWarehouse(database_path=str(database)).connect():
                pass
    finally:
        holder.kill()
        holder.wait()
    # once the other process is gone the file opens normally
    deadline = time.time() + 10
    while True:
        try:
            with DuckDBWarehouse(database_path=str(database)).connect() as connection:
                assert connection.execute("SELECT 42").fetchone()[0] == 42
            break
        except WarehouseLockedError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_publish_swaps_all_staged_tables_or_none(tmp_path: Path) -> None:
    with DuckDBWarehouse(database_path=str(tmp_path / "w.duckdb")).connect() as connection:
        connection.execute("CREATE TABLE dtsen.person AS SELECT 1 AS v")
        connection.execute(f"CREATE TABLE {staging_table('dtsen.person')} AS SELECT 2 AS v")
        connection.execute(f"CREATE TABLE {staging_table('dtsen.family')} AS SELECT 3 AS v")
        publish(connection, ["dtsen.person", "dtsen.family"])
        assert connection.execute("SELECT v FROM dtsen.person").fetchone()[0] == 2
        assert connection.execute("SELECT v FROM dtsen.family").fetchone()[0] == 3

        # the second staged table is missing: the first swap is rolled back with it
        connection.execute(f"CREATE TABLE {staging_table('dtsen.person')} AS SELECT 4 AS v")
        with pytest.raises(Exception):
            publish(connection, ["dtsen.person", "dtsen.family"])
        assert connection.execute("SELECT v FROM dtsen.person").fetchone()[0] == 2
        assert connection.execute("SELECT v FROM dtsen.family").fetchone()[0] == 3
        drop_staging(connection, ["dtsen.person"])


def test_preview_masks_personal_columns_and_cuts_long_text(tmp_path: Path) -> None:
    with DuckDBWarehouse(database_path=str(tmp_path / "w.duckdb")).connect() as connection:
        connection.execute("CREATE TABLE dtsen.sample (nik VARCHAR, nama VARCHAR, tgl_lahir DATE, model_json VARCHAR)")
        connection.execute("INSERT INTO dtsen.sample VALUES ('3204010101900001', 'SITI AMINAH', '1990-01-01', ?)",
                           ['{"comparisons": [' + "1" * 500 + "]}"])
        preview = masked_preview(connection, "dtsen.sample")
    assert "3204010101900001" not in preview and r"3204\*\*\*\*\*\*\*\*0001" in preview
    assert "AMINAH" not in preview
    # Markdown renders the masked values as they are (no emphasis eating the asterisks)
    html = markdown.markdown(preview, extensions=["tables"])
    assert "3204********0001" in html and "****-**-**" in html and "<em>" not in html
    assert "1" * PREVIEW_CELL_CHARS not in preview and "…" in preview


def test_a_connection_without_vacuum_leaves_row_groups_as_written(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(database_path=str(tmp_path / "w.duckdb"))
    with warehouse.connect(vacuum=False) as connection:
        assert connection.execute("SELECT current_setting('max_vacuum_tasks')").fetchone() == (0,)
    with warehouse.connect() as connection:
        assert connection.execute("SELECT current_setting('max_vacuum_tasks')").fetchone()[0] > 0


def test_unify_which_checkpoints_without_vacuum_deletes_and_updates_no_rows() -> None:
    # unify's connection does not vacuum (assets/unify.py): deleted rows would never be compacted
    import re

    import dtsen_assets

    package = Path(dtsen_assets.__file__).parent
    files = sorted((package / "sql" / "unify").glob("*.sql")) + sorted((package / "unify").glob("*.py"))
    statements = {path.name: re.findall(r"\b(DELETE\s+FROM|UPDATE\s+\w[\w.{}]*\s+SET|TRUNCATE)\b",
                                        path.read_text(), flags=re.IGNORECASE)
                  for path in files}
    assert len(statements) > 30
    assert {name: found for name, found in statements.items() if found} == {}
