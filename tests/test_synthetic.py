"""The CI-sized synthetic study runs end to end and writes its report."""

import json
import os

import numpy as np
import tensorflow as tf

from tfp_gengs import estimators
from tfp_gengs.experiments.synthetic import main as synthetic
from tfp_gengs.experiments.synthetic import problems as synthetic_problems
from tfp_gengs.experiments.synthetic import runner as synthetic_runner


def test_ci_run_writes_report(tmp_path, capsys):
  out = str(tmp_path / 'synthetic')
  synthetic.FLAGS.unparse_flags()
  synthetic.FLAGS(['synthetic', '--ci', f'--output_dir={out}'])
  synthetic.main([])
  printed = capsys.readouterr().out
  assert 'summary.md' in printed and out in printed

  with open(os.path.join(out, 'results.json')) as f:
    results = json.load(f)
  settings = results['settings']
  assert settings['mode'] == 'ci'
  assert set(results['results']) == set(synthetic.CI_DISTRIBUTIONS)
  for dist, recs in results['results'].items():
    assert set(recs) == set(synthetic.CI_ESTIMATORS)
    for rec in recs.values():
      series = rec['series']
      points = settings['steps'] // settings['log_every']
      for key in ('loss', 'variance', 'bias_sq'):
        values = np.asarray(series[key])
        assert values.shape == (settings['seeds'], points)
        assert np.all(np.isfinite(values))
      assert np.all(np.asarray(series['variance']) > 0.)
      assert rec['time_per_gradient_ms'] > 0.
      # The exact loss is a sum of k squared errors: at least the variance.
      assert np.all(np.asarray(series['loss']) > 0.)
  # Estimators share a start: every run's first exact loss is the same.
  first = [np.asarray(r['series']['loss'])[:, 0]
           for r in results['results']['poisson'].values()]
  np.testing.assert_allclose(np.ptp(np.concatenate(first)), 0., atol=50.)

  with open(os.path.join(out, 'summary.md')) as f:
    summary = f.read()
  for name in ('GenGS', 'REINFORCE', 'Poisson(20)', 'temperature', 'seeds'):
    assert name in summary
  # The settings rows are read from the problems that ran, and only those.
  problems = synthetic_problems.problems()
  for name, problem in problems.items():
    for text in (f'{problem.label}: {problem.truncation}',
                 f'{problem.label}: {problem.start}',
                 f'{problem.label}: {problem.parameter}'):
      assert (text in summary) == (name in synthetic.CI_DISTRIBUTIONS), text
  for png in ('figure3_smoothed.png', 'figure3_raw.png'):
    assert os.path.getsize(os.path.join(out, png)) > 10000
  events = [f for _, _, files in os.walk(os.path.join(out, 'tensorboard'))
            for f in files if f.startswith('events.out.tfevents')]
  assert len(events) == len(synthetic.CI_ESTIMATORS) * len(
      synthetic.CI_DISTRIBUTIONS)

  # A second run with the same settings resumes from the checkpoint.
  synthetic.main([])
  assert 'Resuming' in capsys.readouterr().out
  with open(os.path.join(out, 'results.json')) as f:
    again = json.load(f)
  assert again['results'] == results['results']
  synthetic.FLAGS.unparse_flags()


def test_problems_describe_their_settings():
  """Labels and windows as stored in `results/synthetic/results.json`;
  starts read from the unconstrained parameters."""
  problems = synthetic_problems.problems()
  assert list(problems) == ['poisson', 'binomial', 'multinomial',
                            'negative_binomial']
  assert [p.label for p in problems.values()] == [
      'Poisson(20)', 'Binomial(20, .3)', 'Multinomial(3, [.7, .2, .1])',
      'NegativeBinomial(3, .4)']
  assert [p.truncation for p in problems.values()] == [
      '{0..60}, tail mass on 60', 'none (finite support {0..20})',
      'none (all 10 count vectors)', '{0..30}, tail mass on 30']
  assert [p.start for p in problems.values()] == [
      'rate 10', 'p = 0.6', 'uniform [0.333, 0.333, 0.333]', 'p = 0.6']
  for problem in problems.values():
    logits = problem.logits_fn(tf.constant(problem.init[None], tf.float32))
    np.testing.assert_allclose(tf.reduce_logsumexp(logits, -1), [0.],
                               atol=1e-5)          # the window is a pmf
    targets = problem.targets(5, 0)
    assert targets.shape[0] == 5
    np.testing.assert_array_equal(targets, problem.targets(5, 0))
    if problem.tail_on is not None:
      assert targets.max() <= problem.tail_on


