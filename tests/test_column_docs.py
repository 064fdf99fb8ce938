"""Every column of every published table has a description; the contract tables declare their column lineage."""

from __future__ import annotations

import dagster as dg

from dtsen_assets.column_docs import COLUMN_LINEAGE, column_lineage, describe_column
from dtsen_assets.resources import DuckDBWarehouse
from dtsen_assets.platform.publish import column_schema
from tests.test_dtsen_build import CONTRACT_COLUMNS


def test_every_contract_column_is_described_in_its_own_words() -> None:
    for table, columns in CONTRACT_COLUMNS.items():
        for column in columns:
            description = describe_column(table, column)
            assert description and not description.startswith("See docs"), (table, column)
    assert "survivorship" in describe_column("dtsen.family", "lantai_source")
    assert describe_column("raw.dtks_art", "NIK").startswith("Column NIK of the source file")


def test_column_schema_carries_descriptions(tmp_path) -> None:
    with DuckDBWarehouse(database_path=str(tmp_path / "w.duckdb")).connect() as connection:
        connection.execute("CREATE TABLE welfare.decile (family_id VARCHAR, desil INTEGER, persentil DOUBLE)")
        schema = column_schema(connection, "welfare.decile")
    assert all(c.description for c in schema.columns)
    assert "poorest" in schema.columns[1].description


def test_contract_tables_have_column_lineage_to_assets_of_the_graph() -> None:
    from dtsen_assets.definitions import defs

    keys = defs.resolve_asset_graph().get_all_asset_keys()
    for table in ("dtsen.person", "dtsen.family", "welfare.pmt_score", "welfare.decile"):
        lineage = column_lineage(table)
        assert isinstance(lineage, dg.TableColumnLineage) and lineage.deps_by_column, table
    for columns in COLUMN_LINEAGE.values():
        for deps in columns.values():
            assert {d.asset_key for d in deps} <= keys
