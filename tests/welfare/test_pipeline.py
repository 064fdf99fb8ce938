"""The welfare assets end to end on hand-made staging.susenas_household and dtsen.family tables."""

from __future__ import annotations

import json

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from dtsen_assets.assets.welfare import welfare_assets
from dtsen_assets.resources import DuckDBWarehouse, ModelStore
from tests.welfare.conftest import FAST_MODEL_CONFIG, load_tables


RENAMED = {"32": "Jawa Barat Uji", "3204": "Kabupaten Bandung Uji"}


@pytest.fixture(scope="module")
def built(tmp_path_factory, survey_frame, family_frames):
    """The whole welfare group built once for this module, on a staging.wilayah that renamed a province and a
    regency (names wilayah.csv does not have: welfare must take them from the table)."""
    warehouse = DuckDBWarehouse(database_path=str(tmp_path_factory.mktemp("welfare") / "warehouse.duckdb"), threads=2)
    load_tables(warehouse, survey_frame, family_frames[0])
    with warehouse.connect() as connection:
        for kode, nama in RENAMED.items():
            connection.execute("UPDATE staging.wilayah SET nama = ? WHERE kode = ?", [nama, kode])
    result = dg.materialize(welfare_assets, resources={"warehouse": warehouse, "model_store": ModelStore()},
                            run_config={"ops": {"welfare__pmt_model": {"config": FAST_MODEL_CONFIG}}})
    assert result.success
    return warehouse, result


def test_published_tables_have_the_contract_columns(built) -> None:
    warehouse, _ = built
    with warehouse.connect(read_only=True) as connection:
        def columns(table):
            return [(r[0], r[1]) for r in connection.execute(f"DESCRIBE {table}").fetchall()]
        assert columns("welfare.pmt_score") == [("family_id", "VARCHAR"), ("pengeluaran_kapita_pmt", "DOUBLE"),
                                                ("model_version", "VARCHAR")]
        assert columns("welfare.decile") == [("family_id", "VARCHAR"), ("desil", "INTEGER"), ("persentil", "DOUBLE")]
        staged = connection.execute("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%__staging' "
                                    "OR table_name LIKE '%__work'").fetchall()[0][0]
        assert staged == 0


def test_every_family_is_scored_or_listed_with_a_reason(built, family_frames) -> None:
    warehouse, _ = built
    families, _ = family_frames
    with warehouse.connect(read_only=True) as connection:
        scored = set(r[0] for r in connection.execute("SELECT family_id FROM welfare.pmt_score").fetchall())
        listed = dict(connection.execute("SELECT family_id, alasan FROM welfare.belum_terdata").fetchall())
        versions = connection.execute("SELECT DISTINCT model_version FROM welfare.pmt_score").fetchall()
        current = connection.execute("SELECT model_version FROM welfare.pmt_model WHERE is_current").fetchall()
    assert versions == current
    assert not scored & set(listed)
    assert scored | set(listed) == set(families["family_id"])
    gone = families.loc[families["jumlah_art"] == 0, "family_id"]
    assert {listed[f] for f in gone} == {"tanpa_anggota_aktif"}
    assert listed[families["family_id"].iloc[-1]] == "wilayah_tidak_valid"
    assert listed[families["family_id"].iloc[-2]] == "data_rumah_kurang"
    assert len(listed) == len(gone) + 2


def test_families_with_less_recorded_are_scored_by_their_data_tier(built, family_frames) -> None:
    warehouse, _ = built
    families, truth = family_frames
    with warehouse.connect(read_only=True) as connection:
        detail = connection.execute("SELECT * FROM welfare.pmt_score_detail").df().set_index("family_id")
    dtks_only = families.loc[families["aset_smartphone"].isna() & families["aset_lemari_es"].notna(), "family_id"]
    core_only = families.loc[families["aset_lemari_es"].isna() & families["lantai"].notna()
                             & families["atap"].notna() & families["air_minum"].notna(), "family_id"]
    assert len(dtks_only) > 20 and len(core_only) > 10
    assert set(detail.loc[detail.index.intersection(dtks_only), "data_model"]) == {"rumah_aset_utama"}
    assert set(detail.loc[detail.index.intersection(core_only), "data_model"]) == {"rumah_pokok"}
    assert detail["data_model"].value_counts().idxmax() == "lengkap"
    # a tier model never needs to fill in what its tier does not use
    assert detail.loc[detail.index.intersection(dtks_only), "variabel_diisi"].max() == 0


