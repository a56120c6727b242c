r"""The synthetic gradient study of the GenGS paper (§6.1, Figure 3).

Targets `t_1..t_k` are drawn once from `D(theta)`; each target is a data
point with its own latent `z_i ~ D(lambda)` (a shared parameter), and

```none
minimise over lambda   L(lambda) = E_{z ~ D(lambda)} [ sum_i (z_i - t_i)^2 ]
```

for Poisson(20), Binomial(20, .3), Multinomial(3, [.7, .2, .1]) and
NegativeBinomial(3, .4), with every estimator of `tfp_gengs.estimators`. At
every step, at the current `lambda`, `replicates` independent gradient
estimates are drawn in one batched call; they give the gradient variance
(trace of the covariance) and the bias against the exact gradient (closed
form for the Poisson, enumeration of the truncated support otherwise). The
parameter is then updated with the first replicate's estimate only, so every
optimisation run uses a single-sample estimator, as in the paper.

Usage:

```
python -m tfp_gengs.experiments.synthetic --quick \
    --output_dir=runs/synthetic_quick
python -m tfp_gengs.experiments.synthetic --output_dir=runs/synthetic  # full
```

#### Settings the paper leaves open (its Appendix J is not available)

Chosen here, and written next to the results in `summary.md`:

* `k = 10` targets (data points; the paper's "z_i" read as one latent per
  target, and its remark that DetRB/StoRB could use more categories "in the
  synthetic example" as one latent per learning signal); each has its own
  latent, and each
  estimator's learning signal for `z_i` is its own loss `(z_i - t_i)^2` (as
  for the per-data-point latents of a VAE). With one latent per data point
  the sum-and-sample estimators need no `m^K` combinations.
* Parameters are unconstrained: log-rate (Poisson), logit of the success
  probability (Binomial, NegativeBinomial; TFP's convention, mean
  `r p / (1 - p)`), logits (Multinomial). Gradients, variances and biases are
  for these parameters.
* Start: rate 10, p = .6, uniform probabilities, p = .6 (away from `theta`).
* Truncation `{0..60}` (Poisson) and `{0..30}` (NegativeBinomial), with the
  tails on the window ends (Definition 1); the Binomial and Multinomial need
  none. The Poisson tail beyond 60 is below 1e-12 along the whole path (rate
  10 to 20). The NegativeBinomial tail `P(X >= 30)` is about 2e-5 at the
  start (p = .6) and below 1e-9 once p < .41, i.e. near the optimum (p = .4).
  The Poisson closed form makes the remaining truncation error visible.
* Adam, learning rate 0.01, for every estimator; the learned control
  variates (NVIL's baseline, REBAR's eta and temperature, RELAX's network)
  use Adam with learning rate 0.01 on their variance/regression losses,
  averaged over all replicates (more data than a single run sees, so their
  variance here is, if anything, optimistic).
* Temperature `tau = 1` for every relaxation (GenGS, GenGS-ST, GenGS-RB and
  the initial temperature of REBAR/RELAX), no annealing (`--temperature`).
  A fixed problem has no reason to anneal; `tau = 1` is the largest common
  choice, and the relaxed gradient's variance grows like `1 / tau` while its
  bias shrinks (see `tests/test_estimators.py`), so the full run adds
  `GenGS@0.5` (GenGS at `tau = 0.5`) to show that trade-off.
* Multi-sample estimators: RF* with 2 samples, VIMCO(5) with 5 samples,
  sum-and-sample and unordered-set estimators with one summed category plus
  one sampled one (2 evaluations). Variances are per gradient estimate,
  whatever it costs; `summary.md` lists the evaluations of `f` per estimate
  and the time per gradient next to them.
* Bias: `|mean of the replicates - exact gradient|` carries the Monte Carlo
  error `sqrt(tr Cov / R)`; the table reports the debiased root-mean-square
  bias `sqrt(mean(|mean - g|^2 - tr Cov_hat / R))` over steps and seeds
  (unbiased for the squared bias), with the raw value and the noise floor.
  Beside it, the error of *one* estimate, `sqrt(E|g_hat - g|^2)` (variance
  plus squared bias; the other reading of "bias" in the paper's Figure 3),
  and the variance per evaluation of `f`, `log(tr Cov x evaluations)`: what
  averaging estimates to an equal budget of evaluations would give.
* Confidence intervals: mean +- 1.96 standard errors over seeds.
"""

