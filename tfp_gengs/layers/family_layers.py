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

from tfp_gengs.layers import gengs_layer
from tfp_gengs.layers import prior_spec

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
               straight_through: bool = False,
               kl_weight: float = 1.0,
               inference_output: str = 'sample',
               seed: Optional[int] = None,
               tail_mass: Optional[float] = None,
               **kwargs):
    """Creates the layer.

    Args:
      prior_rate: Python float, finite and `> 0`, or a vector `[d]` (one
        per latent dimension): the prior's Poisson rate.
      high: Python int, highest outcome; `P(X >= high)` is put on it.
      low: Python int `>= 0`, lowest outcome; `P(X <= low)` is put on it.
      temperature, inference, straight_through, kl_weight,
        inference_output, seed, **kwargs: as in `GenGSLayer`.
      tail_mass: instead of `high`/`low`, the window
        `gengs.window(tfd.Poisson(prior_rate), tail_mass)`.
    """
    super().__init__(
        dict(rate=prior_rate), high, low, tail_mass, temperature=temperature,
        inference=inference, straight_through=straight_through,
        kl_weight=kl_weight, inference_output=inference_output, seed=seed,
        **kwargs)


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
               straight_through: bool = False,
               kl_weight: float = 1.0,
               inference_output: str = 'sample',
               seed: Optional[int] = None,
               tail_mass: Optional[float] = None,
               **kwargs):
    """Creates the layer.

    Args:
      prior_probs: Python float in the open interval `(0, 1)` or a vector
        `[d]`: the prior's success probability.
      high, low, tail_mass: the window, as in `GenGSPoissonLayer`.
      temperature, inference, straight_through, kl_weight,
        inference_output, seed, **kwargs: as in `GenGSLayer`.
    """
    super().__init__(
        dict(probs=prior_probs), high, low, tail_mass, temperature=temperature,
        inference=inference, straight_through=straight_through,
        kl_weight=kl_weight, inference_output=inference_output, seed=seed,
        **kwargs)


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSBinomialLayer(_FamilyLayer):
  """GenGS latent layer with a `Binomial(prior_total_count, prior_probs)` prior.

  The window defaults to the whole support `0..total_count` (then nothing is
  truncated; the family's rule, as in `gengs.GenGSBinomial`: the largest
  `total_count`, which the layer accepts only where every dimension's prior
  gives each outcome positive mass, i.e. equal `total_count`s, else choose
  `high` <= the smallest). Explicit input `[..., d]`: logits of the
  posterior success probabilities; the posterior has the prior's
  `total_count`. Everything else as in `GenGSLayer`.

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
  _PARAMS = (('prior_total_count', 'total_count'), ('prior_probs', 'probs'))

  def __init__(self,
               prior_total_count: Any,
               prior_probs: Any,
               high: Optional[int] = None,
               low: int = 0,
               temperature: float = 1.0,
               inference: str = 'explicit',
               straight_through: bool = False,
               kl_weight: float = 1.0,
               inference_output: str = 'sample',
               seed: Optional[int] = None,
               tail_mass: Optional[float] = None,
               **kwargs):
    """Creates the layer.

    Args:
      prior_total_count: integer `>= 1` (Python or vector `[d]`), the
        prior's number of trials; the posterior's too.
      prior_probs: Python float in the open interval `(0, 1)` or a vector
        `[d]`: the prior's success probability.
      high: Python int `<=` the smallest `prior_total_count`, highest
        outcome (default: `prior_total_count`, no truncation).
      low, tail_mass: as in `GenGSPoissonLayer`.
      temperature, inference, straight_through, kl_weight,
        inference_output, seed, **kwargs: as in `GenGSLayer`.
    """
    super().__init__(
        dict(total_count=prior_total_count, probs=prior_probs), high, low,
        tail_mass, temperature=temperature, inference=inference,
        straight_through=straight_through, kl_weight=kl_weight,
        inference_output=inference_output, seed=seed, **kwargs)


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSNegativeBinomialLayer(_FamilyLayer):
  """GenGS latent layer with a truncated negative binomial prior.

  As `tfd.NegativeBinomial(total_count, probs)`: the number of successes
  (probability `probs`) before `total_count` failures. Explicit input
  `[..., d]`: logits of the posterior success probabilities; the posterior
  has the prior's `total_count`. Everything else as in `GenGSLayer`.

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
  _PARAMS = (('prior_total_count', 'total_count'), ('prior_probs', 'probs'))

  def __init__(self,
               prior_total_count: Any,
               prior_probs: Any,
               high: Optional[int] = None,
               low: int = 0,
               temperature: float = 1.0,
               inference: str = 'explicit',
               straight_through: bool = False,
               kl_weight: float = 1.0,
               inference_output: str = 'sample',
               seed: Optional[int] = None,
               tail_mass: Optional[float] = None,
               **kwargs):
    """Creates the layer.

    Args:
      prior_total_count: Python float, finite and `> 0`, or a vector `[d]`:
        the prior's number of failures; the posterior's too.
      prior_probs: Python float in the open interval `(0, 1)` or a vector
        `[d]`: the prior's success probability.
      high, low, tail_mass: the window, as in `GenGSPoissonLayer`.
      temperature, inference, straight_through, kl_weight,
        inference_output, seed, **kwargs: as in `GenGSLayer`.
    """
    super().__init__(
        dict(total_count=prior_total_count, probs=prior_probs), high, low,
        tail_mass, temperature=temperature, inference=inference,
        straight_through=straight_through, kl_weight=kl_weight,
        inference_output=inference_output, seed=seed, **kwargs)
