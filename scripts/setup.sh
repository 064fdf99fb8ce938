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
# Bytecode compiled once here: neither uv nor an environment with PYTHONDONTWRITEBYTECODE=1 writes
# it, and then every run, test worker and webserver compiles Dagster, GX and pandas from source on
# start (about 13 s of a 23 s import of the Definitions measured on this machine). compileall skips
# what is up to date, so a re-run costs a few seconds.
.venv/bin/python -m compileall -q -j 0 .venv/lib/python*/site-packages dtsen_assets >/dev/null \
  || echo "setup: some files did not compile to bytecode; they are compiled on import instead" >&2

# A persistent Dagster instance for the CLI runs and the UI: telemetry off (no network); Splink's
# own log lines (EM training, unobserved levels) go to the run's event log instead of bare stderr.
# Run monitoring (done by the daemon that scripts/ui.sh starts): the default run launcher cannot see
# whether a run's process died, so a run killed mid-way (kill -9, a closed terminal) is marked failed
# once it has been STARTED longer than max_runtime_seconds; a run stuck STARTING after 3 minutes too.
mkdir -p .dagster_home
cat > .dagster_home/dagster.yaml <<'YAML'
telemetry:
  enabled: false
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_runtime_seconds: 43200
  poll_interval_seconds: 120
python_logs:
  managed_python_loggers:
    - splink
  python_log_level: INFO
YAML
# Dagster's SQLite event log with its connections kept open (dtsen_assets/platform/event_log.py):
# the same files and tables, about 4 ms less per event (a build writes ~900).
.venv/bin/python -m dtsen_assets.platform.event_log .dagster_home >> .dagster_home/dagster.yaml

# The browser tests (tests/ui, and the Dinas Sosial report's test) drive Debian's headless Chromium
# through Playwright (Playwright's own browser download cannot work offline). Installed when missing,
# and only as root with apt-get available.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1) \
    || echo "setup: could not install chromium; the browser tests will be skipped" >&2
fi