import collections
import json
import os
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow.core.framework import summary_pb2
from tensorflow_probability.python import distributions as tfd

from tfp_gengs import estimators
from tfp_gengs.distributions import gengs_multinomial
from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf

FLAGS = flags.FLAGS

flags.DEFINE_string('output_dir', 'runs/synthetic', 'Where results go.')
flags.DEFINE_bool('quick', False, 'About two minutes on 2 CPU cores.')
flags.DEFINE_bool('ci', False, 'A few seconds: the test-suite setting.')
flags.DEFINE_list('distributions', None,
                  'Subset of poisson,binomial,multinomial,negative_binomial.')
flags.DEFINE_list('estimators', None, 'Subset of the estimator names.')
flags.DEFINE_integer('steps', None, 'Optimisation steps per run.')
flags.DEFINE_integer('seeds', None, 'Independent runs per estimator.')
flags.DEFINE_integer('replicates', None,
                     'Independent gradient estimates per step.')
flags.DEFINE_integer('num_targets', 10, 'k, the number of targets.')
flags.DEFINE_float('temperature', 1., 'GenGS / REBAR / RELAX temperature.')
flags.DEFINE_float('learning_rate', 0.01, 'Adam learning rate of lambda.')
flags.DEFINE_float('aux_learning_rate', 0.01,
                   'Adam learning rate of the learned control variates.')
flags.DEFINE_integer('log_every', None, 'Steps averaged per stored point.')
flags.DEFINE_integer('target_seed', 0, 'Seed of the targets t_1..t_k.')
flags.DEFINE_bool('resume', True,
                  'Skip (distribution, estimator) runs already in '
                  'output_dir/checkpoint.json with the same settings.')

PAPER = {
    'steps': 'not stated (Appendix J)',
    'k': 'not stated',
    'temperature': 'not stated (Figure 3 shows GenGS "keeping the '
                   'continuous relaxation")',
}

# (steps, seeds, replicates, log_every, timing calls) per mode.
MODES = {
    'full': (600, 5, 100, 10, 20),
    'quick': (60, 2, 32, 3, 5),
    'ci': (8, 2, 16, 2, 3),
}
# The full run adds GenGS at a lower temperature to show the trade-off.
FULL_EXTRA_ESTIMATORS = ('GenGS@0.5',)
CI_ESTIMATORS = ('REINFORCE', 'NVIL', 'RELAX', 'GenGS')
CI_DISTRIBUTIONS = ('poisson', 'multinomial')

Family = collections.namedtuple(
    'Family', ['name', 'label', 'outcomes', 'init', 'logits_fn',
               'targets_fn', 'truncation', 'closed_form_gradient'])


def _poisson_closed_form(theta, targets):
  """`d/d log(rate) sum_i E(z_i - t_i)^2 = rate (k + 2 sum_i (rate - t_i))`."""
  rate = tf.exp(theta[..., 0])
  k = tf.cast(tf.shape(targets)[0], rate.dtype)
  total = k + 2. * tf.reduce_sum(rate[..., tf.newaxis] - targets, axis=-1)
  return (rate * total)[..., tf.newaxis]


def families():
  """The four distributions of the study."""
  poisson_high, nb_high = 60, 30
  return collections.OrderedDict([
      ('poisson', Family(
          'poisson', 'Poisson(20)', np.arange(poisson_high + 1.),
          np.array([np.log(10.)]),
          lambda th: truncated_log_pmf.poisson(log_rate=th[..., 0],
                                               high=poisson_high),
          lambda k, seed: np.minimum(tfd.Poisson(20.).sample(
              k, seed=seed).numpy(), poisson_high),
          f'{{0..{poisson_high}}}, tail mass on {poisson_high}',
          _poisson_closed_form)),
      ('binomial', Family(
          'binomial', 'Binomial(20, .3)', np.arange(21.),
          np.array([np.log(.6 / .4)]),
          lambda th: truncated_log_pmf.binomial(20., logits=th[..., 0],
                                                high=20),
          lambda k, seed: tfd.Binomial(20., probs=.3).sample(
              k, seed=seed).numpy(),
          'none (finite support {0..20})', None)),
      ('multinomial', Family(
          'multinomial', 'Multinomial(3, [.7, .2, .1])',
          gengs_multinomial.count_vectors(3, 3).astype(np.float64),
          np.zeros(3),
          lambda th: gengs_multinomial.GenGSMultinomial(
              3, logits=th, temperature=1.).truncated().logits_parameter(),
          lambda k, seed: tfd.Multinomial(
              3., probs=[.7, .2, .1]).sample(k, seed=seed).numpy(),
          'none (all 10 count vectors)', None)),
      ('negative_binomial', Family(
          'negative_binomial', 'NegativeBinomial(3, .4)',
          np.arange(nb_high + 1.), np.array([np.log(.6 / .4)]),
          lambda th: truncated_log_pmf.negative_binomial(
              3., logits=th[..., 0], high=nb_high),
          lambda k, seed: np.minimum(
              tfd.NegativeBinomial(3., probs=.4).sample(
                  k, seed=seed).numpy(), nb_high),
          f'{{0..{nb_high}}}, tail mass on {nb_high}', None)),
  ])


