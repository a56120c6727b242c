"""`experiments.vae.generalization`: a finished run reloaded and scored on
each split repeats the run's own test numbers."""

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from tfp_gengs.experiments import vae
from tfp_gengs.experiments.common import distribute
from tfp_gengs.experiments.common import epoch_loop
from tfp_gengs.experiments.vae import generalization
from tfp_gengs.experiments.vae import input_pipeline
from tfp_gengs.experiments.vae import train as vae_train
import vae_toy  # noqa: E402  (tests/vae_toy.py)


def _quiet(line):
  del line


@pytest.fixture(scope='module')
def finished_run(tmp_path_factory):
  data = vae_toy.toy_data()
  out = tmp_path_factory.mktemp('run')
  # tau_rate 1e-2 over 60 steps: the selected temperature is far below the
  # initial 1, and the relaxed -ELBO must be the one at that temperature.
  config = vae.Config(output_dir=str(out), estimator='gengs_implicit',
                      **dict(vae_toy.TINY, tau_rate=1e-2))
  results = vae.run(config, data=data, log=_quiet)
  return str(out), data, results


def test_reloaded_run_repeats_its_test_numbers(finished_run):
  run_dir, data, results = finished_run
  assert results['test']['temperature'] < 0.7
  trial, saved = generalization.reload(run_dir, data=data)
  assert saved['best_epoch'] == results['best_epoch']
  scores = generalization.split_scores(trial)
  for key in ('neg_elbo_relaxed', 'neg_elbo_hard', 'kl'):
    np.testing.assert_allclose(scores['test'][key][0],
                               results['test'][key][0], rtol=1e-5)
  assert [scores[s]['examples'] for s in generalization.SPLITS] == [
      len(d) for d in data]


def test_reload_without_training_changes_the_numbers(finished_run):
  # Control: an untrained model of the same settings does not repeat them,
  # so the test above checks the reload of the weights.
  run_dir, data, results = finished_run
  trial, _ = generalization.reload(run_dir, data=data)
  untrained = vae_train.Trial(trial.config, data,
                              distribute.make_strategy('default'), _quiet)
  untrained.vae.latent.temperature.assign(trial.vae.latent.temperature)
  trial = untrained
  scores = generalization.split_scores(trial)
  assert abs(scores['test']['neg_elbo_hard'][0] -
             results['test']['neg_elbo_hard'][0]) > 1.


def test_examples_takes_the_first_images_and_the_table_has_the_gap(
    finished_run):
  run_dir, data, results = finished_run
  trial, _ = generalization.reload(run_dir, data=data)
  scores = generalization.split_scores(trial, examples=10)
  assert {scores[s]['examples'] for s in generalization.SPLITS} == {10}
  table = generalization.gap_table([('toy', results, scores)])
  gap = (scores['test']['neg_elbo_hard'][0] -
         scores['train']['neg_elbo_hard'][0])
  assert f'**{gap:.2f}**' in table
  assert f'{results["best_epoch"]}/3' in table


def test_unfinished_run_is_a_clear_error(tmp_path):
  with pytest.raises(FileNotFoundError, match='run_dir.*results.json'):
    generalization.reload(str(tmp_path))


def test_command_line_writes_the_table_with_its_command(tmp_path):
  # A run of --dataset=npz reads its data back from --data_path.
  train, valid, test = vae_toy.toy_data()
  npz = tmp_path / 'toy.npz'
  np.savez(npz, train=train, valid=valid, test=test)
  run_dir = tmp_path / 'run'
  config = vae.Config(output_dir=str(run_dir), estimator='gengs_implicit',
                      **dict(vae_toy.TINY, data_path=str(npz)))
  results = vae.run(config, log=_quiet)
  out = tmp_path / 'gap.md'
  done = subprocess.run(
      [sys.executable, '-m', 'tfp_gengs.experiments.vae.generalization',
       f'--runs={run_dir}', '--examples=20', f'--output={out}'],
      capture_output=True, text=True, timeout=600, check=False)
  assert done.returncode == 0, done.stderr[-2000:]
  text = out.read_text()
  assert (f'--runs={run_dir} --examples=20' in text and
          '`run`: ' in text and results['label'] in text), text
  bad = subprocess.run(
      [sys.executable, '-m', 'tfp_gengs.experiments.vae.generalization',
       f'--runs={run_dir}', '--examples=-1'],
      capture_output=True, text=True, timeout=600, check=False)
  assert bad.returncode != 0 and '--examples' in bad.stderr


def test_dynamic_runs_score_training_images_binarized_once(finished_run):
  # A --dataset=mnist_dynamic run keeps grey training images; they are
  # scored as one fixed Bernoulli draw (the test seed's), i.e. exactly as
  # a static run holding that draw.
  run_dir, data, _ = finished_run
  grey = np.random.default_rng(3).random(data[0].shape).astype(np.float32)
  dynamic, _ = generalization.reload(run_dir, data=data)
  dynamic.config = dataclasses.replace(dynamic.config,
                                       dataset='mnist_dynamic')
  dynamic.train = grey
  static, _ = generalization.reload(run_dir, data=data)
  seed = epoch_loop.seed(epoch_loop.TEST, static.config.seed, 0)
  static.train = input_pipeline.binarize_batch(grey, seed)
  got = generalization.split_scores(dynamic)['train']['neg_elbo_hard']
  want = generalization.split_scores(static)['train']['neg_elbo_hard']
  np.testing.assert_allclose(got, want, rtol=1e-5)
  static.train = grey    # control: grey images scored as they are differ
  assert generalization.split_scores(static)['train']['neg_elbo_hard'][
      0] != pytest.approx(want[0], rel=1e-3)
