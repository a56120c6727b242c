"""Tests of the VAE study (`tfp_gengs.experiments.vae`) on generated data.

Tiny runs (a 64-pixel toy data set of noisy prototypes, 3 latent
dimensions, one hidden layer of 16 units) train for 3 epochs of 20 steps;
the evaluation is checked against exact enumeration of a model with d = 2
latents of n = 4 outcomes (16 configurations). Nothing here reads the real
data sets.
"""

import dataclasses
import itertools
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfp_gengs.experiments.common import checkpointing
from tfp_gengs.experiments.common import runner
from tfp_gengs.experiments import vae
from tfp_gengs.experiments.vae import evaluation as vae_evaluation
from tfp_gengs.experiments.vae import models as vae_model
import vae_toy  # noqa: E402  (tests/vae_toy.py)
from float_tolerance import RESUME_RTOL  # noqa: E402

PIXELS, TINY, _toy_data = vae_toy.PIXELS, vae_toy.TINY, vae_toy.toy_data
FILES = ('results.json', 'summary.md', 'curves.png', 'reconstructions.png',
         'latent_histograms.png', os.path.join('checkpoints', 'state.json'),
         os.path.join('checkpoints', 'best.index'))


@pytest.fixture(scope='module')
def data():
  return _toy_data()


def _independent_pixels_nll(data):
  """Validation -log p(x) of independent Bernoulli pixels (train means)."""
  p = np.clip(data[0].mean(0), 1e-6, 1. - 1e-6)
  x = data[1]
  return -np.mean(np.sum(x * np.log(p) + (1. - x) * np.log1p(-p), axis=1))


def _quiet(line):
  del line


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory, data):
  """`tiny_run(estimator, **overrides)`: the results of an uninterrupted
  tiny run (cached per estimator for the tests of this module)."""
  cache = {}

  def get(estimator):
    if estimator not in cache:
      folder = tmp_path_factory.mktemp(estimator.replace('*', 'star'))
      config = vae.Config(output_dir=str(folder), estimator=estimator,
                          **TINY)
      cache[estimator] = (folder, vae.run(config, data=data, log=_quiet))
    return cache[estimator]

  return get


@pytest.mark.parametrize('estimator',
                         ['gengs_implicit', 'gengs_explicit', 'RF*', 'REBAR'])
def test_tiny_run_writes_its_files_and_learns(tiny_run, data, estimator):
  folder, results = tiny_run(estimator)
  for name in FILES:
    assert os.path.exists(folder / name), name
  assert os.listdir(folder / 'tensorboard' / 'train')
  with open(folder / 'results.json') as f:
    saved = json.load(f)
  history = saved['history']
  assert [h['epoch'] for h in history] == [1, 2, 3]
  losses = [h['train_loss'] for h in history]
  assert losses[-1] < 0.9 * losses[0], losses
  valid = [h['valid_neg_elbo_hard'] for h in history]
  assert valid[-1] < valid[0], valid
  if estimator.startswith('gengs'):
    # Below the best model without latents (independent pixels, 37.1 nats
    # on the validation set): the latents carry information.
    assert valid[-1] < _independent_pixels_nll(data) - 2., valid
  test = saved['test']
  for key in ('neg_elbo_relaxed', 'neg_elbo_hard', 'neg_log_likelihood_iw',
              'kl'):
    assert np.isfinite(test[key][0]), key
  assert test['all_hard_latents_are_outcomes']
  assert saved['settings']['estimator'] == estimator
  assert 1 <= saved['best_epoch'] <= 3
  with open(folder / 'summary.md') as f:
    summary = f.read()
  assert f'{test["neg_elbo_hard"][0]:.2f}' in summary
  assert results['test']['neg_elbo_hard'] == test['neg_elbo_hard']


