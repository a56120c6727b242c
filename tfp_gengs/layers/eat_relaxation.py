"""The EAT option of the Poisson latent layer: relaxation, arrivals, window.

`GenGSPoissonLayer(..., relaxation='eat_sigmoid' | 'eat_cubic')` replaces
the layer's Gumbel-Softmax sample by the exponential-arrival-time (EAT)
relaxation of `gengs.ExponentialArrivalPoisson` (Vafaii et al., 2024,
sigmoid; Ibrahim et al., 2026, cubic), everything else staying the GenGS
layer's. This module holds what is the option's own: the names, the rule
that implicit inference has no EAT form, and the number of arrivals `K`
fixed at construction (the sample is `eat_arrivals.relaxed_count`).

#### Mathematical Details

The input `x [..., d]` is the posterior log-rate of each latent dimension,
as in the GenGS explicit mode:

```none
Delta t_i = -log(u_i) exp(-x),  u_i ~ Uniform(0, 1),  i = 1..K
t_k       = Delta t_1 + ... + Delta t_k
z         = sum_k s((1 - t_k) / tau)              (relaxed, 0 <= z <= K)
z_hard    = #{k <= K: t_k <= 1} = min(N, K),     N ~ Poisson(exp(x))
```

`z_hard` is the straight-through forward value and the `tau -> 0` limit.
Its law is exactly the Poisson truncated to the window `{0, ..., K}` with
the upper tail on `K`, `TD(Poisson(exp x), 0, K)` (paper Definition 1).
So the layer's window is `{0, ..., K}`, and its KL is the GenGS layer's
truncated categorical KL over that window,

```none
KL = sum_{k=0..K} pi_k (log pi_k - log pi_prior_k),
pi = TD(Poisson(exp x), 0, K),  pi_prior = TD(Poisson(prior_rate), 0, K)
```

the exact KL of the hard latents the relaxation tends to, and the KL a
GenGS explicit layer with the window `{0, ..., K}` adds: EAT and GenGS
VAEs then optimise the same objective with the same posterior family and
differ only in the reparameterized sample. It equals the analytic Poisson
KL `q log(q / p) - q + p` up to the two Poissons' mass above `K` (below
1e-6 for rates that `K` covers, see below); for a rate far above `K` it is
the KL of the capped counts, smaller than the Poisson one.

*Number of arrivals.* With a learned encoder the posterior rates are not
known in Python, so `K` is fixed at construction: `num_arrivals` if given,
else

```none
K = max(high, default_num_arrivals(max prior_rate, tau_0, smoothing, m))
```

with `high` the GenGS window's end (given, or `gengs.window` of
`tail_mass`; 0 if neither), `tau_0` the initial temperature and `m` the
tail mass (`tail_mass`, default 1e-6): the smallest `K` with
`P(Poisson(rate t_h) > K) <= m`, `t_h` the end of the smoothing's support
(`1 + tau` cubic, `1 + tau log((1 - m) / m)` sigmoid). Lower temperatures
(annealing) need no more arrivals; a temperature raised above `tau_0`
would. A posterior rate above what `K` covers gives, like a rate beyond a
GenGS window, a capped latent: the relaxed count stays `<= K` and is
biased low, the straight-through count is `min(N, K)`, and when all `K`
arrivals fall before `1 - tau` (cubic) the sample's gradient with respect
to the rate is exactly 0 (only the KL then moves such a rate). Raise
`num_arrivals` (or `high`) where the encoder needs larger rates than the
prior's.
"""

from typing import Any, Optional


from tfp_gengs.distributions import eat_arrivals
from tfp_gengs.distributions import families
from tfp_gengs.distributions import windows
from tfp_gengs.internal import checks
from tfp_gengs.layers import prior_spec

__all__ = ['RELAXATIONS', 'check', 'num_arrivals', 'smoothing_of']

RELAXATIONS = ('gengs', 'eat_sigmoid', 'eat_cubic')
_DEFAULT_TAIL_MASS = 1e-6


def smoothing_of(relaxation: str) -> Optional[str]:
  """`'sigmoid'` / `'cubic'` for an EAT relaxation, `None` for GenGS."""
  return None if relaxation == 'gengs' else relaxation[len('eat_'):]


def check(relaxation: str, inference: str) -> str:
  """Validates `relaxation` against `RELAXATIONS` and `inference`."""
  checks.check_choice(relaxation, 'relaxation', RELAXATIONS)
  if relaxation != 'gengs' and inference != 'explicit':
    raise ValueError(
        f'Argument `relaxation`={relaxation!r} needs `inference`=\'explicit\' '
        f'(got `inference`={inference!r}): the exponential-arrival-time '
        'relaxation simulates a Poisson process from its rate (the input '
        'log-rate), and implicit inference gives logits of pi over the '
        'window instead, which have no EAT form. Use inference=\'explicit\', '
        'or relaxation=\'gengs\' for implicit inference.')
  return relaxation


def num_arrivals(prior_rate: Any, temperature: float, smoothing: str,
                 high: Optional[int] = None, low: Optional[int] = 0,
                 tail_mass: Optional[float] = None,
                 arrivals: Optional[int] = None) -> int:
  """The number of arrivals `K`, fixed at construction (module docstring).

  Args:
    prior_rate: the layer's `prior_rate` (scalar or `[d]`), validated here
      with the Poisson family's rules.
    temperature: Python float, the initial temperature `tau_0`.
    smoothing: `'sigmoid'` or `'cubic'`.
    high: optional Python int, a window end `K` must reach.
    low: must be 0 or `None` (the arrivals are counted from time 0).
    tail_mass: optional float in `(0, 1)`: the GenGS window of the prior and
      the tail mass of the default `K` (default 1e-6).
    arrivals: optional Python int `K` (the layer's `num_arrivals`); then
      `tail_mass` must be `None` and `high`, if given, `<= K`.

  Returns:
    `K`, a Python int >= 1; the layer's window is `{0, ..., K}`.

  Raises:
    ValueError: `low != 0`, `arrivals` with `tail_mass` or below `high`,
      invalid `prior_rate`, `tail_mass` or `arrivals`.
  """
  if low not in (None, 0):
    raise ValueError(
        f'Argument `low` must be 0 with an EAT relaxation (got low={low}): '
        'the arrivals are counted from time 0, so the window is {0, ..., K}.')
  family = families.get('poisson')
  # pylint: disable-next=protected-access
  rate = prior_spec._param_array(prior_rate, 'prior_rate')
  family.check_static({'rate': rate}, prefix='prior_')
  if arrivals is not None:
    arrivals = checks.python_int(arrivals, 'num_arrivals',
                                  noun='a Python int')
    if tail_mass is not None:
      raise ValueError('Pass either `num_arrivals` or `tail_mass`, not both: '
                       '`tail_mass` chooses the number of arrivals.')
    if high is not None and high > arrivals:
      raise ValueError(
          f'Argument `high` ({high}) must be <= `num_arrivals` ({arrivals}) '
          'with an EAT relaxation: its window is {0, ..., num_arrivals}.')
    return arrivals
  mass = _DEFAULT_TAIL_MASS if tail_mass is None else tail_mass
  needed = eat_arrivals.default_num_arrivals(rate, temperature, smoothing,
                                            mass)
  if high is None and tail_mass is not None:
    high = windows.window_of(family, {'rate': rate}, tail_mass)[1]
  return max(needed, 0 if high is None else int(high))

