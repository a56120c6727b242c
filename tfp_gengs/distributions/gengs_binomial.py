"""GenGSBinomial: the relaxed binomial distribution."""

from tfp_gengs.distributions import families
from tfp_gengs.distributions import gengs_family

__all__ = ['GenGSBinomial']


class GenGSBinomial(gengs_family.TrialsFamily):
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

  total_count = gengs_family.parameter('total_count', 'The number of trials.')
