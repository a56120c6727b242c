"""Named GenGS latent layers: Poisson, geometric, binomial, negative binomial.

Thin constructors of `GenGSLayer` that take the family's prior parameters
(`prior_rate`, `prior_probs`, `prior_total_count`) and truncation window
directly, and serialize them under those names. Everything else (inputs,
outputs, inference modes, temperature, KL, saving) is as in `GenGSLayer`;
the parameters' rules and the explicit input are the family's
(`tfp_gengs.distributions.families`).
"""

from typing import Any, Optional

import keras

from tfp_gengs.internal import checks
from tfp_gengs.layers import eat_relaxation
from tfp_gengs.layers import gengs_layer
from tfp_gengs.layers import prior_spec
from tfp_gengs.layers import relaxations

__all__ = [
    'GenGSPoissonLayer',
    'GenGSGeometricLayer',
    'GenGSBinomialLayer',
    'GenGSNegativeBinomialLayer',
]


class _FamilyLayer(gengs_layer.GenGSLayer):
  """Shared base of the named layers: builds the prior from family arguments.

  Its `get_config` holds the family arguments (`prior_rate`, `high`, ...)
  instead of `GenGSLayer`'s `prior` dict.
  """

  _FAMILY = None
  _PARAMS = ()  # (layer argument, family parameter) pairs.

  def __init__(self, params, high, low, tail_mass, **kwargs):
    spec = prior_spec.PriorSpec.from_family(
        self._FAMILY, high=high, low=low, arg_prefix='prior_',
        tail_mass=tail_mass, **params)
    super().__init__(spec, **kwargs)

  def get_config(self):
    config = super().get_config()
    prior = config.pop('prior')
    config.update(high=prior['high'], low=prior['low'])
    for arg, param in self._PARAMS:
      config[arg] = prior[param]
    return config


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSPoissonLayer(_FamilyLayer):
  """GenGS latent layer with a truncated `Poisson(prior_rate)` prior.

  Explicit inference (default): the input `[..., d]` holds the log-rates of
  the posterior Poissons, `pi = TD(Poisson(exp(x)), low, high)`. Everything
  else as in `GenGSLayer`.

  #### Which inference for a VAE

  Explicit inference keeps the posterior a Poisson (variance = mean) per
  latent dimension; implicit inference (`inference='implicit'`, input the
  `n` logits of `pi` per dimension) lets it take any shape on the window.
  In our MNIST Poisson(2) VAE (`results/vae/README.md`, 25 epochs, hard-
  sample test -ELBO, 3 seeds) implicit reaches 108.91 ± 0.39 and explicit
  129.80 ± 0.29, and every other estimator (StoRB*, REBAR, RELAX, EAT,
  ReinMax, Gumbel-Rao) loses as much with the explicit posterior: the gap
  is the posterior family, not the gradient. Prefer implicit for a learned
  representation; keep explicit where a rate per example is part of the
  model. Explicit stays the default: it is the paper's named form and the
  cheaper one (one input per dimension instead of `n`).

  #### Relaxations

  `relaxation` chooses the reparameterized sample of the explicit mode:

  * `'gengs'` (default): the Gumbel-Softmax over `pi` (`GenGSLayer`).
  * `'eat_sigmoid'`, `'eat_cubic'`: the exponential-arrival-time relaxation
    of `gengs.ExponentialArrivalPoisson`: `K` arrival times of a Poisson
    process of rate `exp(x)`, counted before time 1 with a sigmoid (Vafaii
    et al., 2024) or cubic smoothstep (Ibrahim et al., 2026) of width
    `tau`:

    ```none
    t_k = (E_1 + ... + E_k) exp(-x),  E_i ~ Exponential(1),  k = 1..K
    z   = sum_k s((1 - t_k) / tau)                  0 <= z <= K
    ```

    Implicit inference has no EAT form (a `ValueError`). The window is
    `{0, ..., K}`: the straight-through (and `tau -> 0`) value
    `#{k: t_k <= 1} = min(N, K)`, `N ~ Poisson(exp(x))`, has exactly the
    law `pi = TD(Poisson(exp(x)), 0, K)`, so `posterior()`, `prior()`, the
    KL loss (the truncated categorical KL of `GenGSLayer`, the same
    `'<name>_kl'` metric) and the `'mean'` output `E min(N, K)` (the rate,
    up to the mass above `K`) are the GenGS layer's for that window: EAT
    and GenGS models share the objective and differ only in the sample.
    `inference_output='straight_through'` returns `min(N, K)`, integers.
    The temperature is the layer's `temperature` weight (annealed by
    `TemperatureAnnealing`). `K` is fixed at construction, since the
    posterior rates of a learned encoder are not known in Python:
    `num_arrivals`, or the smallest `K >= high` (the window of `high` or
    `tail_mass`) that covers the largest prior rate at the initial
    temperature up to `tail_mass` (default 1e-6), see
    `tfp_gengs.layers.eat_relaxation`. A posterior rate beyond that gives a
    capped latent (`z <= K`, biased low, no sample gradient once all `K`
    arrivals fall before `1 - tau`), as a rate beyond a GenGS window does.

  #### Examples

  ```python
  import keras
  import tfp_gengs as gengs

  x = keras.Input((20,))
  z = gengs.layers.GenGSPoissonLayer(prior_rate=3., high=12)(
      keras.layers.Dense(4)(x))                          # [batch, 4]
  # Implicit inference, n = 13 outcomes per dimension:
  z = gengs.layers.GenGSPoissonLayer(3., high=12, inference='implicit')(
      keras.layers.Dense(4 * 13)(x))                     # [batch, 4]
  # The window from the prior's mass (here 0..14):
  z = gengs.layers.GenGSPoissonLayer(3., tail_mass=1e-6)(
      keras.layers.Dense(4)(x))
  # The EAT-cubic relaxation: K = 18 arrivals cover rate 3 at tau = 0.5,
  # the window is 0..18.
  eat = gengs.layers.GenGSPoissonLayer(3., tail_mass=1e-6, temperature=0.5,
                                       relaxation='eat_cubic')
  z = eat(keras.layers.Dense(4)(x))                  # [batch, 4], 0 <= z <= K
  eat.num_arrivals, eat.num_outcomes                 # ==> (18, 19)
  ```
  """

  _FAMILY = 'poisson'
  _PARAMS = (('prior_rate', 'rate'),)

  def __init__(self,
               prior_rate: Any,
               high: Optional[int] = None,
               low: int = 0,
               temperature: float = 1.0,
               inference: str = 'explicit',
               *,
               tail_mass: Optional[float] = None,
               relaxation: str = 'gengs',
               num_arrivals: Optional[int] = None,
               **kwargs):
    """Creates the layer.

    Args:
      prior_rate: Python float, finite and `> 0`, or a vector `[d]` (one
        per latent dimension): the prior's Poisson rate.
      high: Python int, highest outcome; `P(X >= high)` is put on it. With
        an EAT relaxation: the smallest `K` (the window is `{0, ..., K}`).
      low: Python int `>= 0`, lowest outcome; `P(X <= low)` is put on it.
        Must be 0 with an EAT relaxation.
      temperature, inference, **kwargs: as in `GenGSLayer` (`gradient`,
        `kl_weight`, `inference_output`, `seed`, `gumbel_rao_samples`,
        `name`, ...).
      tail_mass: instead of `high`/`low`, the window
        `gengs.window(tfd.Poisson(prior_rate), tail_mass)`. With an EAT
        relaxation: the tail mass of the default `K` (also with `high`).
      relaxation: `'gengs'` (default), `'eat_sigmoid'` or `'eat_cubic'`
        (explicit inference only; see the class docstring).
      num_arrivals: optional Python int `K >= 1`, the arrivals of an EAT
        relaxation (default: from the prior, the window and the initial
        temperature). Not used by `'gengs'`.

    Raises:
      ValueError: as `GenGSLayer`; an unknown `relaxation`, an EAT
        relaxation with implicit inference or `low != 0`, `num_arrivals`
        with `'gengs'`, with `tail_mass`, or below `high`.
    """
    eat_relaxation.check(relaxation, inference)
    smoothing = eat_relaxation.smoothing_of(relaxation)
    if smoothing is not None and kwargs.get('gradient', 'relaxed') not in (
        'relaxed', 'straight_through'):
      raise ValueError(
          f'Argument `gradient`={kwargs["gradient"]!r} is for the GenGS '
          f'relaxation; relaxation={relaxation!r} takes \'relaxed\' or '
          '\'straight_through\'.')
    if smoothing is None and num_arrivals is not None:
      raise ValueError('Argument `num_arrivals` is for an EAT relaxation; '
                       'with relaxation=\'gengs\' the window is `high`/`low` '
                       'or `tail_mass`.')
    if smoothing is not None and keras.backend.backend() != 'tensorflow':
      raise ValueError(
          f'Argument `relaxation`={relaxation!r} (EAT) runs on Keras\'s '
          'TensorFlow backend only; this Keras runs on '
          f'{keras.backend.backend()!r}. Use relaxation=\'gengs\'.')
    if smoothing is not None:
      num_arrivals = eat_relaxation.num_arrivals(
          prior_rate, checks.python_float(temperature,
                                                       'temperature'),
          smoothing, high=high, low=low, tail_mass=tail_mass,
          arrivals=num_arrivals)
      high, low, tail_mass = num_arrivals, 0, None
    super().__init__(
        dict(rate=prior_rate), high, low, tail_mass, temperature=temperature,
        inference=inference, **kwargs)
    self.relaxation = relaxation
    self.num_arrivals = num_arrivals
    if smoothing is not None:
      self._relaxation = relaxations.ExponentialArrivalRelaxation(
          smoothing, num_arrivals, self.gradient)

  def get_config(self):
    config = super().get_config()
    config.update(relaxation=self.relaxation,
                  num_arrivals=self.num_arrivals)
    return config


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSGeometricLayer(_FamilyLayer):
  """GenGS latent layer with a truncated `Geometric(prior_probs)` prior.

  As `tfd.Geometric`: the number of failures before the first success,
  `P(X = k) = p (1 - p)^k`. Explicit input `[..., d]`: logits of the
  posterior success probabilities. Everything else as in `GenGSLayer`.

  #### Examples

  ```python
  import keras
  import tfp_gengs as gengs

  x = keras.Input((20,))
  z = gengs.layers.GenGSGeometricLayer(prior_probs=0.3, high=15)(
      keras.layers.Dense(4)(x))                          # [batch, 4]
  ```
  """

  _FAMILY = 'geometric'
  _PARAMS = (('prior_probs', 'probs'),)

  def __init__(self,
               prior_probs: Any,
               high: Optional[int] = None,
               low: int = 0,
               temperature: float = 1.0,
               inference: str = 'explicit',
               *,
               tail_mass: Optional[float] = None,
               **kwargs):
    """Creates the layer.

    Args:
      prior_probs: Python float in the open interval `(0, 1)` or a vector
        `[d]`: the prior's success probability.
      high, low, tail_mass: the window, as in `GenGSPoissonLayer`.
      temperature, inference, **kwargs: as in `GenGSLayer` (`gradient`,
        `kl_weight`, `inference_output`, `seed`, `gumbel_rao_samples`,
        `name`, ...).
    """
    super().__init__(
        dict(probs=prior_probs), high, low, tail_mass, temperature=temperature,
        inference=inference, **kwargs)


