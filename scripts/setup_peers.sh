#!/usr/bin/env bash
# Creates .venv-peers (PyTorch CPU, relaxit, JAX, pyRDDLGym-jax) for
# benchmarks/peers.py. Separate from .venv: never a dependency of tfp_gengs.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv-peers/bin/python ]; then
  "$PYTHON" -m venv .venv-peers
fi
.venv-peers/bin/python -m pip install --quiet --disable-pip-version-check \
  -r benchmarks/requirements-peers.txt