class Adam(tf.Module):
  """Adam (Kingma & Ba 2015) on a list of variables, resettable per run."""

  def __init__(self, variables, learning_rate, beta1=.9, beta2=.999,
               epsilon=1e-8):
    super().__init__()
    self.params = list(variables)
    self.learning_rate = learning_rate
    self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
    self.step = tf.Variable(0., trainable=False)
    self.m = [tf.Variable(tf.zeros_like(v), trainable=False)
              for v in self.params]
    self.v = [tf.Variable(tf.zeros_like(v), trainable=False)
              for v in self.params]

  def reset(self):
    self.step.assign(0.)
    for slot in self.m + self.v:
      slot.assign(tf.zeros_like(slot))

  def apply(self, grads):
    self.step.assign_add(1.)
    t = self.step
    for var, g, m, v in zip(self.params, grads, self.m, self.v):
      if g is None:
        continue
      g = tf.cast(g, var.dtype)
      m.assign(self.beta1 * m + (1. - self.beta1) * g)
      v.assign(self.beta2 * v + (1. - self.beta2) * tf.square(g))
      m_hat = m / (1. - self.beta1 ** t)
      v_hat = v / (1. - self.beta2 ** t)
      var.assign_sub(self.learning_rate * m_hat /
                     (tf.sqrt(v_hat) + self.epsilon))


