"""The family registry: one source of truth for every named family.

Each `Family` holds what `truncate`, the `GenGS<Family>` distributions, the
Keras layers' priors and `window` need to know about it:

* its parameters, their names (as in `tfd.<Family>`), the one rule each must
  satisfy (`checks.Constraint`) and its default constraining bijector;
* the truncated log-PMF with its tails (`truncated_log_pmf`);
* the unconstrained parameter that an explicit-inference layer reads;
* the lowest allowed `low` and the default `high` of its window;
* the CDF and survival function that `window` inverts.

The rules (one per parameter, applied by every reader):

* poisson: `rate` finite and > 0, or `log_rate` finite;
* binomial: `total_count` an integer >= 1; `probs` in (0, 1), or `logits`
  finite;
* geometric: `probs` in (0, 1), or `logits` finite;
* negative_binomial: `total_count` finite and > 0; `probs` in (0, 1), or
  `logits` finite;
* multinomial: `total_count` a Python int >= 1; `probs` in [0, 1] on the
  simplex, or `logits` not NaN and < +inf.

Success probabilities are in the open interval: at 0 or 1 the distribution
is a point mass (truncate a `TruncatedDiscrete` by hand for that), and the
open interval is exactly what finite logits give. Windows of the integer
families start at `low >= 0` (their support); `high >= low + 1`. The
binomial's default window is its whole support `0..total_count`, with the
*largest* `total_count` when it varies over the batch (outcomes above a
smaller `total_count` then have probability 0, which sampling handles and a
layer's KL does not: the layers reject such a prior).
"""

import dataclasses
from typing import Any, Callable, Optional

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import sigmoid as sigmoid_bijector
from tensorflow_probability.python.bijectors import (
    softmax_centered as softmax_centered_bijector)
from tensorflow_probability.python.bijectors import (
    softplus as softplus_bijector)
from tensorflow_probability.python.distributions import binomial
from tensorflow_probability.python.distributions import geometric
from tensorflow_probability.python.distributions import multinomial
from tensorflow_probability.python.distributions import negative_binomial
from tensorflow_probability.python.distributions import poisson
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties

from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.internal import checks

__all__ = [
    'Parameter',
    'Family',
    'POISSON',
    'BINOMIAL',
    'GEOMETRIC',
    'NEGATIVE_BINOMIAL',
    'MULTINOMIAL',
    'FAMILIES',
    'get',
    'for_distribution',
]


def _softplus(dtype):
  return softplus_bijector.Softplus(low=dtype_util.eps(dtype))


@dataclasses.dataclass(frozen=True)
class Parameter:
  """One constructor parameter of a family.

  Attributes:
    name: the argument name, as in `tfd.<Family>`.
    what: words for messages (`'the Poisson rate'`).
    constraint: the rule its values must satisfy.
    event_ndims: `0`, or `1` for a vector parameter (multinomial `probs`).
    bijector_fn: `fn(dtype) -> Bijector` onto the constraint, or `None` for
      the identity (unconstrained parameters).
    is_preferred: whether TFP's parameter tools prefer it (of `rate` /
      `log_rate`, `probs` / `logits`, the unconstrained one is preferred).
    natural: for an alternative parameterization (`log_rate`, `logits`),
      `(name, fn)`: the natural parameter it gives and the numpy map to it.
    static: a Python int fixing shapes (the multinomial `total_count`), not
      a tensor parameter.
  """
  name: str
  what: str
  constraint: checks.Constraint
  event_ndims: int = 0
  bijector_fn: Optional[Callable[[Any], Any]] = None
  is_preferred: bool = True
  natural: Optional[tuple[str, Callable[[np.ndarray], np.ndarray]]] = None
  static: bool = False

  def properties(self, dtype):
    """TFP's `ParameterProperties` of this parameter."""
    kwargs = dict(event_ndims=self.event_ndims,
                  is_preferred=self.is_preferred)
    if self.bijector_fn is not None:
      bijector_fn = self.bijector_fn
      kwargs['default_constraining_bijector_fn'] = lambda: bijector_fn(dtype)
    return parameter_properties.ParameterProperties(**kwargs)


def _expit(x):
  return 1. / (1. + np.exp(-x))


def _softmax(x):
  x = x - np.max(x, axis=-1, keepdims=True)
  return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


