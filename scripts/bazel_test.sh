#!/usr/bin/env bash
# Runs the Bazel test targets offline with the project's .venv interpreter
# (needs Debian's bazel-bootstrap: apt-get install -y bazel-bootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
export PATH="$PWD/.venv/bin:$PATH"
offline="$PWD/third_party/bazel_offline"
overrides=()
for repo in rules_cc rules_java rules_proto rules_python remote_coverage_tools; do
  overrides+=("--override_repository=$repo=$offline/$repo")
done
bazel test "${overrides[@]}" --action_env=PATH --test_env=PATH \
  --test_env=TF_CPP_MIN_LOG_LEVEL=3 --test_env=TF_ENABLE_ONEDNN_OPTS=0 \
  --test_env=HOME "${@:-//...}"
