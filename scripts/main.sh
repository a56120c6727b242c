#!/usr/bin/env bash
# The main job on its embedded default: installs, then runs the quick
# synthetic gradient study (paper §6.1; about 3 minutes with the install on
# 2 quiet CPU cores) and
# prints where its report is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
.venv/bin/python -m tfp_gengs.experiments.synthetic --quick \
  --output_dir="${1:-runs/synthetic_quick}"