def test_desil_hold_a_tenth_of_persons_and_rank_by_true_welfare(built, family_frames) -> None:
    warehouse, result = built
    families, truth = family_frames
    with warehouse.connect(read_only=True) as connection:
        table = connection.execute("""
            SELECT d.family_id, d.desil, d.persentil, s.pengeluaran_kapita_pmt, f.jumlah_art
            FROM welfare.decile d JOIN welfare.pmt_score s USING (family_id) JOIN dtsen.family f USING (family_id)
        """).df()
        cut_points = connection.execute("SELECT * FROM welfare.desil_batas ORDER BY desil").df()
    shares = 100 * table.groupby("desil")["jumlah_art"].sum() / table["jumlah_art"].sum()
    assert (shares - 10).abs().max() <= 0.5
    assert table["family_id"].is_unique and table["persentil"].between(0, 100, inclusive="right").all()
    assert (cut_points["pengeluaran_kapita_pmt_maks"].diff().dropna() > 0).all()
    joined = table.merge(truth, on="family_id")
    assert spearmanr(joined["pengeluaran_kapita_pmt"], joined["true_consumption"]).statistic > 0.6
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["desil_person_share"] and checks["one_desil_per_family"] and checks["desil_follows_score"]


def test_kabupaten_table_adds_up_to_the_national_desil(built) -> None:
    warehouse, _ = built
    with warehouse.connect(read_only=True) as connection:
        summary = connection.execute("SELECT * FROM welfare.desil_kabupaten").df()
        national = connection.execute("""SELECT d.desil, count(*) AS k, sum(f.jumlah_art) AS j FROM welfare.decile d
                                          JOIN dtsen.family f USING (family_id) GROUP BY d.desil ORDER BY d.desil""").df()
    assert summary.groupby("kode_kab").size().eq(10).all()
    assert summary["nama_kabupaten"].notna().all()      # names from staging.wilayah
    totals = summary.groupby("desil")[["jumlah_keluarga", "jumlah_jiwa"]].sum().reset_index()
    np.testing.assert_array_equal(totals["jumlah_keluarga"], national["k"])
    np.testing.assert_array_equal(totals["jumlah_jiwa"], national["j"])
    shares = summary.groupby("kode_kab")["persen_jiwa_kabupaten"].sum()
    np.testing.assert_allclose(shares, 100.0)


def test_welfare_names_regions_as_staging_wilayah_does(built) -> None:
    """The renamed province and regency of staging.wilayah, in the tables and the metadata welfare writes."""
    warehouse, result = built
    with warehouse.connect(read_only=True) as connection:
        regency = connection.execute("SELECT DISTINCT nama_kabupaten FROM welfare.desil_kabupaten "
                                     "WHERE kode_kab = '3204'").fetchall()
        province = connection.execute("SELECT DISTINCT nama_provinsi FROM welfare.pmt_evaluation "
                                      "WHERE kode_prov = '32'").fetchall()
        explained = connection.execute("""
            SELECT count(*) FILTER (WHERE contains(e.penjelasan, 'umumnya di Kabupaten Bandung Uji:')), count(*)
            FROM welfare.explanation e JOIN dtsen.family f USING (family_id) WHERE left(f.kode_desa, 4) = '3204'
        """).fetchall()[0]
    assert regency == [("Kabupaten Bandung Uji",)]
    assert province == [("Jawa Barat Uji",)]
    assert explained[1] > 0 and explained[0] == explained[1]
    metadata = result.asset_materializations_for_node("welfare__pmt_model")[0].metadata
    assert "32 Jawa Barat Uji" in metadata["held_out_by_province"].value


def test_explanations_in_words_for_scored_families(built) -> None:
    warehouse, result = built
    with warehouse.connect(read_only=True) as connection:
        rows = connection.execute("SELECT * FROM welfare.explanation").df()
        scored = connection.execute("SELECT count(*) FROM welfare.pmt_score").fetchall()[0][0]
    assert rows["family_id"].nunique() >= 0.99 * scored
    assert rows.groupby("family_id")["peringkat"].apply(lambda r: sorted(r) == list(range(1, len(r) + 1))).all()
    assert set(rows["arah"]) == {"menaikkan", "menurunkan"}
    assert (np.sign(rows["dampak_persen"]) == np.where(rows["arah"] == "menaikkan", 1, -1)).all()
    assert rows["penjelasan"].str.contains("umumnya di ").all()
    assert rows["penjelasan"].str.endswith("%.").all()
    assert rows.groupby("family_id").size().max() <= 6
    explanation = next(m for m in result.asset_materializations_for_node("pmt_score")
                       if m.asset_key == dg.AssetKey(["welfare", "explanation"]))
    assert "perkiraan pengeluaran" in explanation.metadata["masked_sample"].value


def test_metadata_never_shows_identifiers_in_the_clear(built, family_frames) -> None:
    _, result = built
    families, _ = family_frames
    texts = []
    for event in result.get_asset_materialization_events():
        for value in event.materialization.metadata.values():
            raw = value.value
            texts.append(json.dumps(raw, default=str) if isinstance(raw, (dict, list)) else str(raw))
    for event in result.get_asset_check_evaluations():
        texts += [str(v.value) for v in event.metadata.values()]
    blob = "\n".join(texts)
    assert not any(no_kk in blob for no_kk in families["no_kk"])
    # family_id is a salted hash, not personal data: shown, so a row can be followed (dtsen_assets.explain)
    assert "preview" in {k for e in result.get_asset_materialization_events() for k in e.materialization.metadata}


