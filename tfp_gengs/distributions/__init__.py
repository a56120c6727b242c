"""GenGS distributions: truncated, relaxed, and the named families.

Public modules beside the classes: `truncated_log_pmf` (each family's
truncated log-PMF, `fn(low=, high=, **params)`), `kullback_leibler` (the
registered KLs and `categorical_kl`), `sample_gradients` (an outcome sample
with a relaxed, straight-through, ReinMax or Gumbel-Rao gradient) and
`windows` (`window`, `resolve`).
"""

from tfp_gengs.distributions import kullback_leibler  # registers the KLs
from tfp_gengs.distributions import sample_gradients
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.distributions import windows
from tfp_gengs.distributions.eat_poisson import ExponentialArrivalPoisson
from tfp_gengs.distributions.gengs_binomial import GenGSBinomial
from tfp_gengs.distributions.gengs_geometric import GenGSGeometric
from tfp_gengs.distributions.gengs_multinomial import GenGSMultinomial
from tfp_gengs.distributions.gengs_negative_binomial import (
    GenGSNegativeBinomial)
from tfp_gengs.distributions.gengs_poisson import GenGSPoisson
from tfp_gengs.distributions.relaxed_discrete import RelaxedDiscrete
from tfp_gengs.distributions.relaxed_truncated_discrete import (
    RelaxedTruncatedDiscrete)
from tfp_gengs.distributions.truncated_discrete import TruncatedDiscrete
from tfp_gengs.distributions.truncation import truncate
from tfp_gengs.distributions.windows import WideWindowWarning
from tfp_gengs.distributions.windows import window

__all__ = [
    'ExponentialArrivalPoisson',
    'GenGSBinomial',
    'GenGSGeometric',
    'GenGSMultinomial',
    'GenGSNegativeBinomial',
    'GenGSPoisson',
    'RelaxedDiscrete',
    'RelaxedTruncatedDiscrete',
    'TruncatedDiscrete',
    'WideWindowWarning',
    'kullback_leibler',
    'sample_gradients',
    'truncate',
    'truncated_log_pmf',
    'window',
    'windows',
]
