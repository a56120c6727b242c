#!/usr/bin/env bash
# Installs the oldest supported dependency set (requirements-oldest.txt)
# into .venv-oldest and runs the core tests there: the distributions, the
# KL, the windows, the estimators at their edges, the sample gradients and
# the Keras layer contract. The README's test command covers the newest set.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv-oldest/bin/python ]; then
  "$PYTHON" -m venv .venv-oldest
fi
.venv-oldest/bin/python -m pip install --quiet --disable-pip-version-check \
  -r requirements-oldest.txt
.venv-oldest/bin/python -m pip install --quiet --disable-pip-version-check \
  --no-deps --no-build-isolation -e .
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
.venv-oldest/bin/python -c 'import tensorflow as tf, keras, tensorflow_probability as tfp; print("oldest set: TensorFlow", tf.__version__, "TFP", tfp.__version__, "Keras", keras.__version__)'
.venv-oldest/bin/python -m pytest -p no:cacheprovider \
  tests/test_truncated_log_pmf.py tests/test_kl_and_validation.py \
  tests/test_distributions.py tests/test_windows.py \
  tests/test_estimator_edges.py tests/test_sample_gradients.py \
  tests/test_layers.py tests/test_layer_gradients.py "$@"
