"""DTSEN as Dagster software-defined assets on DuckDB."""
