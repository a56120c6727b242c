r"""Poisson relaxations side by side: GenGS vs EAT-sigmoid vs EAT-cubic.

Issue 13. Three questions, one run:

1. Distributional fidelity across temperatures `tau` and rates `lambda`:
   bias of the mean and of the variance, and the Wasserstein-1 distance
   `W1 = int |F_relaxed(x) - F_Poisson(x)| dx` between the relaxed samples'
   empirical CDF and the exact Poisson CDF.
2. Gradient quality: per-sample reparameterized estimates of
   `d/dlambda E[f(z)]` for `f(z) = z^2` and `f(z) = sin(z)`, against the
   exact Poisson gradient `E[f(X + 1) - f(X)]`, `X ~ Poisson(lambda)`:
   bias, standard deviation, and root-mean-square error per sample.
3. Cost: sample + gradient of `sum((z - 2)^2)` w.r.t. `[batch, dims]` rates
   at equal effective window (`n` outcomes for GenGS, `K = n` arrivals for
   EAT), `tf.function` and XLA, as ratios to GenGS.

Methods (all from this package, float32):

- `gengs`: `GenGSPoisson(rate, tau, high, low)`, window from tail mass 1e-6
  (`low = poisson.ppf(5e-7)`, `high = poisson.isf(5e-7)`: at most 5e-7 of
  the mass is moved onto each end).
- `gsm_renorm`: the "renormalised, tail-less" Gumbel-Softmax of Ibrahim et
  al.'s reference code: outcomes `0..U-1`, `U = poisson.ppf(0.999)`, the
  Poisson PMF renormalised on them (`RelaxedTruncatedDiscrete`).
- `eat_sigmoid`, `eat_cubic`: `ExponentialArrivalPoisson` with the default
  number of arrivals (tail mass 1e-6, smoothing support included).

Usage:
  python -m benchmarks.poisson_relaxations \
      [--output_dir=results/poisson_relaxations] [--quick]
"""

import json
import os
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
import numpy as np  # noqa: E402
import scipy.stats as st  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402

from benchmarks import machine  # noqa: E402
from tfp_gengs.distributions import eat_poisson  # noqa: E402
from tfp_gengs.distributions import gengs_poisson  # noqa: E402
from tfp_gengs.distributions import relaxed_truncated_discrete  # noqa: E402


def define_flags():
  """The command line (defined only when run as a script, so importing the
  metric helpers, as the tests do, registers no flags)."""
  flags.DEFINE_string('output_dir', 'results/poisson_relaxations',
                      'README.md, results.json and PNGs are written here.')
  flags.DEFINE_integer('num_samples', 100_000,
                       'Samples per (method, rate, temperature) cell.')
  flags.DEFINE_integer('chunk', 25_000, 'Samples per graph call.')
  flags.DEFINE_list('rates', ['0.5', '2', '20'], 'Poisson rates.')
  flags.DEFINE_list('temperatures',
                    ['0.01', '0.02', '0.05', '0.1', '0.2', '0.5', '1'],
                    'Temperatures (issue 13 asks for 0.05..1; 0.01 and 0.02 '
                    'show where each method goes at lower temperature).')
  flags.DEFINE_list('sizes', ['10', '50', '200'],
                    'Windows n (= arrivals K) of the cost benchmark.')
  flags.DEFINE_integer('rounds', 7, 'Interleaved timing rounds.')
  flags.DEFINE_integer('calls', 5, 'Calls per timing round.')
  flags.DEFINE_bool('quick', False, 'Smoke run: 4000 samples, 2 rounds.')


FLAGS = flags.FLAGS

TAIL_MASS = 1e-6
GSM_QUANTILE = 0.999
METHODS = ('gengs', 'gsm_renorm', 'eat_sigmoid', 'eat_cubic')
LABELS = {
    'gengs': 'GenGS (tail mass 1e-6)',
    'gsm_renorm': 'GS renormalised (0..ppf(0.999)-1)',
    'eat_sigmoid': 'EAT-sigmoid',
    'eat_cubic': 'EAT-cubic',
}
SHORT = {'gengs': 'GenGS', 'gsm_renorm': 'GS-renorm',
         'eat_sigmoid': 'EAT-sigmoid', 'eat_cubic': 'EAT-cubic'}
