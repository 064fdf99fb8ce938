"""The job dtsen_build_provinces from the CLI (multiprocess executor, forkserver, shards side by side) on a
generated drop with families that moved province: it publishes one release, its staging tables are exactly
what cleaning the drop nationally gives, its scores and explanations exactly what scoring its dtsen.family
nationally gives, and no shard file is left behind. Slow (about
a minute): `scripts/test.sh -m slow`."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dtsen_assets.assets.welfare import PmtScoreConfig
from dtsen_assets.staging import shards as staging_shards
from dtsen_assets.welfare import shards
from dtsen_assets.welfare.registry import current_model
from dtsen_assets.welfare.scoring import Eligibility, score_families
from tests.test_dtsen_build import run_dtsen_build

pytestmark = pytest.mark.slow

SMALL_SHARDS = """ops:
  staging__shards:
    ops:
      staging_shard_plan:
        config:
          min_shard_records: 4000
  unify__shards:
    ops:
      unify_shard_plan:
        config:
          min_shard_records: 5000
  welfare__score_shards:
    ops:
      score_shard_plan:
        config:
          min_shard_families: 1500
"""


def test_the_province_job_publishes_the_national_scores(tmp_path: Path) -> None:
    from dtsen_assets.synth import generate_drop

    drop = tmp_path / "drop"
    generate_drop(drop, persons=20_000, seed=31, moved_province=0.05)
    shutil.rmtree(drop / "truth")
    config = tmp_path / "shards.yaml"
    config.write_text(SMALL_SHARDS)
    database = tmp_path / "provinces.duckdb"
    completed = run_dtsen_build(drop, database, tmp_path / "dagster_home", config, job="dtsen_build_provinces")
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "score_shard[" in output and "pmt_score: merging the" in output
    assert "staging_shard[" in output and "staging.person_record: merging the" in output
    assert not list((tmp_path / ".dtsen_shards").glob("*"))        # build outputs, removed after the merges

    check = tmp_path / "check.duckdb"
    shutil.copy(database, check)
    with duckdb.connect(str(check)) as connection:
        assert connection.execute("SELECT count(*) FROM dtsen.release WHERE is_current").fetchone()[0] == 1
        model = current_model(connection, tmp_path / "models")
        settings = PmtScoreConfig()
        connection.execute("CREATE SCHEMA national")
        score_families(connection, model, "national.pmt_score", "national.belum_terdata",
                       Eligibility(settings.min_known_share), "dtsen.family", settings.batch_rows,
                       detail_table="national.pmt_score_detail", explanation_table="national.explanation",
                       explanation=settings.explanation())
        for table, (build, _) in staging_shards.SHARDED_TABLES.items():
            build(connection, f"national.{table.split('.')[1]}")
            published = connection.execute(f"SELECT * FROM {table}").fetchall()
            national = connection.execute(f"SELECT * FROM national.{table.split('.')[1]}").fetchall()
            assert len(published) > 1000, table
            assert published == national, table          # the same rows in the same order
        for table in shards.STAGED_ORDER:
            published = connection.execute(f"SELECT * FROM {table}").fetchall()
            national = connection.execute(f"SELECT * FROM national.{table.split('.')[1]}").fetchall()
            assert len(published) > 0 or table == shards.BELUM_TABLE, table
            assert published == national, table          # the same rows in the same order
