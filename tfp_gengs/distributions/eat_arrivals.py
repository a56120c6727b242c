"""EAT arrivals: how many (`K`), their times, and the relaxed count.

`K` arrival times of a Poisson process of rate `exp(log_rate)`,
`t_k = (E_1 + ... + E_k) / rate`, `E_i ~ Exponential(1)`, and the relaxed
count `sum_k s((1 - t_k) / tau)` (`eat_smoothing`); `default_num_arrivals`
chooses `K` so that more arrivals would change the count with probability
at most a tail mass.
"""

import math
from typing import Any

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import distribution_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.distributions import eat_smoothing

__all__ = [
    'arrival_times',
    'default_num_arrivals',
    'relaxed_count',
]

def _poisson_isf(q, mu):
  """Smallest integer `k >= 0` with `P(Poisson(mu) > k) <= q` (float64)."""
  if mu <= 0.:
    return 0
  hi = int(mu + 12. * math.sqrt(mu) + 40.)
  while True:
    j = np.arange(hi + 1, dtype=np.float64)
    log_fact = np.concatenate([[0.], np.cumsum(np.log(j[1:]))])
    pmf = np.exp(j * math.log(mu) - mu - log_fact)
    # Mass above `hi`: pmf(hi + 1) / (1 - mu / (hi + 2)) bounds it (ratio of
    # consecutive terms mu / j decreasing).
    above = pmf[-1] * mu / (hi + 1.) / max(1. - mu / (hi + 2.), 1e-300)
    sf = np.cumsum(pmf[::-1])[::-1] - pmf + above  # P(X > k), k = 0..hi
    ok = np.nonzero(sf <= q)[0]
    if ok.size:
      return int(ok[0])
    hi *= 2


def default_num_arrivals(rate: Any, temperature: Any,
                         smoothing: str = 'cubic',
                         tail_mass: float = 1e-6) -> int:
  """The default number of simulated arrivals `K` (Python-known values).

  `K` is the smallest integer with `P(N(t_h) > K) <= tail_mass`, where
  `N(t_h) ~ Poisson(lambda_max t_h)` counts the arrivals before
  `t_h = support_end(tau_max, smoothing, tail_mass)` (`eat_smoothing`) and
  `lambda_max`,
  `tau_max` are the largest rate and temperature in the batch: the arrivals
  left out all come after `t_h` except with probability `tail_mass`. For the
  cubic smoothing this is exactly the probability that the `K`-arrival sample
  differs from the infinite-process one, the analogue of GenGS's tail mass.

  Args:
    rate: Python float or array of positive rates.
    temperature: Python float or array of positive temperatures.
    smoothing: `'cubic'` or `'sigmoid'`.
    tail_mass: Python float in (0, 1).

  Returns:
    `K`, a Python int >= 1.
  """
  eat_smoothing.check_smoothing(smoothing)
  tail_mass = eat_smoothing.check_tail_mass(tail_mass)
  rate_max = float(np.max(rate))
  tau_max = float(np.max(temperature))
  mu = rate_max * eat_smoothing.support_end(tau_max, smoothing, tail_mass)
  return max(1, _poisson_isf(tail_mass, mu))


def _max_log_time_scale(dtype):
  """Largest `-log(rate)` used: `exp` of it times the arrivals stays finite."""
  return 0.5 * math.log(np.finfo(dtype_util.as_numpy_dtype(dtype)).max)


