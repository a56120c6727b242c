"""PriorSpec: the truncated prior of a GenGS layer, as plain numbers.

A Keras layer must be rebuilt from a JSON config, so it cannot hold a TFP
distribution. `PriorSpec` reduces a prior to what the layer needs and can
serialize:

* the outcome values `c = [c_1, ..., c_n]` of the truncation window,
* the prior's normalized truncated log-PMF `log pi_prior`, shape `[n]` (one
  prior shared by every latent dimension) or `[d, n]` (one per dimension),
  computed once in float64 at construction,
* for a named family (Poisson, geometric, binomial, negative binomial) its
  parameters and window, which the `explicit` inference mode needs to map the
  network's unconstrained outputs to a truncated PMF.

Every structural or value error is raised here, at layer construction, with
the name of the offending argument and its allowed range.
"""

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.distributions import binomial
from tensorflow_probability.python.distributions import geometric
from tensorflow_probability.python.distributions import negative_binomial
from tensorflow_probability.python.distributions import poisson

from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.distributions import truncation
from tfp_gengs.internal import checks

__all__ = ['PriorSpec', 'FAMILIES']

# Family name -> (its parameters, in order; the explicit-mode input).
FAMILIES = {
    'poisson': (('rate',), 'log-rate'),
    'geometric': (('probs',), 'logits of the success probability'),
    'binomial': (('total_count', 'probs'),
                 'logits of the success probability'),
    'negative_binomial': (('total_count', 'probs'),
                          'logits of the success probability'),
}

_TFD_FAMILIES = (
    (poisson.Poisson, 'poisson'),
    (geometric.Geometric, 'geometric'),
    (binomial.Binomial, 'binomial'),
    (negative_binomial.NegativeBinomial, 'negative_binomial'),
)


def _to_json(array):
  """A float64 array as a Python float (scalar) or nested list."""
  array = np.asarray(array, np.float64)
  return float(array) if array.ndim == 0 else array.tolist()


def _param_array(value, arg_name):
  """A prior parameter as a finite float64 array of shape `[]` or `[d]`."""
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
  if not np.all(np.isfinite(array)):
    raise ValueError(f'Argument `{arg_name}` must be finite; got {value!r}.')
  return array


def _describe(array):
  return repr(array.item()) if array.ndim == 0 else repr(array.tolist())


