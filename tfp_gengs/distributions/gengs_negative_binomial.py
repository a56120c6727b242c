"""GenGSNegativeBinomial: the relaxed, truncated negative binomial."""

from tfp_gengs.distributions import families
from tfp_gengs.distributions import gengs_family

__all__ = ['GenGSNegativeBinomial']


class GenGSNegativeBinomial(gengs_family.TrialsFamily):
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

  total_count = gengs_family.parameter('total_count', 'The number of failures.')
