"""The world behind a drop: poverty, family sizes, coverage, geography; and determinism."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dtsen_assets.synth import Coverage, ProblemRates, generate_drop
from dtsen_assets.synth.economy import CONSUMPTION_NOISE_SD, POVERTY_LINE
from dtsen_assets.synth.reference import load_reference, retired_district_code
from tests.synth.drop import Drop


@pytest.fixture(scope="module")
def families(national_drop) -> pd.DataFrame:
    frame = national_drop.truth("families")
    for column in ("jumlah_art", "pengeluaran_kapita", "is_poor"):
        frame[column] = frame[column].astype(int)
    frame["log_pengeluaran_expected"] = frame["log_pengeluaran_expected"].astype(float)
    return frame


def test_national_poverty_near_nine_percent(families, national_drop):
    poor_persons = families.loc[families["is_poor"] == 1, "jumlah_art"].sum()
    p0 = poor_persons / families["jumlah_art"].sum()
    assert 0.075 < p0 < 0.105
    assert national_drop.summary["national_p0"] == pytest.approx(p0, abs=1e-4)
    assert national_drop.summary["poverty_line"] == POVERTY_LINE
    assert ((families["pengeluaran_kapita"] < POVERTY_LINE) == (families["is_poor"] == 1)).all()


def test_poverty_follows_the_provinces(families):
    reference = load_reference().provinces.set_index("kode_prov")
    families = families.assign(kode_prov=families["kode_desa"].str[:2].astype(int))
    by_province = families.groupby("kode_prov").apply(
        lambda f: pd.Series({"persons": f["jumlah_art"].sum(),
                             "p0": f.loc[f["is_poor"] == 1, "jumlah_art"].sum() / f["jumlah_art"].sum()}),
        include_groups=False)
    by_province = by_province[by_province["persons"] >= 1_500]
    assert len(by_province) >= 12
    target = reference.loc[by_province.index, "p0"]
    assert np.corrcoef(by_province["p0"], target)[0, 1] > 0.6


def test_family_sizes(families):
    assert 2.85 < families["jumlah_art"].mean() < 3.15
    assert 4.2 < families.loc[families["is_poor"] == 1, "jumlah_art"].mean() < 5.2
    assert families["jumlah_art"].between(1, 12).all()


def test_consumption_is_the_documented_model_plus_noise(families):
    residual = np.log(families["pengeluaran_kapita"]) - families["log_pengeluaran_expected"]
    assert abs(residual.mean()) < 0.01
    assert residual.std() == pytest.approx(CONSUMPTION_NOISE_SD, rel=0.05)


def test_coverage_of_the_sources(national_drop):
    """Shares of families per source as documented in problems.Coverage."""
    documented = Coverage()
    coverage = national_drop.summary["coverage"]
    regsosek = coverage["regsosek"]["share_of_families"]
    assert documented.regsosek_families_well_off < regsosek < documented.regsosek_families
    assert coverage["dtks"]["share_of_families"] == pytest.approx(documented.dtks_families, abs=0.04)
    assert coverage["p3ke"]["share_of_families"] == pytest.approx(
        documented.p3ke_ranked_share * documented.p3ke_listed, abs=0.05)
    # DTKS and P3KE are skewed to the poor, with exclusion errors.
    assert 0.7 < coverage["dtks"]["share_of_poor_families"] < 0.97
    assert 0.6 < coverage["p3ke"]["share_of_poor_families"] < 0.9
    susenas = national_drop.summary["susenas"]
    assert documented.susenas_min_rate < susenas["share_of_families"] < documented.susenas_max_rate


def test_dtks_has_inclusion_errors(national_drop, families):
    source_families = national_drop.truth("source_families")
    dtks = set(source_families.loc[source_families["source"] == "dtks", "no_kk_true"])
    in_dtks = families["no_kk"].isin(dtks)
    median = families["pengeluaran_kapita"].median()
    rich = families["pengeluaran_kapita"] > 2 * median
    assert 0 < in_dtks[rich].mean() < 0.1
    assert in_dtks[families["is_poor"] == 1].mean() > 0.7


def test_housing_follows_welfare(national_drop, families):
    regsosek = national_drop.file("regsosek_keluarga")
    source_families = national_drop.truth("source_families")
    regsosek = regsosek.merge(source_families[source_families["source"] == "regsosek"],
                              left_on="ID_KELUARGA", right_on="source_family_id").merge(
        families, left_on="no_kk_true", right_on="no_kk")
    poor = regsosek["is_poor"] == 1
    earth_or_bamboo = regsosek["LANTAI"].isin(["7", "8"])
    assert earth_or_bamboo[poor].mean() > 2 * earth_or_bamboo[~poor].mean()
    assets = (regsosek[[c for c in regsosek.columns if c.startswith("ASET_")]] == "1").sum(axis=1)
    assert assets.corr(np.log(regsosek["pengeluaran_kapita"]), method="spearman") > 0.3
    car = regsosek["ASET_MOBIL"] == "1"
    assert regsosek.loc[car, "pengeluaran_kapita"].median() > 1.5 * regsosek.loc[~car, "pengeluaran_kapita"].median()


def test_villages_are_real_and_not_too_small(national_drop):
    penduduk = national_drop.file("dukcapil_penduduk")
    per_village = penduduk.groupby("KODE_DESA").size()
    assert per_village.median() > 100
    assert penduduk["KODE_DESA"].str[:2].nunique() >= 30
    assert national_drop.summary["provinces"] >= 30


def test_the_dead_are_mostly_old(national_drop):
    penduduk = national_drop.file("dukcapil_penduduk")
    dead = penduduk[penduduk["STATUS"] == "MENINGGAL"]
    age = (pd.to_datetime(dead["TGL_MENINGGAL"]) - pd.to_datetime(dead["TGL_LHR"])).dt.days / 365.25
    assert age.median() > 50
    assert (dead["STAT_HBKEL"] != "KEPALA KELUARGA").all()


def test_retired_district_codes_never_exist_today():
    reference = load_reference()
    retired = retired_district_code(reference.district_codes, reference.district_codes)
    assert not np.isin(retired, reference.district_codes).any()


def _digest(root) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.csv"))}


def test_same_seed_same_drop_other_seed_other_drop(tmp_path):
    first = generate_drop(tmp_path / "a", 3_000, seed=21)
    second = generate_drop(tmp_path / "b", 3_000, seed=21)
    third = generate_drop(tmp_path / "c", 3_000, seed=22)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    first.pop("generation_seconds"), second.pop("generation_seconds")
    assert first == second
    assert _digest(tmp_path / "a")["dukcapil/penduduk.csv"] != _digest(tmp_path / "c")["dukcapil/penduduk.csv"]


def test_regenerating_replaces_the_old_drop(tmp_path):
    generate_drop(tmp_path, 3_000, seed=1)
    generate_drop(tmp_path, 1_000, seed=2, rates=ProblemRates.zero())
    drop = Drop(tmp_path)
    assert len(drop.file("dukcapil_penduduk")) == 1_000
    assert set(drop.truth("verivali")["file"]) == {f"verivali/{p.name}" for p in (tmp_path / "verivali").glob("*.csv")}


def test_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dtsen_assets.synth", "--persons", "800", "--seed", "3", "--out", str(tmp_path),
         "--rate", "nik_typo=0.2", "--no-shuffle"],
        capture_output=True, text=True, check=True)
    printed = json.loads(result.stdout)
    assert printed["persons"] == 800
    drop = Drop(tmp_path)
    assert drop.summary["rates"]["nik_typo"] == 0.2
    assert list(drop.file("p3ke_keluarga").columns)[:3] == ["ID_KELUARGA_P3KE", "NO_KK", "NIK_KEPALA_KELUARGA"]
    bad = subprocess.run([sys.executable, "-m", "dtsen_assets.synth", "--out", str(tmp_path), "--rate", "nope=1"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown problem rate" in bad.stderr