def _cumsum_leading(x):
  """`tf.cumsum(x, axis=0)` for a static leading size `K`, fast everywhere.

  Two levels over blocks of `b ~ sqrt(K)`: a running sum inside the blocks
  and one across the block totals, each step a vectorized add over the
  trailing (batch) axes. Under XLA this is several times faster than
  `tf.cumsum` (a reduce-window per output element) and it is no slower
  outside XLA. Above 1024 arrivals, the two levels are two `tf.cumsum`s
  (fewer ops in the graph).
  """
  k = x.shape[0]
  b = max(1, int(math.ceil(math.sqrt(k))))
  nb = -(-k // b)
  if nb * b > k:
    x = tf.pad(x, [[0, nb * b - k]] + [[0, 0]] * (x.shape.rank - 1))
  trailing = ps.shape(x)[1:]
  blocks = tf.reshape(x, ps.concat([[nb, b], trailing], 0))
  if k > 1024:
    inner = tf.cumsum(blocks, axis=1)
    offsets = tf.cumsum(inner[:, -1], axis=0, exclusive=True)
  else:
    columns = [blocks[:, 0]]
    for j in range(1, b):
      columns.append(columns[-1] + blocks[:, j])
    inner = tf.stack(columns, axis=1)
    offsets = [tf.zeros_like(columns[-1][0])]
    for i in range(1, nb):
      offsets.append(offsets[-1] + columns[-1][i - 1])
    offsets = tf.stack(offsets, axis=0)
  out = tf.reshape(inner + offsets[:, tf.newaxis],
                   ps.concat([[nb * b], trailing], 0))
  return out[:k]


def _arrival_times_leading(log_rate, num_arrivals, sample_shape, seed,
                           batch_shape):
  """Arrival times with the arrivals on the leading axis: `[K] + S + B`."""
  dtype = log_rate.dtype
  sample_shape = ps.reshape(
      ps.convert_to_shape_tensor(ps.cast(sample_shape, tf.int32)), [-1])
  shape = ps.concat([[num_arrivals], sample_shape, batch_shape], 0)
  # Same generator as the GenGS Gumbel noise (fast under XLA as well).
  u = gumbel_softmax.uniform(shape, dtype, seed)
  standard_times = _cumsum_leading(-tf.math.log(u))
  scale = tf.exp(tf.minimum(-log_rate, _max_log_time_scale(dtype)))
  return standard_times * scale


def arrival_times(log_rate: Any, num_arrivals: int, sample_shape: Any = (),
                  seed: Any = None, batch_shape: Any = None) -> tf.Tensor:
  """The first `num_arrivals` arrival times of a Poisson process.

  `t_k = (E_1 + ... + E_k) / rate` with `E_i = -log(u_i) ~ Exponential(1)`,
  i.e. `t = cumsum(Delta t)`, `Delta t_i ~ Exponential(rate)`. The scale
  `1 / rate` is formed as `exp(-log_rate)` capped at
  `sqrt(max float)`: times of processes slower than that are huge (the
  relaxed count is 0 there) and their gradients are exactly 0, not NaN.
  These are the times `relaxed_count` uses for the same arguments and seed.

  Args:
    log_rate: float `Tensor`, log of the rates.
    num_arrivals: Python int `K`.
    sample_shape: shape of independent draws prepended to the batch shape.
    seed: int or stateless seed (TFP convention).
    batch_shape: batch shape (defaults to `log_rate`'s shape).

  Returns:
    Arrival times, shape `sample_shape + batch_shape + [K]`, increasing
    along the last axis.
  """
  log_rate = tf.convert_to_tensor(log_rate)
  if batch_shape is None:
    batch_shape = ps.shape(log_rate)
  times = _arrival_times_leading(log_rate, num_arrivals, sample_shape, seed,
                                 batch_shape)
  return distribution_util.move_dimension(times, 0, -1)


def relaxed_count(log_rate: Any, temperature: Any, num_arrivals: int,
                  smoothing: str = 'cubic', sample_shape: Any = (),
                  seed: Any = None,
                  straight_through: bool = False) -> tf.Tensor:
  """An EAT sample `z = sum_k s((1 - t_k) / tau)` over `K` arrival times.

  With `straight_through=True` the forward value is the exact count
  `#{k <= K: t_k <= 1}` and the gradient is that of the relaxed `z`.

  Returns:
    Samples of shape `sample_shape + broadcast(log_rate, temperature)`.
  """
  eat_smoothing.check_smoothing(smoothing)
  log_rate = tf.convert_to_tensor(log_rate)
  temperature = tf.convert_to_tensor(temperature, log_rate.dtype)
  batch_shape = ps.broadcast_shape(ps.shape(log_rate), ps.shape(temperature))
  # Arrivals on the leading axis: the scan and the sum over arrivals are
  # vectorized over samples and batch.
  t = _arrival_times_leading(log_rate, num_arrivals, sample_shape, seed,
                             batch_shape)
  soft = tf.reduce_sum(
      eat_smoothing.smooth_indicator((1. - t) / temperature, smoothing),
      axis=0)
  if not straight_through:
    return soft
  hard = tf.reduce_sum(tf.cast(t <= 1., soft.dtype), axis=0)
  return hard + (soft - tf.stop_gradient(soft))