def _poisson_run(name, replicates):
  problem = synthetic_problems.problems()['poisson']
  targets = np.array([18., 22., 25., 15., 20., 19., 21., 30., 17., 20.])
  estimator = estimators.make(name)
  return synthetic_runner.Run(problem, estimator, targets, replicates, 0.01,
                              0.01), targets


def test_exact_loss_and_gradient_match_the_poisson_closed_form():
  """At rate 10: `E sum (z - t)^2 = sum(rate + (rate - t)^2)`."""
  run, targets = _poisson_run('REINFORCE', 2)
  loss, grad = run.exact()
  rate = 10.
  np.testing.assert_allclose(float(loss), np.sum(rate + (rate - targets)**2),
                             rtol=1e-5)
  closed = rate * (len(targets) + 2. * np.sum(rate - targets))
  np.testing.assert_allclose(grad.numpy(), [closed], rtol=1e-4)


def test_step_statistics_separate_bias_from_noise():
  """REINFORCE's mean is within 5 s.e. of the exact gradient, GenGS's
  (tau = 1) is not, and the error of one estimate is variance + bias^2."""
  replicates = 4000
  means = {}
  for name in ('REINFORCE', 'GenGS'):
    run, _ = _poisson_run(name, replicates)
    theta = tf.broadcast_to(run.theta, [replicates, 1])
    grads, _, scale = run._estimate(theta, (3, 4))
    estimates = (grads / scale).numpy()[:, 0]
    _, exact = run.exact()
    exact = float(exact[0])
    stderr = estimates.std(ddof=1) / np.sqrt(replicates)
    means[name] = (abs(estimates.mean() - exact), stderr)
    stats = run.step(tf.constant([3, 4], tf.int32))
    mse = float(stats['mse'])
    variance, bias_sq = float(stats['variance']), float(stats['bias_sq'])
    np.testing.assert_allclose(
        mse, variance * (replicates - 1) / replicates + bias_sq, rtol=1e-3)
  assert means['REINFORCE'][0] < 5. * means['REINFORCE'][1], means
  assert means['GenGS'][0] > 5. * means['GenGS'][1], means


def test_eat_runs_on_the_poisson_problem_only_and_matches_its_closed_form():
  """EAT samples the Poisson itself: on the Poisson problem its mean
  gradient is the relaxed objective's (Campbell: cubic, tau = 1, has
  `E z = rate`, `Var z = 26/35 rate`, so `d/dlog rate E sum (z - t)^2 =
  rate (26/35 k + 2 sum (rate - t))`); it does not apply elsewhere."""
  problems = synthetic_problems.problems()
  assert synthetic_runner.applies(problems['poisson'], 'EAT-cubic@0.5')
  assert not synthetic_runner.applies(problems['binomial'], 'EAT-cubic')
  assert synthetic_runner.applies(problems['binomial'], 'GenGS')
  replicates = 4000
  problem = problems['poisson']
  targets = np.array([18., 22., 25., 15., 20., 19., 21., 30., 17., 20.])
  estimator = estimators.make('EAT-cubic', max_rate=problem.max_rate)
  run = synthetic_runner.Run(problem, estimator, targets, replicates, 0.01,
                             0.01)
  theta = tf.broadcast_to(run.theta, [replicates, 1])
  grads, _, scale = run._estimate(theta, (3, 4))
  estimates = (grads / scale).numpy()[:, 0]
  rate = 10.
  relaxed = rate * (26. / 35. * len(targets) + 2. * np.sum(rate - targets))
  stderr = estimates.std(ddof=1) / np.sqrt(replicates)
  assert abs(estimates.mean() - relaxed) < 5. * stderr
  stats = run.step(tf.constant([3, 4], tf.int32))
  assert np.isfinite(float(stats['variance']))
