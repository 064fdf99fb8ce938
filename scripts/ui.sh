#!/usr/bin/env bash
# Opens the Dagster UI (http://127.0.0.1:3000) on the same instance the demo runs used.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DTSEN_SOURCE_DIR="${DTSEN_SOURCE_DIR:-data/drops/demo}"
export DTSEN_DUCKDB_PATH="${DTSEN_DUCKDB_PATH:-data/warehouse.duckdb}"
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
exec .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${DAGSTER_PORT:-3000}"
