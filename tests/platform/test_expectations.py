"""The expectations evaluated in DuckDB mean what Great Expectations means by them.

GX's own pandas engine is the oracle: on hand-written tricky values (from sources.md: Excel numbers,
spaces, NBSP, apostrophes, empty cells, letters) both must count the same rows and reject the same
lines, except where the DuckDB side is documented as stricter (ASCII digits only, `$` at the very
end, NaN outside every range).
"""

from __future__ import annotations

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import pytest
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from dtsen_assets.checks.expectations import validate_table

TEXT_VALUES = [
    "3204010101010001", "3204 010101010001", "3204010101010001 ", " 3204010101010001", "320401010101000",
    "3.20401E+15", "'3204010101010001", "3204\u00a0010101010001", "32040101010100O1", None, "", "-",
    "3204.01.01.0001", "3204010101", "32.04.01.0001", "A", "AB", "A B", " A", "A\tB", "1990-01-31", "31-01-1990",
]
# where DuckDB (RE2) is stricter than Python's re: a Unicode digit, a trailing newline
STRICTER_VALUES = ["\u0663\u0662\u0660\u0664010101010001", "3204010101010001\n"]
NUMBERS = [1.0, 0.5, 2.0e10, 15000.0, -3.0, None, 1e10, 0.99999]

TEXT_EXPECTATIONS = [
    gxe.ExpectColumnValuesToNotBeNull(column="v"),
    gxe.ExpectColumnValuesToMatchRegex(column="v", regex=r"^\d{16}$", mostly=0.8),
    gxe.ExpectColumnValuesToMatchRegex(column="v", regex=r"^\S(?:.*\S)?$"),
    gxe.ExpectColumnValuesToMatchRegex(column="v", regex=r"^(?:\d{10}|\d{2}\.\d{2}\.\d{2}\.\d{4})$", mostly=0.95),
    gxe.ExpectColumnValuesToMatchRegex(column="v", regex=r"^\d{1,4}-\d{2}-\d{2,4}$", mostly=0.1),
    gxe.ExpectColumnValuesToBeInSet(column="v", value_set=["A", "AB", "-"]),
]
NUMBER_EXPECTATIONS = [
    gxe.ExpectColumnValuesToNotBeNull(column="x"),
    gxe.ExpectColumnValuesToBeBetween(column="x", min_value=1.0, max_value=1e10),
    gxe.ExpectColumnValuesToBeBetween(column="x", min_value=1.0, strict_min=True),
]


def _gx_oracle(frame: pd.DataFrame, expectations) -> list[tuple[int, int, list[int]]]:
    """(counted, unexpected, lines) per expectation, by GX's pandas engine."""
    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(), analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False)))
    suite = context.suites.add(gx.ExpectationSuite(name="oracle"))
    ids = [suite.add_expectation(e.copy()).id for e in expectations]
    batch = context.data_sources.add_pandas("p").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
    validation = context.validation_definitions.add(gx.ValidationDefinition(data=batch, suite=suite, name="oracle"))
    result = validation.run(batch_parameters={"dataframe": frame}, result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": ["_line_number"]})
    by_id = {r.expectation_config.id: r for r in result.results}
    figures = []
    for expectation, expectation_id in zip(expectations, ids):
        details = by_id[expectation_id].result
        counted = details["element_count"]
        if not isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull):
            counted -= details.get("missing_count", 0)
        lines = sorted(int(row["_line_number"]) for row in details.get("unexpected_index_list") or [])
        figures.append((counted, details["unexpected_count"], lines))
    return figures


def _duckdb(frame: pd.DataFrame, expectations, column_type: str):
    connection = duckdb.connect()
    column = frame.columns[1]
    connection.execute(f"CREATE TABLE t (_line_number BIGINT, {column} {column_type})")
    connection.executemany("INSERT INTO t VALUES (?, ?)", frame.astype(object).where(frame.notna(), None).values.tolist())
    return validate_table(connection, "t", expectations, max_examples=100)


def _frame(column: str, values: list) -> pd.DataFrame:
    return pd.DataFrame({"_line_number": range(2, len(values) + 2), column: values})


@pytest.mark.parametrize("index", range(len(TEXT_EXPECTATIONS)))
def test_text_expectations_agree_with_gx(index):
    frame = _frame("v", TEXT_VALUES)
    expected = _gx_oracle(frame, [TEXT_EXPECTATIONS[index]])[0]
    outcome = _duckdb(frame, [TEXT_EXPECTATIONS[index]], "VARCHAR")[0]
    assert (outcome.element_count, outcome.unexpected_count, outcome.example_lines) == expected
    assert outcome.unexpected_count > 0, "each case must reject something, or it tests nothing"


def test_numeric_expectations_agree_with_gx():
    frame = _frame("x", NUMBERS)
    expected = _gx_oracle(frame, NUMBER_EXPECTATIONS)
    outcomes = _duckdb(frame, NUMBER_EXPECTATIONS, "DOUBLE")
    assert [(o.element_count, o.unexpected_count, o.example_lines) for o in outcomes] == expected


def test_duckdb_is_stricter_where_documented():
    frame = _frame("v", STRICTER_VALUES)
    nik = gxe.ExpectColumnValuesToMatchRegex(column="v", regex=r"^\d{16}$")
    assert _gx_oracle(frame, [nik])[0][1] == 0          # Python's re accepts both
    assert _duckdb(frame, [nik], "VARCHAR")[0].unexpected_count == 2
    connection = duckdb.connect()     # NaN is a value in DuckDB (pandas would call it missing)
    connection.execute("CREATE TABLE t AS SELECT * FROM (VALUES (2, 'NaN'::DOUBLE), (3, 5.0)) v(_line_number, x)")
    nan = validate_table(connection, "t", [NUMBER_EXPECTATIONS[1]])[0]
    assert (nan.element_count, nan.unexpected_count, nan.example_lines) == (2, 1, [2])


def test_mostly_table_level_and_examples():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t AS SELECT range + 2 AS _line_number, "
                       "CASE WHEN range % 10 = 0 THEN 'x' ELSE '3204010101010001' END AS NIK FROM range(1000)")
    table_ok, format_80, format_95 = validate_table(connection, "t", [
        gxe.ExpectTableColumnsToMatchSet(column_set=["NIK"], exact_match=False),
        gxe.ExpectColumnValuesToMatchRegex(column="NIK", regex=r"^\d{16}$", mostly=0.8),
        gxe.ExpectColumnValuesToMatchRegex(column="NIK", regex=r"^\d{16}$", mostly=0.95),
    ])
    assert table_ok.success and format_80.success and not format_95.success
    assert format_95.unexpected_count == 100 and format_95.example_lines == [2, 12, 22, 32, 42]
    missing = validate_table(connection, "t", [gxe.ExpectTableColumnsToMatchSet(column_set=["NIK", "NO_KK"])])[0]
    assert not missing.success
    with pytest.raises(NotImplementedError):
        validate_table(connection, "t", [gxe.ExpectColumnValuesToBeUnique(column="NIK")])
