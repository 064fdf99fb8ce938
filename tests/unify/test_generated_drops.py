"""Unify on generated drops through the real raw and staging assets, at varied problem rates:
scored against the generator's truth (the model is trained on each drop, as in production)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pyarrow as pa
import pytest

from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop
from dtsen_assets.synth import generate_drop
from dtsen_assets.unify.config import UnifyConfig
from dtsen_assets.assets.unify import run_unify
from dtsen_assets.synth.scoring import score_against_truth
from dtsen_assets.unify import splink_runner
from tests.unify.value_source import check_value_sources

staging = pytest.importorskip("dtsen_assets.assets.staging")


def _unify(drop: Path, database: Path) -> tuple[dict, dict]:
    warehouse = DuckDBWarehouse(database_path=str(database))
    result = dg.materialize([*raw_source_assets, *staging.staging_assets],
                            resources={"source_drop": SourceDrop(source_dir=str(drop)), "warehouse": warehouse})
    assert result.success
    with warehouse.connect() as connection:
        unified = run_unify(connection, UnifyConfig(as_of_date="2025-12-31"))
        assert unified.published, [o.summary for o in unified.outcomes if not o.passed]
        checked, not_first = check_value_sources(connection)
        assert checked > 0 and not_first > 0     # the values of later records are looked up apart (person.sql)
        return score_against_truth(connection, drop), unified.staged.figures


@pytest.mark.parametrize(("persons", "seed", "rate_scale", "floors"), [
    # (precision, recall, true NIK share, dead made inactive); living made inactive must be 0
    (3000, 11, None, (0.998, 0.995, 0.995, 0.99)),
    (2000, 12, 3.0, (0.995, 0.985, 0.985, 0.98)),
])
def test_generated_drop_against_truth(tmp_path: Path, persons: int, seed: int, rate_scale: float | None,
                                      floors: tuple[float, float, float, float]) -> None:
    drop = tmp_path / "drop"
    generate_drop(drop, persons=persons, seed=seed, rate_scale=rate_scale)
    scores, figures = _unify(drop, tmp_path / "w.duckdb")
    precision, recall, nik_true, dead = floors
    assert scores["records_without_truth"] == 0
    assert scores["pairwise_precision"] >= precision, scores
    assert scores["pairwise_recall"] >= recall, scores
    assert scores["nik_true_share"] >= nik_true, scores
    assert scores["dead_made_inactive"] >= dead, scores
    assert scores["living_made_inactive"] == 0.0, scores
    assert figures["comparisons_per_record"] < 3.0      # blocking stays tight


def test_clean_drop_is_all_exact(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    generate_drop(drop, persons=1500, seed=13, rate_scale=0.0)
    scores, figures = _unify(drop, tmp_path / "w.duckdb")
    assert scores["pairwise_precision"] == scores["pairwise_recall"] == scores["nik_true_share"] == 1.0
    assert set(figures["match_methods"]) == {"exact_nik"}


def test_the_same_training_sample_in_any_row_order_gives_the_same_model(tmp_path: Path, monkeypatch) -> None:
    """An audit must be able to rebuild a release: the linkage model of a drop may not depend on the order
    DuckDB happened to write its working tables in (on two threads a GROUP BY's order changes run to run;
    on a 1M drop that moved m by 1e-17 and so match weights and links). The training inputs of a real
    unify run, shuffled three ways, must train the same stored model to the last bit."""
    inputs: dict[str, pa.Table] = {}
    arguments: list[tuple] = []
    real_train = splink_runner.train

    def capture(connection, work, *args):
        for table in (*splink_runner.TRAINING_TABLES, "search_dukcapil",
                      *(f"unify_tf_{column}" for column in splink_runner.TF_COLUMNS)):
            inputs[table] = connection.execute(f"SELECT * FROM {work}.{table}").to_arrow_table()
        arguments.append(args)
        return real_train(connection, work, *args)

    monkeypatch.setattr(splink_runner, "train", capture)
    drop = tmp_path / "drop"
    generate_drop(drop, persons=2000, seed=14)
    _unify(drop, tmp_path / "w.duckdb")
    assert arguments and inputs["unify_splink_train_record"].num_rows >= 2000     # EM ran, not the priors

    def parameters(shuffle_seed: int) -> str:
        rng = np.random.default_rng(shuffle_seed)
        with duckdb.connect() as connection:
            connection.execute("SET threads = 2")
            connection.execute("CREATE SCHEMA w")
            for name, table in inputs.items():
                connection.register("shuffled", table.take(rng.permutation(table.num_rows)))
                connection.execute(f"CREATE TABLE w.{name} AS SELECT * FROM shuffled")
                connection.unregister("shuffled")
            trained = real_train(connection, "memory.w", *arguments[0])
        return json.dumps(trained, sort_keys=True)       # the stored model: every m and u, and no random id

    first = parameters(1)
    assert parameters(2) == first
    assert parameters(3) == first


def test_a_drop_staged_in_another_row_order_unifies_to_the_same_tables(tmp_path: Path) -> None:
    """The staging tables' physical row order changes from build to build (DuckDB writes them on several
    threads); the linkage keys, the training sample, the model, the links and the evidence must not."""
    drop = tmp_path / "drop"
    generate_drop(drop, persons=2000, seed=15)
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    result = dg.materialize([*raw_source_assets, *staging.staging_assets],
                            resources={"source_drop": SourceDrop(source_dir=str(drop)),
                                       "warehouse": DuckDBWarehouse(database_path=str(first))})
    assert result.success
    shutil.copy(first, second)          # one warehouse twice: the same staged rows (and one id key below)
    with duckdb.connect(str(second)) as connection:
        for table in ("staging.person_record", "staging.dukcapil_person"):
            connection.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table} "
                               "ORDER BY hash(line_number * 7919 + 13)")
    for database in (first, second):
        with DuckDBWarehouse(database_path=str(database)).connect() as connection:
            assert run_unify(connection, UnifyConfig(as_of_date="2025-12-31"), id_key="0123456789abcdef" * 4).published
    tables = ("dtsen.person", "dtsen.person_source", "dtsen.family", "unify.match_evidence",
              "unify.linkage_model", "unify.person_value_source", "unify.family_value_source")
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{first}' AS a (READ_ONLY)")
        connection.execute(f"ATTACH '{second}' AS b (READ_ONLY)")
        for table in tables:
            rows = connection.execute(f"SELECT count(*) FROM a.{table}").fetchall()[0][0]
            differing = connection.execute(
                f"SELECT count(*) FROM ((SELECT * FROM a.{table} EXCEPT ALL SELECT * FROM b.{table}) "
                f"UNION ALL (SELECT * FROM b.{table} EXCEPT ALL SELECT * FROM a.{table}))").fetchall()[0][0]
            assert rows > 0 and differing == 0, f"{table}: {differing} of {rows} rows differ"