@pytest.mark.parametrize('estimator', ['gengs_implicit', 'NVIL'])
def test_resume_after_interruption_reproduces_the_run(tmp_path, data,
                                                      tiny_run, estimator):
  _, full = tiny_run(estimator)
  config = vae.Config(output_dir=str(tmp_path), estimator=estimator,
                      stop_after_steps=45, **TINY)   # killed in epoch 3
  with pytest.raises(vae.Interrupted):
    vae.run(config, data=data, log=_quiet)
  with open(tmp_path / 'checkpoints' / 'state.json') as f:
    assert len(json.load(f)['state']['history']) == 2
  # The folder holds a run: starting over without --resume is refused, and
  # so is resuming with other training settings.
  with pytest.raises(ValueError, match='--resume'):
    vae.run(dataclasses.replace(config, stop_after_steps=0), data=data,
            log=_quiet)
  with pytest.raises(ValueError, match='learning_rate'):
    vae.run(dataclasses.replace(config, stop_after_steps=0, resume=True,
                                learning_rate=1e-3), data=data, log=_quiet)
  resumed = vae.run(dataclasses.replace(config, stop_after_steps=0,
                                        resume=True), data=data, log=_quiet)
  np.testing.assert_allclose([h['train_loss'] for h in resumed['history']],
                             [h['train_loss'] for h in full['history']],
                             rtol=RESUME_RTOL)
  for key in ('neg_elbo_relaxed', 'neg_elbo_hard', 'neg_log_likelihood_iw',
              'kl'):
    np.testing.assert_allclose(resumed['test'][key][0], full['test'][key][0],
                               rtol=RESUME_RTOL, err_msg=key)
  assert resumed['best_epoch'] == full['best_epoch']
  assert resumed['sessions'] == 2


def test_resume_skips_a_finished_run(tiny_run, data):
  folder, results = tiny_run('gengs_implicit')
  lines = []
  config = vae.Config(output_dir=str(folder), estimator='gengs_implicit',
                      resume=True, **TINY)
  again = vae.run(config, data=data, log=lines.append)
  assert again == json.loads(json.dumps(again))       # read back, not rerun
  assert again['test'] == json.loads(json.dumps(results['test'], default=(
      lambda a: a.tolist())))
  assert any('not run again' in line for line in lines), lines
  # With other settings (here the evaluation's) it is not skipped.
  assert runner.same_settings(again['settings'], config.resolved())
  assert not runner.same_settings(
      again['settings'], dataclasses.replace(config, iw_samples=3).resolved())


def test_straight_through_fine_tuning_switches_the_layer(tmp_path, data):
  config = vae.Config(output_dir=str(tmp_path), estimator='gengs_explicit',
                      **dict(TINY, epochs=2, st_finetune_epochs=1))
  results = vae.run(config, data=data, log=_quiet)
  assert [h['straight_through'] for h in results['history']] == [False,
                                                                  True]
  assert np.isfinite(results['test']['neg_elbo_hard'][0])


def test_settings_check_on_resume_tolerates_added_and_removed_options():
  saved = dict(learning_rate=1e-3, epochs=10, old_option=1)
  defaults = dict(learning_rate=1e-3, epochs=300, new_option=0)
  changed = checkpointing.changed_settings
  assert not changed(saved, dict(learning_rate=1e-3, epochs=10,
                                 new_option=0), defaults=defaults)
  assert changed(saved, dict(learning_rate=1e-3, epochs=10, new_option=2),
                 defaults=defaults) == ['new_option']
  assert changed(saved, dict(learning_rate=1e-2, epochs=20),
                 ignore=('epochs',)) == ['learning_rate']


# -- evaluation against exact enumeration ------------------------------------


@pytest.fixture(scope='module')
def small_model():
  """d = 2 latents over {0..3} (Poisson(2), tail mass .2), untrained."""
  model, window = vae_model.build_vae(
      'poisson2', 'implicit', latent_dims=2, hidden=(8,), tail_mass=.2,
      data_dim=6, seed=3)
  assert window['num_outcomes'] == 4
  x = (np.random.default_rng(1).random((5, 6)) < .4).astype(np.float32)
  q = model.posterior(x)
  outcomes = model.outcomes.numpy()
  configs = np.array(list(itertools.product(outcomes, repeat=2)),
                     np.float32)                                  # [16, 2]
  z = np.broadcast_to(configs[:, None], (16, len(x), 2))
  log_lik = -model.negative_log_likelihood(x, z).numpy()          # [16, B]
  log_prior = tf.reduce_sum(model.prior().log_prob(z), -1).numpy()
  log_q = tf.reduce_sum(q.log_prob(z), -1).numpy()
  weight = np.exp(log_q)
  np.testing.assert_allclose(weight.sum(0), 1., rtol=1e-5)
  nll = -log_lik
  exact = dict(
      log_px=np.logaddexp.reduce(log_lik + log_prior, axis=0),
      elbo=np.sum(weight * (log_lik + log_prior - log_q), 0),
      nll=np.sum(weight * nll, 0),
      nll_var=np.sum(weight * (nll - np.sum(weight * nll, 0))**2, 0))
  return model, x, exact


