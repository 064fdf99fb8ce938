"""The linear world (`--world linear`) and the survey-size option (`--susenas-households`)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dtsen_assets.synth import generate_drop
from dtsen_assets.synth.economy import LINEAR_R2, POVERTY_LINE, calibrate
from tests.synth.drop import Drop


@pytest.fixture(scope="module")
def linear_drop(tmp_path_factory) -> Drop:
    root = tmp_path_factory.mktemp("synth_linear")
    generate_drop(root, 30_000, seed=31, world="linear", susenas_households=1_200)
    return Drop(root)


def weighted_r2(actual: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> float:
    mean = np.average(actual, weights=weights)
    return 1.0 - np.average((actual - predicted) ** 2, weights=weights) / np.average((actual - mean) ** 2,
                                                                                    weights=weights)


def test_the_expectation_explains_about_half_of_log_consumption(linear_drop) -> None:
    families = linear_drop.truth("families")
    actual = np.log(families["pengeluaran_kapita"].astype(float))
    expected = families["log_pengeluaran_expected"].astype(float)
    persons = families["jumlah_art"].astype(float)
    assert linear_drop.summary["world"] == "linear"
    assert weighted_r2(actual, expected, persons) == pytest.approx(LINEAR_R2, abs=0.06)
    # still calibrated to the provinces' poverty: about 9% of persons below the line
    assert 0.07 < linear_drop.summary["national_p0"] < 0.11
    poor = families["pengeluaran_kapita"].astype(float) < POVERTY_LINE
    assert (poor == (families["is_poor"].astype(int) == 1)).all()


def test_the_noise_is_heteroscedastic(linear_drop) -> None:
    families = linear_drop.truth("families")
    expected = families["log_pengeluaran_expected"].astype(float).to_numpy()
    residual = np.log(families["pengeluaran_kapita"].astype(float).to_numpy()) - expected
    assert abs(residual.mean()) < 0.03
    low, high = expected < np.quantile(expected, 0.3), expected > np.quantile(expected, 0.7)
    assert residual[high].std() > 1.15 * residual[low].std()


def test_the_survey_has_the_asked_size(linear_drop) -> None:
    households = len(linear_drop.file("susenas_rumah_tangga"))
    assert linear_drop.summary["susenas"]["households"] == households
    assert households == pytest.approx(1_200, rel=0.1)
    # smaller regencies are still sampled at a higher rate
    coverage = linear_drop.summary["coverage_parameters"]
    assert coverage["susenas_max_rate"] > coverage["susenas_min_rate"]


def test_the_linear_world_is_its_own_economy() -> None:
    default, linear = calibrate(), calibrate(world="linear")
    assert (default.world, linear.world) == ("default", "linear")
    assert default.province_level == linear.province_level          # the same welfare, housing and sources
    assert default.province_intercept != linear.province_intercept  # consumption calibrated anew
    assert linear.linear_noise_sd > 0
    with pytest.raises(ValueError, match="unknown world"):
        calibrate(world="curved")


def test_command_line_options(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dtsen_assets.synth", "--persons", "6000", "--seed", "4", "--out", str(tmp_path),
         "--world", "linear", "--susenas-households", "300"],
        capture_output=True, text=True, check=True)
    printed = json.loads(result.stdout)
    assert printed["world"] == "linear"
    assert printed["susenas_households"] == pytest.approx(300, rel=0.2)
    households = pd.read_csv(tmp_path / "susenas" / "rumah_tangga.csv", dtype=str)
    assert len(households) == printed["susenas_households"]
    too_many = subprocess.run(
        [sys.executable, "-m", "dtsen_assets.synth", "--persons", "3000", "--out", str(tmp_path / "big"),
         "--susenas-households", "5000"], capture_output=True, text=True)
    assert too_many.returncode != 0 and "ask for fewer households or more persons" in too_many.stderr
    bad_world = subprocess.run([sys.executable, "-m", "dtsen_assets.synth", "--out", str(tmp_path / "w"),
                                "--world", "curved"], capture_output=True, text=True)
    assert bad_world.returncode != 0 and "invalid choice" in bad_world.stderr
