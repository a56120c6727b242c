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
| NVIL | learned baseline, normalised (Mnih & Gregor 2014) | yes | 1 |
| MuProp | Taylor control variate (Gu et al. 2016) | yes | 2 |
| VIMCO(k) | leave-one-out signals (Mnih & Rezende 2016) | yes | k |
| REBAR | relaxed control variate (Tucker et al. 2017) | yes | 3 |
| RELAX | learned control variate (Grathwohl et al. 2018) | yes | 3 |
| DetRB, DetRB* | sum-and-sample, m=1 (Liu et al. 2019) | yes | 2 (1+2D) |
| StoRB, StoRB* | stochastic sum-and-sample (Kool et al.) | yes | 2 (1+D) |
| UNORD, UNORD* | unordered set, k=2 (Kool et al. 2020) | yes | 2 (1+D) |
| GenGS, -ST, -RB | this paper (Joo et al.) | no (tau -> 0) | 1, 1, 2 (1+2D) |
| ReinMax | second-order straight-through (Liu et al. 2023) | no | 1 |
| Gumbel-Rao | ST-GS averaged over K Gumbels (Paulus et al. 2021) | no | 1 |
| EAT-cubic, EAT-sigmoid | exponential arrival times (Poisson only) | no | 1 |

Evaluations are per estimate; in brackets, with `D > 1` latents per
learning signal (`latent_ndims > 0`, e.g. a VAE's `[batch, d]` latent with
one learning signal per example), where the Rao-Blackwellised estimators
treat each latent conditionally on the others. Every other estimator costs
the same for any `D`. VIMCO with `vimco_objective='logmeanexp'` estimates
the gradient of the k-sample bound `E[-log mean_s exp(-f(z_s))]`, not of
`E[f]` (what a VAE trained on the k-sample bound wants).

