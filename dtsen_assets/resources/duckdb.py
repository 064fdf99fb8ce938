"""The DTSEN warehouse: one DuckDB file holding every schema (raw, staging, dtsen, welfare)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field, PrivateAttr

from dtsen_assets.resources.settings import resolved
from dtsen_assets.warehouse import RunScopedConnection, run_key_of

DEFAULT_DATABASE_PATH = "data/warehouse.duckdb"
DEFAULT_MEMORY_LIMIT = "3GB"

# The file is attached under this fixed alias, so `dtsen.person` resolves to the schema even
# when the file itself is called dtsen.duckdb (DuckDB would otherwise name the catalog after it).
CATALOG_ALIAS = "dtsen_warehouse"

SCHEMAS = ("raw", "staging", "dtsen", "unify", "welfare", "program", "final")


class WarehouseLockedError(RuntimeError):
    """Another process holds the DuckDB file (DuckDB allows a single writer)."""


class WarehouseUnusableError(dg.Failure):
    """The warehouse path cannot be used: not a DuckDB file, a folder that cannot be written, inside the drop."""

    def __init__(self, message: str):
        super().__init__(description=message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# A DuckDB database file carries these bytes at offset 8 (its storage header).
DUCKDB_MAGIC = b"DUCK"


class DuckDBWarehouse(dg.ConfigurableResource):
    """Connections to the DTSEN DuckDB warehouse file."""

    database_path: str | None = Field(
        default=None,
        description=f"Path of the DuckDB file; when unset, env DTSEN_DUCKDB_PATH, else {DEFAULT_DATABASE_PATH}. "
                    "Created when absent.",
    )
    memory_limit: str | None = Field(
        default=None, description=(
            f"DuckDB memory_limit of every connection; when unset, env DTSEN_DUCKDB_MEMORY_LIMIT, else "
            f"{DEFAULT_MEMORY_LIMIT}. The one memory "
            "setting. Unify's working tables live in memory; above the limit DuckDB spills to `.duckdb_tmp/` beside "
            "the warehouse."))
    threads: int | None = Field(default=None, description="DuckDB threads; all cores when unset.")
    id_key: str | None = Field(
        default=None, description=(
            "Secret key person_id and family_id are derived with (when unset, env DTSEN_ID_KEY; at least 32 characters, "
            "e.g. 64 random hex digits). When unset, the warehouse creates one on first use and keeps it in "
            "its internal table secret.id_key (dtsen_assets/unify/ids.py)."))
    release_per_run: bool = Field(default=False, description=(
        "True (the Definitions): what the assets of a run publish stays under the run's own table names "
        "(`dtsen.person__run_<8 chars of the run id>`), read by the run itself, until the run's last step "
        "`dtsen/release` publishes all of it in one transaction; a failed run publishes nothing. False: each "
        "asset publishes its tables directly once its checks passed (slices in tests)."))

    _run_id: str | None = PrivateAttr(default=None)

    @property
    def database_file(self) -> str:
        """The DuckDB file: configured, else env DTSEN_DUCKDB_PATH, else the default."""
        return resolved(self.database_path, "DTSEN_DUCKDB_PATH", DEFAULT_DATABASE_PATH)

    @property
    def secret_id_key(self) -> str | None:
        """The id key: configured, else env DTSEN_ID_KEY; None lets the warehouse keep its own."""
        return resolved(self.id_key, "DTSEN_ID_KEY", None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_id = context.run.run_id if context.run else None

    @property
    def run_key(self) -> str | None:
        """The run's 8 characters that name its tables, when this run publishes as a release."""
        return run_key_of(self._run_id) if self.release_per_run and self._run_id else None

    @contextmanager
    def connect(self, read_only: bool = False, vacuum: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection whose default catalog is the warehouse file, with the schemas created.

        `vacuum=False`: this connection's checkpoints (the last one when it closes) leave row groups as they
        are, for a step that writes new tables whole and deletes no rows. DuckDB otherwise merges the
        part-filled row groups that parallel `CREATE TABLE AS` statements leave, rewriting them: unify's
        close took 1.3 s of a 1M build for that. Compaction of deleted rows needs it, so it stays on elsewhere.
        """
        path = Path(self.database_file)
        check_database_file(path)
        if not read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise WarehouseUnusableError(
                    f"The warehouse folder {path.parent} cannot be created ({error.strerror}); point "
                    "DTSEN_DUCKDB_PATH at a folder this user can write.") from None
        connection = duckdb.connect(":memory:")
        try:
            _attach(connection, path, read_only)
            connection.execute(f"USE {CATALOG_ALIAS}")
            # Spill next to the warehouse, not into the working directory.
            spill_dir = path.parent / ".duckdb_tmp"
            connection.execute("SET temp_directory = ?", [str(spill_dir)])
            memory_limit = resolved(self.memory_limit, "DTSEN_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
            connection.execute("SET memory_limit = ?", [memory_limit])
            if self.threads:
                connection.execute(f"SET threads = {int(self.threads)}")
            if not vacuum:
                connection.execute("SET max_vacuum_tasks = 0")
            if not read_only:
                for schema in SCHEMAS:
                    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            yield RunScopedConnection(connection, self.run_key) if self.run_key else connection
        finally:
            connection.close()


    def refuse_inside(self, drop_root: Path) -> None:
        """The warehouse (and the model files beside it) never go into the delivery folder."""
        warehouse = Path(self.database_file).resolve()
        drop = Path(drop_root).resolve()
        if warehouse == drop or drop in warehouse.parents:
            raise WarehouseUnusableError(
                f"The warehouse {self.database_file} is inside the drop folder {drop_root}: the database and the "
                "model files would be written into the delivery. Point DTSEN_DUCKDB_PATH outside the drop.")


def check_database_file(path: Path) -> None:
    """Refuse a path that is a folder or an existing file that is not a DuckDB database (e.g. a CSV)."""
    if path.is_dir():
        raise WarehouseUnusableError(f"The warehouse path {path} is a folder; DTSEN_DUCKDB_PATH must name a "
                                     "DuckDB file (e.g. data/warehouse.duckdb).")
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as error:
        raise WarehouseUnusableError(f"The warehouse {path} cannot be read ({error.strerror}).") from None
    if head[8:12] != DUCKDB_MAGIC:
        raise WarehouseUnusableError(
            f"The warehouse path {path} is not a DuckDB database (is it a CSV or another data file?); "
            "DTSEN_DUCKDB_PATH must name a DuckDB file, which is created when absent. Nothing was changed.")


def _attach(connection: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
    mode = " (READ_ONLY)" if read_only else ""
    try:
        connection.execute(f"ATTACH '{_quote(str(path))}' AS {CATALOG_ALIAS}{mode}")
    except duckdb.IOException as error:
        message = str(error)
        if "lock" not in message.lower():
            raise WarehouseUnusableError(
                f"The warehouse {path} cannot be opened for {'reading' if read_only else 'writing'}: "
                f"{message.splitlines()[0] if message else type(error).__name__}. Check that its folder is "
                "writable, or point DTSEN_DUCKDB_PATH at another file.") from None
        holder = re.search(r"PID (\d+)", message)
        who = f"process {holder.group(1)}" if holder else "another process"
        raise WarehouseLockedError(
            f"The DuckDB warehouse {path} is in use by {who}. DuckDB allows one writer at a time: "
            "wait for the other run to finish, or close the other session (a DuckDB CLI, a notebook), "
            "or point DTSEN_DUCKDB_PATH at another file."
        ) from None
    except (duckdb.PermissionException, duckdb.InvalidInputException, duckdb.SerializationException) as error:
        message = str(error)
        raise WarehouseUnusableError(
            f"The warehouse {path} cannot be opened: {message.splitlines()[0] if message else type(error).__name__}. "
            "DTSEN_DUCKDB_PATH must name a DuckDB file in a writable folder.") from None


def _quote(text: str) -> str:
    return text.replace("'", "''")
