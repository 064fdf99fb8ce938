"""Name tokens and agreement (sql/unify/name_macros.sql) and the model's comparison levels."""

from __future__ import annotations

import contextlib

import duckdb
import pytest

from dtsen_assets.unify import model, splink_runner
from dtsen_assets.platform.sql import render


@pytest.fixture(scope="module")
def connection():
    with duckdb.connect() as c:
        c.execute(render("unify/name_macros"))
        yield c


@pytest.mark.parametrize(("name", "tokens"), [
    ("H. Moch. Rizki Nashiruddin BIN AHMAD, S.PD", ["MUHAMMAD", "RIZKI", "NASHIRUDDIN"]),
    ("HJ SITI AMINAH, S.E.", ["SITI", "AMINAH"]),
    ("DRS. ABD. KADIR S.PD", ["ABDUL", "KADIR"]),
    ("MOCHAMMAD ARIF", ["MUHAMMAD", "ARIF"]),
    ("siti a.", ["SITI", "A"]),
    ("BINTANG", ["BINTANG"]),            # a name, not BIN
    ("BIN LADEN", ["BIN", "LADEN"]),     # BIN only cuts from the second word on
    ("H ALI", ["H", "ALI"]),             # "H" without a dot may be an initial
    (None, []),
])
def test_name_tokens(connection, name: str | None, tokens: list[str]) -> None:
    assert connection.execute("SELECT unify_name_tokens(?)", [name]).fetchone()[0] == tokens


def _score(connection, a: str, b: str) -> float:
    return connection.execute("""
        WITH t AS (SELECT unify_name_tokens(?) AS a, unify_name_tokens(?) AS b)
        SELECT unify_name_score(
            nullif(array_to_string(a, ' '), ''), array_to_string(list_sort(a), ' '), list_filter(a, lambda x: length(x) > 1),
            list_filter(a, lambda x: length(x) = 1), list_transform(a, lambda x: x[1]),
            nullif(array_to_string(b, ' '), ''), array_to_string(list_sort(b), ' '), list_filter(b, lambda x: length(x) > 1),
            list_filter(b, lambda x: length(x) = 1), list_transform(b, lambda x: x[1])) FROM t""", [a, b]).fetchone()[0]


def test_name_score(connection) -> None:
    assert _score(connection, "ARIF HIDAYAT MOCHAMMAD", "MUHAMMAD ARIF HIDAYAT") == 1.0     # swapped, variant
    assert _score(connection, "SITI AMINAH", "SITI AMINAH RAHAYU") == 0.97                  # missing part
    assert _score(connection, "SITI A.", "SITI AMINAH") == 0.97                             # initial
    assert 0.9 < _score(connection, "ARIF HIDAJAT", "ARIF HIDAYAT") < 0.97                  # typo
    assert _score(connection, "BUDI SANTOSO", "RINA WATI") < 0.6
    assert _score(connection, None, "RINA WATI") is None


def test_model_levels_and_priors_line_up() -> None:
    settings = model.apply_default_parameters(model.settings(1000).create_settings_dict("duckdb"))
    for comparison in settings["comparisons"]:
        levels = comparison["comparison_levels"]
        assert levels[0].get("is_null_level") and levels[-1]["sql_condition"] == "ELSE"
        for level in levels[1:]:
            assert 0 < level["m_probability"] <= 1 and 0 < level["u_probability"] <= 1
        gamma = splink_runner.gamma_sql(comparison)
        assert gamma.startswith("CASE WHEN") and "THEN -1" in gamma and gamma.endswith("ELSE 0 END")
    rows = splink_runner.model_parameters(settings)
    exact_nik = next(r for r in rows if r["comparison"] == "nik" and r["level"] == "exact")
    assert exact_nik["match_weight"] > 15


def test_one_edit_nik_level(connection) -> None:
    level = model.NIK_ONE_EDIT_SQL.replace("nik_digits_l", "a").replace("nik_digits_r", "b")
    cases = {
        ("3204101203780001", "3204101203780001"): True,
        ("3204101203780001", "3204101203780007"): True,    # a digit replaced
        ("3204101203780001", "3204101203780010"): True,    # neighbours swapped
        ("3204101203780001", "320410120378001"): True,     # a digit lost
        ("3204101203780001", "32041012037800001"): True,   # a digit doubled
        ("3204101203780001", "3204101203780099"): False,   # two digits replaced
    }
    for (a, b), expected in cases.items():
        assert connection.execute(f"SELECT {level} FROM (SELECT ? AS a, ? AS b)", [a, b]).fetchone()[0] is expected