def test_the_kl_gradient_follows_the_estimators_gradient_scale(small_model):
  """NVIL normalises its learning signal (`gradient_scale` s): the KL's
  encoder gradient must be scaled alike (value unchanged), or the exact KL
  gradient swamps the normalised reconstruction signal."""
  from tfp_gengs.estimators import base  # pylint: disable=g-import-not-at-top
  from tfp_gengs.experiments.vae import train as vae_training  # pylint: disable=g-import-not-at-top
  model, x, _ = small_model

  class Scaled:
    """Estimates nothing (zero surrogate) with a gradient scale of 1/4."""
    trainable_variables = ()

    def __call__(self, q, loss_fn, seed, context=None):
      zero = tf.zeros([len(x)])
      return base.EstimatorResult(zero, zero, 0., None, tf.constant(.25))

  encoder = model.encoder.trainable_variables
  with tf.GradientTape(persistent=True) as tape:
    objective, reported, _ = vae_training.EstimatorObjective(
        model, Scaled()).loss(x, (1, 2), 2.)
    kl = tf.reduce_mean(tf.reduce_sum(model.kl(model.posterior(x)), -1))
  np.testing.assert_allclose(float(reported), float(kl), rtol=1e-6)
  np.testing.assert_allclose(float(objective), 2. * float(kl), rtol=1e-6)
  for got, plain in zip(tape.gradient(objective, encoder),
                        tape.gradient(kl, encoder)):
    np.testing.assert_allclose(got.numpy(), .25 * 2. * plain.numpy(),
                               rtol=1e-5, atol=1e-7)


def test_hard_evaluation_uses_exact_discrete_latents(small_model):
  model, x, exact = small_model
  q = model.posterior(x)
  relaxed, hard = vae_evaluation.sample_latents(q, 0.5, 200, seed=(4, 2))
  outcomes = model.outcomes.numpy()
  assert np.all(np.isin(hard.numpy(), outcomes))
  assert np.mean(np.isin(relaxed.numpy(), outcomes)) < .01
  # Hard-sample ELBO = E_q[-log p(x|z)] + KL, the discrete model's ELBO.
  samples = 4000
  out = vae_evaluation.Evaluator(model).elbo(x, 0.5, samples, seed=(5, 0))
  se = np.sqrt(exact['nll_var'] / samples)
  assert np.all(np.abs(out['nll_hard'] - exact['nll']) < 5 * se + 1e-4)
  np.testing.assert_allclose(-out['neg_elbo_hard'], exact['elbo'],
                             atol=float(np.max(5 * se)) + 1e-4)
  assert np.all(np.isin(out['hard_sample'], outcomes))
  # The relaxed decoder inputs give another number (so the check above can
  # tell them apart): at tau = 0.5 it misses the discrete expectation.
  assert np.max(np.abs(out['nll_relaxed'] - exact['nll']) / se) > 5


def test_importance_weighted_bound_matches_enumeration(small_model):
  model, x, exact = small_model
  evaluator = vae_evaluation.Evaluator(model)
  assert np.all(exact['log_px'] > exact['elbo'] + 1e-3)
  reps = 400
  x_rep = np.repeat(x, reps, axis=0)            # independent estimates
  for k, low, high in ((1, exact['elbo'], exact['elbo']),
                       (100, exact['elbo'], exact['log_px'])):
    iw = evaluator.importance_weighted(x_rep, k, seed=(6, k)).reshape(
        len(x), reps)
    mean, se = iw.mean(1), iw.std(1) / np.sqrt(reps)
    # k = 1: an unbiased ELBO estimate; k = 100: between ELBO and log p(x).
    assert np.all(mean > low - 5 * se - 1e-4), (k, mean, low)
    assert np.all(mean < high + 5 * se + 1e-4), (k, mean, high)
  iw_100 = iw.mean(1)
  assert np.all(iw_100 - exact['elbo'] > 0.5 * (exact['log_px'] -
                                                exact['elbo']))
  iw_many = evaluator.importance_weighted(x, 20000, seed=(7, 0))
  np.testing.assert_allclose(iw_many, exact['log_px'], atol=0.01)


