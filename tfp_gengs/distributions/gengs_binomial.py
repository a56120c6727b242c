"""GenGSBinomial: the relaxed binomial distribution."""

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import softplus as softplus_bijector
from tensorflow_probability.python.distributions import binomial
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_gengs.distributions import gengs_family
from tfp_gengs.distributions import relaxed_truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.internal import checks

__all__ = ['GenGSBinomial', 'total_count_properties']


def total_count_properties(dtype):
  return parameter_properties.ParameterProperties(
      default_constraining_bijector_fn=(
          lambda: softplus_bijector.Softplus(low=dtype_util.eps(dtype))),
      is_preferred=False)


def static_max_total_count(total_count):
  """The largest `total_count` as a Python int, for the default `high`."""
  value = tf.get_static_value(tf.convert_to_tensor(total_count))
  if value is None:
    raise ValueError('Argument `high` is required when `total_count` is not '
                     'statically known.')
  return int(np.max(value))


class GenGSBinomial(gengs_family.GenGSFamily):
  """GenGS relaxation of `Binomial(total_count, probs)` on `{low, ..., high}`.

  The binomial is already finite: by default the window is the whole support
  `0..total_count` and nothing is truncated; a narrower window puts the tails
  on its ends (paper §3.1: ignore rare outcomes). Outcomes above
  `total_count` get probability 0.

  #### Mathematical Details

  ```none
  pi(k)    = C(n, k) p^k (1 - p)^(n - k)          low < k < high
  pi(high) = P(X >= high) = I_p(high, n - high + 1)
  pi(low)  = P(X <= low)  = I_{1-p}(n - low, low + 1)
  ```

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.GenGSBinomial(total_count=20., probs=0.3, temperature=0.5)
  d.sample(3, seed=1)         # relaxed counts in [0, 20]
  ```
  """

  def __init__(self,
               total_count,
               probs=None,
               logits=None,
               temperature=None,
               high=None,
               low=0,
               straight_through=False,
               validate_args=False,
               allow_nan_stats=True,
               name='GenGSBinomial'):
    """Creates the distribution.

    Args:
      total_count: non-negative float `Tensor`, the number of trials.
      probs: float `Tensor` in [0, 1], success probability.
      logits: float `Tensor`, log-odds of success. Exactly one of `probs`,
        `logits`.
      temperature: positive float `Tensor`, Gumbel-Softmax temperature.
      high: Python int, highest outcome; default the largest `total_count`
        (which must then be statically known).
      low: Python int, lowest outcome.
      straight_through, validate_args, allow_nan_stats, name: as in
        `RelaxedTruncatedDiscrete`.
    """
    parameters = dict(locals())
    if (probs is None) == (logits is None):
      raise ValueError('Must pass exactly one of `probs` or `logits`.')
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype([total_count, probs, logits,
                                       temperature], dtype_hint=tf.float32)
      self._total_count = tensor_util.convert_nonref_to_tensor(
          total_count, dtype=dtype, name='total_count')
      self._probs = tensor_util.convert_nonref_to_tensor(probs, dtype=dtype,
                                                         name='probs')
      self._logits = tensor_util.convert_nonref_to_tensor(
          logits, dtype=dtype, name='logits')
      if high is None:
        high = static_max_total_count(self._total_count)
      self._init_family(
          [self._total_count, self._probs, self._logits], temperature, dtype,
          window=(low, high), straight_through=straight_through,
          validate_args=validate_args, allow_nan_stats=allow_nan_stats,
          parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        total_count=total_count_properties(dtype),
        temperature=relaxed_truncated_discrete.temperature_properties(dtype),
        **gengs_family.probs_properties(dtype))

  @property
  def total_count(self):
    return self._total_count

  def untruncated(self):
    return binomial.Binomial(self._total_count, probs=self._probs,
                             logits=self._logits,
                             validate_args=self.validate_args)

  def _pi_logits(self):
    return truncated_log_pmf.binomial(
        tf.convert_to_tensor(self._total_count),
        low=self._low, high=self._high, **self._probs_or_logits_now())

  def _parameter_control_dependencies(self, is_init):
    assertions = []
    if self.validate_args:
      gengs_family.probs_or_logits_checks(self, is_init, assertions)
      checks.maybe_assert(
          lambda t: checks.assert_non_negative(t, 'total_count'),
          self._total_count, is_init, assertions)
    return assertions
