"""Staging: each source in the canonical vocabulary, every problem named (docs/internal_tables.md).

Plain functions that run the named SQL of `dtsen_assets/sql/staging/` on a DuckDB connection;
the assets in `dtsen_assets.assets.staging` call them inside write-audit-publish.
"""