_RATE = Parameter('rate', 'the Poisson rate', checks.POSITIVE,
                  bijector_fn=_softplus, is_preferred=False)
_LOG_RATE = Parameter('log_rate', 'the log of the Poisson rate', checks.FINITE,
                      natural=('rate', np.exp))
_PROBS = Parameter('probs', 'the success probability',
                   checks.OPEN_UNIT_INTERVAL,
                   bijector_fn=lambda dtype: sigmoid_bijector.Sigmoid(),
                   is_preferred=False)
_LOGITS = Parameter('logits', 'the log-odds of success', checks.FINITE,
                    natural=('probs', _expit))


@dataclasses.dataclass(frozen=True)
class Family:
  """A named family: its parameters, truncated log-PMF and window rules.

  Attributes:
    name: registry key (`'poisson'`, ...).
    title: name in messages (`'Poisson'`).
    tfd_class: the TFP distribution class.
    parameters: every constructor parameter, in constructor order.
    one_of: groups of alternative parameters of which exactly one is given
      (`('rate', 'log_rate')`).
    explicit_parameter: the unconstrained parameter an explicit-inference
      layer reads from its input (`'log_rate'`, `'logits'`).
    explicit_input: words for it in messages and docs.
    fixed_parameters: parameters an explicit layer takes from the prior
      (`total_count`).
    log_pmf_fn: `fn(low=, high=, **params) -> [..., n]`: the family's
      public `truncated_log_pmf` function.
    min_low: lowest allowed `low` (`None` for a family with no window).
    cdf_fn, sf_fn, moments_fn: numpy-facing float64 `P(X <= k)`,
      `P(X > k)` and `(mean, stddev)` of the natural parameters, for
      `window`.
    finite_support: whether the support is `0..total_count`.
  """
  name: str
  title: str
  tfd_class: type
  parameters: tuple[Parameter, ...]
  one_of: tuple[tuple[str, ...], ...]
  explicit_parameter: Optional[str]
  explicit_input: Optional[str]
  fixed_parameters: tuple[str, ...]
  log_pmf_fn: Callable[..., tf.Tensor]
  min_low: Optional[int] = 0
  cdf_fn: Optional[Callable[..., Any]] = None
  sf_fn: Optional[Callable[..., Any]] = None
  moments_fn: Optional[Callable[..., Any]] = None
  finite_support: bool = False

  # --------------------------------------------------------------------------
  # Parameters
  # --------------------------------------------------------------------------

  @property
  def parameter_names(self) -> tuple[str, ...]:
    return tuple(p.name for p in self.parameters)

  def parameter(self, name: str) -> Parameter:
    for p in self.parameters:
      if p.name == name:
        return p
    raise KeyError(name)

  @property
  def natural_names(self) -> tuple[str, ...]:
    """The natural parameters (`rate`; `total_count`, `probs`)."""
    return tuple(p.name for p in self.parameters if p.natural is None)

  def check_given(self, params: dict) -> None:
    """Raises unless exactly one of each `one_of` group is given."""
    for group in self.one_of:
      given = [n for n in group if params.get(n) is not None]
      if len(given) != 1:
        names = ' or '.join(f'`{n}`' for n in group)
        raise ValueError(f'Must pass exactly one of {names}.')
    grouped = {n for group in self.one_of for n in group}
    for name in self.parameter_names:
      if name not in grouped and params.get(name) is None:
        raise ValueError(f'Argument `{name}` is required.')

  def check_static(self, params: dict, prefix: str = '') -> None:
    """Checks the Python-known parameter values against their rules.

    Args:
      params: dict name -> value as passed (tensors are skipped).
      prefix: prepended to the names in messages (`'prior_'`).
    """
    for p in self.parameters:
      checks.check_static(params.get(p.name), prefix + p.name, p.constraint,
                          p.what)

  def assertions(self, params: dict, is_init: bool) -> list:
    """Run-time checks of the tensor parameters (under `validate_args`)."""
    assertions = []
    for p in self.parameters:
      if p.static:  # a Python int, checked at construction (`check_static`)
        continue
      checks.maybe_assert(
          lambda t, p=p: checks.assert_constraint(t, p.name, p.constraint),
          params.get(p.name), is_init, assertions)
    return assertions

  def parameter_properties(self, dtype) -> dict:
    """TFP's `ParameterProperties` of the tensor parameters."""
    return {p.name: p.properties(dtype) for p in self.parameters
            if not p.static}

  def natural_values(self, values: dict) -> dict:
    """Float64 numpy natural parameters from given values (one per group)."""
    natural = {}
    for p in self.parameters:
      value = values.get(p.name)
      if value is None:
        continue
      value = np.asarray(value, np.float64)
      if p.natural is None:
        natural[p.name] = value
      else:
        natural[p.natural[0]] = p.natural[1](value)
    return natural

  def values_of(self, distribution: Any) -> dict:
    """The parameters of a `tfd_class` instance, as it holds them."""
    return {n: getattr(distribution, n) for n in self.parameter_names}

  # --------------------------------------------------------------------------
  # Log-PMF, window, TFP distribution
  # --------------------------------------------------------------------------

  def log_pmf(self, low: Optional[int] = None, high: Optional[int] = None,
              **params) -> tf.Tensor:
    """Truncated log-PMF `[..., n]` from tensor parameters (`None`s allowed).

    The tails `P(X <= low)`, `P(X >= high)` go on the window ends.
    """
    params = {k: v for k, v in params.items() if v is not None}
    return self.log_pmf_fn(low=low, high=high, **params)

  def explicit_log_pmf(self, x: Any, fixed: dict, low: int, high: int,
                       backend: str = 'tensorflow') -> Any:
    """Log-PMF from the explicit layer's input `x` and fixed parameters, on
    the array substrate `backend` (`'tensorflow'` or `'jax'`)."""
    return self.log_pmf_fn(low=low, high=high, backend=backend,
                           **{self.explicit_parameter: x}, **fixed)

  def default_high(self, natural: dict) -> Optional[int]:
    """The default `high`: the largest `total_count` for finite supports."""
    if not self.finite_support:
      return None
    return int(np.max(natural['total_count']))

  def make_tfd(self, params: dict, validate_args: bool = False) -> Any:
    """The TFP distribution with these parameters (`None`s omitted)."""
    params = {k: v for k, v in params.items() if v is not None}
    if self is MULTINOMIAL:
      params['total_count'] = float(params['total_count'])
    return self.tfd_class(validate_args=validate_args, **params)


