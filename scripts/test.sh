#!/usr/bin/env bash
# Sets up and runs the test suite (the command CI runs). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The Kubernetes configuration in deploy/cluster/ is validated by tests/test_cluster_config.py, which
# needs the extra [cluster] (dagster-k8s): installed here for the tests, pinned to agree with
# requirements.lock; the main job's setup does not need it.
.venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements-cluster.lock
# Two workers (the machine has 2 cores); a test module stays on one worker, since its tests share
# a built warehouse. `scripts/test.sh -m slow` runs the slow whole-build tests instead.
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