def test_every_asset_has_what_the_ui_needs() -> None:
    for asset in welfare_assets:
        for spec in asset.specs:
            assert spec.group_name == "welfare"
            assert spec.description and len(spec.description) > 80
            assert spec.owners and spec.kinds and spec.code_version
    keys = {key for asset in welfare_assets for key in asset.keys}
    assert {dg.AssetKey(["welfare", n]) for n in ("pmt_model", "pmt_score", "belum_terdata", "decile",
                                                  "explanation", "desil_kabupaten")} == keys
    fitting = next(a for a in welfare_assets if dg.AssetKey(["welfare", "pmt_model"]) in a.keys)
    assert "scikit-learn" in next(iter(fitting.specs)).kinds
    blocking = {c.name for a in welfare_assets for c in a.check_specs if c.blocking}
    assert {"not_worse_than_ols_baseline", "desil_person_share", "one_desil_per_family"} <= blocking


def test_scoring_streams_in_batches(warehouse, family_frames) -> None:
    result = dg.materialize(
        welfare_assets[:2], resources={"warehouse": warehouse, "model_store": ModelStore()},
        run_config={"ops": {"welfare__pmt_model": {"config": FAST_MODEL_CONFIG},
                            "pmt_score": {"config": {"batch_rows": 500}}}})
    metadata = result.asset_materializations_for_node("pmt_score")[0].metadata
    assert metadata["batches"].value >= 5
    families = family_frames[0]
    unscorable = (families["jumlah_art"] == 0).sum() + 2     # and the broken village code, the nearly empty family
    assert metadata["dagster/row_count"].value == len(families) - unscorable


def test_scores_and_explanations_streamed_in_many_batches_are_the_rows_of_one(built) -> None:
    # scoring.score_families: small batches scored and explained two at a time (the explanations appended by one
    # streaming INSERT, the scores through a second cursor meanwhile) give the published rows, in the same order,
    # as one batch on one thread
    from dtsen_assets.assets.welfare import SCORE_TABLE
    from dtsen_assets.welfare.registry import model_of_scores
    from dtsen_assets.welfare.scoring import score_families

    warehouse, _ = built
    order = "ORDER BY family_id, peringkat"
    with warehouse.connect() as connection:
        model = model_of_scores(connection, ModelStore().directory(warehouse.database_file), SCORE_TABLE)
        connection.execute("CREATE SCHEMA IF NOT EXISTS stream_test")
        try:
            rows, scores = {}, {}
            for name, batch_rows, workers in (("small", 97, 2), ("one", 1_000_000, 1)):
                result = score_families(connection, model, f"stream_test.score_{name}", f"stream_test.belum_{name}",
                                        batch_rows=batch_rows, workers=workers,
                                        detail_table=f"stream_test.detail_{name}",
                                        explanation_table=f"stream_test.{name}")
                rows[name] = connection.execute(f"SELECT * FROM stream_test.{name}").fetchall()
                scores[name] = connection.execute(f"SELECT * FROM stream_test.score_{name} ORDER BY family_id").fetchall()
                assert result.explained.rows == len(rows[name])
                assert result.scored == len(scores[name])
            published = connection.execute(f"SELECT * FROM welfare.explanation {order}").fetchall()
            published_scores = connection.execute(f"SELECT * FROM {SCORE_TABLE} ORDER BY family_id").fetchall()
            in_order = connection.execute(f"SELECT * FROM stream_test.small {order}").fetchall()
        finally:
            connection.execute("DROP SCHEMA stream_test CASCADE")
    assert len(rows["small"]) > 1000
    assert rows["small"] == rows["one"]           # same rows, same table order
    assert in_order == published
    assert scores["small"] == scores["one"] == published_scores


def test_a_score_is_the_prediction_its_explanation_starts_from(built) -> None:
    # one encoding serves both: the published score is PmtModel.predict's, to the last bits of the summation order
    from dtsen_assets.assets.welfare import SCORE_TABLE
    from dtsen_assets.welfare.registry import model_of_scores
    from dtsen_assets.welfare.scoring import build_family_features, eligible_features_sql, FEATURES_WORK_TABLE, Eligibility

    warehouse, _ = built
    with warehouse.connect() as connection:
        model = model_of_scores(connection, ModelStore().directory(warehouse.database_file), SCORE_TABLE)
        build_family_features(connection)
        try:
            features = connection.execute(eligible_features_sql("welfare.belum_terdata", Eligibility())).df()
        finally:
            connection.execute(f"DROP TABLE {FEATURES_WORK_TABLE}")
        published = connection.execute(f"SELECT family_id, pengeluaran_kapita_pmt FROM {SCORE_TABLE}").df()
    predicted = pd.Series(model.predict_consumption(features), index=features["unit_id"])
    assert len(published) == len(features) > 100
    np.testing.assert_allclose(published["pengeluaran_kapita_pmt"].to_numpy(),
                               predicted.loc[published["family_id"]].to_numpy(), rtol=1e-12)