# ----------------------------------------------------------------------------
# CDFs and survival functions in float64 (for `window`)
# ----------------------------------------------------------------------------


def _f64(x):
  return tf.constant(np.asarray(x, np.float64))


def _poisson_cdf(k, rate):
  return tf.math.igammac(_f64(k + 1.), _f64(rate)).numpy()


def _poisson_sf(k, rate):
  return tf.math.igamma(_f64(k + 1.), _f64(rate)).numpy()


def _binomial_cdf(k, total_count, probs):
  inside = k < total_count
  a = np.where(inside, total_count - k, 1.)
  value = tf.math.betainc(_f64(a), _f64(k + 1.), _f64(1. - probs)).numpy()
  return np.where(inside, value, 1.)


def _binomial_sf(k, total_count, probs):
  inside = k < total_count
  b = np.where(inside, total_count - k, 1.)
  value = tf.math.betainc(_f64(k + 1.), _f64(b), _f64(probs)).numpy()
  return np.where(inside, value, 0.)


def _geometric_cdf(k, probs):
  return -np.expm1((k + 1.) * np.log1p(-probs))


def _geometric_sf(k, probs):
  return np.exp((k + 1.) * np.log1p(-probs))


def _negative_binomial_cdf(k, total_count, probs):
  return tf.math.betainc(_f64(total_count), _f64(k + 1.),
                         _f64(1. - probs)).numpy()


def _negative_binomial_sf(k, total_count, probs):
  return tf.math.betainc(_f64(k + 1.), _f64(total_count), _f64(probs)).numpy()


def _poisson_moments(rate):
  return rate, np.sqrt(rate)


def _binomial_moments(total_count, probs):
  return total_count * probs, np.sqrt(total_count * probs * (1. - probs))


def _geometric_moments(probs):
  return (1. - probs) / probs, np.sqrt(1. - probs) / probs


def _negative_binomial_moments(total_count, probs):
  return (total_count * probs / (1. - probs),
          np.sqrt(total_count * probs) / (1. - probs))


