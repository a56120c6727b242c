"""GenGSPoisson: the relaxed, truncated Poisson distribution."""

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import softplus as softplus_bijector
from tensorflow_probability.python.distributions import poisson
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_gengs.distributions import gengs_family
from tfp_gengs.distributions import relaxed_truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.internal import checks

__all__ = ['GenGSPoisson']


class GenGSPoisson(gengs_family.GenGSFamily):
  """GenGS relaxation of `Poisson(rate)` truncated to `{low, ..., high}`.

  #### Mathematical Details

  ```none
  pi(low)  = P(X <= low),  pi(k) = e^-rate rate^k / k!,  pi(high) = P(X >= high)
  z        = sum_k k softmax((log pi + g) / tau)_k
  ```

  Tails come from the regularized incomplete gamma functions (log space,
  closed-form gradients `d/drate P(X >= h) = pmf(h - 1)`).

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.GenGSPoisson(rate=[2., 7.], temperature=0.5, high=20)
  d.sample(seed=1)             # shape [2], relaxed counts
  d.truncated().mean()         # ==> ~[2., 7.]
  ```
  """

  def __init__(self,
               rate=None,
               temperature=None,
               high=None,
               low=0,
               log_rate=None,
               straight_through=False,
               validate_args=False,
               allow_nan_stats=True,
               name='GenGSPoisson'):
    """Creates the distribution.

    Args:
      rate: non-negative float `Tensor`, the Poisson rate.
      temperature: positive float `Tensor`, Gumbel-Softmax temperature.
      high: Python int, highest outcome (right tail `P(X >= high)` on it).
      low: Python int, lowest outcome (left tail `P(X <= low)` on it).
      log_rate: float `Tensor`, `log(rate)`; pass exactly one of `rate`,
        `log_rate`.
      straight_through: Python `bool`, exact outcomes forward.
      validate_args: Python `bool`, check parameters at run time.
      allow_nan_stats: Python `bool`.
      name: Python `str`.
    """
    parameters = dict(locals())
    if (rate is None) == (log_rate is None):
      raise ValueError('Must pass exactly one of `rate` or `log_rate`.')
    if high is None:
      raise ValueError('Argument `high` is required.')
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype([rate, log_rate, temperature],
                                      dtype_hint=tf.float32)
      self._rate = tensor_util.convert_nonref_to_tensor(rate, dtype=dtype,
                                                        name='rate')
      self._log_rate = tensor_util.convert_nonref_to_tensor(
          log_rate, dtype=dtype, name='log_rate')
      self._logits = self._probs = None
      self._init_family(
          [self._rate, self._log_rate], temperature, dtype,
          window=(low, high), straight_through=straight_through,
          validate_args=validate_args, allow_nan_stats=allow_nan_stats,
          parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        rate=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=(
                lambda: softplus_bijector.Softplus(low=dtype_util.eps(dtype)))),
        log_rate=parameter_properties.ParameterProperties(
            is_preferred=False),
        temperature=relaxed_truncated_discrete.temperature_properties(dtype))

  @property
  def rate(self):
    return self._rate

  @property
  def log_rate(self):
    return self._log_rate

  def untruncated(self):
    return poisson.Poisson(rate=self._rate, log_rate=self._log_rate,
                           validate_args=self.validate_args)

  def _pi_logits(self):
    if self._log_rate is not None:
      return truncated_log_pmf.poisson(
          log_rate=tf.convert_to_tensor(self._log_rate), low=self._low,
          high=self._high)
    return truncated_log_pmf.poisson(
        rate=tf.convert_to_tensor(self._rate), low=self._low, high=self._high)

  def _parameter_control_dependencies(self, is_init):
    assertions = []
    if not self.validate_args:
      return assertions
    checks.maybe_assert(lambda t: checks.assert_positive(t, 'temperature'),
                        self._temperature, is_init, assertions)
    checks.maybe_assert(lambda t: checks.assert_non_negative(t, 'rate'),
                        self._rate, is_init, assertions)
    checks.maybe_assert(lambda t: checks.assert_not_nan(t, 'log_rate'),
                        self._log_rate, is_init, assertions)
    return assertions
