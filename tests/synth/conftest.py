"""Drops generated once per test session (small: a few thousand persons each)."""

from __future__ import annotations

import pytest

from dtsen_assets.synth import ProblemRates, generate_drop
from tests.synth.drop import Drop

DEFAULT_PERSONS = 6_000


@pytest.fixture(scope="session")
def default_drop(tmp_path_factory) -> Drop:
    root = tmp_path_factory.mktemp("synth_default")
    generate_drop(root, DEFAULT_PERSONS, seed=11)
    return Drop(root)


@pytest.fixture(scope="session")
def clean_drop(tmp_path_factory) -> Drop:
    root = tmp_path_factory.mktemp("synth_clean")
    generate_drop(root, 4_000, seed=12, rates=ProblemRates.zero())
    return Drop(root)


@pytest.fixture(scope="session")
def doubled_drop(tmp_path_factory) -> Drop:
    root = tmp_path_factory.mktemp("synth_doubled")
    generate_drop(root, DEFAULT_PERSONS, seed=13, rate_scale=2.0)
    return Drop(root)


@pytest.fixture(scope="session")
def national_drop(tmp_path_factory) -> Drop:
    """Large enough to spread over every province: for national figures."""
    root = tmp_path_factory.mktemp("synth_national")
    generate_drop(root, 80_000, seed=14)
    return Drop(root)


@pytest.fixture(params=["default_drop", "doubled_drop"])
def problem_drop(request) -> Drop:
    return request.getfixturevalue(request.param)