# ----------------------------------------------------------------------------
# The registry
# ----------------------------------------------------------------------------


# The binomial, geometric and negative binomial: a success probability given
# as `probs` or `logits`; explicit inference reads its logits.
_SUCCESS_PROBABILITY = dict(
    one_of=(('probs', 'logits'),), explicit_parameter='logits',
    explicit_input='logits of the success probability')


def _total_count(what, constraint):
  """The `total_count` of the binomial and negative binomial."""
  return Parameter('total_count', what, constraint, bijector_fn=_softplus,
                   is_preferred=False)


POISSON = Family(
    name='poisson', title='Poisson', tfd_class=poisson.Poisson,
    parameters=(_RATE, _LOG_RATE), one_of=(('rate', 'log_rate'),),
    explicit_parameter='log_rate', explicit_input='log-rate',
    fixed_parameters=(), log_pmf_fn=truncated_log_pmf.poisson,
    cdf_fn=_poisson_cdf, sf_fn=_poisson_sf, moments_fn=_poisson_moments)

BINOMIAL = Family(
    name='binomial', title='binomial', tfd_class=binomial.Binomial,
    parameters=(_total_count('the binomial number of trials',
                             checks.POSITIVE_INTEGER), _PROBS, _LOGITS),
    fixed_parameters=('total_count',), **_SUCCESS_PROBABILITY,
    log_pmf_fn=truncated_log_pmf.binomial,
    cdf_fn=_binomial_cdf, sf_fn=_binomial_sf, moments_fn=_binomial_moments,
    finite_support=True)

GEOMETRIC = Family(
    name='geometric', title='geometric', tfd_class=geometric.Geometric,
    parameters=(_PROBS, _LOGITS), fixed_parameters=(),
    **_SUCCESS_PROBABILITY,
    log_pmf_fn=truncated_log_pmf.geometric,
    cdf_fn=_geometric_cdf, sf_fn=_geometric_sf, moments_fn=_geometric_moments)

NEGATIVE_BINOMIAL = Family(
    name='negative_binomial', title='negative binomial',
    tfd_class=negative_binomial.NegativeBinomial,
    parameters=(_total_count('the number of failures', checks.POSITIVE),
                _PROBS, _LOGITS),
    fixed_parameters=('total_count',), **_SUCCESS_PROBABILITY,
    log_pmf_fn=truncated_log_pmf.negative_binomial,
    cdf_fn=_negative_binomial_cdf, sf_fn=_negative_binomial_sf,
    moments_fn=_negative_binomial_moments)

MULTINOMIAL = Family(
    name='multinomial', title='multinomial',
    tfd_class=multinomial.Multinomial,
    parameters=(
        Parameter('total_count', 'the number of draws',
                  checks.POSITIVE_INTEGER, static=True),
        Parameter('probs', 'the category probabilities', checks.UNIT_INTERVAL,
                  event_ndims=1,
                  bijector_fn=lambda dtype: (
                      softmax_centered_bijector.SoftmaxCentered()),
                  is_preferred=False),
        Parameter('logits', 'the category logits', checks.LOGITS,
                  event_ndims=1, natural=('probs', _softmax))),
    one_of=(('probs', 'logits'),),
    explicit_parameter=None, explicit_input=None, fixed_parameters=(),
    log_pmf_fn=truncated_log_pmf.multinomial, min_low=None, finite_support=True)

FAMILIES = {f.name: f for f in (POISSON, BINOMIAL, GEOMETRIC,
                                NEGATIVE_BINOMIAL, MULTINOMIAL)}

# Integer-valued (scalar event) families, as `truncate` and `window` see them.
_SCALAR_FAMILIES = (POISSON, BINOMIAL, GEOMETRIC, NEGATIVE_BINOMIAL)


def get(name: str) -> Family:
  """The family registered under `name`."""
  if name not in FAMILIES:
    raise ValueError(f'Unknown family {name!r}; expected one of '
                     f'{sorted(FAMILIES)}.')
  return FAMILIES[name]


def for_distribution(distribution: Any) -> Optional[Family]:
  """The scalar family of a TFP distribution instance, or `None`."""
  for family in _SCALAR_FAMILIES:
    if isinstance(distribution, family.tfd_class):
      return family
  return None