FUNCTIONS = {
    'z^2': (lambda z: z**2, lambda z: 2. * z),
    'sin(z)': (np.sin, np.cos),
}
W1_TARGETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
ISSUE_TAUS = (0.05, 0.1, 0.2, 0.5, 1.)
DEFAULT_COST_RATE = 20.
HAND_WRITTEN_MARKER = '<!-- Everything below this line is hand-written. -->'


# ----------------------------------------------------------------------------
# Methods
# ----------------------------------------------------------------------------


def gengs_window(rate, tail_mass=TAIL_MASS):
  """`(low, high)`: at most `tail_mass / 2` of the mass beyond each end."""
  low = int(st.poisson.ppf(tail_mass / 2., rate))
  high = int(st.poisson.isf(tail_mass / 2., rate))
  return low, max(high, low + 1)


def gsm_support(rate):
  """Ibrahim et al.'s Gumbel-Softmax support size `ppf(0.999)` (>= 1)."""
  return max(1, int(st.poisson.ppf(GSM_QUANTILE, rate)))


def window_size(method, rate, tau):
  """Outcomes (GenGS, GS) or arrivals (EAT) used at `rate`, `tau`."""
  if method == 'gengs':
    low, high = gengs_window(rate)
    return high - low + 1
  if method == 'gsm_renorm':
    return gsm_support(rate)
  return eat_poisson.default_num_arrivals(rate, tau, method[4:], TAIL_MASS)


def make_distribution(method, rate_tensor, rate, tau):
  """The relaxed distribution of `method` for a (per-sample) rate tensor."""
  if method == 'gengs':
    low, high = gengs_window(rate)
    return gengs_poisson.GenGSPoisson(rate=rate_tensor, temperature=tau,
                                      high=high, low=low)
  if method == 'gsm_renorm':
    k = tf.range(gsm_support(rate), dtype=rate_tensor.dtype)
    logits = (k * tf.math.log(rate_tensor)[..., tf.newaxis] -
              tf.math.lgamma(k + 1.))
    return relaxed_truncated_discrete.RelaxedTruncatedDiscrete(
        temperature=tau, outcomes=k, logits=logits)
  smoothing = method[4:]
  return eat_poisson.ExponentialArrivalPoisson(
      rate=rate_tensor, temperature=tau, smoothing=smoothing,
      num_arrivals=eat_poisson.default_num_arrivals(rate, tau, smoothing,
                                                    TAIL_MASS))


