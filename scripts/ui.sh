#!/usr/bin/env bash
# Opens the Dagster UI (http://127.0.0.1:3000) on the same instance the demo runs used.
set -euo pipefail
source "$(dirname "$0")/env.sh"
exec .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${DAGSTER_PORT:-3000}"
