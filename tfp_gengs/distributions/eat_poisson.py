"""ExponentialArrivalPoisson: the exponential-arrival-time Poisson relaxation.

The rival of `GenGSPoisson` for Poisson latents: simulate the first `K`
arrivals of a Poisson process of rate `lambda` on `[0, inf)` and count the
arrivals before time 1 with a smooth indicator (Vafaii, Galor & Yates 2024,
"Poisson Variational Autoencoder", sigmoid indicator; Ibrahim, Zhao, ...,
Li & Vafaii 2026, "A Hitchhiker's Guide to Poisson Gradient Estimation",
cubic Hermite smoothstep with compact support).
"""

import math
from typing import Any, Optional

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import (
    softplus as softplus_bijector)
from tensorflow_probability.python.distributions import distribution
from tensorflow_probability.python.distributions import kullback_leibler
from tensorflow_probability.python.distributions import poisson
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import distribution_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import reparameterization
from tensorflow_probability.python.internal import tensor_util

from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.internal import checks

__all__ = [
    'ExponentialArrivalPoisson',
    'SMOOTHINGS',
    'arrival_times',
    'campbell_integrals',
    'default_num_arrivals',
    'poisson_kl',
    'relaxed_count',
    'smooth_indicator',
    'support_end',
]

SMOOTHINGS = ('cubic', 'sigmoid')


def _check_smoothing(smoothing):
  return checks.check_choice(smoothing, 'smoothing', SMOOTHINGS)


def _check_tail_mass(tail_mass):
  return checks.python_float(tail_mass, 'tail_mass', 0., 1.)


def smooth_indicator(x: Any, smoothing: str) -> tf.Tensor:
  """The smooth step `s` applied to `x = (1 - t) / tau` (1 for early `t`).

  - `'sigmoid'`: `sigmoid(x)` (Vafaii et al., 2024).
  - `'cubic'`: the C^1 Hermite smoothstep `3 u^2 - 2 u^3` of
    `u = clip((x + 1) / 2, 0, 1)`: exactly 1 for `t <= 1 - tau`, exactly 0
    for `t >= 1 + tau`, and `s(1 - d) + s(1 + d) = 1` (Ibrahim et al., 2026,
    whose reference code uses the same window `[1 - tau, 1 + tau]`).
  """
  if smoothing == 'sigmoid':
    return tf.math.sigmoid(x)
  _check_smoothing(smoothing)
  return _cubic_smoothstep(tf.convert_to_tensor(x))


@tf.custom_gradient
def _cubic_smoothstep(x):
  """`3u^2 - 2u^3`, `u = clip((x + 1)/2, 0, 1)`; derivative `3u(1 - u)`.

  The derivative vanishes by itself where `u` is clipped, so the gradient
  needs no mask (fewer ops than differentiating `clip_by_value`). It is
  recomputed from `x`, so second derivatives are right too.
  """
  u = tf.clip_by_value(0.5 * x + 0.5, 0., 1.)

  def grad(dy):
    v = tf.clip_by_value(0.5 * x + 0.5, 0., 1.)
    return dy * (3. * v * (1. - v))

  return u * u * (3. - 2. * u), grad


def support_end(temperature: Any, smoothing: str, tail_mass: float) -> Any:
  """Time `t_h` after which an arrival changes the relaxed count negligibly.

  Cubic: `1 + tau`, where the smoothstep reaches 0 exactly. Sigmoid (infinite
  support): `1 + tau log((1 - tail_mass) / tail_mass)`, after which every
  arrival adds less than `tail_mass`, and all of them together add
  `lambda tau (-log(1 - tail_mass)) ~= lambda tau tail_mass` in expectation.
  Works on Python floats, NumPy arrays and tensors.
  """
  _check_smoothing(smoothing)
  if smoothing == 'cubic':
    return 1. + temperature
  return 1. + temperature * math.log((1. - tail_mass) / tail_mass)


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
  `t_h = support_end(tau_max, smoothing, tail_mass)` and `lambda_max`,
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
  _check_smoothing(smoothing)
  tail_mass = _check_tail_mass(tail_mass)
  rate_max = float(np.max(rate))
  tau_max = float(np.max(temperature))
  mu = rate_max * support_end(tau_max, smoothing, tail_mass)
  return max(1, _poisson_isf(tail_mass, mu))


