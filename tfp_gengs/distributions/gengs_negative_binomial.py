"""GenGSNegativeBinomial: the relaxed, truncated negative binomial."""

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.distributions import negative_binomial
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import tensor_util

from tfp_gengs.distributions import gengs_binomial
from tfp_gengs.distributions import gengs_family
from tfp_gengs.distributions import relaxed_truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.internal import checks

__all__ = ['GenGSNegativeBinomial']


class GenGSNegativeBinomial(gengs_family.GenGSFamily):
  """GenGS relaxation of `NegativeBinomial(total_count, probs)`, truncated.

  As `tfd.NegativeBinomial`: the number of successes (probability `probs`)
  before `total_count` failures, mean `r p / (1 - p)`; this is
  `scipy.stats.nbinom(total_count, 1 - probs)`.

  #### Mathematical Details

  ```none
  pi(k)    = C(k + r - 1, k) (1 - p)^r p^k     low < k < high
  pi(high) = P(X >= high) = I_p(high, r)
  pi(low)  = P(X <= low)  = I_{1-p}(r, low + 1)
  ```

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.GenGSNegativeBinomial(3., probs=0.4, temperature=0.5, high=30)
  d.truncated().mean()        # ==> ~2. (= 3 * 0.4 / 0.6)
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
               name='GenGSNegativeBinomial'):
    """Creates the distribution.

    Args:
      total_count: positive float `Tensor`, number of failures `r`.
      probs: float `Tensor` in [0, 1), success probability.
      logits: float `Tensor`, log-odds of success. Exactly one of `probs`,
        `logits`.
      temperature: positive float `Tensor`, Gumbel-Softmax temperature.
      high: Python int, highest outcome.
      low: Python int, lowest outcome.
      straight_through, validate_args, allow_nan_stats, name: as in
        `RelaxedTruncatedDiscrete`.
    """
    parameters = dict(locals())
    if (probs is None) == (logits is None):
      raise ValueError('Must pass exactly one of `probs` or `logits`.')
    if high is None:
      raise ValueError('Argument `high` is required.')
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype([total_count, probs, logits,
                                       temperature], dtype_hint=tf.float32)
      self._total_count = tensor_util.convert_nonref_to_tensor(
          total_count, dtype=dtype, name='total_count')
      self._probs = tensor_util.convert_nonref_to_tensor(probs, dtype=dtype,
                                                         name='probs')
      self._logits = tensor_util.convert_nonref_to_tensor(
          logits, dtype=dtype, name='logits')
      self._init_family(
          [self._total_count, self._probs, self._logits], temperature, dtype,
          window=(low, high), straight_through=straight_through,
          validate_args=validate_args, allow_nan_stats=allow_nan_stats,
          parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        total_count=gengs_binomial.total_count_properties(dtype),
        temperature=relaxed_truncated_discrete.temperature_properties(dtype),
        **gengs_family.probs_properties(dtype))

  @property
  def total_count(self):
    return self._total_count

  def untruncated(self):
    return negative_binomial.NegativeBinomial(
        self._total_count, probs=self._probs, logits=self._logits,
        validate_args=self.validate_args)

  def _pi_logits(self):
    return truncated_log_pmf.negative_binomial(
        tf.convert_to_tensor(self._total_count),
        low=self._low, high=self._high, **self._probs_or_logits_now())

  def _parameter_control_dependencies(self, is_init):
    assertions = []
    if self.validate_args:
      gengs_family.probs_or_logits_checks(self, is_init, assertions)
      checks.maybe_assert(
          lambda t: checks.assert_positive(t, 'total_count'),
          self._total_count, is_init, assertions)
    return assertions
