#!/usr/bin/env bash
# Creates .venv (if missing) and installs the pinned dependencies into it.
# Idempotent: a second run only checks that the pins are satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -r requirements.txt -r requirements-dev.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  --no-deps --no-build-isolation -e .
