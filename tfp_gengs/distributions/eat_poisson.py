"""ExponentialArrivalPoisson: the exponential-arrival-time Poisson relaxation.

The rival of `GenGSPoisson` for Poisson latents: simulate the first `K`
arrivals of a Poisson process of rate `lambda` on `[0, inf)` and count the
arrivals before time 1 with a smooth indicator (Vafaii, Galor & Yates 2024,
"Poisson Variational Autoencoder", sigmoid indicator; Ibrahim, Zhao, ...,
Li & Vafaii 2026, "A Hitchhiker's Guide to Poisson Gradient Estimation",
cubic Hermite smoothstep with compact support).
"""

from typing import Any, Optional

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import (
    softplus as softplus_bijector)
from tensorflow_probability.python.distributions import distribution
from tensorflow_probability.python.distributions import kullback_leibler
from tensorflow_probability.python.distributions import poisson
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import reparameterization
from tensorflow_probability.python.internal import tensor_util

# The pieces by job (smooth step, arrivals and K, Campbell moments) live in
# their own modules; their public names stay importable from here.
from tfp_gengs.distributions import eat_smoothing
from tfp_gengs.distributions.eat_arrivals import _cumsum_leading  # noqa: F401  (tests)
from tfp_gengs.distributions.eat_arrivals import arrival_times
from tfp_gengs.distributions.eat_arrivals import default_num_arrivals
from tfp_gengs.distributions.eat_arrivals import relaxed_count
from tfp_gengs.distributions.eat_moments import campbell_integrals
from tfp_gengs.distributions.eat_smoothing import SMOOTHINGS
from tfp_gengs.distributions.eat_smoothing import smooth_indicator
from tfp_gengs.distributions.eat_smoothing import support_end
from tfp_gengs.internal import accessors
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
    self._smoothing = eat_smoothing.check_smoothing(smoothing)
    self._tail_mass = eat_smoothing.check_tail_mass(tail_mass)
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

  rate = accessors.stored(
      'rate', '`rate` as given (`None` if `log_rate` was given).')
  log_rate = accessors.stored(
      'log_rate', '`log_rate` as given (`None` if `rate` was given).')
  temperature = accessors.stored('temperature', 'Smoothing time scale `tau`.')
  num_arrivals = accessors.stored(
      'num_arrivals', 'Number of simulated arrivals `K` (Python int).')
  smoothing = accessors.stored('smoothing', "`'cubic'` or `'sigmoid'`.")
  tail_mass = accessors.stored(
      'tail_mass', 'The tail mass of the default `K` (see the class doc).')
  straight_through = accessors.stored(
      'straight_through', 'Whether samples are exact counts forward.')

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