def _check_open_range(array, arg_name, what, low, high=None):
  """Checks `low < array (< high)` elementwise, naming the argument."""
  ok = array > low
  if high is not None:
    ok &= array < high
  if not np.all(ok):
    allowed = (f'> {low:g}' if high is None else
               f'in the open interval ({low:g}, {high:g})')
    raise ValueError(f'Argument `{arg_name}` ({what}) must be {allowed}; got '
                     f'{_describe(array)}.')


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
      raise ValueError(
          'The prior gives probability 0 to the outcomes '
          f'{self.outcomes[where].tolist()} of the window: KL(q || prior) is '
          'infinite as soon as the posterior puts mass there (implicit '
          'inference always does). Choose a window inside the prior\'s '
          'support (`low`/`high`).')
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
  def from_family(cls, family, high, low=0, arg_prefix='prior_', **params):
    """A named family truncated to `{low, ..., high}`, validated.

    Args:
      family: a key of `FAMILIES`.
      high: Python int, highest outcome (right tail on it).
      low: Python int, lowest outcome (left tail on it); `>= 0`.
      arg_prefix: prefix of the parameter names in error messages
        (`'prior_'` gives `prior_rate`).
      **params: the family's parameters (`rate`; `probs`; `total_count` and
        `probs`), each a scalar or a `[d]` vector.

    Raises:
      ValueError: unknown family, bad window (`n < 2`, `low < 0`, binomial
        `high > total_count`) or out-of-range parameter.
    """
    if family not in FAMILIES:
      raise ValueError(f'Unknown family {family!r}; expected one of '
                       f'{sorted(FAMILIES)}.')
    names = FAMILIES[family][0]
    missing = [n for n in names if params.get(n) is None]
    if missing:
      raise ValueError(f'Argument `{arg_prefix}{missing[0]}` is required for '
                       f'the {family} prior.')
    extra = set(params) - set(names)
    if extra:
      raise ValueError(f'Unexpected parameters {sorted(extra)} for the '
                       f'{family} prior; it takes {list(names)}.')
    if high is None:
      raise ValueError('Argument `high` (the highest outcome of the truncation '
                       'window) is required.')
    low, high = checks.check_window(low, high)
    if low < 0:
      raise ValueError(
          f'Argument `low` must be >= 0: the {family} distribution has no '
          f'mass below 0; got low={low}.')
    arrays = {n: _param_array(params[n], arg_prefix + n) for n in names}
    if 'rate' in arrays:
      _check_open_range(arrays['rate'], arg_prefix + 'rate', 'the Poisson rate',
                        0.)
    if 'probs' in arrays:
      _check_open_range(arrays['probs'], arg_prefix + 'probs',
                        'the success probability', 0., 1.)
    if 'total_count' in arrays:
      total_count = arrays['total_count']
      _check_open_range(total_count, arg_prefix + 'total_count',
                        f'the {family} total count', 0.)
      if family == 'binomial':
        if np.any(total_count != np.round(total_count)):
          raise ValueError(
              f'Argument `{arg_prefix}total_count` (the binomial number of '
              f'trials) must hold integers; got {_describe(total_count)}.')
        if high > np.min(total_count):
          raise ValueError(
              f'The truncation window low={low}..high={high} does not match '
              f'the binomial prior: `high` must be <= `{arg_prefix}'
              f'total_count` ({_describe(total_count)}), outcomes above the '
              'number of trials have probability 0.')
    _latent_dims_of(list(arrays.values()), list(arrays))
    with tf.init_scope():
      log_pi = cls._family_log_pi(
          family, {n: tf.constant(a, tf.float64) for n, a in arrays.items()},
          low, high).numpy()
    outcomes = np.arange(low, high + 1, dtype=np.float64)
    return cls(outcomes, log_pi, family=family, params=arrays, low=low,
               high=high, arg_prefix=arg_prefix)

  @classmethod
  def from_prior(cls, prior, high=None, low=None):
    """A `TruncatedDiscrete`, a TFP distribution plus window, or a config.

    Args:
      prior: one of
        * `gengs.TruncatedDiscrete` with scalar outcomes and batch shape `[]`
          or `[d]` (`high`/`low`, if given, must match its outcomes);
        * `tfd.Poisson`, `tfd.Geometric`, `tfd.Binomial`,
          `tfd.NegativeBinomial` (batch shape `[]` or `[d]`) with `high` (and
          `low`, default 0): a named family, usable in both inference modes;
        * any other scalar integer TFP distribution with `high`: truncated
          with `gengs.truncate` (implicit inference only);
        * a dict from `PriorSpec.to_config()`.
      high, low: the truncation window for a TFP distribution.
    """
    if isinstance(prior, dict):
      if high is not None or low is not None:
        raise ValueError('Arguments `high`/`low` must not be given with a '
                         'prior config dict (it holds its window).')
      return cls.from_config(prior)
    if isinstance(prior, truncated_discrete.TruncatedDiscrete):
      return cls._from_truncated(prior, high, low)
    for tfd_class, family in _TFD_FAMILIES:
      if type(prior) is tfd_class:  # pylint: disable=unidiomatic-typecheck
        if high is None:
          raise ValueError(
              f'Argument `high` is required with a {tfd_class.__name__} prior: '
              'it sets the truncation window {low, ..., high}.')
        params = cls._tfd_params(prior, family)
        return cls.from_family(family, high=high, low=0 if low is None else low,
                               arg_prefix='prior.', **params)
    if hasattr(prior, 'log_prob') and hasattr(prior, 'batch_shape'):
      if high is None:
        raise ValueError(
            f'Argument `high` is required with a {type(prior).__name__} '
            'prior: it sets the truncation window {low, ..., high}.')
      return cls._from_truncated(
          truncation.truncate(prior, high=high, low=0 if low is None else low),
          None, None)
    raise TypeError(
        'Argument `prior` must be a `gengs.TruncatedDiscrete`, a TFP integer '
        'distribution (with `high`), or a prior config dict; got '
        f'{type(prior).__name__}.')

  @staticmethod
  def _tfd_params(prior, family):
    with tf.init_scope():
      if family == 'poisson':
        return dict(rate=np.asarray(prior.rate_parameter()))
      params = dict(probs=np.asarray(prior.probs_parameter()))
      if family in ('binomial', 'negative_binomial'):
        params['total_count'] = np.asarray(
            tf.convert_to_tensor(prior.total_count))
      return params

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

  @staticmethod
  def _family_log_pi(family, params, low, high, logits=None):
    """Truncated log-PMF `[..., n]` from parameters (or `logits` of probs)."""
    if family == 'poisson':
      return truncated_log_pmf.poisson(rate=params['rate'], low=low, high=high)
    probs_or_logits = (dict(logits=logits) if logits is not None else
                       dict(probs=params['probs']))
    if family == 'geometric':
      return truncated_log_pmf.geometric(low=low, high=high, **probs_or_logits)
    fn = (truncated_log_pmf.binomial if family == 'binomial' else
          truncated_log_pmf.negative_binomial)
    return fn(params['total_count'], low=low, high=high, **probs_or_logits)

  def explicit_log_pi(self, x):
    """Posterior `log pi` `[..., d, n]` from unconstrained parameters `x`.

    Args:
      x: float `Tensor` `[..., d]`: the log-rate (Poisson) or the logits of
        the success probability (other families), one per latent dimension.
        Fixed family parameters (`total_count`) come from the prior.

    Returns:
      The truncated log-PMF over the prior's window, `[..., d, n]`.
    """
    if self.family == 'poisson':
      return truncated_log_pmf.poisson(log_rate=x, low=self.low,
                                       high=self.high)
    params = {}
    if 'total_count' in self.params:
      params['total_count'] = tf.constant(self.params['total_count'], x.dtype)
    return self._family_log_pi(self.family, params, self.low, self.high,
                               logits=x)

  def describe_explicit_input(self):
    """What the explicit-mode input holds, for docs and error messages."""
    return FAMILIES[self.family][1] if self.family else None
