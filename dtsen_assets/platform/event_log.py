"""Dagster's SQLite event log, with its connections kept open (configured in the instance's dagster.yaml).

Dagster's `SqliteEventLogStorage` creates a new SQLAlchemy engine for every write and closes its
connection afterwards. A build writes about 900 events (each asset check alone three: planned,
step output, evaluation), each into the run's database and most into the index database too. Per
write that is an engine built anew (and its compiled statements with it), a commit and a close, and
closing the last connection to a WAL database checkpoints it: about 7 ms an event, 6 s of a 1M
build. This class keeps one engine per database file per process, with its connections pooled, so
statements stay compiled and nothing is checkpointed on close; the run's database is checkpointed
after each write instead, which is what tells the UI's watcher (it watches the `<run>.db` file) that
new events are there. `synchronous = NORMAL` is SQLite's recommended setting in WAL mode: the
database stays consistent; a power cut can lose the last events, not corrupt the log.

Everything else (tables, files, the watcher, migrations) is Dagster's own class. A production
instance would use PostgreSQL (dagster-postgres) and does not need this.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection

# the databases a process keeps open at once: the index and the runs it writes or the UI shows
MAX_OPEN_DATABASES = 16


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that keeps an engine per database file for the life of the process."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.engine.Engine:
        with self._engines_lock:
            if os.getpid() != self._engines_pid:
                # a forked process must not use (or close) its parent's SQLite connections: it
                # leaves them alone, referenced so they are never garbage-collected, and opens its own
                _ABANDONED.append(self._engines)
                self._engines = OrderedDict()
                self._engines_pid = os.getpid()
            engine = self._engines.get(shard)
            if engine is None:
                engine = db.create_engine(self.conn_string_for_shard(shard), pool_size=2, max_overflow=2,
                                          connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                        "check_same_thread": False})
                db.event.listen(engine, "connect", _on_connect)
                self._engines[shard] = engine
                while len(self._engines) > MAX_OPEN_DATABASES:
                    self._engines.popitem(last=False)[1].dispose()
            self._engines.move_to_end(shard)
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME:
                    # the UI's watcher sees a run's new events when its file changes
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            if os.getpid() == self._engines_pid:
                for engine in self._engines.values():
                    engine.dispose()
            self._engines = OrderedDict()

    def wipe(self) -> None:
        self._dispose_engines()          # the run files are deleted: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


# engines inherited from a parent process, never closed in the child (see `_engine`)
_ABANDONED: list = []


def _on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def instance_yaml(dagster_home: str | os.PathLike) -> str:
    """The dagster.yaml section that selects this class, at Dagster's own place for the run databases
    (`<DAGSTER_HOME>/history/runs`, so an instance keeps the history it already has)."""
    base_dir = os.path.join(os.path.abspath(dagster_home), "history", "runs")
    return ("event_log_storage:\n"
            "  module: dtsen_assets.platform.event_log\n"   # not __name__: "__main__" when run by setup.sh
            f"  class: {PooledSqliteEventLogStorage.__name__}\n"
            "  config:\n"
            f"    base_dir: {base_dir}\n")


if __name__ == "__main__":          # scripts/setup.sh: print the section for the given DAGSTER_HOME
    import sys

    sys.stdout.write(instance_yaml(sys.argv[1]))