def test_nik_piece_test_never_changes_a_level(connection) -> None:
    """The shared-piece test before the edit distances only spares work: on NIKs one, two and three
    edits apart (each kind of edit, anywhere), and of other lengths, every pair gets the level the
    edit distances alone give."""
    comparison = next(c for c in model.comparisons() if c["output_column_name"] == "nik")
    with_test = splink_runner.gamma_sql(comparison)
    without = with_test.replace(f"{model.NIK_PIECE_SHARED_SQL} AND ", "")
    assert without != with_test
    connection.execute("""
        CREATE TEMP TABLE nik_pair AS
        WITH nik AS (SELECT lpad((hash(i) % 10000000000000000)::VARCHAR, 16, '1') AS n, i FROM range(4000) t(i)),
        edit AS (SELECT i, n, (hash(i * 7) % 16)::INTEGER + 1 AS p, (hash(i * 13) % 16)::INTEGER + 1 AS q,
                     (hash(i * 31) % 16)::INTEGER + 1 AS r FROM nik),
        one AS (SELECT n, overlay(n PLACING '7' FROM p FOR 1) AS m FROM edit          -- a digit replaced
                UNION ALL SELECT n, n[:p - 1] || n[p + 1:] FROM edit                  -- lost
                UNION ALL SELECT n, n[:p] || n[p:] FROM edit                          -- doubled
                UNION ALL SELECT n, n[:p - 1] || n[p + 1:p + 1] || n[p:p] || n[p + 2:] FROM edit)  -- swapped
        SELECT n AS nik_digits_l, m AS nik_digits_r FROM one
        UNION ALL SELECT n, overlay(m PLACING '3' FROM q FOR 1) FROM one JOIN edit USING (n)           -- two edits
        UNION ALL SELECT n, overlay(overlay(m PLACING '3' FROM q FOR 1) PLACING '0' FROM r FOR 1)
                  FROM one JOIN edit USING (n)                                                          -- three
        UNION ALL SELECT a.n, b.n FROM nik a JOIN nik b ON b.i = (a.i + 1) % 4000                      -- others
        UNION ALL SELECT n[:11], n[:12] || '9' FROM nik                                                 -- short
        UNION ALL SELECT '12', '21' UNION ALL SELECT '1', '11'
    """)
    levels = connection.execute(f"""
        SELECT {with_test} AS tested, {without} AS plain, count(*) FROM nik_pair GROUP BY ALL ORDER BY ALL""").fetchall()
    assert all(tested == plain for tested, plain, _ in levels), levels
    assert {plain for _, plain, _ in levels} == {0, 1, 2, 3}      # every level is reached


def test_em_runs_on_one_duckdb_thread(monkeypatch) -> None:
    """EM's sums must add up in one order (on two threads a 1M drop gave 1e-17 different m and so
    different match weights on every run): every EM session sees one thread, the count comes back."""
    seen: list[int] = []

    class FakeTraining:
        def estimate_parameters_using_expectation_maximisation(self, rule, **kwargs):
            seen.append(int(connection.execute("SELECT current_setting('threads')").fetchall()[0][0]))

    class FakeLinker:
        def __init__(self, inputs, settings, **kwargs):
            self.training, self._settings = FakeTraining(), settings
            self.misc = type("Misc", (), {"save_model_to_json": lambda _: settings})()

    class FakeApi:
        def register(self, *args, **kwargs):
            return args[0]

    @contextlib.contextmanager
    def fake_api(connection, work):
        yield FakeApi()

    monkeypatch.setattr(splink_runner, "Linker", FakeLinker)
    monkeypatch.setattr(splink_runner, "splink_api", fake_api)
    monkeypatch.setattr(splink_runner, "_register_term_frequencies", lambda api, linker, prefix="": None)
    monkeypatch.setattr(splink_runner, "estimate_u", lambda *args: None)
    monkeypatch.setattr(splink_runner, "_order_training_inputs", lambda *args: None)
    monkeypatch.setattr(splink_runner, "count_rows", lambda *args: 10_000)
    with duckdb.connect() as connection:
        connection.execute("SET threads = 2")
        splink_runner.train(connection, "main", dukcapil_rows=1_000, u_max_pairs=1e4, seed=42,
                            min_training_records=10)
        assert seen == [1] * len(model.TRAINING_RULES)
        assert connection.execute("SELECT current_setting('threads')").fetchall()[0][0] == 2
