r"""Runs of the synthetic study: the traced step and its statistics.

One `Run` is one problem and one estimator. At every step, at the current
`lambda`, `R` independent gradient estimates `g_1..g_R` are drawn in one
batched call (`replicates`), and against the exact gradient `g`
(`problems`) the step records

```none
variance          tr Cov_hat = sum_r |g_r - mean|^2 / (R - 1)
bias_sq           |mean - g|^2
bias_sq_debiased  |mean - g|^2 - tr Cov_hat / R   (unbiased for |E g_r - g|^2)
mse               mean_r |g_r - g|^2               (error of one estimate)
loss              L(lambda), exact
truncation_error  |closed form - enumeration of the window|   (Poisson)
```

The parameter is then updated (Adam, `optim.Adam`) with the first
replicate's estimate only, so every optimisation run uses a single-sample
estimator, as in the paper. The learned control variates (NVIL's baseline,
REBAR's eta and temperature, RELAX's network) take one Adam step on their
variance/regression losses averaged over all `R` replicates (more data than a
single run sees, so their variance here is, if anything, optimistic).

Each estimate's learning signal for `z_i` is its own loss `(z_i - t_i)^2`,
and the estimators that take a context see the standardised targets.

`run_one` runs every seed of a (problem, estimator) pair, averages the step
statistics over windows of `log_every` steps, times one gradient estimate
(`R = 1`, traced, median over calls) and aggregates over seeds: means with
`1.96` standard errors (`confidence_interval`), the debiased RMS bias
`sqrt(mean(bias_sq_debiased))` over steps and seeds with the raw
`|mean - g|` and its Monte Carlo noise floor `sqrt(tr Cov_hat / R)` beside
it, the RMS error of one estimate `sqrt(mean(mse))`, and the variance per
evaluation of `f`, `mean(log tr Cov_hat) + log(evaluations)`.
"""

import collections
import time

import numpy as np
import tensorflow.compat.v2 as tf

from tensorflow_probability.python import distributions as tfd

import tfp_gengs
from tfp_gengs import estimators
from tfp_gengs.experiments.common import optim

__all__ = ['Run', 'applies', 'run_one', 'confidence_interval']

# Step statistics kept per step (besides their window means) for the
# aggregates over all steps.
_KEPT_PER_STEP = ('variance', 'bias_sq_debiased', 'bias_sq', 'loss', 'mse')