# -- the command line -------------------------------------------------------


def test_command_line_grid_writes_runs_and_table(tmp_path, data):
  path = tmp_path / 'toy.npz'
  np.savez(path, train=data[0][:100], valid=data[1], test=data[2])
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
  cmd = [sys.executable, '-m', 'tfp_gengs.experiments.vae',
         f'--output_dir={tmp_path / "grid"}', '--dataset=npz',
         f'--data_path={path}', '--estimator=gengs_implicit,RF*',
         '--prior=geometric.5', '--epochs=1', '--latent_dims=2',
         '--hidden=8', '--batch_size=20', '--iw_samples=4',
         '--eval_samples=1', '--figure_examples=2']
  done = subprocess.run(cmd, capture_output=True, text=True, env=env,
                        timeout=300, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  for name in ('npz-geometric.5-gengs_implicit-s0',
               'npz-geometric.5-RFstar-s0'):
    with open(tmp_path / 'grid' / name / 'results.json') as f:
      results = json.load(f)
    assert results['settings']['prior'] == 'geometric.5'
    assert results['window']['high'] == 19
  with open(tmp_path / 'grid' / 'table.md') as f:
    table = f.read()
  assert 'GenGS (Im.)' in table and 'RF*' in table and 'not run' not in table


def test_command_line_without_data_says_where_and_exits_2(tmp_path):
  # Neither --data_dir nor $TFP_GENGS_DATA, and an empty home: the default
  # folder ~/.cache/tfp_gengs is named.
  home = tmp_path / 'home'
  home.mkdir()
  env = {k: v for k, v in os.environ.items() if k != 'TFP_GENGS_DATA'}
  env.update(TF_CPP_MIN_LOG_LEVEL='3', HOME=str(home))
  done = subprocess.run(
      [sys.executable, '-m', 'tfp_gengs.experiments.vae', '--quick',
       f'--output_dir={tmp_path / "out"}'],
      capture_output=True, text=True, env=env, timeout=300, check=False)
  assert done.returncode == 2, done.stderr[-3000:]
  assert 'Traceback' not in done.stderr, done.stderr[-3000:]
  folder = home / '.cache' / 'tfp_gengs'
  assert f'The data folder {folder} (the default' in done.stderr
  assert 'binarized_mnist' in done.stderr
  assert '--data_dir=DIR' in done.stderr
  assert 'export TFP_GENGS_DATA=DIR' in done.stderr


def test_results_record_the_data_folder_not_the_machine_path(
    tmp_path, data, monkeypatch):
  monkeypatch.setenv('TFP_GENGS_DATA', str(tmp_path / 'data'))
  config = vae.Config(output_dir=str(tmp_path / 'run'),
                      data_dir=str(tmp_path / 'data'),
                      **dict(TINY, epochs=1))
  results = vae.run(config, data=data, log=_quiet)
  assert results['settings']['data_dir'] == '$TFP_GENGS_DATA'
  with open(tmp_path / 'run' / 'results.json') as f:
    assert json.load(f)['settings']['data_dir'] == '$TFP_GENGS_DATA'
  # A finished run is recognised whatever the spelling of its data folder
  # (an older run recorded the absolute path).
  saved = dict(results['settings'], data_dir='/some/machine/data')
  assert runner.same_settings(saved, dataclasses.replace(
      config, data_dir=None).resolved())


def test_table_averages_seeds_only_within_one_protocol():
  """Seeds of one protocol are averaged (mean ± std); another schedule or
  number of epochs is its own row, never mixed in."""
  from tfp_gengs.experiments.vae import report as vae_report  # pylint: disable=g-import-not-at-top

  def record(seed, value, epochs=200, tau_min=0.3):
    settings = dict(dataset='mnist', prior='poisson2', seed=seed,
                    estimator='gengs_implicit', epochs=epochs,
                    tau_min=tau_min, tau_rate=2.4e-5, st_finetune_epochs=0,
                    kl_warmup_epochs=0)
    return dict(settings=settings, test=dict(neg_elbo_hard=[value, 0.3]))

  table = vae_report.grid_table([record(0, 100.), record(1, 102.),
                                 record(0, 130., epochs=25),
                                 record(0, 90., tau_min=0.1)])
  rows = [line for line in table.splitlines() if line.startswith('| mnist')]
  assert len(rows) == 3
  both = [r for r in rows if '200 epochs, tau -> 0.3 ' in r]
  assert len(both) == 1
  assert f'101.00 ± {np.std([100., 102.], ddof=1):.2f} (2 seeds)' in both[0]
  assert any('25 epochs' in r and '130.00 (1 seed)' in r for r in rows)
  assert any('tau -> 0.1 ' in r and '90.00 (1 seed)' in r for r in rows)


def test_table_keeps_a_run_with_another_training_setting_apart():
  """A lever run (a smaller window) is its own row, not another seed."""
  from tfp_gengs.experiments.vae import report as vae_report  # pylint: disable=g-import-not-at-top
  defaults = dataclasses.asdict(vae.Config())

  def record(seed, value, **changes):
    settings = dict(defaults, dataset='mnist', seed=seed, epochs=25,
                    tau_min=0.3, tau_rate=1e-4, hidden=[512, 256],
                    inference='implicit', output_dir=f'runs/{seed}')
    settings.update(changes)
    return dict(settings=settings, test=dict(neg_elbo_hard=[value, 0.3]))

  table = vae_report.grid_table(
      [record(0, 100.), record(1, 102.), record(0, 90., tail_mass=1e-3)],
      defaults=defaults)
  rows = [line for line in table.splitlines() if line.startswith('| mnist')]
  assert len(rows) == 2
  assert any('(rate 0.0001) |' in r and '(2 seeds)' in r for r in rows)
  assert any('tail_mass 0.001 |' in r and '90.00 (1 seed)' in r
             for r in rows)


def test_grid_folders_keep_an_explicit_baseline_apart():
  config = vae.Config(dataset='mnist', prior='poisson2', estimator='RF*',
                      seed=1)
  assert vae.run_folder_name(config) == 'mnist-poisson2-RFstar-s1'
  explicit = dataclasses.replace(config, inference='explicit')
  assert vae.run_folder_name(explicit) == 'mnist-poisson2-RFstar-explicit-s1'
  own = dataclasses.replace(config, estimator='gengs_explicit')
  assert vae.run_folder_name(own) == 'mnist-poisson2-gengs_explicit-s1'


def test_table_keeps_a_baselines_explicit_posterior_in_its_own_column():
  from tfp_gengs.experiments.vae import report as vae_report  # pylint: disable=g-import-not-at-top

  def record(estimator, value, inference):
    settings = dict(dataset='mnist', prior='poisson2', seed=0,
                    estimator=estimator, inference=inference, epochs=25,
                    tau_min=0.3, tau_rate=1e-4)
    return dict(settings=settings, test=dict(neg_elbo_hard=[value, 0.3]))

  table = vae_report.grid_table(
      [record('REBAR', 120., 'implicit'), record('REBAR', 130., 'explicit'),
       record('gengs_explicit', 125., 'explicit')])
  header, _, row = table.splitlines()
  columns = [c.strip() for c in header.split('|')[4:-1]]
  assert columns == ['REBAR', 'REBAR (Ex. posterior)', 'GenGS (Ex.)']
  cells = [c.strip() for c in row.split('|')[4:-1]]
  assert cells[0].startswith('120.00 (1 seed) [paper: 123.44')
  assert cells[1].startswith('130.00 (1 seed) [paper: 123.44')
  assert cells[2].startswith('125.00 (1 seed)')


# -- scale-out: MirroredStrategy and MultiWorkerMirroredStrategy --------------

# Runs `vae.run` on the configs (JSON) with the data (npz): argv = npz,
# configs, number of logical CPU devices to create first.
_RUNNER = '''
import json, sys
import numpy as np
import tensorflow as tf
devices = int(sys.argv[3])
if devices > 1:
  cpu = tf.config.list_physical_devices('CPU')[0]
  tf.config.set_logical_device_configuration(
      cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
from tfp_gengs.experiments import vae
with np.load(sys.argv[1]) as f:
  data = (f['train'], f['valid'], f['test'])
for kwargs in json.loads(sys.argv[2]):
  kwargs['hidden'] = tuple(kwargs['hidden'])
  vae.run(vae.Config(**kwargs), data=data, log=lambda line: None)
'''


def _runner_args(tmp_path, data, configs, devices):
  script = tmp_path / 'runner.py'
  script.write_text(_RUNNER)
  npz = tmp_path / 'data.npz'
  np.savez(npz, train=data[0], valid=data[1], test=data[2])
  return [sys.executable, str(script), str(npz), json.dumps(configs),
          str(devices)]


def _results(folder):
  with open(os.path.join(folder, 'results.json')) as f:
    return json.load(f)


def _assert_same_run(results, reference, rtol):
  np.testing.assert_allclose(
      [h['train_loss'] for h in results['history']],
      [h['train_loss'] for h in reference['history']], rtol=rtol)
  for key in ('neg_elbo_relaxed', 'neg_elbo_hard', 'neg_log_likelihood_iw'):
    np.testing.assert_allclose(results['test'][key][0],
                               reference['test'][key][0], rtol=rtol,
                               err_msg=key)


def test_mirrored_strategy_on_two_devices_matches_one_device(tmp_path, data,
                                                             tiny_run):
  """2 logical CPU devices, global batch 20 split 10 + 10.

  Tolerances: the deterministic bottleneck has no noise, so the runs agree
  to float rounding of the all-reduce (relative 1e-4 on every epoch's
  loss and the test numbers). GenGS draws different Gumbel noise on each
  replica (each folds in its replica id), so it agrees like two seeds do:
  test hard negative ELBO within 10% (the toy runs' seed-to-seed spread
  is a few per cent), and it learns as much.
  """
  configs = [dict(TINY, estimator=e, strategy='mirrored',
                  output_dir=str(tmp_path / e))
             for e in ('deterministic', 'gengs_implicit')]
  done = subprocess.run(_runner_args(tmp_path, data, configs, 2),
                        capture_output=True, text=True, timeout=300,
                        check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  det = _results(tmp_path / 'deterministic')
  assert det['replicas'] == 2
  _assert_same_run(det, tiny_run('deterministic')[1], rtol=1e-4)
  gengs = _results(tmp_path / 'gengs_implicit')
  single = tiny_run('gengs_implicit')[1]
  assert gengs['replicas'] == 2
  hard, reference = (gengs['test']['neg_elbo_hard'][0],
                     single['test']['neg_elbo_hard'][0])
  assert abs(hard - reference) < 0.1 * reference, (hard, reference)
  losses = [h['train_loss'] for h in gengs['history']]
  assert losses[-1] < 0.9 * losses[0], losses


def _free_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def test_two_workers_on_loopback_match_one_process(tmp_path, data, tiny_run):
  """MultiWorkerMirroredStrategy, 2 processes on 127.0.0.1 (TF_CONFIG).

  The deterministic bottleneck (no noise): both workers reach the
  single-process run to relative 1e-4; worker 0 writes the output folder,
  worker 1 its copy in `worker-1/`.
  """
  cluster = {'worker': [f'127.0.0.1:{_free_port()}' for _ in range(2)]}
  out = tmp_path / 'two_workers'
  args = _runner_args(tmp_path, data, [dict(
      TINY, estimator='deterministic', strategy='multi_worker',
      output_dir=str(out))], 1)
  workers = []
  for index in range(2):
    env = dict(os.environ, TF_CONFIG=json.dumps(
        {'cluster': cluster, 'task': {'type': 'worker', 'index': index}}))
    workers.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True))
  try:
    logs = [worker.communicate(timeout=300)[0] for worker in workers]
  finally:
    for worker in workers:                    # only after a timeout
      if worker.poll() is None:
        worker.kill()
  for worker, log in zip(workers, logs):
    assert worker.returncode == 0, log[-3000:]
  reference = tiny_run('deterministic')[1]
  for folder in (out, out / 'worker-1'):
    results = _results(folder)
    assert results['replicas'] == 2
    _assert_same_run(results, reference, rtol=1e-4)
