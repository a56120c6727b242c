r"""Sampling benchmark: GenGS vs plain Gumbel-Softmax + matmul, and EAT.

Task (as in ../shared/notes/performance-anchors.md): relaxed Poisson samples
from rates `[batch, dims]`, outcomes `0..n-1`, temperature 0.5, then the
gradient of `sum((z - 2)^2)` with respect to the rates.

- `plain`: the Poisson log-PMF on `0..n-1` (renormalised: no tail category),
  `tfd.RelaxedOneHotCategorical(0.5, logits).sample()`, then a matmul with
  the outcome values.
- `gengs`: `gengs.GenGSPoisson(rate, 0.5, high=n-1).sample()` (exact tails on
  the last category, fused sampler).
- `gengs_st`: the same with `straight_through=True`.
- `eat_cubic`, `eat_sigmoid` (issue 13): `gengs.ExponentialArrivalPoisson(
  rate, 0.5, num_arrivals=n, smoothing=...)`, the exponential-arrival-time
  relaxation at equal effective window (`K = n` arrivals against GenGS's
  `n` outcomes: both give counts in `0..n`, resp. `0..n-1`).

Each is timed in eager mode, `tf.function` and `tf.function(jit_compile=True)`,
interleaved round by round after a warm-up; the table gives the median
milliseconds per call and the ratios GenGS / plain and EAT / GenGS, all from
the same run.

Usage:
  python -m benchmarks.sampling [--rounds=7] [--sizes=10,50,200,1000]
  # A short run written beside the full results (not over them):
  python -m benchmarks.sampling --sizes=10,50,200 --modes=function,xla \
      --rounds=3 --calls=3 --output=/tmp/sampling_short.md
"""

import functools
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import machine  # noqa: E402
from benchmarks import peer_worker  # noqa: E402

flags.DEFINE_integer('batch', 100, 'Batch size.')
flags.DEFINE_integer('dims', 50, 'Latent dimensions.')
flags.DEFINE_list('sizes', ['10', '50', '200', '1000'], 'Numbers of outcomes.')
flags.DEFINE_integer('rounds', 7, 'Interleaved timing rounds.')
flags.DEFINE_integer('calls', 5, 'Calls per round (averaged).')
flags.DEFINE_list('modes', ['eager', 'function', 'xla'], 'Execution modes.')
flags.DEFINE_string('output', 'benchmarks/results/sampling.md',
                    'Markdown table written here.')
FLAGS = flags.FLAGS

TEMPERATURE = peer_worker.TEMPERATURE


IMPLEMENTATIONS = {
    'plain': functools.partial(peer_worker.tf_gradient, 'plain'),
    'gengs': functools.partial(peer_worker.tf_gradient, 'gengs'),
    'gengs_st': functools.partial(peer_worker.tf_gradient, 'gengs',
                                  straight_through=True),
    'eat_cubic': functools.partial(peer_worker.tf_gradient, 'eat_cubic'),
    'eat_sigmoid': functools.partial(peer_worker.tf_gradient, 'eat_sigmoid'),
}
# Ratios in the printout and the table: (numerator, denominator).
RATIOS = (('gengs', 'plain'), ('gengs_st', 'plain'), ('eat_cubic', 'gengs'),
          ('eat_sigmoid', 'gengs'))


def compile_fn(step, n, mode):
  fn = lambda rate, seed: step(rate, n, seed)  # noqa: E731
  if mode == 'eager':
    return fn
  return tf.function(fn, jit_compile=(mode == 'xla'))


def time_calls(fn, rate, seed, calls):
  start = time.perf_counter()
  for _ in range(calls):
    out = fn(rate, seed)
  out.numpy()
  return (time.perf_counter() - start) / calls * 1e3


def run(batch, dims, sizes, modes, rounds, calls):
  """Returns rows `(n, mode, {impl: median ms})`."""
  rng = np.random.RandomState(0)
  rate = tf.constant(rng.uniform(1., 5., size=[batch, dims]), tf.float32)
  seed = tf.constant([1, 2], tf.int32)
  rows = []
  for n in sizes:
    for mode in modes:
      fns = {name: compile_fn(step, n, mode)
             for name, step in IMPLEMENTATIONS.items()}
      for fn in fns.values():  # warm-up (tracing, XLA compilation)
        time_calls(fn, rate, seed, 2)
      times = {name: [] for name in fns}
      for _ in range(rounds):
        for name, fn in fns.items():
          times[name].append(time_calls(fn, rate, seed, calls))
      medians = {name: float(np.median(t)) for name, t in times.items()}
      rows.append((n, mode, medians))
      print(f'n={n:5d} {mode:8s} ' + '  '.join(
          f'{name}={ms:8.2f}ms' for name, ms in medians.items()) + '  ' +
            '  '.join(f'{a}/{b}={medians[a] / medians[b]:.2f}'
                      for a, b in RATIOS), flush=True)
  return rows


def to_markdown(rows, batch, dims, rounds, calls, elapsed,
                command='python -m benchmarks.sampling'):
  lines = [
      '# Sampling benchmark: GenGS vs plain Gumbel-Softmax + matmul, and EAT',
      '',
      f'Machine: {machine.describe()}.',
      '',
      f'Command: `{command}` (batch {batch} x {dims} '
      f'latent dims, temperature {TEMPERATURE}, {rounds} interleaved rounds of '
      f'{calls} calls after a warm-up; median ms per call of sample + '
      f'gradient of `sum((z - 2)^2)` w.r.t. the rates). Total time '
      f'{elapsed:.0f} s.',
      '',
      '- `plain`: Poisson log-PMF on 0..n-1 (renormalised, no tail), '
      '`tfd.RelaxedOneHotCategorical(...).sample()`, matmul with outcomes.',
      '- `gengs`: `GenGSPoisson(rate, 0.5, high=n-1).sample()` (exact tail '
      'mass on the last outcome); `gengs_st`: straight-through.',
      '- `eat_cubic`, `eat_sigmoid`: `ExponentialArrivalPoisson(rate, 0.5, '
      'num_arrivals=n)` with cubic / sigmoid smoothing (equal effective '
      'window: `K = n` arrivals).',
      '',
      '| n | mode | ' + ' | '.join(f'{name} (ms)' for name in IMPLEMENTATIONS)
      + ' | ' + ' | '.join(f'{a} / {b}' for a, b in RATIOS) + ' |',
      '|---|---|' + '---|' * (len(IMPLEMENTATIONS) + len(RATIOS)),
  ]
  for n, mode, m in rows:
    lines.append(
        f'| {n} | {mode} | ' +
        ' | '.join(f'{m[name]:.2f}' for name in IMPLEMENTATIONS) + ' | ' +
        ' | '.join(f'{m[a] / m[b]:.2f}' for a, b in RATIOS) + ' |')
  return '\n'.join(lines) + '\n'


def main(argv):
  del argv
  sizes = [int(s) for s in FLAGS.sizes]
  start = time.perf_counter()
  rows = run(FLAGS.batch, FLAGS.dims, sizes, FLAGS.modes, FLAGS.rounds,
             FLAGS.calls)
  command = ' '.join(['python -m benchmarks.sampling'] + sys.argv[1:])
  table = to_markdown(rows, FLAGS.batch, FLAGS.dims, FLAGS.rounds,
                      FLAGS.calls, time.perf_counter() - start, command)
  machine.print_and_write(table, FLAGS.output)


if __name__ == '__main__':
  app.run(main)
