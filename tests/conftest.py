from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.tiny_drop import write_tiny_drop


@pytest.fixture
def tiny_drop(tmp_path: Path) -> Path:
    return write_tiny_drop(tmp_path / "drop")


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "warehouse.duckdb"
