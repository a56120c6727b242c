"""tfp_gengs: the Generalized Gumbel-Softmax (GenGS) estimator for TFP.

Relaxed, reparameterized samples of discrete random variables with many
values (Poisson, binomial, geometric, negative binomial, multinomial, any
truncatable integer distribution): truncate, Gumbel-Softmax over the
truncated PMF, and map back to the values (Joo, Kim, Shin & Moon).
"""

import importlib

from tfp_gengs import bijectors
from tfp_gengs import distributions
from tfp_gengs.distributions import GenGSBinomial
from tfp_gengs.distributions import GenGSGeometric
from tfp_gengs.distributions import GenGSMultinomial
from tfp_gengs.distributions import GenGSNegativeBinomial
from tfp_gengs.distributions import GenGSPoisson
from tfp_gengs.distributions import RelaxedTruncatedDiscrete
from tfp_gengs.distributions import TruncatedDiscrete
from tfp_gengs.distributions import truncate

__version__ = '0.1.0'

# Subpackages that import Keras or heavier dependencies load on first use.
_LAZY_SUBPACKAGES = ('layers', 'estimators', 'datasets', 'experiments')


def __getattr__(name):
  if name in _LAZY_SUBPACKAGES:
    return importlib.import_module(f'tfp_gengs.{name}')
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = [
    'GenGSBinomial',
    'GenGSGeometric',
    'GenGSMultinomial',
    'GenGSNegativeBinomial',
    'GenGSPoisson',
    'RelaxedTruncatedDiscrete',
    'TruncatedDiscrete',
    'bijectors',
    'distributions',
    'truncate',
]
