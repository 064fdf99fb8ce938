#!/usr/bin/env bash
# Sets up, generates the demo drop if absent, and runs the dtsen_build job on it.
#   DTSEN_SOURCE_DIR   the drop to build from      (default data/drops/demo, generated if absent)
#   DTSEN_DUCKDB_PATH  the warehouse file to build  (default data/warehouse.duckdb)
#   DTSEN_DEMO_PERSONS size of a generated demo drop (default 50000)
set -euo pipefail
source "$(dirname "$0")/env.sh"

if [ ! -d "$DTSEN_SOURCE_DIR/dukcapil" ]; then
  echo "Generating the demo drop in $DTSEN_SOURCE_DIR ..."
  .venv/bin/python -m dtsen_assets.synth --persons "${DTSEN_DEMO_PERSONS:-50000}" --seed 2026 --out "$DTSEN_SOURCE_DIR"
fi

# The contract's command; Dagster warns on every use that `dg launch` supersedes it (a library notice, not ours).
PYTHONWARNINGS="ignore:Function \`job_execute_command\` is superseded" \
  .venv/bin/dagster job execute -m dtsen_assets.definitions -j dtsen_build
.venv/bin/python -m dtsen_assets.summary
