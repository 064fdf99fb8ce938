"""The one feature builder, on hand-made families and households."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from dtsen_assets.welfare.features import NUMERIC_FEATURES, FeatureEncoder, feature_query
from dtsen_assets.welfare.variables import CATEGORICAL, CORE_HOUSING, DWELLING_AND_POSSESSIONS, MODEL_VARIABLES, NUMERIC, ORDINAL
from tests.welfare.synthetic import households


def family(**values) -> dict:
    """One hand-made dtsen.family row: a modest rural family in Kabupaten Bandung unless told otherwise."""
    row = {
        "family_id": "F1", "no_kk": "3204011508100001", "kode_desa": "3204012001", "jumlah_art": 4,
        "art_balita": 1, "art_sekolah": 2, "art_lansia": 0, "art_disabilitas": 0,
        "krt_jenis_kelamin": "L", "krt_umur": 41, "krt_pendidikan": "sd", "krt_status_bekerja": "bekerja",
        "krt_lapangan_usaha": "pertanian", "krt_kedudukan_kerja": "berusaha_sendiri",
        "status_bangunan": "milik_sendiri", "luas_lantai": 36.0, "lantai": "semen_bata_merah", "dinding": "tembok",
        "atap": "genteng", "air_minum": "sumur_terlindung", "penerangan": "pln_meteran", "daya_listrik": "va_450",
        "bahan_bakar": "elpiji_3kg", "fasilitas_bab": "sendiri", "jenis_kloset": "leher_angsa",
        "pembuangan_tinja": "tangki_septik", "luas_lahan": 0.0, "rumah_lain": "tidak",
        **{a: "tidak" for a in ("aset_tabung_gas_5kg", "aset_lemari_es", "aset_ac", "aset_pemanas_air",
                                "aset_telepon_rumah", "aset_emas", "aset_komputer", "aset_sepeda", "aset_mobil",
                                "aset_perahu", "aset_motor_tempel", "aset_perahu_motor")},
        "aset_televisi": "ya", "aset_sepeda_motor": "ya", "aset_smartphone": "ya",
        "ternak_sapi": 0, "ternak_kerbau": 0, "ternak_kuda": 0, "ternak_babi": 0, "ternak_kambing": 2,
    }
    row.update(values)
    return row


def features_of(rows: list[dict], unit_id: str = "family_id") -> tuple[pd.DataFrame, tuple[str, ...]]:
    connection = duckdb.connect()
    connection.register("source_rows", pd.DataFrame(rows))
    connection.execute("CREATE TABLE source AS SELECT * FROM source_rows")
    query = feature_query(connection, "source", unit_id)
    return connection.execute(query.sql + " ORDER BY unit_id").df(), query.missing_columns


def test_family_features_follow_the_documented_rules() -> None:
    rows = [
        family(),
        # head not working: lapangan usaha / kedudukan are not asked
        family(family_id="F2", krt_status_bekerja="tidak_bekerja", krt_lapangan_usaha=None, krt_kedudukan_kerja=None),
        # no toilet: kloset / tinja are not asked; no PLN meter: no daya listrik
        family(family_id="F3", fasilitas_bab="tidak_ada", jenis_kloset=None, pembuangan_tinja=None,
               penerangan="bukan_listrik", daya_listrik=None),
        # a DTKS-only family: no REGSOSEK assets, land or livestock
        family(family_id="F4", **{v: None for v in ("aset_tabung_gas_5kg", "aset_televisi", "aset_smartphone",
                                                    "luas_lahan", "rumah_lain", "ternak_kambing")}),
        # a broken village code
        family(family_id="F5", kode_desa="32.04"),
    ]
    features, missing = features_of(rows)
    assert missing == ()
    by_id = features.set_index("unit_id")
    assert by_id.loc["F1", "kode_kab"] == "3204" and by_id.loc["F1", "kode_prov"] == "32"
    assert by_id.loc["F2", "krt_lapangan_usaha"] == "tidak_bekerja"
    assert by_id.loc["F2", "krt_kedudukan_kerja"] == "tidak_bekerja"
    assert by_id.loc["F3", "jenis_kloset"] == "tanpa_fasilitas_bab"
    assert by_id.loc["F3", "pembuangan_tinja"] == "tanpa_fasilitas_bab"
    assert by_id.loc["F3", "daya_listrik"] == "tidak_ada"
    assert by_id.loc["F1", "known_lengkap"] == len(DWELLING_AND_POSSESSIONS)
    assert by_id.loc["F4", "known_lengkap"] == len(DWELLING_AND_POSSESSIONS) - 6
    assert by_id.loc["F4", "known_rumah_pokok"] == len(CORE_HOUSING)
    assert pd.isna(by_id.loc["F5", "kode_kab"])
    # values the rules do not touch pass through unchanged
    assert by_id.loc["F1", "lantai"] == "semen_bata_merah" and by_id.loc["F1", "luas_lantai"] == 36.0


def test_a_source_lacking_columns_gets_them_as_unknown() -> None:
    row = family()
    for variable in ("ternak_kuda", "aset_perahu_motor", "krt_umur"):
        row.pop(variable)
    features, missing = features_of([row])
    assert set(missing) == {"ternak_kuda", "aset_perahu_motor", "krt_umur"}
    assert features[["ternak_kuda", "aset_perahu_motor", "krt_umur"]].isna().all(axis=None)
    assert features.loc[0, "known_lengkap"] == len(DWELLING_AND_POSSESSIONS) - 2


def test_survey_household_and_family_with_the_same_facts_get_the_same_features(regions) -> None:
    """Training and scoring cannot drift apart: one builder, one encoder."""
    facts = family()
    household = {k: v for k, v in facts.items() if k not in ("family_id", "no_kk", "kode_desa")}
    household.update({"id_rt": "RT1", "kode_kab": "3204", "bobot": 40.0, "pengeluaran_kapita": 800_000.0})
    survey_features, _ = features_of([household], unit_id="id_rt")
    family_features, _ = features_of([facts])
    training = households(200, seed=5)
    encoder = FeatureEncoder.fit(training.assign(kode_prov=training["kode_kab"].str[:2]), np.ones(200), regions)
    from_survey = encoder.encode(survey_features)
    from_family = encoder.encode(family_features)
    assert (from_survey.linear != from_family.linear).nnz == 0
    np.testing.assert_array_equal(from_survey.tree, from_family.tree)
    columns = [*MODEL_VARIABLES, "kode_kab"]
    pd.testing.assert_frame_equal(survey_features[columns], family_features[columns])


def test_encoder_fills_unknown_values_with_the_survey_typical_value_and_unseen_ordered_levels_with_a_neighbour(regions) -> None:
    training = households(300, seed=6)
    weights = np.ones(len(training))
    encoder = FeatureEncoder.fit(training, weights, regions)
    probe = pd.DataFrame([family(), family(lantai=None, luas_lantai=None), family(lantai="marmer_granit")])
    probe["kode_kab"] = probe["kode_desa"].str[:4]
    codes, numbers, filled = encoder.fill(probe)
    assert filled.tolist()[1] == 2          # lantai and luas_lantai unknown
    assert "marmer_granit" not in encoder.levels["lantai"]
    assert filled.tolist()[2] == 1          # a floor the survey never showed
    mode = training["lantai"].value_counts().idxmax()
    assert encoder.levels["lantai"][codes["lantai"][1]] == mode
    # the best floor, never surveyed, counts as the best floor the survey did show
    seen_below = [level for level in ORDINAL["lantai"] if level in encoder.levels["lantai"]]
    assert encoder.levels["lantai"][codes["lantai"][2]] == seen_below[-1]
    assert numbers["luas_lantai"][1] == pytest.approx(np.median(training["luas_lantai"]), rel=0.05)


def test_every_design_column_belongs_to_one_variable(regions) -> None:
    training = households(150, seed=7)
    encoder = FeatureEncoder.fit(training, np.ones(len(training)), regions)
    names, variables = encoder.linear_column_names, encoder.column_variables
    assert len(names) == len(variables) == encoder.encode(training).linear.shape[1]
    assert set(variables) <= {*MODEL_VARIABLES, "kode_kab"}
    # every numeric variable and every categorical seen in the survey is in the design
    assert {v for _, v, _ in NUMERIC_FEATURES} == set(NUMERIC)
    assert {v for v in CATEGORICAL if encoder.levels[v]} <= set(variables)
    # one one-hot per categorical, exactly one numeric block per derived feature
    batch = encoder.encode(training)
    one_hot = batch.linear[:, : len(encoder.categorical_columns)]
    assert np.all(np.asarray(one_hot.sum(axis=1)).ravel() == len(CATEGORICAL))


def test_an_unseen_ordered_level_takes_the_nearest_surveyed_level_below_it(regions) -> None:
    training = households(300, seed=6)
    training = training[training["lantai"] != "kayu_papan"]       # the survey never saw a wooden floor
    encoder = FeatureEncoder.fit(training, np.ones(len(training)), regions)
    assert "kayu_papan" not in encoder.levels["lantai"]
    order = ORDINAL["lantai"]
    below = [level for level in order[: order.index("kayu_papan")] if level in encoder.levels["lantai"]]
    probe = pd.DataFrame([family(lantai="kayu_papan"), family(lantai=below[-1])])
    probe["kode_kab"] = probe["kode_desa"].str[:4]
    codes, _, filled = encoder.fill(probe)
    assert codes["lantai"][0] == codes["lantai"][1]
    assert filled.tolist() == [1, 0]     # still counted as a value filled in
    assert encoder.ordinal_substitutes("status_bangunan") == {}   # not an ordered variable


def test_each_row_is_encoded_with_its_own_entries_in_column_order(regions) -> None:
    """The design is written row by row as CSR: a row's entries are its categorical levels, numbers, the two
    regional values, its province and regency only when the survey saw them, and each ordinal threshold it
    reaches, in column order; and a row's encoding does not depend on the rows beside it."""
    training = households(300, seed=8)
    encoder = FeatureEncoder.fit(training, np.ones(len(training)), regions)
    probe = pd.DataFrame([family(), family(kode_desa="9999012001"), family(lantai="marmer_granit", luas_lantai=None),
                          family(kode_desa="3204", krt_status_bekerja=None)])
    probe["kode_kab"] = probe["kode_desa"].str[:4]
    batch = encoder.encode(probe)
    linear = batch.linear
    slices = encoder.region_column_slices
    codes, _, _ = encoder.fill(probe)
    for i in range(len(probe)):
        columns = linear.indices[linear.indptr[i]:linear.indptr[i + 1]]
        assert np.all(np.diff(columns) > 0)                          # sorted, no duplicates
        regional = [c for c in columns if slices["provinsi"].start <= c < slices["kab"].stop]
        seen_kab = probe["kode_kab"][i] in encoder.regencies
        assert len(regional) == (probe["kode_kab"][i][:2] in encoder.provinces) + seen_kab
        ordinal = [c for c in columns if c >= slices["ordinal"].start]
        rank = {v: {lv: k for k, lv in enumerate(ORDINAL[v])} for v in ORDINAL}
        expected_ordinal = sum(rank[v].get(encoder.levels[v][codes[v][i]], -1) >= rank[v][level]
                               for v, level in encoder.ordinal_thresholds)
        assert len(ordinal) == expected_ordinal
        assert len(columns) == (sum(1 for v in CATEGORICAL if encoder.levels[v]) + len(NUMERIC_FEATURES) + 2
                                + len(regional) + len(ordinal))
        alone = encoder.encode(probe.iloc[[i]])
        np.testing.assert_array_equal(alone.linear.indices, columns)
        np.testing.assert_array_equal(alone.linear.data, linear.data[linear.indptr[i]:linear.indptr[i + 1]])
    assert probe["kode_kab"][1] not in encoder.regencies           # the unseen regency has no regency column
