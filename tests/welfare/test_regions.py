"""Welfare reads its regions from staging.wilayah (the staging/wilayah asset), not from wilayah.csv."""

from __future__ import annotations

import csv

import duckdb
import numpy as np
import pytest

from dtsen_assets.platform.reference import POVERTY_PATH, WILAYAH_PATH
from dtsen_assets.staging.reference import load_wilayah
from dtsen_assets.welfare.features import FeatureEncoder
from dtsen_assets.welfare.regions import RegionsMissing, load_regions
from tests.welfare.synthetic import households


def _staged_wilayah() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA staging")
    load_wilayah(connection)
    return connection


def test_staging_wilayah_gives_the_regions_wilayah_csv_holds(regions) -> None:
    """The same province and kabupaten/kota codes and names as the shipped file (codes without dots)."""
    with WILAYAH_PATH.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    regencies = {r["kode"].replace(".", ""): r["nama"] for r in rows if r["tingkat"] == "kabupaten_kota"}
    provinces = {r["kode"].replace(".", ""): r["nama"] for r in rows if r["tingkat"] == "provinsi"}
    assert len(provinces) == 38 and len(regencies) > 500
    assert list(regions.regency_name.items()) == list(regencies.items())
    assert list(regions.province_name.items()) == list(provinces.items())
    assert regions.regency_is_kota == {k: n.upper().startswith("KOTA ") for k, n in regencies.items()}
    assert regions.regency_is_kota["3273"] and not regions.regency_is_kota["3204"]
    with POVERTY_PATH.open(encoding="utf-8") as handle:
        poverty = {r["kode"]: float(r["p0_persen_2025_03"] or r["p0_persen_2024_03"]) / 100.0
                   for r in csv.DictReader(handle) if r["p0_persen_2025_03"] or r["p0_persen_2024_03"]}
    assert list(regions.province_p0.items()) == list(poverty.items())


def test_the_encoder_takes_its_kota_from_staging_wilayah(regions) -> None:
    """A regency that staging.wilayah calls a kota is a kota for the PMT, whatever wilayah.csv says."""
    training = households(150, seed=7)
    assert not FeatureEncoder.fit(training, np.ones(len(training)), regions).regency_is_kota["3204"]
    with _staged_wilayah() as connection:
        connection.execute("UPDATE staging.wilayah SET nama = 'Kota Bandung Uji' WHERE kode = '3204'")
        renamed = load_regions(connection)
    assert renamed.regency_name["3204"] == "Kota Bandung Uji"
    assert FeatureEncoder.fit(training, np.ones(len(training)), renamed).regency_is_kota["3204"]


def test_without_staging_wilayah_welfare_says_which_asset_to_build() -> None:
    with duckdb.connect() as connection:
        with pytest.raises(RegionsMissing, match="materialize the staging/wilayah asset"):
            load_regions(connection)