class Run:
  """One distribution and one estimator: the traced step and its state."""

  def __init__(self, family, estimator, targets, replicates, learning_rate,
               aux_learning_rate):
    self.family = family
    self.estimator = estimator
    self.replicates = replicates
    self.outcomes = tf.constant(family.outcomes, tf.float32)
    self.targets = tf.constant(targets, tf.float32)
    self.vector = family.outcomes.ndim == 2
    t = targets if self.vector else targets[:, None]
    t = (t - t.mean(0)) / (t.std(0) + 1e-6)
    self.context = tf.constant(t, tf.float32)            # [k, c]
    self.theta = tf.Variable(tf.constant(family.init, tf.float32),
                             name='theta')
    self.optimizer = Adam([self.theta], learning_rate)
    # Build the estimator's variables (lazy networks) before tracing.
    self._estimate(tf.broadcast_to(self.theta, [1, self.theta.shape[0]]),
                   (0, 0))
    self.aux_variables = list(estimator.trainable_variables)
    self.aux_optimizer = Adam(self.aux_variables, aux_learning_rate)
    # No autograph: the step has no tensor-dependent Python control flow,
    # and autograph re-reads lambdas' source (wrong after an edit mid-run).
    self.step = tf.function(self._step, autograph=False)
    self.single = tf.function(self._single, autograph=False)

  def reset(self):
    self.theta.assign(tf.constant(self.family.init, tf.float32))
    self.optimizer.reset()
    self.aux_optimizer.reset()
    if hasattr(self.estimator, 'reset'):
      self.estimator.reset()

  def loss_fn(self, z):
    """`(z - t)^2` per data point: `[m, R, k(, d)] -> [m, R, k]`."""
    sq = tf.square(z - self.targets)
    return tf.reduce_sum(sq, axis=-1) if self.vector else sq

  def _distribution(self, theta_rep):
    logits = self.family.logits_fn(theta_rep)                 # [R, n]
    k = tf.shape(self.targets)[0]
    logits = tf.broadcast_to(
        logits[:, tf.newaxis],
        tf.concat([tf.shape(logits)[:1], [k], tf.shape(logits)[1:]], 0))
    return truncated_discrete.TruncatedDiscrete(self.outcomes, logits=logits)

  def _estimate(self, theta_rep, seed):
    """Per-replicate gradient estimates `[R, p]` (before NVIL's scale)."""
    with tf.GradientTape() as tape:
      tape.watch(theta_rep)
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
    """Exact loss and gradient at the current parameter."""
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
    if self.family.closed_form_gradient is not None:
      closed = self.family.closed_form_gradient(
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


def _settings():
  mode = 'ci' if FLAGS.ci else ('quick' if FLAGS.quick else 'full')
  steps, seeds, replicates, log_every, timing_calls = MODES[mode]
  names = list(estimators.NAMES)
  dists = list(families())
  if mode == 'full':
    names += list(FULL_EXTRA_ESTIMATORS)
  if mode == 'ci':
    names, dists = list(CI_ESTIMATORS), list(CI_DISTRIBUTIONS)
  settings = dict(
      mode=mode,
      steps=FLAGS.steps or steps,
      seeds=FLAGS.seeds or seeds,
      replicates=FLAGS.replicates or replicates,
      log_every=FLAGS.log_every or log_every,
      timing_calls=timing_calls,
      num_targets=FLAGS.num_targets,
      temperature=FLAGS.temperature,
      learning_rate=FLAGS.learning_rate,
      aux_learning_rate=FLAGS.aux_learning_rate,
      target_seed=FLAGS.target_seed,
      optimizer='Adam',
      rf_star_samples=2,
      vimco_samples=5,
      rb_summed_categories=1,
      estimators=FLAGS.estimators or names,
      distributions=FLAGS.distributions or dists,
  )
  unknown = {n.split('@')[0] for n in settings['estimators']} - set(
      estimators.NAMES)
  if unknown:
    raise app.UsageError(f'Unknown estimators {sorted(unknown)}.')
  unknown = set(settings['distributions']) - set(families())
  if unknown:
    raise app.UsageError(f'Unknown distributions {sorted(unknown)}.')
  return settings


def _ci(values):
  """Mean and 1.96 standard errors over the first axis."""
  values = np.asarray(values, np.float64)
  mean = values.mean(0)
  if values.shape[0] < 2:
    return mean, np.zeros_like(mean)
  return mean, 1.96 * values.std(0, ddof=1) / np.sqrt(values.shape[0])


def run_one(family, name, targets, settings, log):
  """All seeds of one (distribution, estimator); returns its record."""
  tf.random.set_seed(0)
  estimator = estimators.make(
      name, temperature=settings['temperature'],
      num_samples=settings['rf_star_samples'],
      vimco_samples=settings['vimco_samples'], seed=0)
  start = time.time()
  run = Run(family, estimator, targets, settings['replicates'],
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
      if key in ('variance', 'bias_sq_debiased', 'bias_sq', 'loss', 'mse'):
        series[key + '_all'].append(values)
  train_time = time.time() - start
  # Time per gradient: one estimate (R = 1), after a warm-up call.
  run.single(tf.constant([99, 0], tf.int32))
  times = []
  for i in range(settings['timing_calls']):
    t0 = time.perf_counter()
    run.single(tf.constant([99, i + 1], tf.int32)).numpy()
    times.append(time.perf_counter() - t0)
  full = {k: np.stack(v) for k, v in series.items()}      # [seeds, points]
  log_var = np.log(np.maximum(full['variance_all'], 1e-30))
  rec = dict(
      estimator=name,
      display_name=estimator.display_name or name,
      unbiased=bool(estimator.unbiased),
      evaluations=int(estimator.num_evaluations),
      time_per_gradient_ms=1e3 * float(np.median(times)),
      run_seconds=train_time,
      steps=(np.arange(full['loss'].shape[1]) * every + every).tolist(),
      final_loss=_ci(full['loss_all'][:, -every:].mean(1)),
      mean_log_variance=_ci(log_var.mean(1)),
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


def _scalar(tag, value, step):
  """A TensorBoard scalar without the `tensorboard` package."""
  metadata = summary_pb2.SummaryMetadata(
      plugin_data=summary_pb2.SummaryMetadata.PluginData(
          plugin_name='scalars'))
  tf.summary.write(tag, tf.constant(value, tf.float32), step=step,
                   metadata=metadata.SerializeToString())


def _write_tensorboard(output_dir, dist_name, rec):
  path = os.path.join(output_dir, 'tensorboard', dist_name,
                      rec['estimator'].replace('*', 'star'))
  writer = tf.summary.create_file_writer(path)
  with writer.as_default():
    series = rec['series']
    for i, step in enumerate(rec['steps']):
      loss = np.mean([s[i] for s in series['loss']])
      var = np.mean([s[i] for s in series['variance']])
      bias = np.mean([s[i] for s in series['bias_sq']])
      _scalar('log_loss', np.log(loss), step=step)
      _scalar('log_variance', np.log(var), step=step)
      _scalar('bias', np.sqrt(bias), step=step)
  writer.close()


def _plot(results, settings, output_dir):
  """Figure-3-style plots: cumulative-average and raw, with seed CIs."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  dists = [d for d in settings['distributions'] if d in results]
  names = settings['estimators']
  cmap = plt.get_cmap('tab20')
  others = [n for n in names if not n.startswith('GenGS')]
  colors = {n: cmap(i % 20) for i, n in enumerate(others)}
  strong = ['black', 'crimson', 'darkviolet', 'dimgray', 'darkorange']
  colors.update({n: strong[i % len(strong)] for i, n in enumerate(
      n for n in names if n.startswith('GenGS'))})
  metrics = [('loss', 'log-loss', np.log),
             ('variance', 'log-variance of gradients', np.log),
             ('bias_sq', 'bias |mean - exact| (log)',
              lambda x: 0.5 * np.log(np.maximum(x, 1e-30)))]
  paths = []
  for smooth in (True, False):
    fig, axes = plt.subplots(len(dists), 3, figsize=(15, 3.6 * len(dists)),
                             squeeze=False)
    for row, dist in enumerate(dists):
      for col, (key, title, transform) in enumerate(metrics):
        ax = axes[row, col]
        for name in names:
          rec = results[dist].get(name)
          if rec is None:
            continue
          values = np.asarray(rec['series'][key])          # [seeds, points]
          if smooth:
            values = np.cumsum(values, 1) / np.arange(1, values.shape[1] + 1)
          values = transform(values)
          mean, half = _ci(values)
          steps = rec['steps']
          gengs_like = name.startswith('GenGS')
          ax.plot(steps, mean, color=colors[name], label=rec['display_name'],
                  lw=2.2 if gengs_like else 1.1,
                  ls='-' if gengs_like or rec['unbiased'] else '--')
          ax.fill_between(steps, mean - half, mean + half,
                          color=colors[name], alpha=.15, lw=0)
        ax.set_title(f'{results[dist][names[0]]["label"] if names[0] in results[dist] else dist}: {title}',  # noqa: E501
                     fontsize=9)
        ax.set_xlabel('step')
        ax.grid(alpha=.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='upper center', ncol=min(8, len(labels)),
               fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (3.6 * len(dists))))
    name = 'figure3_smoothed.png' if smooth else 'figure3_raw.png'
    fig.savefig(os.path.join(output_dir, name), dpi=110)
    plt.close(fig)
    paths.append(name)
  return paths


def _fmt(pair, digits=2):
  return f'{pair[0]:.{digits}f} ± {pair[1]:.{digits}f}'


def _summary(results, settings, plots, elapsed):
  lines = ['# Synthetic gradient study (paper §6.1, Figure 3)', '',
           f'Mode `{settings["mode"]}`, total run time {elapsed / 60:.1f} '
           'min on this machine'
           + (f' ({settings["sessions"]} sessions, resumed from the '
              'checkpoint)' if settings.get('sessions', 1) > 1 else '')
           + '.', '',
           '## Settings (what differs from the paper is marked †)', '',
           '| setting | value |', '|---|---|']
  rows = [
      ('distributions', ', '.join(
          results[d][next(iter(results[d]))]['label'] for d in results)),
      ('targets k †', f'{settings["num_targets"]} (paper: not stated), drawn '
       f'once from D(theta) with seed {settings["target_seed"]}; one latent '
       'per target'),
      ('parameters †', 'log-rate; logit p (Binomial, NegBin, TFP convention '
       'mean r p/(1-p)); logits (Multinomial)'),
      ('start †', 'rate 10; p = .6; uniform; p = .6'),
      ('truncation', 'Poisson {0..60}, NegBin {0..30} (tails on the ends); '
       'Binomial, Multinomial none'),
      ('optimiser †', f'Adam, lr {settings["learning_rate"]}, '
       f'{settings["steps"]} steps (paper: not stated); update with one '
       'estimate per step'),
      ('seeds', f'{settings["seeds"]} (CI: mean ± 1.96 s.e. over seeds)'),
      ('gradient estimates per step', f'{settings["replicates"]} '
       '(variance = trace of their covariance)'),
      ('temperature †', f'{settings["temperature"]} for GenGS, GenGS-ST, '
       'GenGS-RB; initial value for REBAR/RELAX (learned); no annealing '
       '(paper: not stated)'),
      ('learned control variates', f'Adam lr {settings["aux_learning_rate"]}'
       ', trained on all replicates of a step †'),
      ('multi-sample', f'RF* k={settings["rf_star_samples"]}, VIMCO '
       f'k={settings["vimco_samples"]} (mean objective, = RF*(k)); DetRB, '
       'StoRB, UNORD: m=1 summed + 1 sampled'),
      ('GenGS-RB', 'm = 1: the mode summed exactly, the rest by GenGS on pi '
       'restricted to the other categories (GenGS-RB); or two unconditional '
       'relaxed samples weighted by the stopped pi(mode), as in the '
       'Rao-Blackwellisation code of Liu et al. (GenGS-RB(detached))'),
      ('NVIL(unnormalised)', 'NVIL without the 1/max(1, sqrt(v)) variance '
       'normalisation (ablation)'),
  ]
  lines += [f'| {a} | {b} |' for a, b in rows]
  lines += ['', 'Columns: final loss = exact loss over the last '
            f'{settings["log_every"]} steps (mean ± CI over seeds); '
            'log-var = mean over steps of log tr Cov of one estimate; '
            'bias = debiased RMS bias over steps and seeds (raw '
            '|mean - exact| and its Monte Carlo noise floor sqrt(tr Cov/R) in '
            'brackets); error = RMS error of one estimate, '
            'sqrt(E|g_hat - g|^2); log-var/eval = log-var + log(evals); '
            'time = median wall time of one gradient estimate '
            '(traced, 2 CPU cores shared); evals = evaluations of f per '
            'estimate.', '']
  checks = []
  for dist, recs in results.items():
    label = recs[next(iter(recs))]['label']
    lines += [f'## {label}', '',
              '| estimator | unbiased | evals | final loss | log-var | '
              'log-var/eval | bias [raw, floor] | error | ms/grad |',
              '|---|---|---|---|---|---|---|---|---|']
    order = sorted(recs.values(), key=lambda r: r['mean_log_variance'][0])
    for r in order:
      lines.append(
          f'| {r["display_name"]} | {"yes" if r["unbiased"] else "no"} | '
          f'{r["evaluations"]} | {_fmt(r["final_loss"])} | '
          f'{_fmt(r["mean_log_variance"])} | '
          f'{r["log_variance_per_evaluation"]:.2f} | {r["bias_rms"]:.3g} '
          f'[{r["bias_raw"]:.3g}, {r["bias_noise_floor"]:.3g}] | '
          f'{r["rms_error"]:.3g} | {r["time_per_gradient_ms"]:.2f} |')
    if dist == 'poisson' and recs:
      err = max(r['max_truncation_error'] for r in recs.values())
      lines += ['', f'Bias is against the closed-form (untruncated) gradient;'
                f' the largest |closed form - truncated enumeration| along '
                f'all runs was {err:.2g}.']
    lines.append('')
    if 'GenGS' in recs:
      relaxed = [r for r in order if r['estimator'].split('@')[0] in
                 ('GenGS', 'GenGS-RB', 'GenGS-RB(detached)')]
      rank = [r['estimator'] for r in order].index('GenGS') + 1
      biased = sorted((r for r in recs.values() if not r['unbiased']),
                      key=lambda r: r['bias_rms'])
      unbiased_best = next(r for r in order if r['unbiased'])
      by_error = sorted(recs.values(), key=lambda r: r['rms_error'])
      checks.append(
          f'| {label} | {order[0]["display_name"]} | '
          f'{"yes" if order[0] in relaxed else "no"} | {rank} of {len(order)}'
          f' | {unbiased_best["display_name"]} '
          f'({unbiased_best["mean_log_variance"][0] - recs["GenGS"]["mean_log_variance"][0]:+.2f}) | '  # noqa: E501
          f'{" < ".join(r["display_name"] for r in biased)} | '
          f'{", ".join(r["display_name"] for r in by_error[:3])} |')
  if checks:
    lines += ['## The paper\'s claims, as measured', '',
              'Lowest variance: which estimator has the lowest mean '
              'log-variance, whether it is a relaxed GenGS (GenGS or GenGS-RB '
              'in either construction, any temperature), GenGS (tau = 1)\'s '
              'rank, and the best unbiased estimator with its log-variance '
              'minus GenGS\'s. Bias: '
              'the biased estimators ordered by debiased RMS bias; and the '
              'other reading of "bias", the RMS error of one estimate '
              '(lowest three).', '',
              '| distribution | lowest log-var | relaxed GenGS? | GenGS rank | '
              'best unbiased (Δ log-var) | bias order (biased estimators) | '
              'lowest error of one estimate |',
              '|---|---|---|---|---|---|---|'] + checks
    lines.append('')
  lines += ['## Figures', ''] + [f'![{p}]({p})' for p in plots] + ['']
  return '\n'.join(lines)


def main(argv):
  del argv
  settings = _settings()
  output_dir = FLAGS.output_dir
  os.makedirs(output_dir, exist_ok=True)
  checkpoint_path = os.path.join(output_dir, 'checkpoint.json')
  results = {}
  # Earlier sessions that computed runs, and their run time.
  previous_seconds, prior_sessions, computed = 0., 0, False
  if FLAGS.resume and os.path.exists(checkpoint_path):
    with open(checkpoint_path) as f:
      saved = json.load(f)
    if saved.get('settings') == settings:
      results = saved['results']
      # Run time of the earlier sessions (older checkpoints: the runs' own).
      previous_seconds = saved.get('elapsed_seconds', sum(
          r['run_seconds'] for recs in results.values()
          for r in recs.values()))
      prior_sessions = saved.get('sessions', 1)
      print(f'Resuming from {checkpoint_path}.', flush=True)

  def log(msg):
    print(msg, flush=True)

  start = time.time()
  all_families = families()
  log(f'Synthetic study ({settings["mode"]}): {len(settings["estimators"])} '
      f'estimators x {len(settings["distributions"])} distributions, '
      f'{settings["seeds"]} seeds x {settings["steps"]} steps, '
      f'{settings["replicates"]} estimates per step.')
  targets_info = {}
  for dist in settings['distributions']:
    family = all_families[dist]
    targets = np.asarray(family.targets_fn(
        settings['num_targets'], (settings['target_seed'], 17)), np.float64)
    targets_info[dist] = targets.tolist()
    log(f'{family.label}: targets {targets.tolist()}')
    results.setdefault(dist, {})
    for i, name in enumerate(settings['estimators']):
      if name in results[dist]:
        continue
      rec = run_one(family, name, targets, settings, log)
      computed = True
      rec['label'] = family.label
      rec['truncation'] = family.truncation
      results[dist][name] = rec
      _write_tensorboard(output_dir, dist, rec)
      with open(checkpoint_path, 'w') as f:
        json.dump(dict(settings=settings, results=results,
                       sessions=prior_sessions + 1,
                       elapsed_seconds=previous_seconds + time.time() -
                       start), f)
      done = sum(len(r) for r in results.values())
      total = len(settings['estimators']) * len(settings['distributions'])
      log(f'  [{done}/{total}] {time.time() - start:6.1f} s elapsed')
  # A resumed session that only rewrites the report adds no run time.
  elapsed = previous_seconds + (time.time() - start if computed else 0.)
  settings_out = dict(settings, sessions=prior_sessions + computed)
  plots = _plot(results, settings, output_dir)
  with open(os.path.join(output_dir, 'results.json'), 'w') as f:
    json.dump(dict(settings=settings_out, paper=PAPER, targets=targets_info,
                   elapsed_seconds=elapsed, results=results), f)
  with open(os.path.join(output_dir, 'summary.md'), 'w') as f:
    f.write(_summary(results, settings_out, plots, elapsed))
  log(f'Done in {elapsed / 60:.1f} min. Report: '
      f'{os.path.join(output_dir, "summary.md")} (plots, results.json and '
      f'TensorBoard logs in {output_dir}).')


if __name__ == '__main__':
  app.run(main)
