"""ordered_map: results in input order, a bounded number of items in flight, errors raised for their item.
insert_stream: every batch appended in order, the producer's own error raised."""

from __future__ import annotations

import threading
import time

import pytest

from dtsen_assets.platform.batches import ordered_map


def test_results_come_in_input_order_whatever_finishes_first() -> None:
    def work(i: int) -> int:
        time.sleep(0.002 * (i % 3 == 0))     # every third item is slower
        return i * i

    assert list(ordered_map(work, range(40), workers=2)) == [i * i for i in range(40)]
    assert list(ordered_map(work, range(7), workers=1)) == [i * i for i in range(7)]
    assert list(ordered_map(work, [], workers=2)) == []


def test_at_most_ahead_items_are_taken_before_their_results_are_used() -> None:
    taken, lock = [], threading.Lock()

    def items():
        for i in range(20):
            with lock:
                taken.append(i)
            yield i

    seen_ahead = []
    for position, _ in enumerate(ordered_map(lambda i: i, items(), workers=2, ahead=3)):
        with lock:
            seen_ahead.append(len(taken) - position)
    assert max(seen_ahead) <= 3              # a national table is never read in whole


def test_an_error_is_raised_for_its_item_and_later_items_are_not_yielded() -> None:
    def work(i: int) -> int:
        if i == 5:
            raise ValueError("batch 5 is bad")
        return i

    results = []
    with pytest.raises(ValueError, match="batch 5"):
        for value in ordered_map(work, range(30), workers=2):
            results.append(value)
    assert results == [0, 1, 2, 3, 4]


def test_insert_stream_appends_every_batch_in_order_in_the_tables_columns() -> None:
    import duckdb
    import pyarrow as pa

    from dtsen_assets.platform.batches import insert_stream

    schema = pa.schema([("family_id", pa.string()), ("n", pa.int32())])
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (family_id VARCHAR, n INTEGER)")
    # the pieces name their columns in another order and with another integer type: cast to the schema's
    pieces = (pa.table({"n": pa.array([i, i + 1], pa.int64()), "family_id": [f"F{i}", f"F{i + 1}"]}) for i in range(0, 20, 2))
    insert_stream(connection, "t", schema, pieces)
    assert connection.execute("SELECT family_id, n FROM t").fetchall() == [(f"F{i}", i) for i in range(20)]


def test_insert_stream_raises_the_producers_own_error_and_appends_nothing() -> None:
    import duckdb
    import pyarrow as pa

    from dtsen_assets.platform.batches import insert_stream

    class Broken(RuntimeError):
        pass

    def pieces():
        yield pa.table({"n": pa.array([1], pa.int32())})
        raise Broken("batch 2 failed")

    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (n INTEGER)")
    with pytest.raises(Broken, match="batch 2 failed"):
        insert_stream(connection, "t", pa.schema([("n", pa.int32())]), pieces())
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_insert_stream_fills_every_row_group_but_the_last_and_keeps_the_threads_setting(tmp_path) -> None:
    # A parallel INSERT from a slow producer leaves each thread's last row group part-filled, and the next
    # checkpoint rewrites them (8 s at 10M persons for the explanations).
    import duckdb
    import numpy as np
    import pyarrow as pa

    from dtsen_assets.platform.batches import insert_stream

    def pieces():
        for i in range(12):
            time.sleep(0.02)                 # the producer is slower than DuckDB, as the scoring workers are
            n = np.arange(i * 25_000, (i + 1) * 25_000)
            yield pa.table({"n": n, "s": pa.array(n.astype(str))})

    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute("SET threads = 2")
    connection.execute("CREATE TABLE t (n BIGINT, s VARCHAR)")
    insert_stream(connection, "t", pa.schema([("n", pa.int64()), ("s", pa.string())]), pieces())
    sizes = [n for _, n in connection.execute(
        "SELECT row_group_id, max(count) FROM pragma_storage_info('t') GROUP BY 1 ORDER BY 1").fetchall()]
    full = 122_880
    assert sum(sizes) == 300_000 and sizes[:-1] == [full] * (len(sizes) - 1), sizes
    assert connection.execute("SELECT current_setting('threads')").fetchone() == (2,)
    assert connection.execute("SELECT count(DISTINCT n), min(n), max(n) FROM t").fetchone() == (300_000, 0, 299_999)