def campbell_integrals(temperature: Any,
                       smoothing: str) -> tuple[tf.Tensor, tf.Tensor]:
  """`(int_0^inf s(t) dt, int_0^inf s(t)^2 dt)` for `s(t) = s((1 - t)/tau)`.

  By Campbell's theorem, the relaxed count of the whole Poisson process
  (`K -> inf`) has mean `lambda * first` and variance `lambda * second`.

  - sigmoid: `first = tau softplus(1/tau) = 1 + tau log1p(exp(-1/tau))`,
    `second = first - tau sigmoid(1/tau)` (as `sigmoid^2 = sigmoid -
    sigmoid'`).
  - cubic, `tau <= 1`: `first = 1` (unbiased mean), `second = 1 - 9 tau/35`
    (`int_0^1 (3u^2 - 2u^3)^2 du = 13/35`); `tau > 1` (the window starts
    before 0), with `u0 = (1 + tau) / (2 tau)`:
    `first = 2 tau (u0^3 - u0^4 / 2)`,
    `second = 2 tau (9/5 u0^5 - 2 u0^6 + 4/7 u0^7)`. Both are C^1 in tau.

  Args:
    temperature: positive float `Tensor`.
    smoothing: `'cubic'` or `'sigmoid'`.

  Returns:
    `(first, second)`, tensors shaped like `temperature`.
  """
  _check_smoothing(smoothing)
  tau = tf.convert_to_tensor(temperature)
  if smoothing == 'sigmoid':
    inv = tf.math.reciprocal(tau)
    first = 1. + tau * tf.math.softplus(-inv)
    return first, first - tau * tf.math.sigmoid(inv)
  # Two branches (not relu/minimum): both moments are C^1 at tau = 1, where
  # the kinks of relu(1 - tau) and min(1, u0) would give wrong gradients.
  narrow = tau <= 1.
  wide_tau = tf.where(narrow, 2. * tf.ones_like(tau), tau)
  u0 = (1. + wide_tau) / (2. * wide_tau)
  u0_2 = u0 * u0
  wide_first = 2. * wide_tau * u0_2 * u0 * (1. - 0.5 * u0)
  wide_second = 2. * wide_tau * u0_2 * u0_2 * u0 * (
      9. / 5. - 2. * u0 + 4. / 7. * u0_2)
  first = tf.where(narrow, tf.ones_like(tau), wide_first)
  second = tf.where(narrow, 1. - 9. / 35. * tau, wide_second)
  return first, second


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
  _check_smoothing(smoothing)
  log_rate = tf.convert_to_tensor(log_rate)
  temperature = tf.convert_to_tensor(temperature, log_rate.dtype)
  batch_shape = ps.broadcast_shape(ps.shape(log_rate), ps.shape(temperature))
  # Arrivals on the leading axis: the scan and the sum over arrivals are
  # vectorized over samples and batch.
  t = _arrival_times_leading(log_rate, num_arrivals, sample_shape, seed,
                             batch_shape)
  soft = tf.reduce_sum(smooth_indicator((1. - t) / temperature, smoothing),
                       axis=0)
  if not straight_through:
    return soft
  hard = tf.reduce_sum(tf.cast(t <= 1., soft.dtype), axis=0)
  return hard + (soft - tf.stop_gradient(soft))


def poisson_kl(log_rate_q: Any, log_rate_p: Any) -> tf.Tensor:
  """`KL(Poisson(q) || Poisson(p)) = q log(q/p) - q + p` from log-rates.

  Written as `p (d e^d - expm1(d))`, `d = log q - log p`, where `|d| < 1`
  (no cancellation near `q = p`: exactly 0 there), and as
  `q (d - 1) + p` elsewhere (no overflow of `expm1`).
  """
  log_rate_q = tf.convert_to_tensor(log_rate_q)
  log_rate_p = tf.convert_to_tensor(log_rate_p, log_rate_q.dtype)
  d = log_rate_q - log_rate_p
  q, p = tf.exp(log_rate_q), tf.exp(log_rate_p)
  near = tf.abs(d) < 1.
  d_near = tf.where(near, d, tf.zeros_like(d))
  kl_near = q * d_near - p * tf.math.expm1(d_near)
  kl_far = q * (d - 1.) + p
  return tf.where(near, kl_near, kl_far)


