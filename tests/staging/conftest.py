"""A DuckDB warehouse in tmp_path with the codebook and region codes loaded, and tiny raw tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dtsen_assets.resources.duckdb import SCHEMAS
from dtsen_assets.staging.reference import load_codebook, load_wilayah


@pytest.fixture(scope="session")
def reference_warehouse(tmp_path_factory) -> Path:
    """A warehouse file holding staging.codebook and staging.wilayah, built once per session."""
    path = tmp_path_factory.mktemp("staging_reference") / "reference.duckdb"
    connection = duckdb.connect(str(path))
    for schema in SCHEMAS:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    load_codebook(connection)
    load_wilayah(connection)
    connection.close()
    return path


@pytest.fixture
def connection(reference_warehouse: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh copy of the reference warehouse for one test."""
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(reference_warehouse.read_bytes())
    connection = duckdb.connect(str(path))
    yield connection
    connection.close()