class Run:
  """One problem and one estimator: the traced step and its state.

  Args:
    problem: a `problems.Problem`.
    estimator: an estimator of `tfp_gengs.estimators` (`estimators.make`).
    targets: `[k]` or `[k, d]` targets.
    replicates: `R`, gradient estimates per step.
    learning_rate: Adam learning rate of `lambda`.
    aux_learning_rate: Adam learning rate of the learned control variates.
  """

  def __init__(self, problem, estimator, targets, replicates, learning_rate,
               aux_learning_rate):
    self.problem = problem
    self.estimator = estimator
    self.replicates = replicates
    self.outcomes = tf.constant(problem.outcomes, tf.float32)
    self.targets = tf.constant(targets, tf.float32)
    self.vector = problem.vector
    t = targets if self.vector else targets[:, None]
    t = (t - t.mean(0)) / (t.std(0) + 1e-6)
    self.context = tf.constant(t, tf.float32)            # [k, c]
    self.theta = tf.Variable(tf.constant(problem.init, tf.float32),
                             name='theta')
    self.optimizer = optim.Adam([self.theta], learning_rate)
    # Build the estimator's variables (lazy networks) before tracing.
    self._estimate(tf.broadcast_to(self.theta, [1, self.theta.shape[0]]),
                   (0, 0))
    self.aux_variables = list(estimator.trainable_variables)
    self.aux_optimizer = optim.Adam(self.aux_variables, aux_learning_rate)
    # No autograph: the step has no tensor-dependent Python control flow,
    # and autograph re-reads lambdas' source (wrong after an edit mid-run).
    self.step = tf.function(self._step, autograph=False)
    self.single = tf.function(self._single, autograph=False)

  def reset(self):
    """Back to the start: `lambda_0`, fresh optimisers and control variates."""
    self.theta.assign(tf.constant(self.problem.init, tf.float32))
    self.optimizer.reset()
    self.aux_optimizer.reset()
    if hasattr(self.estimator, 'reset'):
      self.estimator.reset()

  def loss_fn(self, z):
    """`(z - t)^2` per data point: `[m, R, k(, d)] -> [m, R, k]`."""
    sq = tf.square(z - self.targets)
    return tf.reduce_sum(sq, axis=-1) if self.vector else sq

  def _distribution(self, theta_rep):
    logits = self.problem.logits_fn(theta_rep)                # [R, n]
    k = tf.shape(self.targets)[0]
    logits = tf.broadcast_to(
        logits[:, tf.newaxis],
        tf.concat([tf.shape(logits)[:1], [k], tf.shape(logits)[1:]], 0))
    return tfp_gengs.TruncatedDiscrete(self.outcomes, logits=logits)

  def _poisson(self, theta_rep):
    """The untruncated Poisson `[R, k]` (for EAT, which samples it)."""
    log_rate = self.problem.poisson_log_rate_fn(theta_rep)      # [R]
    k = tf.shape(self.targets)[0]
    return tfd.Poisson(log_rate=tf.broadcast_to(
        log_rate[:, tf.newaxis], tf.stack([tf.shape(log_rate)[0], k])))

  def _estimate(self, theta_rep, seed):
    """Per-replicate gradient estimates `[R, p]` (before NVIL's scale)."""
    with tf.GradientTape() as tape:
      tape.watch(theta_rep)
      if getattr(self.estimator, 'family', None) == 'poisson':
        dist = self._poisson(theta_rep)
      else:
        dist = self._distribution(theta_rep)
      context = tf.broadcast_to(
          self.context, tf.concat([tf.shape(theta_rep)[:1],
                                   tf.shape(self.context)], 0))
      result = self.estimator(dist, self.loss_fn, seed, context=context)
      total = tf.reduce_sum(result.surrogate) + result.aux_loss
    grads = tape.gradient(
        total, [theta_rep] + list(self.estimator.trainable_variables))
    return grads[0], grads[1:], result.gradient_scale

  def exact(self):
    """Exact loss and gradient (enumeration of the window) at `lambda`."""
    theta = tf.convert_to_tensor(self.theta)
    with tf.GradientTape() as tape:
      tape.watch(theta)
      dist = self._distribution(theta[tf.newaxis])
      loss = tf.reduce_sum(estimators.exact.expectation(dist, self.loss_fn))
    grad = tape.gradient(loss, theta)
    return loss, grad

  def _step(self, seed):
    theta_rep = tf.broadcast_to(self.theta,
                                [self.replicates, self.theta.shape[0]])
    grads, aux_grads, scale = self._estimate(theta_rep, seed)
    loss, exact_grad = self.exact()
    if self.problem.closed_form_gradient is not None:
      closed = self.problem.closed_form_gradient(
          tf.convert_to_tensor(self.theta), self.targets)
      truncation_error = tf.norm(closed - exact_grad)
      exact_grad = closed
    else:
      truncation_error = tf.zeros([])
    estimates = grads / scale                       # unbiased scale
    mean = tf.reduce_mean(estimates, axis=0)
    centred = estimates - mean
    r = tf.cast(self.replicates, tf.float32)
    variance = tf.reduce_sum(tf.square(centred)) / (r - 1.)   # trace
    bias_sq = tf.reduce_sum(tf.square(mean - exact_grad))
    # E|g_hat - g|^2 of one estimate (variance + squared bias).
    mse = tf.reduce_mean(tf.reduce_sum(tf.square(estimates - exact_grad),
                                       axis=-1))
    self.optimizer.apply([grads[0]])
    if self.aux_variables:
      self.aux_optimizer.apply(aux_grads)
    return dict(loss=loss, variance=variance, bias_sq=bias_sq, mse=mse,
                bias_sq_debiased=bias_sq - variance / r,
                truncation_error=truncation_error)

  def _single(self, seed):
    grads, _, scale = self._estimate(
        tf.broadcast_to(self.theta, [1, self.theta.shape[0]]), seed)
    return grads / scale


def applies(problem, name):
  """Whether estimator `name` can run on `problem` (EAT: Poisson only)."""
  if name.split('@')[0] in estimators.POISSON_NAMES:
    return problem.poisson_log_rate_fn is not None
  return True


