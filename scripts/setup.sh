#!/usr/bin/env bash
# Creates .venv with the pinned dependency set (requirements.lock) and the project, editable.
# Idempotent: re-running only installs what changed. Needs python3 (3.11 or 3.12) and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# uv resolves and installs the locked set in seconds; pip would take minutes.
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
.venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements.lock
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .

# A persistent Dagster instance for the CLI runs and the UI, with telemetry off (no network).
mkdir -p .dagster_home
if [ ! -f .dagster_home/dagster.yaml ]; then
  printf 'telemetry:\n  enabled: false\n' > .dagster_home/dagster.yaml
fi
