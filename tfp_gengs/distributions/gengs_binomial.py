"""GenGSBinomial: the relaxed binomial distribution."""

from typing import Any, Optional

from tfp_gengs.distributions import families
from tfp_gengs.distributions import gengs_family

__all__ = ['GenGSBinomial']


class GenGSBinomial(gengs_family.GenGSFamily):
  """GenGS relaxation of `Binomial(total_count, probs)` on `{low, ..., high}`.

  The binomial is already finite: by default the window is the whole support
  `0..total_count` and nothing is truncated (with a `total_count` that
  varies over the batch, the largest one: outcomes above a member's own
  `total_count` have probability 0 for it). A narrower window puts the tails
  on its ends (paper §3.1: ignore rare outcomes).

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
  d.high                      # ==> 20
  ```
  """

  _FAMILY = families.BINOMIAL

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
               name: str = 'GenGSBinomial'):
    """Creates the distribution.

    Args:
      total_count: float `Tensor` of integers `>= 1`, the number of trials.
      probs: float `Tensor` in the open interval `(0, 1)`, success
        probability.
      logits: float `Tensor`, finite, log-odds of success. Exactly one of
        `probs`, `logits`.
      temperature: as in `GenGSPoisson`.
      high: Python int, highest outcome; default the largest `total_count`
        (which must then be statically known).
      low, straight_through, validate_args, allow_nan_stats, tail_mass,
        name: as in `GenGSPoisson`.
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
      'total_count', 'The number of trials.')

  probs = gengs_family.parameter(
      'probs', 'The success probability, as given (or `None`).')

  logits = gengs_family.parameter(
      'logits', 'The log-odds of success, as given (or `None`).')
