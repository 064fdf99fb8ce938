"""Population-weighted cut points: desil hold tenths of people, not of families."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from dtsen_assets.checks.welfare import decile_outcomes
from dtsen_assets.welfare.deciles import stage_cut_points, stage_decile
from dtsen_assets.welfare.metrics import desil_of, midrank_persentil, targeting_errors


def decile_table(scores: list[float], members: list[int]) -> pd.DataFrame:
    connection = duckdb.connect()
    ids = [f"K{i:05d}" for i in range(len(scores))]
    connection.register("s", pd.DataFrame({"family_id": ids, "pengeluaran_kapita_pmt": scores, "model_version": "t"}))
    connection.register("f", pd.DataFrame({"family_id": ids, "jumlah_art": members}))
    connection.execute("CREATE TABLE scores AS SELECT * FROM s")
    connection.execute("CREATE TABLE families AS SELECT * FROM f")
    stage_decile(connection, "scores", "families", "decile")
    return connection.execute("SELECT * FROM decile ORDER BY family_id").df()


def test_persons_not_families_fill_the_desil() -> None:
    # 5 poor families of 6 persons and 30 richer single persons: 60 persons in all.
    scores = [100.0 + i for i in range(5)] + [1000.0 + i for i in range(30)]
    members = [6] * 5 + [1] * 30
    table = decile_table(scores, members)
    # the poorest family holds persons 1-6 of 60: persentil of its middle = 5%, desil 1
    assert table.loc[0, "persentil"] == pytest.approx(5.0)
    assert table["desil"].tolist()[:5] == [1, 2, 3, 4, 5]
    # the 30 singles share the top half: 3 per desil 6..10
    assert table["desil"].iloc[5:].value_counts().sort_index().to_dict() == {6: 6, 7: 6, 8: 6, 9: 6, 10: 6}
    persons = table.assign(jiwa=members).groupby("desil")["jiwa"].sum()
    assert (persons == 6).all()     # exactly a tenth of people each, though desil 1-5 hold one family each


def test_a_family_straddling_a_cut_goes_where_its_middle_member_falls() -> None:
    # 9 singles, then a family of 3 (persons 10-12 of 20), then 8 singles
    scores = list(range(1, 21))[:18]
    members = [1] * 9 + [3] + [1] * 8
    table = decile_table([float(s) for s in scores], members)
    straddler = table.iloc[9]
    assert straddler["persentil"] == pytest.approx(100 * (9 + 1.5) / 20)    # 52.5
    assert straddler["desil"] == 6
    assert table["persentil"].between(0, 100, inclusive="right").all()
    assert table["persentil"].max() <= 100.0


def test_tied_scores_share_one_persentil_and_desil() -> None:
    scores = [5.0, 5.0, 5.0, 7.0, 9.0]
    members = [2, 2, 2, 2, 2]
    table = decile_table(scores, members)
    assert table["persentil"].iloc[:3].nunique() == 1
    assert table["desil"].iloc[:3].nunique() == 1
    assert table["persentil"].iloc[0] == pytest.approx(30.0)   # 6 tied persons in the middle of 0..6 of 10


def test_sql_and_python_ranking_agree() -> None:
    rng = np.random.default_rng(0)
    scores = np.round(np.exp(13.5 + 0.6 * rng.standard_normal(3000)), -3)   # rounding makes real ties
    members = np.minimum(1 + rng.poisson(2.0, 3000), 12)
    table = decile_table(scores.tolist(), members.tolist())
    np.testing.assert_allclose(table["persentil"], midrank_persentil(scores, members), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(table["desil"], desil_of(midrank_persentil(scores, members)))


def test_each_desil_holds_a_tenth_of_persons_within_half_a_point() -> None:
    rng = np.random.default_rng(1)
    n = 40_000
    scores = np.exp(13.5 + 0.6 * rng.standard_normal(n))
    members = np.minimum(1 + rng.poisson(2.0, n), 12)
    table = decile_table(scores.tolist(), members.tolist())
    shares = 100 * pd.Series(members).groupby(table["desil"].to_numpy()).sum() / members.sum()
    assert shares.index.tolist() == list(range(1, 11))
    assert (shares - 10).abs().max() <= 0.05


def test_the_decile_check_flags_a_population_too_small_to_split() -> None:
    connection = duckdb.connect()
    ids = [f"K{i}" for i in range(6)]
    connection.register("s", pd.DataFrame({"family_id": ids, "pengeluaran_kapita_pmt": [1.0, 2, 3, 4, 5, 6]}))
    connection.register("f", pd.DataFrame({"family_id": ids, "jumlah_art": [12, 1, 1, 1, 1, 1]}))
    connection.execute("CREATE TABLE scores AS SELECT * FROM s")
    connection.execute("CREATE TABLE families AS SELECT * FROM f")
    stage_decile(connection, "scores", "families", "decile")
    outcomes = {o.name: o for o in decile_outcomes(connection, "decile", "scores", "families", tolerance_pp=0.5)}
    assert not outcomes["desil_person_share"].passed
    assert "pp from 10%" in outcomes["desil_person_share"].summary
    assert outcomes["one_desil_per_family"].passed and outcomes["desil_follows_score"].passed
    cut_points = stage_cut_points(connection, "decile", "scores", "families", "cut_points")
    assert cut_points["jumlah_jiwa"].sum() == 17
    assert (cut_points["pengeluaran_kapita_pmt_min"].diff().dropna() > 0).all()


def test_targeting_errors_count_persons() -> None:
    # 4 families; the poorest 40% of persons are families A (3 persons) and B (1 person) of 10 persons
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    members = np.array([3, 1, 3, 3])
    # the model swaps B and C
    predicted = np.array([1.0, 3.0, 2.0, 4.0])
    result = targeting_errors(actual, predicted, members, 0.4)
    # truly poor (persentil <= 40): A (15) and B (35). Selected: A (15) only; C's middle is at 45.
    assert result["poor_persons"] == 4 and result["selected_persons"] == 3
    assert result["exclusion_error"] == pytest.approx(1 / 4)       # B's one person is missed
    assert result["inclusion_error"] == pytest.approx(0.0)
