"""The one SQL runner: placeholders, statements, parameters, timings, quoting, single values, counts."""

from __future__ import annotations

import duckdb
import pytest

from dtsen_assets.platform import sql
from dtsen_assets.warehouse import RunScopedConnection


def test_render_fills_named_placeholders_and_leaves_sql_braces_alone():
    text = sql.render("staging/name_rules")  # struct literals {'key': ...} and no placeholder
    assert "{'key': word, 'value': problem}" in text
    assert "--" not in text.splitlines()[0]
    with pytest.raises(KeyError, match=r"\{target\}"):
        sql.render("staging/wilayah")
    assert "CREATE OR REPLACE TABLE staging.x__staging AS" in sql.render("staging/wilayah", target="staging.x__staging")
    # names may hold digits after the first letter (p3ke_codes); regex quantifiers are not placeholders
    assert sql._PLACEHOLDER.findall("{p3ke_codes} '[0-9]{16}' '{1,4}' {'k': 1}") == ["p3ke_codes"]


def test_statements_split_by_the_parser_not_by_semicolons_in_strings():
    parts = sql.statements("CREATE TABLE a AS SELECT 'x;\ny' AS v;\nSELECT * FROM a;")
    assert len(parts) == 2
    assert "'x;\ny'" in parts[0]


def test_run_sql_runs_every_statement_with_timings_and_binds_parameters(tmp_path):
    connection = duckdb.connect()
    timings = sql.Timings(per_statement=True)
    connection.execute("CREATE SCHEMA staging")
    csv = tmp_path / "w.csv"
    csv.write_text("kode,nama,tingkat\n11.01,ACEH SELATAN,kabupaten\n11,ACEH,provinsi\n", encoding="utf-8")
    sql.run_sql(connection, "staging/wilayah", [str(csv)], timings=timings, target="staging.wilayah")
    assert sql.count_rows(connection, "staging.wilayah") == 2
    assert sql.count_rows(connection, "staging.wilayah", "tingkat = ?", ["provinsi"]) == 1
    assert sql.scalar(connection, "SELECT kode FROM staging.wilayah WHERE nama = ?", ["ACEH SELATAN"]) == "1101"
    assert sql.scalar(connection, "SELECT 1 WHERE false") is None
    assert set(timings) == {"wilayah", "wilayah#1", "wilayah#1 cpu"}
    # several statements: timed one by one; parameters only bind a single statement
    sql.run_sql(connection, "unify/name_macros", timings=timings)
    assert sum(key.startswith("name_macros#") and not key.endswith("cpu") for key in timings) > 1
    with pytest.raises(ValueError, match="single"):
        sql.run_sql(connection, "unify/name_macros", [1])


def test_run_sql_goes_through_a_run_scoped_connection():
    raw = duckdb.connect()
    raw.execute("CREATE SCHEMA dtsen; CREATE TABLE dtsen.family AS SELECT 1 AS family_id")
    raw.execute("CREATE TABLE dtsen.family__run_abcd1234 AS SELECT * FROM range(3) t(family_id)")
    scoped = RunScopedConnection(raw, "abcd1234", {"dtsen.family": "dtsen.family__run_abcd1234"})
    assert sql.count_rows(scoped, "dtsen.family") == 3
    assert sql.count_rows(raw, "dtsen.family") == 1


def test_quoting():
    assert sql.quote_identifier('my "col"') == '"my ""col"""'
    assert sql.quote_literal("it's") == "'it''s'"
    assert duckdb.connect().execute(f"SELECT {sql.quote_literal(chr(39) * 2)} AS {sql.quote_identifier('a b')}").fetchall() == [("''",)]


def test_single_threaded_holds_one_thread_and_gives_the_count_back_even_on_error():
    with duckdb.connect() as connection:
        connection.execute("SET threads = 3")
        cursor = connection.cursor()     # the setting is the database's: a cursor sees it too
        with sql.single_threaded(connection):
            assert sql.scalar(cursor, "SELECT current_setting('threads')") == 1
        assert sql.scalar(connection, "SELECT current_setting('threads')") == 3
        with pytest.raises(ZeroDivisionError), sql.single_threaded(connection):
            1 / 0
        assert sql.scalar(connection, "SELECT current_setting('threads')") == 3
