"""GenGSGeometric: the relaxed, truncated geometric distribution."""

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.distributions import geometric
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import tensor_util

from tfp_gengs.distributions import gengs_family
from tfp_gengs.distributions import relaxed_truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf

__all__ = ['GenGSGeometric']


class GenGSGeometric(gengs_family.GenGSFamily):
  """GenGS relaxation of `Geometric(probs)` truncated to `{low, ..., high}`.

  As `tfd.Geometric`: the number of failures before the first success,
  `P(X = k) = p (1 - p)^k`, `k >= 0`.

  #### Mathematical Details

  ```none
  pi(low) = 1 - (1 - p)^(low + 1),  pi(k) = p (1 - p)^k,  pi(high) = (1 - p)^high
  ```

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.GenGSGeometric(probs=0.25, temperature=0.5, high=30)
  d.sample(4, seed=1)
  ```
  """

  def __init__(self,
               probs=None,
               logits=None,
               temperature=None,
               high=None,
               low=0,
               straight_through=False,
               validate_args=False,
               allow_nan_stats=True,
               name='GenGSGeometric'):
    """Creates the distribution.

    Args:
      probs: float `Tensor` in [0, 1], success probability.
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
      dtype = dtype_util.common_dtype([probs, logits, temperature],
                                      dtype_hint=tf.float32)
      self._probs = tensor_util.convert_nonref_to_tensor(probs, dtype=dtype,
                                                         name='probs')
      self._logits = tensor_util.convert_nonref_to_tensor(
          logits, dtype=dtype, name='logits')
      self._init_family(
          [self._probs, self._logits], temperature, dtype, window=(low, high),
          straight_through=straight_through, validate_args=validate_args,
          allow_nan_stats=allow_nan_stats, parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        temperature=relaxed_truncated_discrete.temperature_properties(dtype),
        **gengs_family.probs_properties(dtype))

  def untruncated(self):
    return geometric.Geometric(probs=self._probs, logits=self._logits,
                               validate_args=self.validate_args)

  def _pi_logits(self):
    return truncated_log_pmf.geometric(
        low=self._low, high=self._high, **self._probs_or_logits_now())

  def _parameter_control_dependencies(self, is_init):
    assertions = []
    if self.validate_args:
      gengs_family.probs_or_logits_checks(self, is_init, assertions)
    return assertions
