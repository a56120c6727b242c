"""PriorSpec: the truncated prior of a GenGS layer, as plain numbers.

A Keras layer must be rebuilt from a JSON config, so it cannot hold a TFP
distribution. `PriorSpec` reduces a prior to what the layer needs and can
serialize:

* the outcome values `c = [c_1, ..., c_n]` of the truncation window,
* the prior's normalized truncated log-PMF `log pi_prior`, shape `[n]` (one
  prior shared by every latent dimension) or `[d, n]` (one per dimension),
  computed once in float64 at construction,
* for a named family its parameters and window, which the `explicit`
  inference mode needs to map the network's unconstrained outputs to a
  truncated PMF.

What a family is (its parameters and their rules, its truncated log-PMF,
the unconstrained parameter the explicit mode reads, its default window)
comes from the registry `tfp_gengs.distributions.families`, the same one
`gengs.truncate` and the `GenGS<Family>` distributions read. What is the
layer's own is here: the JSON config, the float64 precomputation,
per-dimension priors, and the rule that the prior gives every outcome of
the window positive probability (else `KL(q || prior)` is infinite).
"""

import numpy as np
import tensorflow.compat.v2 as tf

from tfp_gengs.distributions import families
from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.distributions import truncation
from tfp_gengs.distributions import windows
from tfp_gengs.distributions import substrates

__all__ = ['PriorSpec', 'LAYER_FAMILIES']

# The families a latent layer supports: scalar outcomes (one count per
# latent dimension), hence not the multinomial.
LAYER_FAMILIES = ('poisson', 'geometric', 'binomial', 'negative_binomial')


def _to_json(array):
  """A float64 array as a Python float (scalar) or nested list."""
  array = np.asarray(array, np.float64)
  return float(array) if array.ndim == 0 else array.tolist()


def _param_array(value, arg_name):
  """A prior parameter as a float64 array of shape `[]` or `[d]`."""
  if isinstance(value, bool):
    raise TypeError(f'Argument `{arg_name}` must be a number or a vector of '
                    'numbers, got a bool.')
  if tf.is_tensor(value) or isinstance(value, tf.Variable):
    static = tf.get_static_value(value)
    if static is None:
      with tf.init_scope():
        static = np.asarray(value)
    value = static
  try:
    array = np.asarray(value, dtype=np.float64)
  except (TypeError, ValueError) as e:
    raise TypeError(f'Argument `{arg_name}` must be a number or a vector of '
                    f'numbers; got {value!r}.') from e
  if array.ndim > 1:
    raise ValueError(
        f'Argument `{arg_name}` must be a scalar (one prior shared by all '
        'latent dimensions) or a vector `[d]` (one per latent dimension); got '
        f'shape {array.shape}.')
  return array


def _latent_dims_of(arrays, names):
  """`d` from the non-scalar parameters (`None` if all are scalars)."""
  dims = {name: a.shape[0] for name, a in zip(names, arrays) if a.ndim == 1}
  if len(set(dims.values())) > 1:
    raise ValueError(
        'Prior parameters given per latent dimension must all have the same '
        f'length; got {dims}.')
  return next(iter(dims.values()), None)