The EAT estimators (`POISSON_NAMES`) relax a Poisson by its arrival times
rather than a truncated window: they take a `tfd.Poisson` (its
`log_rate_parameter()`), not a `TruncatedDiscrete`.
"""

from tfp_gengs.estimators import exact
from tfp_gengs.estimators.eat import ExponentialArrivalTime
from tfp_gengs.estimators.base import EstimatorResult
from tfp_gengs.estimators.base import GradientEstimator
from tfp_gengs.estimators.gengs import GenGS
from tfp_gengs.estimators.gengs import GenGSRB
from tfp_gengs.estimators.gengs import GenGSStraightThrough
from tfp_gengs.estimators.hard_sample import GumbelRao
from tfp_gengs.estimators.hard_sample import ReinMax
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

# Every setting `make` knows, with its default. One set of settings builds
# every estimator: each factory reads the ones it uses.
SETTINGS = {
    'temperature': 1.,          # GenGS(-ST/-RB), ReinMax, Gumbel-Rao;
                                # REBAR/RELAX initial tau
    'num_samples': None,        # RF*'s k (2) and Gumbel-Rao's K (10)
    'vimco_samples': 5,         # VIMCO(k)
    'vimco_objective': 'mean',  # VIMCO: 'mean' (E f) or 'logmeanexp' (bound)
    'normalize_variance': True,  # NVIL's 1 / max(1, sqrt(v))
    'rb_construction': 'restricted',  # GenGS-RB: 'restricted' | 'detached'
    'seed': 0,                  # initial weights of NVIL's / RELAX's network
    'latent_ndims': 0,          # latents per learning signal (1 for a VAE)
    'num_arrivals': None,       # EAT: arrivals K (None: from the tail mass)
    'max_rate': None,           # EAT: largest rate, for the default K
}

_FACTORIES = {
    'REINFORCE': lambda s: REINFORCE(latent_ndims=s['latent_ndims']),
    'RF*': lambda s: RFStar(2 if s['num_samples'] is None else s['num_samples'],
                            latent_ndims=s['latent_ndims']),
    'NVIL': lambda s: NVIL(normalize_variance=s['normalize_variance'],
                           latent_ndims=s['latent_ndims'], seed=s['seed']),
    'NVIL(unnormalised)': lambda s: NVIL(
        normalize_variance=False, latent_ndims=s['latent_ndims'],
        seed=s['seed'], display_name='NVIL(unnormalised)'),
    'MuProp': lambda s: MuProp(latent_ndims=s['latent_ndims']),
    'VIMCO': lambda s: VIMCO(s['vimco_samples'], s['vimco_objective'],
                             latent_ndims=s['latent_ndims']),
    'REBAR': lambda s: REBAR(s['temperature'],
                             latent_ndims=s['latent_ndims']),
    'RELAX': lambda s: RELAX(s['temperature'], seed=s['seed'],
                             latent_ndims=s['latent_ndims']),
    'DetRB': lambda s: DetRB(latent_ndims=s['latent_ndims']),
    'DetRB*': lambda s: DetRB(True, latent_ndims=s['latent_ndims']),
    'StoRB': lambda s: StoRB(latent_ndims=s['latent_ndims']),
    'StoRB*': lambda s: StoRB(True, latent_ndims=s['latent_ndims']),
    'UNORD': lambda s: UNORD(latent_ndims=s['latent_ndims']),
    'UNORD*': lambda s: UNORD(True, latent_ndims=s['latent_ndims']),
    'GenGS': lambda s: GenGS(s['temperature'],
                             latent_ndims=s['latent_ndims']),
    'GenGS-ST': lambda s: GenGSStraightThrough(
        s['temperature'], latent_ndims=s['latent_ndims']),
    'GenGS-RB': lambda s: GenGSRB(s['temperature'], s['rb_construction'],
                                  latent_ndims=s['latent_ndims']),
    'GenGS-RB(detached)': lambda s: GenGSRB(
        s['temperature'], 'detached', latent_ndims=s['latent_ndims']),
    'ReinMax': lambda s: ReinMax(s['temperature'],
                                 latent_ndims=s['latent_ndims']),
    'Gumbel-Rao': lambda s: GumbelRao(s['temperature'], s['num_samples'],
                                      latent_ndims=s['latent_ndims']),
}

NAMES = tuple(_FACTORIES)

# Estimators that sample a Poisson itself (they take a `tfd.Poisson`, not a
# truncated window): the exponential-arrival-time relaxations (issue 13).
_POISSON_FACTORIES = {
    f'EAT-{smoothing}': (
        lambda s, smoothing=smoothing: ExponentialArrivalTime(
            smoothing, s['temperature'], num_arrivals=s['num_arrivals'],
            max_rate=s['max_rate'], latent_ndims=s['latent_ndims']))
    for smoothing in ('cubic', 'sigmoid')
}

POISSON_NAMES = tuple(_POISSON_FACTORIES)


def make(name, **settings):
  """Builds the estimator called `name` (one of `NAMES` or `POISSON_NAMES`).

  `settings` are any of `SETTINGS` (the defaults are there); one set of
  settings builds every estimator, each reading the ones it uses. A name
  not in `SETTINGS` (a misspelling) raises a `TypeError`. `'NAME@TAU'`
  (e.g. `'GenGS@0.5'`) overrides the temperature.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2.], logits=tf.zeros([8, 2, 3]))
  for name in ('RF*', 'NVIL', 'REBAR', 'StoRB*', 'GenGS@0.5'):
    estimator = gengs.estimators.make(name, latent_ndims=1)
    result = estimator(dist, lambda z: tf.reduce_sum(z**2, -1), seed=(1, 2))
  estimator.temperature           # ==> 0.5
  ```
  """
  unknown = sorted(set(settings) - set(SETTINGS))
  if unknown:
    raise TypeError(f'Unknown estimator setting(s) {unknown}; the settings '
                    f'are {sorted(SETTINGS)}.')
  if '@' in name:
    name, tau = name.split('@')
    settings = dict(settings, temperature=float(tau))
    estimator = make(name, **settings)
    estimator.display_name = f'{estimator.display_name}(τ={float(tau):g})'
    return estimator
  factories = dict(_FACTORIES, **_POISSON_FACTORIES)
  if name not in factories:
    raise ValueError(f'Unknown estimator {name!r}; choose from '
                     f'{NAMES + POISSON_NAMES}.')
  return factories[name](dict(SETTINGS, **settings))


__all__ = [
    'DetRB', 'EstimatorResult', 'ExponentialArrivalTime', 'GenGS', 'GenGSRB',
    'GenGSStraightThrough', 'GradientEstimator', 'GumbelRao', 'MuProp',
    'NAMES', 'NVIL', 'POISSON_NAMES', 'REBAR', 'RELAX', 'REINFORCE',
    'ReinMax', 'RFStar', 'StoRB',
    'SumAndSample', 'UNORD', 'VIMCO', 'SETTINGS', 'exact', 'make',
]
