r"""The four problems of the synthetic gradient study (GenGS paper §6.1).

Each problem is a distribution `D(theta)` with `k` targets `t_1..t_k` drawn
once from it, and a parameter `lambda` shared by `k` latents (one per
target, as for the per-data-point latents of a VAE):

```none
minimise over lambda   L(lambda) = sum_i E_{z_i ~ D(lambda)} (z_i - t_i)^2
                                 = sum_i [Var z + (E z - t_i)^2]
```

```none
problem            D(theta)                      lambda    start   window
poisson            Poisson(20)                   log-rate  rate 10 {0..60}
binomial           Binomial(20, .3)              logit p   p = .6  {0..20}
multinomial        Multinomial(3, [.7, .2, .1])  logits    uniform all 10
negative_binomial  NegativeBinomial(3, .4)       logit p   p = .6  {0..30}
```

(The table is documentation; the report reads every entry from the `Problem`
objects, so it cannot drift from them.)

Parameters are unconstrained; gradients, variances and biases are for these
parameters. The NegativeBinomial follows TFP's convention: `p` is the success
probability and the mean is `r p / (1 - p)`. Every start is away from
`theta`.

Windows (Definition 1 of the paper): the distributions with infinite support
are truncated to `{0..high}` with the tail mass `P(X >= high)` put on `high`,
so the window is still a distribution and the targets are clipped to it. The
Poisson tail beyond 60 is below 1e-12 along the whole path (rate 10 to 20).
The NegativeBinomial tail `P(X >= 30)` is about 2e-5 at the start (p = .6)
and below 1e-9 once p < .41, i.e. near the optimum (p = .4).

Exact gradients: enumerating the window gives the exact loss and gradient of
the truncated problem (`estimators.exact`). The Poisson also has the closed
form of the untruncated problem,

```none
L = sum_i [rate + (rate - t_i)^2],
dL / d log(rate) = rate (k + 2 sum_i (rate - t_i)),
```

which the study uses as its reference, so the remaining truncation error
(`|closed form - enumeration|`) is measured and reported.
"""

import collections
import dataclasses
from typing import Callable, Optional

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python import distributions as tfd

import tfp_gengs
from tfp_gengs.distributions import truncated_log_pmf

__all__ = ['Problem', 'problems', 'poisson_closed_form_gradient']

# The second half of the stateless seed of the targets `(target_seed, 17)`.
_TARGET_SEED_SALT = 17


@dataclasses.dataclass(frozen=True)
class Problem:
  """One distribution of the study: window, parameter, targets, gradients.

  Attributes:
    name: key (`--distributions`), e.g. `'poisson'`.
    label: the target distribution `D(theta)`, e.g. `'Poisson(20)'`.
    outcomes: the window: `[n]` outcomes, or `[n, d]` count vectors.
    init: the start `lambda_0`, unconstrained `[p]`.
    parameter: what `lambda` is, in words (e.g. `'log-rate'`).
    logits_fn: `lambda [..., p] -> log-probabilities [..., n]` of the
      window's outcomes (tail mass included).
    sample_fn: `(k, seed) -> [k(, d)]` draws from `D(theta)`, clipped to the
      window.
    natural_fn: `lambda [p] -> text` of the natural parameter (e.g.
      `'rate 10'`).
    tail_on: the window end that carries the tail mass, `None` when the
      window is the whole support.
    closed_form_gradient: `(lambda [..., p], targets [k]) -> [..., p]`, the
      exact gradient of the untruncated problem, or `None` (enumeration of
      the window is exact).
    poisson_log_rate_fn: `lambda [..., p] -> log-rate [...]` for the
      estimators that sample the Poisson itself (EAT,
      `estimators.POISSON_NAMES`), or `None` (not a Poisson problem).
    max_rate: the largest rate along the optimisation path (with room for
      overshoot), for EAT's default number of arrivals; `None` if not a
      Poisson problem.
  """

  name: str
  label: str
  outcomes: np.ndarray
  init: np.ndarray
  parameter: str
  logits_fn: Callable
  sample_fn: Callable
  natural_fn: Callable
  tail_on: Optional[int] = None
  closed_form_gradient: Optional[Callable] = None
  poisson_log_rate_fn: Optional[Callable] = None
  max_rate: Optional[float] = None

  @property
  def vector(self):
    """Whether outcomes are count vectors (`[n, d]`) rather than counts."""
    return self.outcomes.ndim == 2

  @property
  def truncation(self):
    """The window in words (as stored per record in `results.json`)."""
    if self.tail_on is not None:
      return f'{{0..{self.tail_on}}}, tail mass on {self.tail_on}'
    if self.vector:
      return f'none (all {len(self.outcomes)} count vectors)'
    return (f'none (finite support {{{int(self.outcomes[0])}..'
            f'{int(self.outcomes[-1])}}})')

  @property
  def start(self):
    """The start `lambda_0` in words, in the natural parameter."""
    return self.natural_fn(self.init)

  def targets(self, k, target_seed):
    """`t_1..t_k` from `D(theta)`, a function of `target_seed` only."""
    return np.asarray(
        self.sample_fn(k, (target_seed, _TARGET_SEED_SALT)), np.float64)


