"""Named GenGS latent layers: Poisson, geometric, binomial, negative binomial.

Thin constructors of `GenGSLayer` that take the family's prior parameters
(`prior_rate`, `prior_probs`, `prior_total_count`) and truncation window
directly, and serialize them under those names.
"""

import keras
import numpy as np

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
  _PARAMS = ()  # (layer argument, PriorSpec parameter) pairs.

  def __init__(self, window, params, **kwargs):
    spec = prior_spec.PriorSpec.from_family(
        self._FAMILY, high=window[1], low=window[0], arg_prefix='prior_',
        **params)
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
  the posterior Poissons, `pi = TD(Poisson(exp(x)), low, high)`. Implicit:
  the input holds the logits of `pi` over `low..high`. The output is the
  relaxed count `[..., d]`; `KL(q || prior)` is added to the losses. See
  `GenGSLayer` for the details.

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
  ```
  """

  _FAMILY = 'poisson'
  _PARAMS = (('prior_rate', 'rate'),)

  def __init__(self, prior_rate, high, low=0, temperature=1.0,
               inference='explicit', straight_through=False, kl_weight=1.0,
               inference_output='sample', seed=None, **kwargs):
    """Creates the layer.

    Args:
      prior_rate: Python float `> 0` or vector `[d]` (one per latent
        dimension), the prior's Poisson rate.
      high: Python int, highest outcome; `P(X >= high)` is put on it.
      low: Python int `>= 0`, lowest outcome; `P(X <= low)` is put on it.
      temperature: Python float `> 0`, initial temperature `tau` (the
        non-trainable `temperature` weight).
      inference: `'explicit'` (input `[..., d]`: log-rates) or `'implicit'`
        (input `[..., d, n]` or `[..., d*n]`: logits of `pi`).
      straight_through: Python `bool`, exact outcomes forward.
      kl_weight: Python float `>= 0`, weight of the KL added to the losses.
      inference_output: `'sample'`, `'straight_through'` or `'mean'`, the
        output at inference (see `GenGSLayer`).
      seed: Python int or `None`, seed of the layer's `SeedGenerator`.
      **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Raises:
      ValueError: out-of-range prior parameters, a window with fewer than 2
        outcomes or outside the support, or a bad layer argument (see
        `GenGSLayer`).
    """
    super().__init__(
        (low, high), dict(rate=prior_rate), temperature=temperature,
        inference=inference, straight_through=straight_through,
        kl_weight=kl_weight, inference_output=inference_output, seed=seed,
        **kwargs)


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSGeometricLayer(_FamilyLayer):
  """GenGS latent layer with a truncated `Geometric(prior_probs)` prior.

  As `tfd.Geometric`: the number of failures before the first success,
  `P(X = k) = p (1 - p)^k`. Explicit input `[..., d]`: logits of the
  posterior success probabilities. See `GenGSLayer`.

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

  def __init__(self, prior_probs, high, low=0, temperature=1.0,
               inference='explicit', straight_through=False, kl_weight=1.0,
               inference_output='sample', seed=None, **kwargs):
    """Creates the layer.

    Args:
      prior_probs: Python float in `(0, 1)` or vector `[d]`, the prior's
        success probability.
      high: Python int, highest outcome; `P(X >= high)` is put on it.
      low: Python int `>= 0`, lowest outcome; `P(X <= low)` is put on it.
      temperature: Python float `> 0`, initial temperature `tau` (the
        non-trainable `temperature` weight).
      inference: `'explicit'` (input `[..., d]`: logits of the success probability) or `'implicit'`
        (input `[..., d, n]` or `[..., d*n]`: logits of `pi`).
      straight_through: Python `bool`, exact outcomes forward.
      kl_weight: Python float `>= 0`, weight of the KL added to the losses.
      inference_output: `'sample'`, `'straight_through'` or `'mean'`, the
        output at inference (see `GenGSLayer`).
      seed: Python int or `None`, seed of the layer's `SeedGenerator`.
      **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Raises:
      ValueError: out-of-range prior parameters, a window with fewer than 2
        outcomes or outside the support, or a bad layer argument (see
        `GenGSLayer`).
    """
    super().__init__(
        (low, high), dict(probs=prior_probs), temperature=temperature,
        inference=inference, straight_through=straight_through,
        kl_weight=kl_weight, inference_output=inference_output, seed=seed,
        **kwargs)


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSBinomialLayer(_FamilyLayer):
  """GenGS latent layer with a `Binomial(prior_total_count, prior_probs)` prior.

  The window defaults to the whole support `0..total_count` (then nothing is
  truncated). Explicit input `[..., d]`: logits of the posterior success
  probabilities; the posterior has the prior's `total_count`. See
  `GenGSLayer`.

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

  def __init__(self, prior_total_count, prior_probs, high=None, low=0,
               temperature=1.0, inference='explicit', straight_through=False,
               kl_weight=1.0, inference_output='sample', seed=None, **kwargs):
    """Creates the layer.

    Args:
      prior_total_count: positive integer (Python or vector `[d]`), the
        prior's number of trials; the posterior's too.
      prior_probs: Python float in `(0, 1)` or vector `[d]`, the prior's
        success probability.
      high: Python int `<= prior_total_count`, highest outcome (default:
        the smallest `prior_total_count`, no truncation).
      low: Python int `>= 0`, lowest outcome.
      temperature: Python float `> 0`, initial temperature `tau` (the
        non-trainable `temperature` weight).
      inference: `'explicit'` (input `[..., d]`: logits of the success probability) or `'implicit'`
        (input `[..., d, n]` or `[..., d*n]`: logits of `pi`).
      straight_through: Python `bool`, exact outcomes forward.
      kl_weight: Python float `>= 0`, weight of the KL added to the losses.
      inference_output: `'sample'`, `'straight_through'` or `'mean'`, the
        output at inference (see `GenGSLayer`).
      seed: Python int or `None`, seed of the layer's `SeedGenerator`.
      **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Raises:
      ValueError: out-of-range prior parameters, a window with fewer than 2
        outcomes or outside the support, or a bad layer argument (see
        `GenGSLayer`).
    """
    if high is None:
      high = _min_total_count(prior_total_count)
    super().__init__(
        (low, high), dict(total_count=prior_total_count, probs=prior_probs),
        temperature=temperature, inference=inference,
        straight_through=straight_through, kl_weight=kl_weight,
        inference_output=inference_output, seed=seed, **kwargs)


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSNegativeBinomialLayer(_FamilyLayer):
  """GenGS latent layer with a truncated negative binomial prior.

  As `tfd.NegativeBinomial(total_count, probs)`: the number of successes
  (probability `probs`) before `total_count` failures. Explicit input
  `[..., d]`: logits of the posterior success probabilities; the posterior
  has the prior's `total_count`. See `GenGSLayer`.

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

  def __init__(self, prior_total_count, prior_probs, high, low=0,
               temperature=1.0, inference='explicit', straight_through=False,
               kl_weight=1.0, inference_output='sample', seed=None, **kwargs):
    """Creates the layer.

    Args:
      prior_total_count: Python float `> 0` or vector `[d]`, the prior's
        number of failures; the posterior's too.
      prior_probs: Python float in `(0, 1)` or vector `[d]`, the prior's
        success probability.
      high: Python int, highest outcome; `P(X >= high)` is put on it.
      low: Python int `>= 0`, lowest outcome; `P(X <= low)` is put on it.
      temperature: Python float `> 0`, initial temperature `tau` (the
        non-trainable `temperature` weight).
      inference: `'explicit'` (input `[..., d]`: logits of the success probability) or `'implicit'`
        (input `[..., d, n]` or `[..., d*n]`: logits of `pi`).
      straight_through: Python `bool`, exact outcomes forward.
      kl_weight: Python float `>= 0`, weight of the KL added to the losses.
      inference_output: `'sample'`, `'straight_through'` or `'mean'`, the
        output at inference (see `GenGSLayer`).
      seed: Python int or `None`, seed of the layer's `SeedGenerator`.
      **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Raises:
      ValueError: out-of-range prior parameters, a window with fewer than 2
        outcomes or outside the support, or a bad layer argument (see
        `GenGSLayer`).
    """
    super().__init__(
        (low, high), dict(total_count=prior_total_count, probs=prior_probs),
        temperature=temperature, inference=inference,
        straight_through=straight_through, kl_weight=kl_weight,
        inference_output=inference_output, seed=seed, **kwargs)


def _min_total_count(total_count):
  """The default binomial `high`: the smallest number of trials."""
  array = np.asarray(total_count, dtype=np.float64)
  if array.size == 0 or not np.all(np.isfinite(array)):
    raise ValueError('Argument `prior_total_count` must be finite; got '
                     f'{total_count!r}.')
  smallest = float(np.min(array))
  if smallest != round(smallest) or smallest < 1:
    raise ValueError('Argument `prior_total_count` (the binomial number of '
                     'trials) must hold positive integers; got '
                     f'{total_count!r}.')
  return int(smallest)
