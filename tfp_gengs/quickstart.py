r"""Quickstart: the truncated and relaxed Poisson(7) of the paper's Figure 1(a).

For several truncation levels `n` (outcomes `0..n-1`, the right tail on
`n-1`) and temperatures `tau`, prints the truncated PMF `pi` and statistics
of GenGS samples `T(GS(pi, tau))`, and plots the histogram of relaxed
samples over the PMF sticks (rows: temperature falls; columns: truncation
grows), as in the paper's Figure 1(a).

Usage:
  python -m tfp_gengs.quickstart --output_dir=runs/quickstart
"""

import json
import os
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402

import tfp_gengs as gengs  # noqa: E402

flags.DEFINE_string('output_dir', 'runs/quickstart', 'Where to write results.')
flags.DEFINE_float('rate', 7., 'Poisson rate.')
flags.DEFINE_list('truncations', ['8', '12', '20'],
                  'Truncation levels n (outcomes 0..n-1).')
flags.DEFINE_list('temperatures', ['1.0', '0.5', '0.1'], 'Temperatures tau.')
flags.DEFINE_integer('num_samples', 20000, 'Samples per panel.')
flags.DEFINE_integer('seed', 0, 'Random seed.')
FLAGS = flags.FLAGS


def panel(rate, n, tau, num_samples, seed):
  """Truncated PMF and GenGS samples for one (n, tau)."""
  truncated = gengs.truncate(tfp.distributions.Poisson(rate), high=n - 1)
  relaxed = gengs.RelaxedTruncatedDiscrete.from_truncated(truncated, tau)
  samples = relaxed.sample(num_samples, seed=[seed, n]).numpy()
  pi = truncated.probs_parameter().numpy()
  return dict(
      n=n, temperature=tau, pi=pi.tolist(),
      tail_mass=float(pi[-1] - np.exp(tfp.distributions.Poisson(rate).log_prob(
          float(n - 1)).numpy())),
      truncated_mean=float(truncated.mean()),
      sample_mean=float(samples.mean()),
      sample_std=float(samples.std()),
      mean_distance_to_integer=float(np.mean(np.abs(samples -
                                                   np.round(samples)))),
      histogram=np.histogram(samples, bins=4 * n, range=(-.5, n - .5))[0]
      .tolist()), samples


def plot(panels, samples, rate, path):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  ns = sorted({p['n'] for p in panels})
  taus = sorted({p['temperature'] for p in panels}, reverse=True)
  fig, axes = plt.subplots(len(taus), len(ns), figsize=(3.2 * len(ns),
                                                        2.4 * len(taus)),
                           squeeze=False)
  for p, s in zip(panels, samples):
    ax = axes[taus.index(p['temperature'])][ns.index(p['n'])]
    # Bar heights are fractions of samples (bins of width 1/4 centred on
    # multiples of 1/4), so that at
    # tau -> 0 the bar holding outcome k has height pi_k.
    ax.hist(s, bins=4 * p['n'] - 3, range=(-.125, p['n'] - .875),
            weights=np.full(s.shape, 1. / s.size), color='tab:blue',
            alpha=.5, label='GenGS samples')
    ax.vlines(np.arange(p['n']), 0, p['pi'], color='tab:red', lw=2,
              label='truncated PMF')
    ax.set_title(f'n={p["n"]}, tau={p["temperature"]}', fontsize=9)
  axes[0][0].legend(fontsize=7)
  fig.suptitle(f'Truncated and relaxed Poisson({rate:g})')
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def main(argv):
  del argv
  start = time.time()
  os.makedirs(FLAGS.output_dir, exist_ok=True)
  panels, all_samples = [], []
  print(f'Poisson({FLAGS.rate:g}): truncated PMF pi and GenGS samples')
  print(f'{"n":>4} {"tau":>5} {"tail on n-1":>12} {"E_pi[z]":>8} '
        f'{"mean z":>8} {"std z":>7} {"|z-round(z)|":>13}')
  for n in map(int, FLAGS.truncations):
    for tau in map(float, FLAGS.temperatures):
      result, samples = panel(FLAGS.rate, n, tau, FLAGS.num_samples,
                              FLAGS.seed)
      panels.append(result)
      all_samples.append(samples)
      print(f'{n:4d} {tau:5.2f} {result["tail_mass"]:12.4g} '
            f'{result["truncated_mean"]:8.3f} {result["sample_mean"]:8.3f} '
            f'{result["sample_std"]:7.3f} '
            f'{result["mean_distance_to_integer"]:13.4f}')
  plot(panels, all_samples, FLAGS.rate,
       os.path.join(FLAGS.output_dir, 'figure1a.png'))
  settings = dict(rate=FLAGS.rate, truncations=FLAGS.truncations,
                  temperatures=FLAGS.temperatures,
                  num_samples=FLAGS.num_samples, seed=FLAGS.seed)
  with open(os.path.join(FLAGS.output_dir, 'results.json'), 'w') as f:
    json.dump(dict(settings=settings, panels=panels), f, indent=1)
  lines = ['# Quickstart: truncated and relaxed Poisson', '',
           f'Settings: {json.dumps(settings)}', '',
           '| n | tau | tail mass on n-1 | E_pi[z] | sample mean | sample std |'
           ' mean abs(z - round(z)) |', '|---|---|---|---|---|---|---|']
  for p in panels:
    lines.append(f'| {p["n"]} | {p["temperature"]} | {p["tail_mass"]:.4g} | '
                 f'{p["truncated_mean"]:.3f} | {p["sample_mean"]:.3f} | '
                 f'{p["sample_std"]:.3f} | '
                 f'{p["mean_distance_to_integer"]:.4f} |')
  lines += ['', '![Figure 1(a)](figure1a.png)', '']
  with open(os.path.join(FLAGS.output_dir, 'summary.md'), 'w') as f:
    f.write('\n'.join(lines))
  print(f'Done in {time.time() - start:.1f} s. Report: '
        f'{os.path.join(FLAGS.output_dir, "summary.md")}, plot: '
        f'{os.path.join(FLAGS.output_dir, "figure1a.png")}')


if __name__ == '__main__':
  app.run(main)
