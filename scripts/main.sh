#!/usr/bin/env bash
# The main job on its embedded default: installs, then runs the quickstart
# (truncated and relaxed Poisson(7), the paper's Figure 1(a)).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
.venv/bin/python -m tfp_gengs.quickstart --output_dir="${1:-runs/quickstart}"
