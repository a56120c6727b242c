"""GenGSMultinomial: the relaxed multinomial over count vectors."""

import itertools

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import softmax_centered as softmax_centered_bijector
from tensorflow_probability.python.distributions import multinomial
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_gengs.distributions import gengs_family
from tfp_gengs.distributions import relaxed_truncated_discrete
from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.internal import checks

__all__ = ['GenGSMultinomial', 'count_vectors']


def count_vectors(total_count, num_categories):
  """Every count vector of `num_categories` entries summing to `total_count`.

  Ordered in decreasing lexicographic order, so that `total_count = 1` gives
  the identity matrix (one-hot vectors in category order).

  Returns:
    int numpy array `[C(total_count + K - 1, K - 1), K]`.
  """
  rows = [c for c in itertools.product(range(total_count + 1),
                                       repeat=num_categories)
          if sum(c) == total_count]
  return np.array(sorted(rows, reverse=True), dtype=np.int64)


class GenGSMultinomial(gengs_family.GenGSFamily):
  """GenGS relaxation of `Multinomial(total_count, probs)` (vector outcomes).

  The outcomes `c` are all count vectors summing to `total_count` (no
  truncation is needed: the support is finite), so `T(x) = sum_k c_k x_k` is
  a relaxed count vector (paper §4.2). With `total_count = 1` the outcomes
  are the one-hot vectors and this is exactly the Gumbel-Softmax
  `tfd.RelaxedOneHotCategorical(temperature, logits)`.

  #### Mathematical Details

  ```none
  pi(c) = N! / prod_i c_i! * prod_i p_i^c_i,    sum_i c_i = N
  ```

  The number of outcomes is `C(N + K - 1, K - 1)`, so this is meant for
  small `N` and `K`.

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.GenGSMultinomial(3, probs=[.7, .2, .1], temperature=0.5)
  d.sample(seed=1)            # a relaxed count vector of shape [3]
  ```
  """

  def __init__(self,
               total_count,
               probs=None,
               logits=None,
               temperature=None,
               straight_through=False,
               validate_args=False,
               allow_nan_stats=True,
               name='GenGSMultinomial'):
    """Creates the distribution.

    Args:
      total_count: Python int (or constant) >= 1, the number of draws.
      probs: float `Tensor` `[..., K]` on the simplex.
      logits: float `Tensor` `[..., K]`, unnormalized log-probabilities.
        Exactly one of `probs`, `logits`.
      temperature: positive float `Tensor`, Gumbel-Softmax temperature.
      straight_through, validate_args, allow_nan_stats, name: as in
        `RelaxedTruncatedDiscrete`.
    """
    parameters = dict(locals())
    if (probs is None) == (logits is None):
      raise ValueError('Must pass exactly one of `probs` or `logits`.')
    count = checks.check_window(0, total_count, min_outcomes=2)[1]
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype([probs, logits, temperature],
                                      dtype_hint=tf.float32)
      self._total_count = count
      self._probs = tensor_util.convert_nonref_to_tensor(probs, dtype=dtype,
                                                         name='probs')
      self._logits = tensor_util.convert_nonref_to_tensor(
          logits, dtype=dtype, name='logits')
      param = self._probs if self._probs is not None else self._logits
      num_categories = tf.compat.dimension_value(param.shape[-1])
      if num_categories is None or num_categories < 2:
        raise ValueError('The last dimension of `probs`/`logits` (the number '
                         'of categories) must be statically known and >= 2; '
                         f'got shape {param.shape}.')
      self._low = self._high = None
      outcomes = truncated_discrete.convert_outcomes(
          count_vectors(count, num_categories), dtype)
      self._init_family(
          [self._probs, self._logits], temperature, dtype, outcomes=outcomes,
          straight_through=straight_through, validate_args=validate_args,
          allow_nan_stats=allow_nan_stats, parameters=parameters, name=name)

  def _param_batch_rank(self, param):
    return param.shape.rank - 1

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        temperature=relaxed_truncated_discrete.temperature_properties(dtype),
        logits=parameter_properties.ParameterProperties(event_ndims=1),
        probs=parameter_properties.ParameterProperties(
            event_ndims=1,
            default_constraining_bijector_fn=(
                softmax_centered_bijector.SoftmaxCentered),
            is_preferred=False))

  @property
  def total_count(self):
    return self._total_count

  def untruncated(self):
    return multinomial.Multinomial(
        float(self._total_count), probs=self._probs, logits=self._logits,
        validate_args=self.validate_args)

  def _pi_logits(self):
    if self._logits is not None:
      log_p = tf.math.log_softmax(tf.convert_to_tensor(self._logits))
    else:
      log_p = tf.math.log(tf.convert_to_tensor(self._probs))
    c = self._outcomes  # [n, K]
    log_multinomial_coefficient = (
        tf.math.lgamma(tf.constant(self._total_count + 1., c.dtype)) -
        tf.reduce_sum(tf.math.lgamma(c + 1.), axis=-1))
    # sum_i c_i log p_i with 0 * log 0 = 0: [..., 1, K] x [n, K] -> [..., n].
    weighted = tf.math.multiply_no_nan(log_p[..., tf.newaxis, :], c)
    return log_multinomial_coefficient + tf.reduce_sum(weighted, axis=-1)

  def _parameter_control_dependencies(self, is_init):
    assertions = []
    if self.validate_args:
      gengs_family.probs_or_logits_checks(self, is_init, assertions)
    return assertions
