"""The staging tables carry the vocabulary's variables, in its order (platform/vocabulary.py)."""

from __future__ import annotations

import duckdb

from dtsen_assets.contract import SOURCE_FILES_BY_KEY
from dtsen_assets.platform.vocabulary import COMPOSITION, HEAD_CATEGORICAL, WELFARE_VARIABLES, source_column
from dtsen_assets.staging.family import build_family_record
from dtsen_assets.staging.susenas import build_susenas_household
from dtsen_assets.welfare.variables import DESCRIPTION, MODEL_VARIABLES
from tests.staging.raw import row, write_tiny_raw


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in connection.execute(f"DESCRIBE {table}").fetchall()]


def _in_order(columns: list[str], variables: tuple[str, ...]) -> bool:
    start = columns.index(variables[0])
    return tuple(columns[start:start + len(variables)]) == variables


def test_family_tables_carry_the_welfare_variables_in_vocabulary_order(connection) -> None:
    write_tiny_raw(connection, dtks_keluarga=[row("dtks_keluarga")], p3ke_keluarga=[row("p3ke_keluarga")],
                   regsosek_keluarga=[row("regsosek_keluarga", LUAS_LAHAN="12", TERNAK_KUDA="x")],
                   susenas_rumah_tangga=[row("susenas_rumah_tangga", 0, ART_LANSIA="y")])
    build_family_record(connection)
    build_susenas_household(connection)
    family = _columns(connection, "staging.family_record")
    susenas = _columns(connection, "staging.susenas_household")
    assert _in_order(family, WELFARE_VARIABLES)
    assert _in_order(susenas, WELFARE_VARIABLES)
    assert _in_order(susenas, COMPOSITION)
    assert set(HEAD_CATEGORICAL) <= set(susenas)
    # the generated number checks name the variable they found wrong
    problems = {p for (ps,) in connection.execute("SELECT problems FROM staging.family_record").fetchall() for p in ps}
    assert any(p.endswith("ternak_kuda") for p in problems), problems
    problems = {p for (ps,) in connection.execute("SELECT problems FROM staging.susenas_household").fetchall()
                for p in ps}
    assert any(p.endswith("art_lansia") for p in problems), problems


def test_source_files_name_the_welfare_variables_in_upper_case() -> None:
    for key in ("regsosek_keluarga", "susenas_rumah_tangga"):
        columns = SOURCE_FILES_BY_KEY[key].columns
        assert [c for c in columns if c.lower() in WELFARE_VARIABLES] == [source_column(v) for v in WELFARE_VARIABLES]


def test_every_model_variable_has_a_description() -> None:
    assert set(DESCRIPTION) == {"kode_kab", *MODEL_VARIABLES}