def poisson_closed_form_gradient(theta, targets):
  """`d/d log(rate) sum_i E(z_i - t_i)^2 = rate (k + 2 sum_i (rate - t_i))`."""
  rate = tf.exp(theta[..., 0])
  k = tf.cast(tf.shape(targets)[0], rate.dtype)
  total = k + 2. * tf.reduce_sum(rate[..., tf.newaxis] - targets, axis=-1)
  return (rate * total)[..., tf.newaxis]


def _sigmoid(x):
  return 1. / (1. + np.exp(-x))


def _success_probability(theta):
  return f'p = {_sigmoid(theta[0]):.3g}'


def _probabilities(theta):
  probs = np.exp(theta - np.max(theta))
  probs /= probs.sum()
  text = ', '.join(f'{q:.3g}' for q in probs)
  return ('uniform' if np.allclose(probs, probs[0]) else 'probs') + (
      f' [{text}]')


def _poisson(high=60, rate=20., start_rate=10.):
  return Problem(
      name='poisson',
      label=f'Poisson({rate:g})',
      outcomes=np.arange(high + 1.),
      init=np.array([np.log(start_rate)]),
      parameter='log-rate',
      logits_fn=lambda th: truncated_log_pmf.poisson(log_rate=th[..., 0],
                                                     high=high),
      sample_fn=lambda k, seed: np.minimum(
          tfd.Poisson(rate).sample(k, seed=seed).numpy(), high),
      natural_fn=lambda th: f'rate {np.exp(th[0]):.3g}',
      tail_on=high,
      closed_form_gradient=poisson_closed_form_gradient,
      poisson_log_rate_fn=lambda th: th[..., 0],
      # The path runs from rate 10 to 20; 1.5x leaves room for overshoot.
      max_rate=1.5 * max(rate, start_rate))


def _logit(probs):
  """The starting point `[log(p / (1 - p))]` of a success probability."""
  return np.array([np.log(probs / (1. - probs))])


def _decimal(probs):
  """A probability for a label: `0.3` -> `.3`."""
  return str(probs).lstrip('0')


def _success_count_problem(family, total_count, probs, start_probs, high,
                           parameter):
  """The binomial or negative binomial problem: `logit p` is learned.

  Outcomes `{0..high}`; the negative binomial's mass above `high` is put on
  `high` (`tail_on`), the binomial's window (`high = n`) has no tail.
  """
  tfd_class, title = {
      'binomial': (tfd.Binomial, 'Binomial'),
      'negative_binomial': (tfd.NegativeBinomial, 'NegativeBinomial')}[family]
  log_pmf = getattr(truncated_log_pmf, family)
  return Problem(
      name=family,
      label=f'{title}({total_count}, {_decimal(probs)})',
      outcomes=np.arange(high + 1.),
      init=_logit(start_probs),
      parameter=parameter,
      logits_fn=lambda th: log_pmf(float(total_count), logits=th[..., 0],
                                   high=high),
      sample_fn=lambda k, seed: np.minimum(
          tfd_class(float(total_count), probs=probs).sample(
              k, seed=seed).numpy(), high),
      natural_fn=_success_probability,
      tail_on=None if family == 'binomial' else high)


def _binomial(n=20, probs=.3, start_probs=.6):
  return _success_count_problem('binomial', n, probs, start_probs, high=n,
                                parameter='logit p')


def _multinomial(n=3, probs=(.7, .2, .1)):
  d = len(probs)
  probs_text = ', '.join(_decimal(q) for q in probs)
  return Problem(
      name='multinomial',
      label=f'Multinomial({n}, [{probs_text}])',
      outcomes=truncated_log_pmf.count_vectors(n, d).astype(np.float64),
      init=np.zeros(d),
      parameter='logits',
      logits_fn=lambda th: tfp_gengs.GenGSMultinomial(
          n, logits=th, temperature=1.).truncated().logits_parameter(),
      sample_fn=lambda k, seed: tfd.Multinomial(
          float(n), probs=list(probs)).sample(k, seed=seed).numpy(),
      natural_fn=_probabilities)


def _negative_binomial(total_count=3, probs=.4, start_probs=.6, high=30):
  return _success_count_problem(
      'negative_binomial', total_count, probs, start_probs, high=high,
      parameter='logit p (TFP convention, mean r p/(1-p))')


def problems():
  """The four problems of the study, by name, in the report's order."""
  return collections.OrderedDict(
      (p.name, p) for p in (_poisson(), _binomial(), _multinomial(),
                            _negative_binomial()))
