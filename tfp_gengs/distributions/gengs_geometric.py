"""GenGSGeometric: the relaxed, truncated geometric distribution."""

from typing import Any, Optional

from tfp_gengs.distributions import families
from tfp_gengs.distributions import gengs_family

__all__ = ['GenGSGeometric']


class GenGSGeometric(gengs_family.GenGSFamily):
  """GenGS relaxation of `Geometric(probs)` truncated to `{low, ..., high}`.

  As `tfd.Geometric`: the number of failures before the first success,
  `P(X = k) = p (1 - p)^k`, `k >= 0`.

  #### Mathematical Details

  ```none
  pi(low)  = 1 - (1 - p)^(low + 1)
  pi(k)    = p (1 - p)^k                  low < k < high
  pi(high) = (1 - p)^high
  ```

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.GenGSGeometric(probs=0.25, temperature=0.5, high=30)
  d.sample(4, seed=1)
  ```
  """

  _FAMILY = families.GEOMETRIC

  def __init__(self,
               probs: Any = None,
               logits: Any = None,
               temperature: Any = None,
               high: Optional[int] = None,
               low: int = 0,
               straight_through: bool = False,
               validate_args: bool = False,
               allow_nan_stats: bool = True,
               tail_mass: Optional[float] = None,
               name: str = 'GenGSGeometric'):
    """Creates the distribution.

    Args:
      probs: float `Tensor` in the open interval `(0, 1)`, the success
        probability.
      logits: float `Tensor`, finite, log-odds of success. Exactly one of
        `probs`, `logits`.
      temperature, high, low, straight_through, validate_args,
        allow_nan_stats, tail_mass, name: as in `GenGSPoisson`.
    """
    parameters = dict(locals())
    super().__init__(
        dict(probs=probs, logits=logits), temperature, high, low, tail_mass,
        straight_through=straight_through, validate_args=validate_args,
        allow_nan_stats=allow_nan_stats, parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return cls._family_parameter_properties(dtype)

  probs = gengs_family.SUCCESS_PROBS
  logits = gengs_family.SUCCESS_LOGITS
