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


@pytest.fixture(scope="session")
def generated_drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated drop (3,000 persons, default problem rates), shared by the session."""
    from dtsen_assets.synth import generate_drop

    out = tmp_path_factory.mktemp("generated") / "drop"
    generate_drop(out, persons=3000, seed=11)
    return out
