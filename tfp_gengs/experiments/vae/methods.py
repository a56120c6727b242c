"""The VAE study's methods: one row each, the one place that describes them.

A method is how the encoder is trained. Its row says all the study needs:

* `name`: its `--estimator` value, also in run folders and `results.json`;
* `display`: its name in labels and tables (the paper's Table 1 column);
* `posterior`: the posterior it fixes (`'explicit'`, `'implicit'`), or
  `None`: it takes `--inference` (implicit by default), and an explicit
  run is a table column of its own;
* `trains`: how it trains:
  `'layer'`: pathwise through the Keras GenGS layer, with the layer's
    sample `gradient` (`'relaxed'`: GenGS; a hard-sample gradient:
    exact outcomes forward);
  `'eat'`: pathwise through the Poisson layer's exponential-arrival-time
    relaxation `relaxation` (explicit, Poisson priors only);
  `'bottleneck'`: the layer's posterior mean, no noise (a timing
    reference, not a VAE);
  `'estimator'`: a baseline, `gengs.estimators.make(name)` on the layer's
    truncated posterior;
* `paper`: whether the paper's Table 1 has its column;
* `learned`: an estimator that trains parts of its own (a control
  variate: NVIL's baseline, REBAR's and RELAX's `eta` and temperature);
* `objective`: what it estimates the gradient of: `'elbo'` (the
  reconstruction term, the KL exact) or VIMCO's `'k_sample_bound'`.

What follows from a row (`Method`'s properties): the relaxed pathwise
methods may train their last epochs straight-through
(`--st_finetune_epochs`); the relaxed GenGS layer methods may switch to a
hard-sample method for their last epochs (`--finetune_estimator`): a
hard-sample layer method, or an estimator of the ELBO without parts of its
own (StoRB*, RF*, MuProp), so that the run's one optimizer carries over.

Adding a method is adding its row to `METHODS` below, e.g. for a
baseline of `gengs.estimators`:

```none
    Method('REINFORCE', 'REINFORCE', None, 'estimator'),
```
"""

import dataclasses
from typing import Optional

__all__ = ['METHODS', 'Method', 'TRAINS', 'get', 'names']

TRAINS = ('layer', 'eat', 'bottleneck', 'estimator')


@dataclasses.dataclass(frozen=True)
class Method:
  """One row of `METHODS` (see the module doc)."""

  name: str
  display: str
  posterior: Optional[str]
  trains: str
  gradient: str = 'relaxed'
  relaxation: str = 'gengs'
  paper: bool = False
  learned: bool = False
  objective: str = 'elbo'

  def __post_init__(self):
    if self.trains not in TRAINS:
      raise ValueError(f'Method {self.name!r}: trains must be one of '
                       f'{TRAINS}; got {self.trains!r}.')

  @property
  def pathwise(self):
    """Trained through the Keras latent layer (not by an estimator)."""
    return self.trains != 'estimator'

  @property
  def hard(self):
    """A layer method whose forward values are exact outcomes."""
    return self.trains == 'layer' and self.gradient != 'relaxed'

  @property
  def fine_tunes(self):
    """May train the last epochs of a GenGS run (`--finetune_estimator`):
    exact outcomes forward, and nothing of its own to optimise."""
    if self.trains == 'estimator':
      return not self.learned and self.objective == 'elbo'
    return self.hard

  @property
  def relaxed(self):
    """Trained pathwise on the relaxed sample (GenGS, EAT)."""
    return self.trains in ('layer', 'eat') and self.gradient == 'relaxed'


METHODS = {m.name: m for m in (
    # name, display, the posterior it fixes, how it trains (its gradient)
    Method('RF*', 'RF*', None, 'estimator', paper=True),
    Method('NVIL', 'NVIL', None, 'estimator', paper=True, learned=True),
    Method('MuProp', 'MuProp', None, 'estimator', paper=True),
    Method('VIMCO', 'VIMCO(5)', None, 'estimator', paper=True,
           objective='k_sample_bound'),
    Method('REBAR', 'REBAR', None, 'estimator', paper=True, learned=True),
    Method('RELAX', 'RELAX', None, 'estimator', paper=True, learned=True),
    Method('StoRB*', 'StoRB*', None, 'estimator', paper=True),
    Method('gengs_explicit', 'GenGS (Ex.)', 'explicit', 'layer', paper=True),
    Method('gengs_implicit', 'GenGS (Im.)', 'implicit', 'layer', paper=True),
    Method('gengs_st', 'GenGS-ST', None, 'layer', 'straight_through'),
    Method('deterministic', 'deterministic bottleneck', None, 'bottleneck'),
    Method('reinmax', 'ReinMax', None, 'layer', 'reinmax'),
    Method('gumbel_rao', 'Gumbel-Rao(10)', None, 'layer', 'gumbel_rao'),
    Method('eat_cubic', 'EAT-cubic (Ex.)', 'explicit', 'eat',
           relaxation='eat_cubic'),
    Method('eat_sigmoid', 'EAT-sigmoid (Ex.)', 'explicit', 'eat',
           relaxation='eat_sigmoid'),
)}


def names():
  """Every method's name, in table order."""
  return tuple(METHODS)


def get(name):
  """The row of `name` (an `--estimator` value).

  Raises:
    ValueError: no such method.
  """
  if name not in METHODS:
    raise ValueError(f'Unknown estimator {name!r}; choose from {names()}.')
  return METHODS[name]
