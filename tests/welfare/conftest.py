from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.staging.reference import load_wilayah
from dtsen_assets.welfare.regions import Regions, load_regions
from tests.welfare.synthetic import dtsen_family, susenas_household

# Fast but honest settings for tests: two linear candidates, three folds, one repeat.
FAST_MODEL_CONFIG = {"candidates": ["ols_baseline", "ridge"], "cv_folds": 3, "cv_repeats": 1}


@pytest.fixture(scope="session")
def survey_frame() -> pd.DataFrame:
    return susenas_household(n=320, seed=3)


@pytest.fixture(scope="session")
def family_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return dtsen_family(n=3000, seed=4)


@pytest.fixture(scope="session")
def regions() -> Regions:
    """The regions as the welfare steps read them: from a staging.wilayah the staging/wilayah loader built."""
    with duckdb.connect() as connection:
        connection.execute("CREATE SCHEMA staging")
        load_wilayah(connection)
        return load_regions(connection)


def load_tables(warehouse: DuckDBWarehouse, survey: pd.DataFrame, families: pd.DataFrame) -> None:
    """staging.susenas_household and dtsen.family as given; staging.wilayah as the staging/wilayah asset loads it."""
    with warehouse.connect() as connection:
        load_wilayah(connection)
        connection.register("survey_frame", survey)
        connection.execute("CREATE OR REPLACE TABLE staging.susenas_household AS SELECT * FROM survey_frame")
        connection.register("family_frame", families)
        connection.execute("CREATE OR REPLACE TABLE dtsen.family AS SELECT * FROM family_frame")


@pytest.fixture
def warehouse(tmp_path: Path, survey_frame, family_frames) -> DuckDBWarehouse:
    resource = DuckDBWarehouse(database_path=str(tmp_path / "warehouse" / "warehouse.duckdb"), threads=2)
    load_tables(resource, survey_frame, family_frames[0])
    return resource
