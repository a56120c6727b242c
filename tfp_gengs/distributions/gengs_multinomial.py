"""GenGSMultinomial: the relaxed multinomial over count vectors."""

from typing import Any

import tensorflow.compat.v2 as tf

from tfp_gengs.distributions import families
from tfp_gengs.distributions import gengs_family
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.internal import outcomes as outcomes_lib

__all__ = ['GenGSMultinomial', 'count_vectors']

count_vectors = truncated_log_pmf.count_vectors


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

  (`truncated_log_pmf.multinomial`). The number of outcomes is
  `C(N + K - 1, K - 1)`, so this is meant for small `N` and `K`.

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.GenGSMultinomial(3, probs=[.7, .2, .1], temperature=0.5)
  d.sample(seed=1)            # a relaxed count vector of shape [3]
  ```
  """

  _FAMILY = families.MULTINOMIAL

  def __init__(self,
               total_count: int,
               probs: Any = None,
               logits: Any = None,
               temperature: Any = None,
               straight_through: bool = False,
               validate_args: bool = False,
               allow_nan_stats: bool = True,
               name: str = 'GenGSMultinomial'):
    """Creates the distribution.

    Args:
      total_count: Python int (or constant) `>= 1`, the number of draws.
      probs: float `Tensor` `[..., K]` on the simplex.
      logits: float `Tensor` `[..., K]`, unnormalized log-probabilities (not
        NaN, `< +inf`). Exactly one of `probs`, `logits`.
      temperature: positive float `Tensor`, Gumbel-Softmax temperature.
      straight_through, validate_args, allow_nan_stats, name: as in
        `RelaxedTruncatedDiscrete`.
    """
    parameters = dict(locals())
    super().__init__(
        dict(total_count=total_count, probs=probs, logits=logits),
        temperature, None, None, None, straight_through=straight_through,
        validate_args=validate_args, allow_nan_stats=allow_nan_stats,
        parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return cls._family_parameter_properties(dtype)

  def _outcome_values(self, dtype):
    param = self._params['probs']
    if param is None:
      param = self._params['logits']
    num_categories = tf.compat.dimension_value(param.shape[-1])
    if num_categories is None or num_categories < 2:
      raise ValueError('The last dimension of `probs`/`logits` (the number '
                       'of categories) must be statically known and >= 2; '
                       f'got shape {param.shape}.')
    return outcomes_lib.convert_outcomes(
        count_vectors(self._params['total_count'], num_categories), dtype,
        assume_valid=True)

  total_count = gengs_family.parameter(
      'total_count', 'The number of trials (a Python int).')

  probs = gengs_family.parameter(
      'probs', 'The category probabilities, as given (or `None`).')

  logits = gengs_family.parameter(
      'logits', 'The category logits, as given (or `None`).')
