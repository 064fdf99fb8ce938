# Sourced by demo.sh and ui.sh: set up .venv and the environment both use (the drop, the warehouse,
# the Dagster instance), from the repository's root.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
export DTSEN_SOURCE_DIR="${DTSEN_SOURCE_DIR:-data/drops/demo}"
export DTSEN_DUCKDB_PATH="${DTSEN_DUCKDB_PATH:-data/warehouse.duckdb}"
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