class _TrialsFamilyLayer(_FamilyLayer):
  """Shared constructor of the layers with `prior_total_count, prior_probs`."""

  _PARAMS = (('prior_total_count', 'total_count'), ('prior_probs', 'probs'))

  def __init__(self,
               prior_total_count: Any,
               prior_probs: Any,
               high: Optional[int] = None,
               low: int = 0,
               temperature: float = 1.0,
               inference: str = 'explicit',
               *,
               tail_mass: Optional[float] = None,
               **kwargs):
    """Creates the layer.

    Args:
      prior_total_count: the family's `total_count` (see the class
        docstring), the posterior's too.
      prior_probs: Python float in the open interval `(0, 1)` or a vector
        `[d]`: the prior's success probability.
      high, low, tail_mass: the window, as in `GenGSPoissonLayer`.
      temperature, inference, **kwargs: as in `GenGSLayer` (`gradient`,
        `kl_weight`, `inference_output`, `seed`, `gumbel_rao_samples`,
        `name`, ...).
    """
    super().__init__(
        dict(total_count=prior_total_count, probs=prior_probs), high, low,
        tail_mass, temperature=temperature, inference=inference, **kwargs)


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSBinomialLayer(_TrialsFamilyLayer):
  """GenGS latent layer with a `Binomial(prior_total_count, prior_probs)` prior.

  The window defaults to the whole support `0..total_count` (then nothing is
  truncated; the family's rule, as in `gengs.GenGSBinomial`: the largest
  `total_count`, which the layer accepts only where every dimension's prior
  gives each outcome positive mass, i.e. equal `total_count`s, else choose
  `high` <= the smallest). Explicit input `[..., d]`: logits of the
  posterior success probabilities; the posterior has the prior's
  `total_count`. Everything else as in `GenGSLayer`.

  `prior_total_count`: integer `>= 1` (Python or vector `[d]`), the prior's
  number of trials, the posterior's too; `high` `<=` the smallest of them
  (default: `prior_total_count`, no truncation).

  #### Examples

  ```python
  import keras
  import tfp_gengs as gengs

  x = keras.Input((20,))
  z = gengs.layers.GenGSBinomialLayer(prior_total_count=10, prior_probs=0.5)(
      keras.layers.Dense(4)(x))                          # [batch, 4]
  ```
  """

  _FAMILY = 'binomial'


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSNegativeBinomialLayer(_TrialsFamilyLayer):
  """GenGS latent layer with a truncated negative binomial prior.

  As `tfd.NegativeBinomial(total_count, probs)`: the number of successes
  (probability `probs`) before `total_count` failures. Explicit input
  `[..., d]`: logits of the posterior success probabilities; the posterior
  has the prior's `total_count`. Everything else as in `GenGSLayer`.

  `prior_total_count`: Python float, finite and `> 0`, or a vector `[d]`:
  the prior's number of failures, the posterior's too.

  #### Examples

  ```python
  import keras
  import tfp_gengs as gengs

  x = keras.Input((20,))
  z = gengs.layers.GenGSNegativeBinomialLayer(
      prior_total_count=3., prior_probs=0.5, high=20)(
          keras.layers.Dense(4)(x))                      # [batch, 4]
  ```
  """

  _FAMILY = 'negative_binomial'