class PriorSpec:
  """The prior of a GenGS layer: outcomes, `log pi_prior`, family (optional).

  Build one with `PriorSpec.from_family(...)` (named family and window),
  `PriorSpec.from_prior(...)` (a `TruncatedDiscrete`, a TFP distribution plus
  a window, or a config dict) or `PriorSpec.from_config(...)`.

  Attributes:
    family: `'poisson'`, `'geometric'`, `'binomial'`, `'negative_binomial'`,
      or `None` for an arbitrary finite prior (implicit inference only).
    params: dict of the family's parameters as float64 arrays `[]` or `[d]`.
    low, high: the truncation window (`None` for an arbitrary prior).
    outcomes: float64 `[n]` outcome values.
    log_pi: float64 `[n]` or `[d, n]` normalized log-probabilities.
    latent_dims: `d` when the prior is given per latent dimension, else
      `None` (shared by any number of dimensions).
  """

  def __init__(self, outcomes, log_pi, family=None, params=None, low=None,
               high=None, arg_prefix='prior_'):
    self.outcomes = np.asarray(outcomes, np.float64)
    log_pi = np.asarray(log_pi, np.float64)
    if self.outcomes.ndim != 1:
      raise ValueError(
          'GenGS layers need scalar outcomes (each latent dimension is one '
          f'count); the prior has outcomes of shape {self.outcomes.shape}.')
    if self.outcomes.shape[0] < 2:
      raise ValueError(
          'The prior must have at least 2 outcomes (n >= 2); got '
          f'{self.outcomes.shape[0]}.')
    if log_pi.ndim not in (1, 2) or log_pi.shape[-1] != self.outcomes.shape[0]:
      raise ValueError(
          f'The prior logits must have shape [n] or [d, n] with n = '
          f'{self.outcomes.shape[0]} outcomes; got shape {log_pi.shape}.')
    if np.any(np.isnan(log_pi)):
      raise ValueError('The prior logits must not contain NaN.')
    self._given_logits = log_pi  # serialized as given (exact round trip)
    # Normalize in float64.
    top = np.max(log_pi, axis=-1, keepdims=True)
    log_pi = log_pi - (top + np.log(np.sum(np.exp(log_pi - top), axis=-1,
                                           keepdims=True)))
    zero = ~np.isfinite(log_pi)
    if np.any(zero):
      where = np.unique(np.nonzero(zero)[-1])
      hint = ''
      if family == 'binomial':
        smallest = float(np.min(params['total_count']))
        hint = (f' For a binomial prior `high` must be <= the smallest '
                f'`{arg_prefix}total_count` ({smallest:g}).')
      raise ValueError(
          'The prior gives probability 0 to the outcomes '
          f'{self.outcomes[where].tolist()} of the window: KL(q || prior) is '
          'infinite as soon as the posterior puts mass there (implicit '
          'inference always does). Choose a window inside the prior\'s '
          f'support (`low`/`high`).{hint}')
    self.log_pi = log_pi
    self.family = family
    self.params = dict(params or {})
    self.low, self.high = low, high
    self.latent_dims = log_pi.shape[0] if log_pi.ndim == 2 else None
    self._arg_prefix = arg_prefix

  @property
  def num_outcomes(self):
    """`n`, the number of outcomes in the window."""
    return self.outcomes.shape[0]

  # --------------------------------------------------------------------------
  # Construction
  # --------------------------------------------------------------------------

  @classmethod
  def from_family(cls, family, high=None, low=0, arg_prefix='prior_',
                  tail_mass=None, **params):
    """A named family truncated to `{low, ..., high}`, validated.

    Args:
      family: a name in `LAYER_FAMILIES`.
      high: Python int, highest outcome (right tail on it). Default: the
        family's (the binomial's largest `total_count`), or the window of
        `tail_mass`.
      low: Python int `>= 0`, lowest outcome (left tail on it).
      arg_prefix: prefix of the parameter names in error messages
        (`'prior_'` gives `prior_rate`).
      tail_mass: optional float in `(0, 1)`: choose the window with
        `gengs.window` from the prior's parameters instead of `high`/`low`.
      **params: the family's natural parameters (`rate`; `probs`;
        `total_count` and `probs`), each a scalar or a `[d]` vector.

    Raises:
      ValueError: unknown family, bad window (`n < 2`, `low < 0`), a window
        where the prior has probability 0, or out-of-range parameters (the
        family's rules, `families`).
    """
    if family not in LAYER_FAMILIES:
      raise ValueError(f'Unknown family {family!r} for a latent layer; '
                       f'expected one of {sorted(LAYER_FAMILIES)}.')
    spec = families.get(family)
    names = spec.natural_names
    missing = [n for n in names if params.get(n) is None]
    if missing:
      raise ValueError(f'Argument `{arg_prefix}{missing[0]}` is required for '
                       f'the {spec.title} prior.')
    extra = set(params) - set(names)
    if extra:
      raise ValueError(f'Unexpected parameters {sorted(extra)} for the '
                       f'{spec.title} prior; it takes {list(names)}.')
    arrays = {n: _param_array(params[n], arg_prefix + n) for n in names}
    spec.check_static(arrays, prefix=arg_prefix)
    _latent_dims_of(list(arrays.values()), list(arrays))
    low, high = windows.resolve(spec, arrays, high, low, tail_mass,
                                owner='the prior')
    windows.warn_if_wide(spec, arrays, low, high, 'GenGS layer prior')
    with tf.init_scope():
      log_pi = spec.log_pmf(
          low, high,
          **{n: tf.constant(a, tf.float64) for n, a in arrays.items()}).numpy()
    outcomes = np.arange(low, high + 1, dtype=np.float64)
    return cls(outcomes, log_pi, family=family, params=arrays, low=low,
               high=high, arg_prefix=arg_prefix)

  @classmethod
  def from_prior(cls, prior, high=None, low=None, tail_mass=None):
    """A `TruncatedDiscrete`, a TFP distribution plus window, or a config.

    Args:
      prior: one of
        * `gengs.TruncatedDiscrete` with scalar outcomes and batch shape `[]`
          or `[d]` (`high`/`low`, if given, must match its outcomes);
        * `tfd.Poisson`, `tfd.Geometric`, `tfd.Binomial`,
          `tfd.NegativeBinomial` (batch shape `[]` or `[d]`) with `high` (and
          `low`, default 0; the binomial's default is its `total_count`): a
          named family, usable in both inference modes;
        * any other scalar integer TFP distribution with `high`: truncated
          with `gengs.truncate` (implicit inference only);
        * a dict from `PriorSpec.to_config()`.
      high, low: the truncation window for a TFP distribution.
      tail_mass: instead of `high`/`low`, for a named family: the window
        `gengs.window(prior, tail_mass)`.

    Raises:
      TypeError: `prior` is none of these (a family's name as a string,
        say).
      ValueError: a continuous or non-scalar distribution, a missing or bad
        window, out-of-range parameters.
    """
    if isinstance(prior, PriorSpec):
      return prior
    if isinstance(prior, (dict, truncated_discrete.TruncatedDiscrete)) and (
        tail_mass is not None):
      raise ValueError('`tail_mass` chooses the window of a TFP family prior; '
                       'this prior has its own outcomes.')
    if isinstance(prior, dict):
      if high is not None or low is not None:
        raise ValueError('Arguments `high`/`low` must not be given with a '
                         'prior config dict (it holds its window).')
      return cls.from_config(prior)
    if isinstance(prior, truncated_discrete.TruncatedDiscrete):
      return cls._from_truncated(prior, high, low)
    if isinstance(prior, str) or not hasattr(prior, 'log_prob'):
      hint = (' For a named family use its layer, e.g. '
              '`gengs.layers.GenGSPoissonLayer(prior_rate, high)`.'
              if isinstance(prior, str) else '')
      raise TypeError(
          'Argument `prior` must be a `gengs.TruncatedDiscrete`, a TFP integer '
          'distribution (with `high`), or a prior config dict; got '
          f'{type(prior).__name__} {prior!r}.{hint}')
    family = truncation.check_truncatable(prior, 'prior')
    if family is not None and family.name in LAYER_FAMILIES:
      if high is None and tail_mass is None and not family.finite_support:
        raise ValueError(
            f'Argument `high` is required with a {type(prior).__name__} prior: '
            'it sets the truncation window {low, ..., high}.')
      values = {}
      with tf.init_scope():
        for name, value in family.values_of(prior).items():
          if value is not None:
            values[name] = np.asarray(tf.convert_to_tensor(value))
      family.check_static(values, prefix='prior.')
      return cls.from_family(family.name, high=high,
                             low=0 if low is None else low,
                             arg_prefix='prior.', tail_mass=tail_mass,
                             **family.natural_values(values))
    if tail_mass is not None:
      raise ValueError(
          '`tail_mass` chooses a window only for tfd.Poisson, tfd.Binomial, '
          f'tfd.Geometric and tfd.NegativeBinomial priors; got '
          f'{type(prior).__name__}: pass `high` (and `low`).')
    if high is None:
      raise ValueError(
          f'Argument `high` is required with a {type(prior).__name__} '
          'prior: it sets the truncation window {low, ..., high}.')
    return cls._from_truncated(
        truncation.truncate(prior, high=high, low=0 if low is None else low),
        None, None)

  @classmethod
  def _from_truncated(cls, prior, high, low):
    with tf.init_scope():
      outcomes = np.asarray(prior.outcomes, np.float64)
      log_pi = np.asarray(prior.logits_parameter(), np.float64)
    if outcomes.ndim != 1:
      raise ValueError(
          'Argument `prior` must have scalar outcomes (`[n]`); got outcomes of '
          f'shape {outcomes.shape}. Vector outcomes (multinomials) are not '
          'supported by the latent layers.')
    if log_pi.ndim > 2:
      raise ValueError(
          'Argument `prior` must have batch shape [] (shared) or [d] (one '
          f'prior per latent dimension); got batch shape {log_pi.shape[:-1]}.')
    if high is not None or low is not None:
      expected_low = outcomes[0] if low is None else low
      expected_high = outcomes[-1] if high is None else high
      window = np.arange(expected_low, expected_high + 1, dtype=np.float64)
      if window.shape != outcomes.shape or np.any(window != outcomes):
        raise ValueError(
            f'The truncation window low={expected_low}..high={expected_high} '
            'does not match the prior\'s outcomes '
            f'{outcomes.tolist()}; omit `high`/`low` with a TruncatedDiscrete '
            'prior or give its own window.')
    return cls(outcomes, log_pi)

  # --------------------------------------------------------------------------
  # Serialization
  # --------------------------------------------------------------------------

  def to_config(self):
    """A JSON-serializable dict that `from_config` turns back into this."""
    if self.family is not None:
      config = {'family': self.family, 'low': self.low, 'high': self.high}
      config.update({n: _to_json(a) for n, a in self.params.items()})
      return config
    return {'outcomes': _to_json(self.outcomes),
            'logits': _to_json(self._given_logits)}

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    if 'family' in config:
      family = config.pop('family')
      return cls.from_family(family, **config)
    if set(config) != {'outcomes', 'logits'}:
      raise ValueError(
          'A prior config dict needs either `family`, `low`, `high` and the '
          'family parameters, or `outcomes` and `logits`; got keys '
          f'{sorted(config)}.')
    outcomes = np.asarray(config['outcomes'], np.float64)
    if outcomes.ndim != 1 or outcomes.shape[0] < 2:
      raise ValueError('The prior config needs at least 2 scalar outcomes '
                       f'(n >= 2); got outcomes {config["outcomes"]!r}.')
    return cls(outcomes, config['logits'])

  # --------------------------------------------------------------------------
  # Log-probabilities
  # --------------------------------------------------------------------------

  @property
  def family_spec(self):
    """The registry entry of the family (`None` for an arbitrary prior)."""
    return None if self.family is None else families.get(self.family)

  def explicit_log_pi(self, x, backend='tensorflow'):
    """Posterior `log pi` `[..., d, n]` from unconstrained parameters `x`.

    Args:
      x: float `Tensor` `[..., d]`: the family's explicit parameter
        (`families.<FAMILY>.explicit_parameter`: the log-rate of a Poisson,
        the logits of the success probability otherwise), one per latent
        dimension. Fixed family parameters (`total_count`) come from the
        prior.

    Returns:
      backend: the array substrate of `x`, `'tensorflow'` or `'jax'`.

    Returns:
      The truncated log-PMF over the prior's window, `[..., d, n]`.
    """
    spec = self.family_spec
    o = substrates.get(backend)
    fixed = {n: o.constant(self.params[n], o.dtype_of(x))
             for n in spec.fixed_parameters}
    return spec.explicit_log_pmf(x, fixed, self.low, self.high, backend)

  def describe_explicit_input(self):
    """What the explicit-mode input holds, for docs and error messages."""
    return None if self.family is None else self.family_spec.explicit_input
