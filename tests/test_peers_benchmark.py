"""CI-sized smoke run of benchmarks/peers.py: it runs, and every
implementation samples the same distribution (no timing assertions)."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PEERS_PYTHON = ROOT / '.venv-peers' / 'bin' / 'python'
OURS = ['tfp_gengs (tf.function)', 'tfp_gengs (XLA)',
        'plain TFP GS + matvec (tf.function)']
PEERS = ['torch F.gumbel_softmax + matmul',
         'relaxit GeneralizedGumbelSoftmax',
         'pyRDDLGym-jax GumbelSoftmaxPoisson (jit)']


def run_smoke(tmp_path, implementations):
  output = tmp_path / 'peers.md'
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
  result = subprocess.run(
      [sys.executable, '-m', 'benchmarks.peers', '--rounds=1', '--calls=1',
       '--shapes=20x5x10', '--moment_samples=40000',
       f'--implementations={",".join(implementations)}',
       f'--peers_python={PEERS_PYTHON}', f'--output={output}'],
      cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  return output.read_text()


def agreement_rows(report):
  rows = re.findall(r'^\| (10|50) \| (.+?) \| ([\d.]+) \| ([\d.]+) \| '
                    r'([-+][\d.]+) \| ([\d.]+) \| (yes|no) \|$', report,
                    flags=re.MULTILINE)
  return {(int(n), name): agrees for n, name, *_, agrees in rows}


def test_ours_and_plain_tfp_agree_in_distribution(tmp_path):
  report = run_smoke(tmp_path, OURS)
  rows = agreement_rows(report)
  assert len(rows) == 2 * len(OURS)
  assert all(agrees == 'yes' for agrees in rows.values()), rows
  assert '| 20x5x10 |' in report


@pytest.mark.skipif(not PEERS_PYTHON.exists(),
                    reason='no .venv-peers: run scripts/setup_peers.sh '
                           '(CI does) to smoke-test the peers')
def test_peers_agree_in_distribution(tmp_path):
  report = run_smoke(tmp_path, OURS[:1] + OURS[2:] + PEERS)
  rows = agreement_rows(report)
  assert {name for _, name in rows} == set(OURS[:1] + OURS[2:] + PEERS)
  assert all(agrees == 'yes' for agrees in rows.values()), rows