def samples_and_slopes(method, rate, tau, num_samples, chunk, seed):
  """`z_i` and `dz_i/dlambda` for independent samples (float64 numpy)."""

  @tf.function
  def run(seed):
    rate_tensor = tf.fill([chunk], tf.constant(rate, tf.float32))
    with tf.GradientTape() as tape:
      tape.watch(rate_tensor)
      z = make_distribution(method, rate_tensor, rate, tau).sample(seed=seed)
    return z, tape.gradient(z, rate_tensor)

  zs, slopes = [], []
  for i in range(-(-num_samples // chunk)):
    z, slope = run(tf.constant([seed, i]))
    zs.append(z.numpy())
    slopes.append(slope.numpy())
  return (np.concatenate(zs)[:num_samples].astype(np.float64),
          np.concatenate(slopes)[:num_samples].astype(np.float64))


# ----------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------


def wasserstein1_to_poisson(samples, rate):
  """`int |F_n(x) - F_Poisson(x)| dx` exactly for the empirical CDF `F_n`."""
  x = np.sort(samples)
  top = max(x[-1], st.poisson.isf(1e-15, rate)) + 1.
  points = np.union1d(x, np.arange(0., np.floor(top) + 1.))
  points = points[(points >= min(0., x[0]))]
  emp = np.searchsorted(x, points, side='right') / x.size
  exact = st.poisson.cdf(np.floor(points), rate)
  return float(np.sum(np.abs(emp - exact)[:-1] * np.diff(points)))


def exact_poisson_gradient(f, rate):
  """`d/dlambda E f(X) = E[f(X + 1) - f(X)]`, `X ~ Poisson(lambda)`."""
  k = np.arange(int(st.poisson.isf(1e-16, rate)) + 2)
  return float(np.sum(st.poisson.pmf(k, rate) * (f(k + 1.) - f(k))))


def fidelity_and_gradients(rates, taus, num_samples, chunk):
  """All cells: fidelity metrics and gradient statistics per method."""
  cells = []
  rng = np.random.RandomState(0)
  floors = {}
  for rate in rates:  # Monte Carlo floor: W1 of exact Poisson samples
    floors[rate] = wasserstein1_to_poisson(
        rng.poisson(rate, num_samples).astype(np.float64), rate)
  for i, rate in enumerate(rates):
    for j, tau in enumerate(taus):
      for m, method in enumerate(METHODS):
        start = time.perf_counter()
        z, slope = samples_and_slopes(method, rate, tau, num_samples, chunk,
                                      seed=1000 * i + 100 * j + m)
        cell = dict(
            method=method, rate=rate, temperature=tau,
            window=window_size(method, rate, tau),
            mean_bias=float(z.mean() - rate),
            mean_se=float(z.std() / np.sqrt(z.size)),
            variance_bias=float(z.var() - rate),
            w1=wasserstein1_to_poisson(z, rate),
            gradients={})
        if method.startswith('eat'):
          first, second = eat_poisson.campbell_integrals(
              tf.constant(tau, tf.float64), method[4:])
          cell['closed_form_mean_bias'] = float(rate * first - rate)
          cell['closed_form_variance_bias'] = float(rate * second - rate)
        for name, (f, df) in FUNCTIONS.items():
          g = df(z) * slope
          exact = exact_poisson_gradient(f, rate)
          bias = float(g.mean() - exact)
          cell['gradients'][name] = dict(
              exact=exact, bias=bias, se=float(g.std() / np.sqrt(g.size)),
              sd=float(g.std()), rmse=float(np.sqrt(bias**2 + g.var())))
        cell['seconds'] = time.perf_counter() - start
        cells.append(cell)
        print(f'rate={rate:5g} tau={tau:5g} {method:12s} n={cell["window"]:4d}'
              f' mean_bias={cell["mean_bias"]:+.4f}'
              f' var_bias={cell["variance_bias"]:+.4f} w1={cell["w1"]:.4f}'
              f' grad_bias(z^2)={cell["gradients"]["z^2"]["bias"]:+.3f}'
              f' ({cell["seconds"]:.1f}s)', flush=True)
  return cells, floors


# ----------------------------------------------------------------------------
# Cost
# ----------------------------------------------------------------------------


def cost_step(method, n, tau=0.5, low=0):
  """Sample + gradient of `sum((z - 2)^2)` w.r.t. the rates.

  Window: `n` outcomes from `low` (GenGS), `0..n-1` (GS), `K = n` arrivals
  (EAT).
  """

  def step(rate, seed):
    with tf.GradientTape() as tape:
      tape.watch(rate)
      if method == 'gengs':
        d = gengs_poisson.GenGSPoisson(rate=rate, temperature=tau,
                                       high=low + n - 1, low=low)
        z = d.sample(seed=seed)
      elif method == 'gsm_renorm':
        k = tf.range(n, dtype=rate.dtype)
        logits = k * tf.math.log(rate)[..., None] - tf.math.lgamma(k + 1.)
        x = tfp.distributions.RelaxedOneHotCategorical(
            tau, logits=logits).sample(seed=seed)
        z = tf.linalg.matvec(x, k)
      else:
        z = eat_poisson.ExponentialArrivalPoisson(
            rate=rate, temperature=tau, num_arrivals=n,
            smoothing=method[4:]).sample(seed=seed)
      loss = tf.reduce_sum((z - 2.)**2)
    return tape.gradient(loss, rate)

  return step


def time_calls(fn, rate, seed, calls):
  start = time.perf_counter()
  for _ in range(calls):
    out = fn(rate, seed)
  out.numpy()
  return (time.perf_counter() - start) / calls * 1e3


def interleaved_times(steps, mode, rate, rounds, calls):
  """Fastest round's ms per call of each step, timed round by round.

  The machine is shared, so a round is slowed whenever another job takes
  the cores; the fastest of the interleaved rounds is the estimate least
  affected by that (the medians go to results.json).
  """
  seed = tf.constant([1, 2], tf.int32)
  fns = {m: tf.function(step, jit_compile=(mode == 'xla'))
         for m, step in steps.items()}
  for fn in fns.values():  # warm-up: tracing and compilation
    time_calls(fn, rate, seed, 2)
  times = {m: [] for m in fns}
  for _ in range(rounds):
    for m, fn in fns.items():
      times[m].append(time_calls(fn, rate, seed, calls))
  return ({m: float(np.min(t)) for m, t in times.items()},
          {m: float(np.median(t)) for m, t in times.items()})


def cost(sizes, rounds, calls, batch=100, dims=50):
  """Equal windows: `n` outcomes (GenGS, GS) and `K = n` arrivals (EAT)."""
  rng = np.random.RandomState(0)
  rate = tf.constant(rng.uniform(1., 5., size=[batch, dims]), tf.float32)
  rows = []
  for n in sizes:
    for mode in ('function', 'xla'):
      ms, median = interleaved_times({m: cost_step(m, n) for m in METHODS},
                                     mode, rate, rounds, calls)
      rows.append(dict(n=n, mode=mode, ms=ms, median_ms=median,
                       elements=batch * dims))
      print(f'n={n:4d} {mode:8s} ' + ' '.join(
          f'{m}={v:7.2f}ms' for m, v in ms.items()), flush=True)
  return rows


def cost_at_defaults(rounds, calls, batch=100, dims=50,
                     rate_value=None, taus=(0.1, 1.)):
  """Each method's own window at one rate (EAT's K grows with tau)."""
  rate_value = DEFAULT_COST_RATE if rate_value is None else rate_value
  rate = tf.fill([batch, dims], tf.constant(rate_value, tf.float32))
  low, _ = gengs_window(rate_value)
  rows = []
  for tau in taus:
    sizes = {m: window_size(m, rate_value, tau) for m in METHODS}
    for mode in ('function', 'xla'):
      steps = {m: cost_step(m, sizes[m], tau,
                            low=low if m == 'gengs' else 0)
               for m in METHODS}
      ms, median = interleaved_times(steps, mode, rate, rounds, calls)
      rows.append(dict(temperature=tau, mode=mode, sizes=sizes, ms=ms,
                       median_ms=median,
                       rate=rate_value, elements=batch * dims))
      print(f'defaults tau={tau:g} {mode:8s} ' + ' '.join(
          f'{m}(n={sizes[m]})={v:7.2f}ms' for m, v in ms.items()),
            flush=True)
  return rows


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------


def _cell(cells, method, rate, tau):
  return next(c for c in cells if c['method'] == method and
              c['rate'] == rate and c['temperature'] == tau)


def metric_table(cells, rates, taus, value, fmt, note=None):
  lines = ['| method | rate | ' + ' | '.join(f'tau={t:g}' for t in taus) +
           ' |', '|---|---|' + '---|' * len(taus)]
  for method in METHODS:
    for rate in rates:
      lines.append(f'| {LABELS[method]} | {rate:g} | ' + ' | '.join(
          fmt.format(value(_cell(cells, method, rate, tau))) for tau in taus)
                   + ' |')
  if note:
    lines += ['', note]
  return lines


def best_table(cells, rates, taus, key, label):
  """Per method and rate: best temperature, its value, and the worst."""
  lines = [f'| method | rate | best tau | best {label} | worst {label} |',
           '|---|---|---|---|---|']
  for method in METHODS:
    for rate in rates:
      values = [(key(_cell(cells, method, rate, tau)), tau) for tau in taus]
      best, worst = min(values), max(values)
      lines.append(f'| {LABELS[method]} | {rate:g} | {best[1]:g} | '
                   f'{best[0]:.4f} | {worst[0]:.4f} |')
  return lines


def winners(cells, rates, taus, key):
  """How often each method has the smallest `key` over the cells."""
  counts = {m: 0 for m in METHODS}
  for rate in rates:
    for tau in taus:
      best = min(METHODS, key=lambda m: key(_cell(cells, m, rate, tau)))  # noqa: B023
      counts[best] += 1
  return ', '.join(f'{SHORT[m]} {c}' for m, c in counts.items())


def plots(cells, floors, rates, taus, output_dir):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  colors = {'gengs': 'C0', 'gsm_renorm': 'C7', 'eat_sigmoid': 'C2',
            'eat_cubic': 'C3'}
  fig, axes = plt.subplots(1, len(rates), figsize=(4 * len(rates), 3.2))
  for ax, rate in zip(np.atleast_1d(axes), rates):
    for m in METHODS:
      ax.plot(taus, [_cell(cells, m, rate, t)['w1'] for t in taus], 'o-',
              color=colors[m], label=LABELS[m])
    ax.axhline(floors[rate], color='k', ls=':', label='MC floor')
    ax.set(xscale='log', yscale='log', xlabel='temperature tau',
           title=f'rate {rate:g}')
  np.atleast_1d(axes)[0].set_ylabel('W1 to Poisson')
  np.atleast_1d(axes)[0].legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(os.path.join(output_dir, 'w1_vs_temperature.png'), dpi=80)
  plt.close(fig)

  fig, axes = plt.subplots(len(FUNCTIONS), len(rates),
                           figsize=(4 * len(rates), 3 * len(FUNCTIONS)),
                           squeeze=False)
  for row, name in enumerate(FUNCTIONS):
    for ax, rate in zip(axes[row], rates):
      for k, m in enumerate(METHODS):
        g = [_cell(cells, m, rate, t)['gradients'][name] for t in taus]
        shift = np.array(taus) * 1.06**(k - 1.5)  # side by side
        ax.errorbar(shift, [x['bias'] for x in g],
                    yerr=[2. * x['se'] for x in g], fmt='o-', ms=3,
                    color=colors[m], label=LABELS[m], capsize=2)
      ax.axhline(0., color='k', lw=0.5)
      ax.set(xscale='log', xlabel='temperature tau',
             title=f'bias of d/drate E[{name}], rate {rate:g}')
  axes[0, 0].legend(fontsize=6)
  fig.tight_layout()
  fig.savefig(os.path.join(output_dir, 'gradient_bias.png'), dpi=80)
  plt.close(fig)

  fig, axes = plt.subplots(len(FUNCTIONS), len(rates),
                           figsize=(4 * len(rates), 3 * len(FUNCTIONS)),
                           squeeze=False)
  for row, name in enumerate(FUNCTIONS):
    for ax, rate in zip(axes[row], rates):
      for m in METHODS:
        c = [_cell(cells, m, rate, t) for t in taus]
        ax.plot([x['w1'] for x in c],
                [x['gradients'][name]['rmse'] for x in c], 'o-',
                color=colors[m], label=LABELS[m], ms=3)
        for x, t in zip(c, taus):
          if t in (taus[0], taus[-1]):
            ax.annotate(f'{t:g}', (x['w1'], x['gradients'][name]['rmse']),
                        fontsize=6, color=colors[m])
      ax.set(xscale='log', yscale='log', xlabel='W1 to Poisson',
             ylabel=f'RMSE of d/drate E[{name}]', title=f'rate {rate:g}')
  axes[0, 0].legend(fontsize=6)
  fig.tight_layout()
  fig.savefig(os.path.join(output_dir, 'tradeoff.png'), dpi=80)
  plt.close(fig)


def histogram_plot(output_dir, rate=2., taus=(0.1, 0.5), num=100_000):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, axes = plt.subplots(1, len(taus), figsize=(5 * len(taus), 3.2))
  edges = np.arange(-0.25, 8.3, 0.1)
  for ax, tau in zip(axes, taus):
    pmf = st.poisson.pmf(np.arange(9), rate)
    ax.bar(np.arange(9), pmf / 0.1, width=0.1, fill=False, label='Poisson')
    for m in METHODS:
      z, _ = samples_and_slopes(m, rate, tau, num, 25_000, seed=77)
      ax.stairs(np.histogram(z, edges, density=True)[0], edges,
                label=LABELS[m], lw=2.5 if m == 'gengs' else 1.,
                alpha=0.6 if m == 'gengs' else 1.)
    ax.set(title=f'rate {rate:g}, tau {tau:g}', xlabel='relaxed count',
           ylim=(0, 4.5))
  axes[0].legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(os.path.join(output_dir, 'histograms.png'), dpi=80)
  plt.close(fig)


def report(cells, floors, cost_rows, default_rows, rates, taus, args,
           elapsed):
  command = args['command']
  n = args['num_samples']
  lines = [
      '# Poisson relaxations: GenGS vs EAT-sigmoid vs EAT-cubic',
      '',
      f'Every number below comes from one run of `{command}` '
      f'({elapsed / 60:.1f} min) on: {machine.describe()}.',
      '',
      f'Sample sizes: {n} relaxed samples per (method, rate, temperature) '
      f'cell for both the fidelity and the gradient tables (per-sample '
      'gradients, float32); Monte Carlo floor of W1 = W1 of as many exact '
      'Poisson draws: ' + ', '.join(
          f'rate {r:g}: {floors[r]:.4f}' for r in rates) + '.',
      '',
      'Methods: ' + '; '.join(f'**{LABELS[m]}**' for m in METHODS) + '. '
      'GenGS window from tail mass 1e-6 (`low = poisson.ppf(5e-7)`, '
      '`high = poisson.isf(5e-7)`); the renormalised Gumbel-Softmax is Ibrahim '
      'et al.\'s reference baseline (outcomes `0..ppf(0.999)-1`, no tail); '
      'EAT with the default number of arrivals (tail mass 1e-6 including the '
      'smoothing support: `ExponentialArrivalPoisson.num_arrivals`). '
      'Temperatures are each method\'s own: a softmax temperature for '
      'GenGS/GS, a time scale for EAT.',
      '',
      '## Headline',
      '',
      f'Command: `{command}`. Which method has the smallest value, counted '
      'over the (rate, temperature) cells, on the issue\'s grid '
      f'(tau in {{{", ".join(f"{t:g}" for t in ISSUE_TAUS)}}}) and on '
      'all temperatures run; point '
      'estimates (standard errors in the tables below):',
      '',
  ]
  lines += headline(cells, rates, taus)
  lines += [
      '',
      '## Distributional fidelity',
      '',
      f'Command: `{command}`.',
      '',
      '### Wasserstein-1 distance to Poisson(rate) (lower is better)',
      '',
  ]
  lines += metric_table(cells, rates, taus, lambda c: c['w1'], '{:.4f}')
  lines += ['', '### Best and worst temperature per method (W1)', '']
  lines += best_table(cells, rates, taus, lambda c: c['w1'], 'W1')
  lines += ['', '### Mean bias `E z - rate` (Monte Carlo; standard error in '
            'results.json, at most '
            f'{max(c["mean_se"] for c in cells):.3f})', '']
  lines += metric_table(cells, rates, taus, lambda c: c['mean_bias'],
                        '{:+.4f}')
  lines += ['', '### Variance bias `Var z - rate` (Monte Carlo)', '']
  lines += metric_table(cells, rates, taus, lambda c: c['variance_bias'],
                        '{:+.4f}')
  eat_cells = [c for c in cells if 'closed_form_mean_bias' in c]
  worst = max(abs(c['mean_bias'] - c['closed_form_mean_bias']) / c['mean_se']
              for c in eat_cells)
  lines += ['', 'EAT closed forms (Campbell, `mean()`/`variance()`) against '
            f'these Monte Carlo means: largest gap {worst:.1f} standard '
            'errors over the EAT cells.', '',
            '### Window size (outcomes for GenGS/GS, default arrivals K for '
            'EAT)', '']
  lines += metric_table(cells, rates, taus, lambda c: c['window'], '{:d}')
  lines += ['', '![W1 vs temperature](w1_vs_temperature.png)', '',
            '![Histograms at rate 2](histograms.png)', '',
            '## Gradient quality: `d/drate E[f(z)]`', '',
            f'Command: `{command}`. Exact: `E[f(X+1) - f(X)]`, X ~ '
            'Poisson(rate): ' + '; '.join(
                f'{name}: ' + ', '.join(
                    f'rate {r:g} -> {exact_poisson_gradient(f, r):.4f}'
                    for r in rates)
                for name, (f, _) in FUNCTIONS.items()) + '.', '']
  for name in FUNCTIONS:
    lines += [f'### f(z) = {name}: bias (per-sample estimate minus exact)',
              '']
    lines += metric_table(
        cells, rates, taus,
        lambda c: (c['gradients'][name]['bias'],  # noqa: B023
                   c['gradients'][name]['se']),  # noqa: B023
        '{0[0]:+.3f} ({0[1]:.3f})',
        note='In parentheses: the standard error of the bias (Monte Carlo '
        'noise); biases within about 2 standard errors are not resolved.')
    lines += ['', f'### f(z) = {name}: RMSE per sample '
              '`sqrt(bias^2 + sd^2)` (lower is better)', '']
    lines += metric_table(cells, rates, taus,
                          lambda c: c['gradients'][name]['rmse'],  # noqa: B023
                          '{:.3f}')
    lines += ['']
    lines += best_table(cells, rates, taus,
                        lambda c: c['gradients'][name]['rmse'],  # noqa: B023
                        'RMSE')
    lines += ['']
  lines += ['![Gradient bias](gradient_bias.png)', '',
            '## Fidelity against gradient quality', '',
            f'Command: `{command}`. Each method\'s temperatures trade W1 '
            'against gradient RMSE; at equal fidelity, which method has the '
            'better gradients? For each W1 target: the smallest per-sample '
            'RMSE among the temperatures of the grid whose W1 meets it '
            '(temperature in brackets; - when none does).', '']
  for name in FUNCTIONS:
    lines += [f'### f(z) = {name}', '']
    lines += matched_table(cells, rates, taus, name, floors)
    lines += ['']
  lines += ['![W1 against gradient RMSE](tradeoff.png)', '',
            '## Cost per estimate at equal window', '',
            f'Command: `{command}`. Sample + gradient of `sum((z - 2)^2)` '
            'w.r.t. rates `[100, 50]` (uniform 1..5), temperature 0.5, window '
            '`n` outcomes (GenGS `high = n - 1`; GS renormalised on `0..n-1`) '
            'or `K = n` arrivals (EAT); ms per call of the fastest of '
            f'{args["rounds"]} interleaved rounds of {args["calls"]} calls '
            'after a warm-up (medians in results.json); ratios to GenGS. The '
            'machine was shared with other jobs: 1-minute load average '
            '{:.1f} before and {:.1f} after the timing, on 2 cores, so the '
            'times are noisy (compare rows doing the same work); the ratios '
            'of interleaved fastest rounds less so.'.format(
                *args['load_average']), '',
            '| n | mode | GenGS (ms) | GS renorm. (ms) | EAT-sigmoid (ms) | '
            'EAT-cubic (ms) | GS / GenGS | EAT-sigmoid / GenGS | '
            'EAT-cubic / GenGS | GenGS us/element |',
            '|---|---|---|---|---|---|---|---|---|---|']
  for row in cost_rows:
    ms = row['ms']
    lines.append(
        f'| {row["n"]} | {row["mode"]} | {ms["gengs"]:.2f} | '
        f'{ms["gsm_renorm"]:.2f} | {ms["eat_sigmoid"]:.2f} | '
        f'{ms["eat_cubic"]:.2f} | {ms["gsm_renorm"] / ms["gengs"]:.2f} | '
        f'{ms["eat_sigmoid"] / ms["gengs"]:.2f} | '
        f'{ms["eat_cubic"] / ms["gengs"]:.2f} | '
        f'{ms["gengs"] / row["elements"] * 1e3:.2f} |')
  lines += ['', '### At each method\'s default window', '',
            f'Command: `{command}`. The same step with every rate equal to '
            f'{DEFAULT_COST_RATE:g} and each method\'s own window: GenGS and '
            'GS as in the fidelity tables, EAT with its default `K` (which '
            'grows with the temperature); ratios to GenGS.', '',
            '| tau | mode | GenGS n | EAT-sigmoid K | EAT-cubic K | '
            'GenGS (ms) | GS renorm. (ms) | EAT-sigmoid (ms) | '
            'EAT-cubic (ms) | EAT-sigmoid / GenGS | EAT-cubic / GenGS |',
            '|---|---|---|---|---|---|---|---|---|---|---|']
  for row in default_rows:
    ms, n = row['ms'], row['sizes']
    lines.append(
        f'| {row["temperature"]:g} | {row["mode"]} | {n["gengs"]} | '
        f'{n["eat_sigmoid"]} | {n["eat_cubic"]} | {ms["gengs"]:.2f} | '
        f'{ms["gsm_renorm"]:.2f} | {ms["eat_sigmoid"]:.2f} | '
        f'{ms["eat_cubic"]:.2f} | {ms["eat_sigmoid"] / ms["gengs"]:.2f} | '
        f'{ms["eat_cubic"] / ms["gengs"]:.2f} |')
  lines += ['', 'The GS renormalised baseline is '
            '`tfd.RelaxedOneHotCategorical`, whose default random generator '
            'is slow under XLA on the CPU (see '
            '`benchmarks/results/sampling.md`); GenGS and EAT share the '
            'package\'s Philox uniform sampler.']
  return '\n'.join(lines) + '\n'


def headline(cells, rates, taus):
  """Winner counts per metric, on the issue's grid and on all taus."""
  metrics = [
      ('W1 to Poisson', lambda c: c['w1']),
      ('|mean bias|', lambda c: abs(c['mean_bias'])),
      ('|variance bias|', lambda c: abs(c['variance_bias'])),
  ]
  for name in FUNCTIONS:
    metrics += [
        (f'|gradient bias|, f = {name}',
         lambda c, n=name: abs(c['gradients'][n]['bias'])),
        (f'gradient RMSE per sample, f = {name}',
         lambda c, n=name: c['gradients'][n]['rmse']),
    ]
  grid = [t for t in taus if t in ISSUE_TAUS]
  lines = []
  for label, key in metrics:
    lines.append(
        f'- {label}: issue grid ({len(rates) * len(grid)} cells) '
        f'{winners(cells, rates, grid, key)}; all '
        f'({len(rates) * len(taus)}) {winners(cells, rates, taus, key)}.')
  return lines


def matched_table(cells, rates, taus, name, floors):
  """Smallest gradient RMSE per method among temperatures meeting a W1."""
  lines = ['| rate | W1 target | ' + ' | '.join(LABELS[m] for m in METHODS) +
           ' |', '|---|---|' + '---|' * len(METHODS)]
  for rate in rates:
    for target in W1_TARGETS:
      if target < 2. * floors[rate]:
        continue
      row = []
      for m in METHODS:
        ok = [(_cell(cells, m, rate, t)['gradients'][name]['rmse'], t)
              for t in taus if _cell(cells, m, rate, t)['w1'] <= target]
        row.append(f'{min(ok)[0]:.3f} [{min(ok)[1]:g}]' if ok else '-')
      lines.append(f'| {rate:g} | {target:g} | ' + ' | '.join(row) + ' |')
  return lines


def main(argv):
  del argv
  start = time.perf_counter()
  quick = FLAGS.quick
  num_samples = 4000 if quick else FLAGS.num_samples
  chunk = min(FLAGS.chunk, num_samples)
  rounds = 2 if quick else FLAGS.rounds
  calls = 2 if quick else FLAGS.calls
  rates = [float(r) for r in FLAGS.rates]
  taus = [float(t) for t in FLAGS.temperatures]
  sizes = [int(s) for s in FLAGS.sizes]
  os.makedirs(FLAGS.output_dir, exist_ok=True)
  cells, floors = fidelity_and_gradients(rates, taus, num_samples, chunk)
  load_before = os.getloadavg()[0]
  cost_rows = cost(sizes, rounds, calls)
  default_rows = cost_at_defaults(rounds, calls)
  load = (load_before, os.getloadavg()[0])
  plots(cells, floors, rates, taus, FLAGS.output_dir)
  histogram_plot(FLAGS.output_dir, num=num_samples)
  elapsed = time.perf_counter() - start
  command = ' '.join(['python -m benchmarks.poisson_relaxations'] + [
      f'--{name}={FLAGS[name].serialize().split("=", 1)[1]}'
      if name != 'quick' else '--quick'
      for name in ('output_dir', 'num_samples', 'chunk', 'rates',
                   'temperatures', 'sizes', 'rounds', 'calls', 'quick')
      if FLAGS[name].present])
  args = dict(command=command, load_average=load, quick=quick,
              num_samples=num_samples,
              rounds=rounds,
              calls=calls, rates=rates, temperatures=taus, sizes=sizes,
              tail_mass=TAIL_MASS, gsm_quantile=GSM_QUANTILE)
  with open(os.path.join(FLAGS.output_dir, 'results.json'), 'w') as f:
    json.dump(dict(args=args, machine=machine.describe(),
                   elapsed_s=elapsed, poisson_w1_floor=floors, cells=cells,
                   cost=cost_rows, cost_at_defaults=default_rows), f,
              indent=1)
  text = report(cells, floors, cost_rows, default_rows, rates, taus, args,
                elapsed)
  path = os.path.join(FLAGS.output_dir, 'README.md')
  if os.path.exists(path):  # keep the hand-written reading
    with open(path) as f:
      old = f.read()
    if HAND_WRITTEN_MARKER in old:
      text += '\n' + old[old.index(HAND_WRITTEN_MARKER):]
  machine.print_and_write(text, path)


if __name__ == '__main__':
  define_flags()
  app.run(main)