def _static_value(x):
  """NumPy value of a non-variable tensor known now, else `None`."""
  if x is None or tensor_util.is_ref(x):
    return None
  return tf.get_static_value(x)


def _assert_positive_finite(x, arg_name):
  return tf.group(
      assert_util.assert_positive(
          x, message=f'Argument `{arg_name}` must be positive and finite '
          f'(0 < {arg_name} < inf).'),
      assert_util.assert_equal(
          tf.reduce_all(tf.math.is_finite(x)), True,
          message=f'Argument `{arg_name}` must be positive and finite '
          f'(0 < {arg_name} < inf).'))


def _assert_finite(x, arg_name):
  return assert_util.assert_equal(
      tf.reduce_all(tf.math.is_finite(x)), True,
      message=f'Argument `{arg_name}` must be finite (-inf < {arg_name} < '
      'inf).')


class ExponentialArrivalPoisson(distribution.AutoCompositeTensorDistribution):
  """Exponential-arrival-time (EAT) relaxation of `Poisson(rate)`.

  A Poisson count is the number of arrivals before time 1 of a Poisson
  process of rate `lambda`. This distribution simulates the first `K =
  num_arrivals` arrival times and counts them with a smooth step, so samples
  are differentiable in `rate` and `temperature` (fully reparameterized).
  It is the rival of `GenGSPoisson` for Poisson latents; `'sigmoid'` is the
  Poisson VAE's relaxation (Vafaii et al., 2024), `'cubic'` the compactly
  supported smoothstep of Ibrahim et al. (2026).

  #### Mathematical Details

  ```none
  Delta t_i = -log(u_i) / lambda,  u_i ~ Uniform(0, 1),  i = 1..K
  t_k       = Delta t_1 + ... + Delta t_k          (arrival times)
  z         = sum_k s((1 - t_k) / tau)
  sigmoid:  s(x) = 1 / (1 + exp(-x))
  cubic:    s(x) = 3 u^2 - 2 u^3,  u = clip((x + 1) / 2, 0, 1)
  ```

  The cubic step is exactly 1 for `t <= 1 - tau` and 0 for `t >= 1 + tau`
  (window `[1 - tau, 1 + tau]`, as in Ibrahim et al.'s reference code).
  With `straight_through=True`, samples are the exact count
  `#{k <= K: t_k <= 1}` (= `min(N, K)`, `N ~ Poisson(lambda)`) and gradients
  are those of the relaxed `z`; `mean()` and `variance()` are then the
  Poisson's, `lambda` (exact up to the tail mass of the default `K`).

  *Moments.* `mean()` and `variance()` are the closed forms of Campbell's
  theorem for the whole process (`K -> inf`): `E z = lambda int_0^inf s`,
  `Var z = lambda int_0^inf s^2` (see `campbell_integrals`):

  ```none
  cubic, tau <= 1:  E z = lambda             Var z = lambda (1 - 9 tau / 35)
  sigmoid:          E z = lambda tau softplus(1/tau)
                    Var z = lambda tau (softplus(1/tau) - sigmoid(1/tau))
  ```

  They do not include the truncation to `K` arrivals, which lowers the
  moments of the sample to
  `E z_K = lambda int s(t) P(N(t) <= K-1) dt` and
  `E z_K^2 = lambda int s^2 P(N(t) <= K-1) dt
             + 2 lambda^2 int s(t) S(t) P(N(t) <= K-2) dt`
  (`N(t) ~ Poisson(lambda t)`, `S(t) = int_0^t s`). With the default `K`
  the difference is negligible: `K` is the smallest integer with
  `P(N(t_h) > K) <= tail_mass` for `lambda_max` and `tau_max` of the batch,
  `t_h` the end of the smoothing's support (`support_end`: `1 + tau` for
  the cubic; for the sigmoid, whose support is infinite, the time
  `1 + tau log((1 - tail_mass) / tail_mass)` after which each arrival adds
  less than `tail_mass`). The default needs Python-known rates and
  temperatures; pass `num_arrivals` for tensors and variables (and check it
  with `validate_args=True`, which asserts this same criterion).

  `log_prob` is not available (the relaxed count has no tractable density).
  `tfd.kl_divergence(q, p)` is registered for `p` a `tfd.Poisson` or an
  `ExponentialArrivalPoisson` as the analytic Poisson KL
  `lambda_q log(lambda_q / lambda_p) - lambda_q + lambda_p`: a stand-in for
  the KL of the exact counts the relaxation targets (its mean is `lambda`
  for the cubic with `tau <= 1`), as in the Poisson VAE; it is not the KL
  between the relaxed distributions.

  #### Examples

  ```python
  import tfp_gengs.distributions.eat_poisson as eat
  d = eat.ExponentialArrivalPoisson(rate=[2., 7.], temperature=0.1)
  d.num_arrivals               # 24 (tail mass 1e-6 at rate 7 * (1 + 0.1))
  z = d.sample(4, seed=1)      # shape [4, 2], relaxed counts
  d.mean()                     # [2., 7.] (cubic, tau <= 1)
  d.variance()                 # 0.974 * [2., 7.]
  st = eat.ExponentialArrivalPoisson(rate=3., temperature=0.5,
                                     smoothing='sigmoid',
                                     straight_through=True)
  st.sample(3, seed=2)         # exact counts, relaxed gradients
  ```
  """

  def __init__(self,
               rate: Any = None,
               temperature: Any = None,
               num_arrivals: Optional[int] = None,
               smoothing: str = 'cubic',
               log_rate: Any = None,
               tail_mass: float = 1e-6,
               straight_through: bool = False,
               validate_args: bool = False,
               allow_nan_stats: bool = True,
               name: str = 'ExponentialArrivalPoisson'):
    """Creates the distribution.

    Args:
      rate: positive float `Tensor`, the Poisson rate `lambda`.
      temperature: positive float `Tensor` (or variable), the smoothing
        time scale `tau` (the cubic window is `[1 - tau, 1 + tau]`).
      num_arrivals: Python int `K >= 1`, the number of simulated arrivals.
        Default: from `tail_mass` (see the class docstring); required when
        `rate`/`log_rate` or `temperature` are not statically known.
      smoothing: `'cubic'` (default) or `'sigmoid'`.
      log_rate: float `Tensor`, `log(rate)`; pass exactly one of `rate`,
        `log_rate`.
      tail_mass: Python float in (0, 1), the probability that the default
        `K` misses an arrival that matters.
      straight_through: Python `bool`: exact counts forward, relaxed
        gradients backward.
      validate_args: Python `bool`, check parameters at run time.
      allow_nan_stats: Python `bool`.
      name: Python `str` name prefixed to ops created by this class.
    """
    parameters = dict(locals())
    if (rate is None) == (log_rate is None):
      raise ValueError('Must pass exactly one of `rate` or `log_rate`.')
    if temperature is None:
      raise ValueError('Argument `temperature` is required.')
    if not isinstance(straight_through, bool):
      raise TypeError('Argument `straight_through` must be a Python bool.')
    self._smoothing = _check_smoothing(smoothing)
    self._tail_mass = _check_tail_mass(tail_mass)
    self._straight_through = straight_through
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype([rate, log_rate, temperature],
                                      dtype_hint=tf.float32)
      self._rate = tensor_util.convert_nonref_to_tensor(
          rate, dtype=dtype, name='rate')
      self._log_rate = tensor_util.convert_nonref_to_tensor(
          log_rate, dtype=dtype, name='log_rate')
      self._temperature = tensor_util.convert_nonref_to_tensor(
          temperature, dtype=dtype, name='temperature')
      rate_now, tau_now = self._check_static_values()
      if num_arrivals is None:
        if rate_now is None or tau_now is None:
          raise ValueError(
              'Argument `num_arrivals` is required when `rate`/`log_rate` or '
              '`temperature` are not statically known (tensors inside '
              '`tf.function`, variables): the default is computed from their '
              'values; see `default_num_arrivals`.')
        num_arrivals = default_num_arrivals(rate_now, tau_now, smoothing,
                                            self._tail_mass)
      self._num_arrivals = checks.python_int(
          num_arrivals, 'num_arrivals', noun='an integer')
      # The resolved K travels with the distribution (copies, slices,
      # composite-tensor round trips rebuild it without the default).
      parameters['num_arrivals'] = self._num_arrivals
      super().__init__(
          dtype=dtype,
          reparameterization_type=reparameterization.FULLY_REPARAMETERIZED,
          validate_args=validate_args,
          allow_nan_stats=allow_nan_stats,
          parameters=parameters,
          name=name)

  def _check_static_values(self):
    """Raises on statically known invalid values; returns rate and tau."""
    rate = _static_value(self._rate)
    log_rate = _static_value(self._log_rate)
    tau = _static_value(self._temperature)
    if rate is not None and not np.all((rate > 0) & np.isfinite(rate)):
      raise ValueError('Argument `rate` must be positive and finite '
                       f'(0 < rate < inf); got {rate}.')
    if log_rate is not None:
      if not np.all(np.isfinite(log_rate)):
        raise ValueError('Argument `log_rate` must be finite (-inf < '
                         f'log_rate < inf); got {log_rate}.')
      rate = np.exp(np.float64(log_rate))
    if tau is not None and not np.all((tau > 0) & np.isfinite(tau)):
      raise ValueError('Argument `temperature` must be positive and finite '
                       f'(0 < temperature < inf); got {tau}.')
    return rate, tau

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    positive = lambda: softplus_bijector.Softplus(low=dtype_util.eps(dtype))  # noqa: E731
    return dict(
        rate=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=positive),
        log_rate=parameter_properties.ParameterProperties(
            is_preferred=False),
        temperature=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=positive))

  @property
  def rate(self):
    """`rate` as given (`None` if `log_rate` was given)."""
    return self._rate

  @property
  def log_rate(self):
    """`log_rate` as given (`None` if `rate` was given)."""
    return self._log_rate

  @property
  def temperature(self):
    """Smoothing time scale `tau`."""
    return self._temperature

  @property
  def num_arrivals(self):
    """Number of simulated arrivals `K` (Python int)."""
    return self._num_arrivals

  @property
  def smoothing(self):
    """`'cubic'` or `'sigmoid'`."""
    return self._smoothing

  @property
  def tail_mass(self):
    return self._tail_mass

  @property
  def straight_through(self):
    return self._straight_through

  def rate_parameter(self, name: Optional[str] = None) -> tf.Tensor:
    """The rate, from `rate` or `exp(log_rate)`."""
    with self._name_and_control_scope(name or 'rate_parameter'):
      return self._rate_parameter_no_checks()

  def _rate_parameter_no_checks(self):
    if self._rate is None:
      return tf.exp(self._log_rate)
    return tensor_util.identity_as_tensor(self._rate)

  def log_rate_parameter(self, name: Optional[str] = None) -> tf.Tensor:
    """The log-rate, from `log_rate` or `log(rate)`."""
    with self._name_and_control_scope(name or 'log_rate_parameter'):
      return self._log_rate_parameter_no_checks()

  def _log_rate_parameter_no_checks(self):
    if self._log_rate is None:
      return tf.math.log(self._rate)
    return tensor_util.identity_as_tensor(self._log_rate)

  def untruncated(self) -> poisson.Poisson:
    """The `tfd.Poisson` that this distribution relaxes."""
    return poisson.Poisson(rate=self._rate, log_rate=self._log_rate,
                           validate_args=self.validate_args,
                           allow_nan_stats=self.allow_nan_stats)

  def _event_shape_tensor(self):
    return tf.constant([], dtype=tf.int32)

  def _event_shape(self):
    return tf.TensorShape([])

  def _sample_n(self, n, seed=None):
    return relaxed_count(
        self._log_rate_parameter_no_checks(),
        tf.convert_to_tensor(self._temperature), self._num_arrivals,
        self._smoothing, sample_shape=[n], seed=seed,
        straight_through=self._straight_through)

  def _moments(self):
    first, second = campbell_integrals(
        tf.convert_to_tensor(self._temperature), self._smoothing)
    rate = self._rate_parameter_no_checks()
    shape = self._batch_shape_tensor()
    return (tf.broadcast_to(rate * first, shape),
            tf.broadcast_to(rate * second, shape))

  def _mean(self):
    if self._straight_through:
      return tf.broadcast_to(self._rate_parameter_no_checks(),
                             self._batch_shape_tensor())
    return self._moments()[0]

  def _variance(self):
    if self._straight_through:
      return self._mean()
    return self._moments()[1]

  def _log_prob(self, x):
    raise NotImplementedError(
        f'{type(self).__name__}.log_prob is not available: the relaxed count '
        'z = sum_k s((1 - t_k) / tau) of K exponential arrival times has no '
        'tractable density. Use `.untruncated().log_prob(...)` for the '
        'Poisson probabilities of exact counts (e.g. straight-through '
        'samples), `mean()`/`variance()` for the closed-form moments, and '
        '`tfd.kl_divergence(q, tfd.Poisson(...))` for the (stand-in) Poisson '
        'KL.')

  def _prob(self, x):
    return self._log_prob(x)

  def _parameter_control_dependencies(self, is_init):
    assertions = []
    if not self.validate_args:
      return assertions
    checks.maybe_assert(lambda t: _assert_positive_finite(t, 'rate'),
                        self._rate, is_init, assertions)
    checks.maybe_assert(lambda t: _assert_finite(t, 'log_rate'),
                        self._log_rate, is_init, assertions)
    checks.maybe_assert(lambda t: _assert_positive_finite(t, 'temperature'),
                        self._temperature, is_init, assertions)
    rate_param = self._rate if self._rate is not None else self._log_rate
    changeable = (tensor_util.is_ref(rate_param) or
                  tensor_util.is_ref(self._temperature))
    if is_init != changeable:
      assertions.append(self._assert_enough_arrivals())
    return assertions

  def _assert_enough_arrivals(self):
    """`P(Poisson(lambda t_h) > K) <= tail_mass` for every batch member."""
    f64 = tf.float64
    log_rate = tf.cast(self._log_rate_parameter_no_checks(), f64)
    tau = tf.cast(tf.convert_to_tensor(self._temperature), f64)
    mu = tf.exp(log_rate) * support_end(tau, self._smoothing,
                                        self._tail_mass)
    k = tf.constant(self._num_arrivals, f64)
    missed = tf.math.igamma(k + 1., mu)  # P(Poisson(mu) >= K + 1)
    return assert_util.assert_less_equal(
        tf.reduce_max(missed), tf.constant(self._tail_mass * (1. + 1e-6), f64),
        message=(
            f'Argument `num_arrivals` ({self._num_arrivals}) is too small for '
            'these rates and temperatures: it must satisfy '
            f'P(Poisson(rate * t_h) > num_arrivals) <= tail_mass '
            f'({self._tail_mass:g}), t_h the end of the {self._smoothing} '
            'smoothing support (see `default_num_arrivals`); pass a larger '
            '`num_arrivals` or a larger `tail_mass`.'))


def _kl_eat_to_poisson(q, p, name=None):
  with tf.name_scope(name or 'kl_exponential_arrival_poisson'):
    return poisson_kl(q.log_rate_parameter(), p.log_rate_parameter())


kullback_leibler.RegisterKL(ExponentialArrivalPoisson, poisson.Poisson)(
    _kl_eat_to_poisson)
kullback_leibler.RegisterKL(ExponentialArrivalPoisson,
                            ExponentialArrivalPoisson)(_kl_eat_to_poisson)