def confidence_interval(values):
  """Mean and 1.96 standard errors over the first axis."""
  values = np.asarray(values, np.float64)
  mean = values.mean(0)
  if values.shape[0] < 2:
    return mean, np.zeros_like(mean)
  return mean, 1.96 * values.std(0, ddof=1) / np.sqrt(values.shape[0])


def _time_per_gradient(run, calls):
  """Median wall time (s) of one estimate (`R = 1`), after a warm-up call."""
  run.single(tf.constant([99, 0], tf.int32))
  times = []
  for i in range(calls):
    t0 = time.perf_counter()
    run.single(tf.constant([99, i + 1], tf.int32)).numpy()
    times.append(time.perf_counter() - t0)
  return float(np.median(times))


def run_one(problem, name, targets, settings, log):
  """All seeds of one (problem, estimator); returns its record.

  Args:
    problem: a `problems.Problem`.
    name: estimator name (`estimators.NAMES`, optionally `name@temperature`).
    targets: the problem's targets.
    settings: the study's settings dict (`synthetic._settings`).
    log: callable taking one line.

  Returns:
    The record stored in `results.json` under `results[problem][name]`
    (without `label` and `truncation`, which the caller adds).
  """
  tf.random.set_seed(0)
  # `num_samples` is RF*'s k here; Gumbel-Rao keeps its own default K.
  estimator = estimators.make(
      name, temperature=settings['temperature'],
      num_samples=(settings['rf_star_samples']
                   if name.split('@')[0] == 'RF*' else None),
      vimco_samples=settings['vimco_samples'], seed=0,
      max_rate=problem.max_rate)
  start = time.time()
  run = Run(problem, estimator, targets, settings['replicates'],
            settings['learning_rate'], settings['aux_learning_rate'])
  steps, every = settings['steps'], settings['log_every']
  series = collections.defaultdict(list)
  for seed in range(settings['seeds']):
    run.reset()
    per_step = collections.defaultdict(list)
    for step in range(steps):
      out = run.step(tf.constant([seed, step], tf.int32))
      for key, value in out.items():
        per_step[key].append(float(value))
    for key, values in per_step.items():
      values = np.asarray(values)
      windows = values[:steps // every * every].reshape(-1, every)
      series[key].append(windows.mean(1))
      if key in _KEPT_PER_STEP:
        series[key + '_all'].append(values)
  train_time = time.time() - start
  seconds_per_gradient = _time_per_gradient(run, settings['timing_calls'])
  full = {k: np.stack(v) for k, v in series.items()}      # [seeds, points]
  log_var = np.log(np.maximum(full['variance_all'], 1e-30))
  rec = dict(
      estimator=name,
      display_name=estimator.display_name or name,
      unbiased=bool(estimator.unbiased),
      evaluations=int(estimator.num_evaluations),
      time_per_gradient_ms=1e3 * seconds_per_gradient,
      run_seconds=train_time,
      steps=(np.arange(full['loss'].shape[1]) * every + every).tolist(),
      final_loss=confidence_interval(full['loss_all'][:, -every:].mean(1)),
      mean_log_variance=confidence_interval(log_var.mean(1)),
      log_variance_per_evaluation=float(
          log_var.mean() + np.log(estimator.num_evaluations)),
      rms_error=float(np.sqrt(full['mse_all'].mean())),
      bias_rms=float(np.sqrt(max(full['bias_sq_debiased_all'].mean(), 0.))),
      bias_raw=float(np.sqrt(full['bias_sq_all']).mean()),
      bias_noise_floor=float(np.sqrt(
          full['variance_all'] / settings['replicates']).mean()),
      max_truncation_error=float(np.max(full['truncation_error'])),
      series={k: v.tolist() for k, v in full.items()
              if not k.endswith('_all')},
  )
  rec['final_loss'] = [float(x) for x in rec['final_loss']]
  rec['mean_log_variance'] = [float(x) for x in rec['mean_log_variance']]
  log(f'  {rec["display_name"]:10s} loss {rec["final_loss"][0]:10.2f}  '
      f'log-var {rec["mean_log_variance"][0]:7.2f}  '
      f'bias {rec["bias_rms"]:8.3g} (raw {rec["bias_raw"]:8.3g})  '
      f'{rec["time_per_gradient_ms"]:6.2f} ms/grad  ({train_time:5.1f} s)')
  return rec
