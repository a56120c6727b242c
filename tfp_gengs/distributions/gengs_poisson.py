"""GenGSPoisson: the relaxed, truncated Poisson distribution."""

from typing import Any, Optional

from tfp_gengs.distributions import families
from tfp_gengs.distributions import gengs_family

__all__ = ['GenGSPoisson']


class GenGSPoisson(gengs_family.GenGSFamily):
  """GenGS relaxation of `Poisson(rate)` truncated to `{low, ..., high}`.

  #### Mathematical Details

  ```none
  pi(low)  = P(X <= low),  pi(k) = e^-rate rate^k / k!,  pi(high) = P(X >= high)
  z        = sum_k k softmax((log pi + g) / tau)_k
  ```

  Tails come from the regularized incomplete gamma functions (log space,
  closed-form gradients `d/drate P(X >= h) = pmf(h - 1)`). `rate` must be
  finite and `> 0` (`log_rate` finite); see `families` for every rule.

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.GenGSPoisson(rate=[2., 7.], temperature=0.5, high=20)
  d.sample(seed=1)             # shape [2], relaxed counts
  d.truncated().mean()         # ==> ~[2., 7.]
  d[1:].batch_shape            # ==> [1]
  # The window from a tail mass: the smallest one leaving 1e-6 outside.
  big = gengs.GenGSPoisson(rate=1000., temperature=0.5, tail_mass=1e-6)
  (big.low, big.high)          # ==> (849, 1158)
  ```
  """

  _FAMILY = families.POISSON

  def __init__(self,
               rate: Any = None,
               temperature: Any = None,
               high: Optional[int] = None,
               low: int = 0,
               log_rate: Any = None,
               straight_through: bool = False,
               validate_args: bool = False,
               allow_nan_stats: bool = True,
               tail_mass: Optional[float] = None,
               name: str = 'GenGSPoisson'):
    """Creates the distribution.

    Args:
      rate: float `Tensor`, finite and `> 0`, the Poisson rate.
      temperature: float `Tensor`, finite and `> 0`, the Gumbel-Softmax
        temperature.
      high: Python int, highest outcome (right tail `P(X >= high)` on it).
      low: Python int `>= 0`, lowest outcome (left tail `P(X <= low)` on
        it).
      log_rate: float `Tensor`, `log(rate)`, finite; pass exactly one of
        `rate`, `log_rate`.
      straight_through: Python `bool`, exact outcomes forward.
      validate_args: Python `bool`, check tensor parameters at run time
        (Python and numpy values are always checked at construction).
      allow_nan_stats: Python `bool`.
      tail_mass: optional float in `(0, 1)`: instead of `high`/`low`, the
        window `gengs.window(tfd.Poisson(rate), tail_mass)` (the rate must
        be known in Python).
      name: Python `str`.
    """
    parameters = dict(locals())
    super().__init__(
        dict(rate=rate, log_rate=log_rate), temperature, high, low, tail_mass,
        straight_through=straight_through, validate_args=validate_args,
        allow_nan_stats=allow_nan_stats, parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return cls._family_parameter_properties(dtype)

  rate = gengs_family.parameter(
      'rate', 'The Poisson rate, as given (or `None`).')

  log_rate = gengs_family.parameter(
      'log_rate', 'The log-rate, as given (or `None`).')
