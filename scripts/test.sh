#!/usr/bin/env bash
# Installs, lints (ruff) and runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
