"""Gradient estimators for discrete random variables over outcome values.

One interface (`base.GradientEstimator`): given a `TruncatedDiscrete` whose
logits depend on the parameters `theta`, a loss `f` of the outcome value and
a seed, `estimator(distribution, loss_fn, seed)` returns an
`EstimatorResult` whose `surrogate` has the estimator's estimate of
`grad_theta E[f(z)]` as its gradient (plus `aux_loss` for learned control
variates).

```python
import tensorflow as tf
import tfp_gengs as gengs
from tfp_gengs.distributions import truncated_log_pmf

log_rate = tf.Variable(1.)
estimator = gengs.estimators.make('GenGS', temperature=0.5)
with tf.GradientTape() as tape:
  dist = gengs.TruncatedDiscrete(
      tf.range(41.), logits=truncated_log_pmf.poisson(log_rate=log_rate,
                                                      high=40))
  result = estimator(dist, lambda z: (z - 7.)**2, seed=(1, 2))
grad = tape.gradient(result.surrogate, log_rate)
```

| name | estimator | unbiased | evaluations of f |
|---|---|---|---|
| REINFORCE | score function (Williams 1992) | yes | 1 |
| RF* | leave-one-out baseline, k samples (Kool et al. 2019) | yes | k |
| NVIL | learned baseline, variance normalisation (Mnih & Gregor 2014) | yes | 1 |
| MuProp | Taylor control variate (Gu et al. 2016) | yes | 2 |
| VIMCO(k) | leave-one-out signals (Mnih & Rezende 2016) | yes | k |
| REBAR | relaxed control variate (Tucker et al. 2017) | yes | 3 |
| RELAX | learned control variate (Grathwohl et al. 2018) | yes | 3 |
| DetRB, DetRB* | sum-and-sample, m=1 (Liu et al. 2019) | yes | 2 |
| StoRB, StoRB* | stochastic sum-and-sample (Kool et al. 2020) | yes | 2 |
| UNORD, UNORD* | unordered set, k=2 (Kool et al. 2020) | yes | 2 |
| GenGS, GenGS-ST, GenGS-RB | this paper (Joo et al.) | no (-> 0 as tau -> 0) | 1, 1, 2 |
"""

from tfp_gengs.estimators import exact
from tfp_gengs.estimators.base import EstimatorResult
from tfp_gengs.estimators.base import GradientEstimator
from tfp_gengs.estimators.gengs import GenGS
from tfp_gengs.estimators.gengs import GenGSRB
from tfp_gengs.estimators.gengs import GenGSStraightThrough
from tfp_gengs.estimators.muprop import MuProp
from tfp_gengs.estimators.nvil import NVIL
from tfp_gengs.estimators.reinforce import REINFORCE
from tfp_gengs.estimators.reinforce import RFStar
from tfp_gengs.estimators.relax import REBAR
from tfp_gengs.estimators.relax import RELAX
from tfp_gengs.estimators.sum_and_sample import DetRB
from tfp_gengs.estimators.sum_and_sample import StoRB
from tfp_gengs.estimators.sum_and_sample import SumAndSample
from tfp_gengs.estimators.unordered import UNORD
from tfp_gengs.estimators.vimco import VIMCO

# name -> factory(**kwargs); `temperature` goes to the relaxation-based ones.
_FACTORIES = {
    'REINFORCE': lambda **kw: REINFORCE(),
    'RF*': lambda num_samples=2, **kw: RFStar(num_samples),
    'NVIL': lambda seed=0, **kw: NVIL(seed=seed),
    'MuProp': lambda **kw: MuProp(),
    'VIMCO': lambda vimco_samples=5, **kw: VIMCO(vimco_samples),
    'REBAR': lambda temperature=1., **kw: REBAR(temperature),
    'RELAX': lambda temperature=1., seed=0, **kw: RELAX(temperature,
                                                        seed=seed),
    'DetRB': lambda **kw: DetRB(),
    'DetRB*': lambda **kw: DetRB(builtin_baseline=True),
    'StoRB': lambda **kw: StoRB(),
    'StoRB*': lambda **kw: StoRB(builtin_baseline=True),
    'UNORD': lambda **kw: UNORD(),
    'UNORD*': lambda **kw: UNORD(builtin_baseline=True),
    'GenGS': lambda temperature=1., **kw: GenGS(temperature),
    'GenGS-ST': lambda temperature=1., **kw: GenGSStraightThrough(
        temperature),
    'GenGS-RB': lambda temperature=1., **kw: GenGSRB(temperature),
}

NAMES = tuple(_FACTORIES)


def make(name, **kwargs):
  """Builds the estimator called `name` (one of `NAMES`).

  Keyword arguments the estimator does not use are ignored, so one set of
  settings (`temperature`, `num_samples`, `vimco_samples`, `seed`) can build
  every estimator. `'NAME@TAU'` (e.g. `'GenGS@0.5'`) overrides the
  temperature.
  """
  if '@' in name:
    name, tau = name.split('@')
    kwargs = dict(kwargs, temperature=float(tau))
    estimator = make(name, **kwargs)
    estimator.display_name = f'{estimator.display_name}(τ={float(tau):g})'
    return estimator
  if name not in _FACTORIES:
    raise ValueError(f'Unknown estimator {name!r}; choose from {NAMES}.')
  return _FACTORIES[name](**kwargs)


__all__ = [
    'DetRB', 'EstimatorResult', 'GenGS', 'GenGSRB', 'GenGSStraightThrough',
    'GradientEstimator', 'MuProp', 'NAMES', 'NVIL', 'REBAR', 'RELAX',
    'REINFORCE', 'RFStar', 'StoRB', 'SumAndSample', 'UNORD', 'VIMCO',
    'exact', 'make',
]
