"""The raw assets accept generated drops, whatever the problem rates: the contract checks guard
the file format, not the data problems that real extracts contain."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dtsen_assets.assets.sources import raw_source_assets
from dtsen_assets.contract import SOURCE_FILES
from dtsen_assets.resources import DuckDBWarehouse, SourceDrop
from dtsen_assets.synth import generate_drop


def build_raw(drop: Path, database: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        raw_source_assets,
        resources={"source_drop": SourceDrop(source_dir=str(drop)), "warehouse": DuckDBWarehouse(database_path=str(database))},
        raise_on_error=False,
    )


def data_rows(path: Path) -> int:
    with duckdb.connect() as connection:
        return connection.execute(
            "SELECT count(*) FROM read_csv(?, header=true, all_varchar=true, delim=?)",
            [str(path), ";" if "dtks" in path.parts else ","],
        ).fetchone()[0]


def test_generated_drop_is_published_row_for_row(generated_drop: Path, tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    assert build_raw(generated_drop, database).success
    with duckdb.connect(str(database), read_only=True) as connection:
        for source_file in SOURCE_FILES:
            published = connection.execute(f"SELECT count(*) FROM {source_file.table}").fetchone()[0]
            expected = sum(data_rows(p) for p in sorted(generated_drop.glob(source_file.path)))
            assert published == expected > 0, source_file.key


@pytest.mark.parametrize("rate_scale", [0.0, 3.0])
def test_other_problem_rates_pass_the_contract(rate_scale: float, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    generate_drop(drop, persons=1500, seed=5, rate_scale=rate_scale)
    assert build_raw(drop, tmp_path / "w.duckdb").success
