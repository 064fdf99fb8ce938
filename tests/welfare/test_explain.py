"""Explanations: exact for linear models, in words, never blaming a value nobody recorded."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from dtsen_assets.welfare.explain import (
    ExplanationSettings,
    contributions,
    explain_and_predict,
    explanation_rows,
    reference_profiles,
)
from dtsen_assets.welfare.features import feature_query
from dtsen_assets.welfare.models import TrainingSettings, train_pmt
from dtsen_assets.welfare.variables import MODEL_VARIABLES


@pytest.fixture(scope="module")
def setting(survey_frame, family_frames, regions):
    connection = duckdb.connect()
    connection.register("survey", survey_frame)
    connection.register("families_frame", family_frames[0].head(400))
    connection.execute("CREATE TABLE families AS SELECT * FROM families_frame")
    survey = connection.execute(feature_query(connection, "survey", "id_rt").sql).df()
    model = train_pmt(survey, TrainingSettings(candidates=("ridge_regional",), cv_folds=3, cv_repeats=1), regions).model
    query = feature_query(connection, "families", "family_id", passthrough=("lantai_source",))
    features_sql = f"SELECT * FROM ({query.sql}) WHERE kode_kab IS NOT NULL AND jumlah_art >= 1"
    frame = connection.execute(features_sql + " ORDER BY unit_id").df()
    typical = reference_profiles(connection, features_sql)
    aligned = typical.reindex(frame["kode_kab"].to_numpy()).reset_index(drop=True)
    return model, frame, typical, aligned


def test_linear_contributions_add_up_to_the_difference_from_the_typical_family(setting) -> None:
    model, frame, _, aligned = setting
    contribution, total = contributions(model, frame, aligned)
    assert contribution.shape == (len(frame), len(MODEL_VARIABLES))
    np.testing.assert_allclose(contribution.sum(axis=1), total, atol=1e-9)
    expected = model.predict_log(frame) - model.predict_log(aligned)
    np.testing.assert_allclose(total, expected, atol=1e-9)


def test_profiles_computed_once_per_regency_give_the_same_contributions(setting) -> None:
    model, frame, _, aligned = setting
    assert frame["kode_kab"].nunique() < len(frame)          # several families share a profile
    per_family = contributions(model, frame, aligned)
    per_profile = contributions(model, frame, aligned, frame["kode_kab"].astype(str).to_numpy())
    np.testing.assert_array_equal(per_profile[0], per_family[0])
    np.testing.assert_array_equal(per_profile[1], per_family[1])


def test_the_typical_family_is_the_regency_mode_and_median(setting) -> None:
    _, frame, typical, _ = setting
    kab = frame["kode_kab"].value_counts().index[0]
    in_kab = frame[frame["kode_kab"] == kab]
    assert typical.loc[kab, "lantai"] == in_kab["lantai"].value_counts().sort_index().idxmax()
    assert typical.loc[kab, "jumlah_art"] in set(in_kab["jumlah_art"])
    assert abs(typical.loc[kab, "jumlah_art"] - in_kab["jumlah_art"].median()) <= 1


def test_factors_are_ranked_worded_and_only_from_recorded_values(setting, regions) -> None:
    model, frame, _, aligned = setting
    frame = frame.copy()
    frame.loc[0, "lantai"] = None                   # unrecorded: never given as a reason
    contribution, total = contributions(model, frame, aligned)
    contribution[0, MODEL_VARIABLES.index("lantai")] = 5.0
    rows = explanation_rows(frame, contribution, total, aligned, ExplanationSettings(3, 1.0), "pmt-test",
                            regions.regency_name)
    first = rows[rows["family_id"] == frame.loc[0, "unit_id"]]
    assert "lantai" not in set(first["variabel"])
    assert (first["variabel_tidak_terdata"] >= 1).all()
    for _, group in rows.groupby("family_id"):
        assert (group["arah"] == "menaikkan").sum() <= 3 and (group["arah"] == "menurunkan").sum() <= 3
        assert group["dampak_persen"].abs().is_monotonic_decreasing
        assert (group["dampak_persen"].abs() >= 1.0 - 0.05).all()
    floor = rows[rows["variabel"] == "lantai"].iloc[0]
    assert floor["penjelasan"].startswith("Jenis lantai terluas: ")
    assert "menurut REGSOSEK" in floor["penjelasan"]
    assert floor["nilai_keluarga"] in floor["penjelasan"] and floor["nilai_umum_kabupaten"] in floor["penjelasan"]
    # the typical family is named by its regency, as staging.wilayah names it
    kode_kab = frame.loc[frame["unit_id"] == floor["family_id"], "kode_kab"].iloc[0]
    assert f"(umumnya di {regions.regency_name[kode_kab]}: " in floor["penjelasan"]


def test_a_larger_family_is_explained_as_such(setting, regions) -> None:
    model, frame, _, aligned = setting
    one = frame.iloc[[0]].copy()
    one["jumlah_art"] = aligned.loc[0, "jumlah_art"] + 5
    for variable in MODEL_VARIABLES:
        if variable != "jumlah_art":
            one[variable] = aligned.loc[0, variable]
    contribution, total = contributions(model, one, aligned.iloc[[0]].reset_index(drop=True))
    rows = explanation_rows(one, contribution, total, aligned.iloc[[0]].reset_index(drop=True),
                            ExplanationSettings(), "pmt-test", regions.regency_name)
    assert rows["variabel"].tolist() == ["jumlah_art"]
    assert rows["arah"].tolist() == ["menurunkan"]
    assert rows["penjelasan"].iloc[0].startswith("Jumlah anggota keluarga: ")
    assert rows["selisih_dari_keluarga_umum_persen"].iloc[0] == pytest.approx(rows["dampak_persen"].iloc[0], abs=0.11)


def test_non_linear_models_are_explained_by_swapping_one_variable(survey_frame, regions) -> None:
    connection = duckdb.connect()
    connection.register("survey", survey_frame)
    survey = connection.execute(feature_query(connection, "survey", "id_rt").sql).df()
    model = train_pmt(survey, TrainingSettings(candidates=("gbm",), cv_folds=3, cv_repeats=1, gbm_max_iter=30,
                                               gate_tolerance_pp=100.0), regions).model
    assert model.chosen.name == "gbm"
    frame = survey.head(20).reset_index(drop=True)
    typical = frame.copy()
    contribution, total = contributions(model, frame, typical)
    np.testing.assert_allclose(contribution, 0.0)      # the same family as its typical one: nothing moved
    np.testing.assert_allclose(total, 0.0)
    typical = pd.concat([frame.iloc[[1]]] * 20, ignore_index=True)
    contribution, _ = contributions(model, frame, typical)
    assert np.abs(contribution).sum() > 0


def test_one_fact_is_one_line_with_its_net_effect(setting, regions) -> None:
    """A head who does not work: one line for the head's work (status, sector, position together) with the
    net effect of the three, never a sector line lowering the estimate beside a position line raising it."""
    model, frame, _, aligned = setting
    one = frame.iloc[[0]].copy().reset_index(drop=True)
    typical = aligned.iloc[[0]].copy().reset_index(drop=True)
    for variable in ("krt_status_bekerja", "krt_lapangan_usaha", "krt_kedudukan_kerja"):
        one[variable] = "tidak_bekerja"
    one["fasilitas_bab"], one["jenis_kloset"], one["pembuangan_tinja"] = "tidak_ada", "tanpa_fasilitas_bab", None
    contribution = np.zeros((1, len(MODEL_VARIABLES)))
    index = MODEL_VARIABLES.index
    contribution[0, index("krt_lapangan_usaha")] = np.log(0.87)    # sector alone: lowers 13%
    contribution[0, index("krt_kedudukan_kerja")] = np.log(1.10)   # position alone: raises 10%
    contribution[0, index("krt_status_bekerja")] = np.log(0.95)
    contribution[0, index("fasilitas_bab")] = np.log(0.90)
    contribution[0, index("jenis_kloset")] = np.log(0.96)
    contribution[0, index("pembuangan_tinja")] = np.log(0.50)       # not recorded: adds nothing
    total = contribution.sum(axis=1)
    rows = explanation_rows(one, contribution, total, typical, ExplanationSettings(5, 1.0), "pmt-test",
                            regions.regency_name)
    assert not {"krt_status_bekerja", "krt_lapangan_usaha", "krt_kedudukan_kerja", "fasilitas_bab",
                "jenis_kloset", "pembuangan_tinja"} & set(rows["variabel"])
    work = rows[rows["variabel"] == "krt_pekerjaan"].iloc[0]
    assert work["dampak_persen"] == pytest.approx(100 * (0.87 * 1.10 * 0.95 - 1), abs=0.06)
    assert work["arah"] == "menurunkan"
    assert work["nilai_keluarga"] == "tidak bekerja"
    assert work["penjelasan"].startswith("Pekerjaan kepala keluarga") and work["penjelasan"].count("tidak bekerja") == 1
    toilet = rows[rows["variabel"] == "fasilitas_sanitasi"].iloc[0]
    assert toilet["dampak_persen"] == pytest.approx(100 * (0.90 * 0.96 - 1), abs=0.06)
    assert toilet["nilai_keluarga"].count(",") == 1   # facility and closet; the unrecorded disposal is not named
    assert len(rows) == 2


def test_a_typical_working_head_is_not_also_said_not_to_work() -> None:
    from dtsen_assets.welfare.explain import _describe_unit
    from dtsen_assets.welfare.variables import value_labels

    members = ("krt_status_bekerja", "krt_lapangan_usaha", "krt_kedudukan_kerja")
    text = _describe_unit(members, ["bekerja", "pertanian", "tidak_bekerja"], value_labels())
    assert "tidak bekerja" not in text and text.lower().startswith("bekerja")
    assert _describe_unit(members, ["tidak_bekerja", "tidak_bekerja", "tidak_bekerja"], value_labels()) == "tidak bekerja"


def test_sentences_are_worded_as_a_village_officer_reads_them() -> None:
    """The whole sentence, with and without a source and a regency name; percents rounded as
    f"{x:.0f}" rounds (half to even), large and small effects alike."""
    from dtsen_assets.welfare.explain import sentence

    assert sentence("lantai", "tanah", "keramik", "KAB. BOGOR", -12.5, "regsosek") == (
        "Jenis lantai terluas: tanah menurut REGSOSEK (umumnya di KAB. BOGOR: keramik). "
        "Ini menurunkan perkiraan pengeluaran per orang sekitar 12%.")
    assert sentence("krt_pekerjaan", "tidak bekerja", "bekerja", "", 3.5, None) == (
        "Pekerjaan kepala keluarga (status, lapangan usaha, kedudukan): tidak bekerja (umumnya di "
        "kabupaten/kota ini: bekerja). Ini menaikkan perkiraan pengeluaran per orang sekitar 4%.")
    for effect in (0.5, 1.5, 2.4999, 99.5, 1234.56, 3.2e16, -7.5):
        assert sentence("lantai", "a", "b", "X", effect, None).endswith(f"sekitar {abs(effect):.0f}%.")


def test_a_batch_of_mixed_data_tiers_is_scored_and_explained_as_each_tier_alone(setting) -> None:
    """explain_and_predict encodes a batch once and takes each tier's rows from it: a family's score and
    contributions must not depend on which other families, of which tiers, share its batch."""
    model, frame, _, aligned = setting
    tiers = np.array(["lengkap", "rumah_aset_utama", "rumah_pokok"], dtype=object)[np.arange(len(frame)) % 3]
    mixed = frame.assign(data_model=tiers)
    together = explain_and_predict(model, mixed, aligned)
    np.testing.assert_allclose(together.prediction.log_consumption, model.predict_log(mixed), rtol=1e-12)
    np.testing.assert_array_equal(together.prediction.filled, model.predict(mixed).filled)
    for tier in np.unique(tiers):
        rows = np.flatnonzero(tiers == tier)
        alone = explain_and_predict(model, mixed.iloc[rows].reset_index(drop=True),
                                    aligned.iloc[rows].reset_index(drop=True))
        np.testing.assert_allclose(together.contribution[rows], alone.contribution, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(together.prediction.log_consumption[rows], alone.prediction.log_consumption,
                                   rtol=1e-12)
        np.testing.assert_array_equal(together.prediction.filled[rows], alone.prediction.filled)
    # a poorer tier's model sees fewer variables: the same family is scored differently by it
    assert not np.allclose(together.prediction.log_consumption[tiers == "rumah_pokok"],
                           explain_and_predict(model, frame, aligned).prediction.log_consumption[tiers == "rumah_pokok"])
