#!/usr/bin/env bash
# Create .venv and install rolefit with its test tools. Idempotent; safe to re-run.
# Usage: scripts/setup.sh [test]   (test: also Debian's chromium for the browser test, see
# scripts/install-browser.sh; this is what CI and the README's test command run)
# CPU torch goes in first: anything that pulls torch unpinned would fetch GBs of CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -e '.[test]'
if [ "${1:-}" = "test" ]; then
  ./scripts/install-browser.sh
fi
