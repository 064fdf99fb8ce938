#!/usr/bin/env bash
# Sets up and runs the test suite (the command CI runs). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Two workers (the machine has 2 cores); a test module stays on one worker, since its tests share
# a built warehouse. `scripts/test.sh -m slow` runs the slow whole-build tests instead.
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
