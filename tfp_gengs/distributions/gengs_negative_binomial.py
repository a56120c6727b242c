"""GenGSNegativeBinomial: the relaxed, truncated negative binomial."""

from typing import Any, Optional

from tfp_gengs.distributions import families
from tfp_gengs.distributions import gengs_family

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

  _FAMILY = families.NEGATIVE_BINOMIAL

  def __init__(self,
               total_count: Any,
               probs: Any = None,
               logits: Any = None,
               temperature: Any = None,
               high: Optional[int] = None,
               low: int = 0,
               straight_through: bool = False,
               validate_args: bool = False,
               allow_nan_stats: bool = True,
               tail_mass: Optional[float] = None,
               name: str = 'GenGSNegativeBinomial'):
    """Creates the distribution.

    Args:
      total_count: float `Tensor`, finite and `> 0`, number of failures `r`.
      probs: float `Tensor` in the open interval `(0, 1)`, success
        probability.
      logits: float `Tensor`, finite, log-odds of success. Exactly one of
        `probs`, `logits`.
      temperature, high, low, straight_through, validate_args,
        allow_nan_stats, tail_mass, name: as in `GenGSPoisson`.
    """
    parameters = dict(locals())
    super().__init__(
        dict(total_count=total_count, probs=probs, logits=logits),
        temperature, high, low, tail_mass, straight_through=straight_through,
        validate_args=validate_args, allow_nan_stats=allow_nan_stats,
        parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return cls._family_parameter_properties(dtype)

  total_count = gengs_family.parameter(
      'total_count', 'The number of failures.')

  probs = gengs_family.parameter(
      'probs', 'The success probability, as given (or `None`).')

  logits = gengs_family.parameter(
      'logits', 'The log-odds of success, as given (or `None`).')
