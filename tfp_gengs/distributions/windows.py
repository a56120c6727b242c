"""`window`: the truncation window a tail mass needs, and a too-wide warning.

The window `{low, ..., high}` fixes the number of outcomes `n`, and every
GenGS sample costs `n` floats per batch element and latent dimension
(`sample_shape x batch x dims x n`, 4 bytes each in float32): a Poisson(3)
needs `n = 20` for a tail mass of `1e-6`, while `high=10**6` allocates 4 MB
per draw. `window` chooses a window that leaves at most `tail_mass` of the
distribution's mass outside it, from parameters known in Python: by
default the smaller of the one-sided window and the two-sided one that puts
`tail_mass / 2` on each side (a rule, not always the smallest window), or
with `split='smallest'` the smallest window over every split of
`tail_mass` between the sides. The families and layers accept it as
`tail_mass=` (the default rule), and warn once when a window given by hand
is far wider than its mass needs.
"""

import sys
from typing import Any, Optional
import warnings

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import tensor_util

from tfp_gengs.distributions import families
from tfp_gengs.internal import checks

__all__ = [
    'window',
    'window_of',
    'window_from_values',
    'known_natural',
    'WideWindowWarning',
    'warn_if_wide',
]

# A window is "far wider than its mass needs" when it holds at least
# `_WARN_MIN_OUTCOMES` outcomes and more than `_WARN_RATIO` times the
# outcomes that leave a tail mass of `_WARN_TAIL_MASS` outside.
_WARN_MIN_OUTCOMES = 1024
_WARN_RATIO = 8
_WARN_TAIL_MASS = 1e-12
_warned = set()
# How `window` splits the tail mass between the sides.
_SPLITS = ('equal', 'smallest')


class WideWindowWarning(UserWarning):
  """A truncation window far wider than the distribution's mass needs."""


def _readable(value, arg_name):
  """A parameter's current value as a float64 array, or a `ValueError`."""
  if not (tensor_util.is_ref(value) or tf.is_tensor(value)):
    return np.asarray(value, np.float64)
  static = tf.get_static_value(value) if tf.is_tensor(value) else None
  if static is None:
    with tf.init_scope():  # eager: variables and eager tensors are readable
      try:
        static = np.asarray(tf.convert_to_tensor(value))
      except (TypeError, ValueError, NotImplementedError,
              tf.errors.OpError):
        static = None  # a traced tensor
  if static is None or static.dtype == object:
    raise ValueError(
        f'Choosing a window from a tail mass needs `{arg_name}` known '
        'outside a traced function (a Python number, a numpy array, a '
        'constant or a variable); pass `high` (and `low`) instead.')
  return np.asarray(static, np.float64)


def known_natural(family: families.Family, values: dict) -> dict:
  """Float64 natural parameters from readable values (see `_readable`)."""
  values = {k: _readable(v, k) for k, v in values.items() if v is not None}
  return family.natural_values(values)


def _smallest_where(predicate, lo, hi):
  """Smallest integer `k` in `(lo, hi]` with `predicate(k)`, elementwise.

  `predicate` must be monotone (False then True) and True at `hi`.
  """
  lo, hi = np.broadcast_arrays(np.asarray(lo, np.float64),
                               np.asarray(hi, np.float64))
  lo, hi = lo.copy(), hi.copy()
  while np.any(hi - lo > 1.):
    mid = np.floor((lo + hi) / 2.)
    ok = predicate(mid)
    hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
  return hi


def _upper_quantile(family, natural, tail):
  """Smallest `h >= 0` with `P(X > h) <= tail`, elementwise."""
  mean, stddev = family.moments_fn(**natural)
  hi = np.ceil(mean + 10. * stddev + 10.) + np.zeros_like(tail)
  for _ in range(64):
    too_small = family.sf_fn(hi, **natural) > tail
    if not np.any(too_small):
      break
    hi = np.where(too_small, 2. * hi + 1., hi)
  else:
    raise ValueError(
        f'No window of the {family.title} distribution leaves at most '
        f'{np.min(tail):g} of the mass above it within 2**64 outcomes.')
  return _smallest_where(lambda k: family.sf_fn(k, **natural) <= tail,
                         -np.ones_like(hi), hi)


def _lower_quantile(family, natural, tail, upper):
  """Largest `l >= 0` with `P(X < l) <= tail`, i.e. min `k: cdf(k) > tail`."""
  return _smallest_where(lambda k: family.cdf_fn(k, **natural) > tail,
                         -np.ones_like(upper), upper)


def _smallest_split(family, natural, tail_mass, low, high):
  """The smallest window over every split of `tail_mass` (see `window`).

  For each candidate `l`, the smallest `h(l)` with
  `P_b(X < l) + P_b(X > h(l)) <= tail_mass` for every batch member `b`:

  ```none
  h(l) = max_b min{h : P_b(X > h) <= tail_mass - P_b(X < l)}
  ```

  then the `l` with the fewest outcomes `h(l) - l + 1`. Only the `l` that
  can beat the default window `(low, high)` are tried: `h(l)` is at least
  the one-sided `high`, so `l >= one_sided_high - (high - low)`; and
  `P_b(X < l) <= tail_mass` for every `b`. That is at most `high - low + 1`
  candidates, each a vectorised quantile search. Ties go to the one-sided
  window, then to the window with the least mass outside, then to the
  smallest `l`.
  """
  one_sided = int(np.max(_upper_quantile(family, natural, tail_mass)))
  # Largest feasible `l`: `P_b(X < l) <= tail_mass` for every `b`.
  last = int(np.min(_lower_quantile(
      family, natural, tail_mass, np.full_like(
          np.broadcast_arrays(*natural.values())[0], one_sided))))
  first = max(0, one_sided - (high - low))
  if first > last:
    return low, high
  lows = np.arange(first, last + 1, dtype=np.float64)
  batch = np.broadcast_arrays(*natural.values())[0].shape
  lows_b = lows.reshape((-1,) + (1,) * len(batch))
  grid = {k: np.broadcast_to(v, (len(lows),) + batch)
          for k, v in natural.items()}
  below = np.where(lows_b > 0.,
                   family.cdf_fn(np.maximum(lows_b - 1., 0.), **grid), 0.)
  below = np.broadcast_to(below, (len(lows),) + batch)
  budget = tail_mass - below
  axes = tuple(range(1, 1 + len(batch)))
  feasible = np.all(budget > 0., axis=axes)
  budget = np.where(feasible.reshape(lows_b.shape), budget, tail_mass)
  highs = np.max(_upper_quantile(family, grid, budget), axis=axes)
  highs = np.maximum(highs, lows + 1.)
  outside = np.max(below + family.sf_fn(
      highs.reshape(lows_b.shape), **grid), axis=axes)
  width = np.where(feasible, highs - lows, np.inf)
  best = np.lexsort((lows, outside, lows > 0., width))[0]
  if not width[best] < high - low:
    return low, high
  return int(lows[best]), int(highs[best])


def window_of(family: families.Family, natural: dict,
              tail_mass: float = 1e-6,
              split: str = 'equal') -> tuple[int, int]:
  """The window of `family` with natural parameters `natural` (numpy).

  See `window`; this is its registry-level form (`natural` holds float64
  arrays of the natural parameters, e.g. `{'rate': ...}`).
  """
  tail_mass = float(tail_mass)
  if not 0. < tail_mass < 1.:
    raise ValueError(f'Argument `tail_mass` must be in the open interval '
                     f'(0, 1); got {tail_mass!r}.')
  if split not in _SPLITS:
    raise ValueError(f'Argument `split` must be one of {_SPLITS}; got '
                     f'{split!r}.')
  if family.sf_fn is None:
    raise ValueError(f'The {family.title} distribution has no truncation '
                     'window.')
  with tf.init_scope():
    one_sided = _upper_quantile(family, natural, tail_mass)
    upper = _upper_quantile(family, natural, tail_mass / 2.)
    lower = _lower_quantile(family, natural, tail_mass / 2., upper)
    low, high = 0, int(np.max(one_sided))
    if int(np.max(upper)) - int(np.min(lower)) < high:
      low, high = int(np.min(lower)), int(np.max(upper))
    high = max(high, low + 1)
    if split == 'smallest':
      low, high = _smallest_split(family, natural, tail_mass, low, high)
  return low, high


def window(distribution: Any, tail_mass: float = 1e-6,
           split: str = 'equal') -> tuple[int, int]:
  """A window `(low, high)` leaving at most `tail_mass` outside.

  For a Poisson, binomial, geometric or negative binomial distribution with
  parameters known in Python (numbers, numpy arrays, constants, or the
  current value of variables), the window `{low, ..., high}` with

  ```none
  one-sided:  low = 0,  high = min{h : P(X > h) <= tail_mass}
  two-sided:  low = min{l : P(X <= l) > tail_mass / 2}
              high = min{h : P(X > h) <= tail_mass / 2}
  ```

  whichever holds fewer outcomes (two-sided pays off once the mass sits far
  from 0, e.g. a Poisson with a large rate). So `P(X < low) + P(X > high)
  <= tail_mass`: that mass is what truncation moves onto the window ends.
  With batch parameters each form takes the union over the batch (the
  smallest `low`, the largest `high`) before the two are compared.
  Quantiles are exact (regularized incomplete gamma and beta functions in
  float64), not normal approximations.

  This default (`split='equal'`) is a rule, not always the smallest such
  window: the equal split of a two-sided window can cost an outcome or two
  (Poisson(100), `tail_mass=1e-6`: 99 outcomes where 98 suffice). It is the
  rule that the families, layers and experiments use, so their windows stay
  fixed. `split='smallest'` searches every split exactly:

  ```none
  h(l) = max_b min{h : P_b(X > h) <= tail_mass - P_b(X < l)}
  (low, high) = (l, h(l)) with the fewest outcomes h(l) - l + 1
  ```

  over every batch member `b` (a window valid for the whole batch); ties go
  to the one-sided window, then to the least mass outside. It returns the
  default window whenever that is already the smallest, and a one-sided
  window only as the default's `(0, min{h : P(X > h) <= tail_mass})`; a
  default one-sided window becomes two-sided only where dropping the lowest
  values saves outcomes (Poisson(15.8), `tail_mass=1e-6`: `(1, 38)`, not
  `(0, 38)`, as `P(X = 0) < 1e-6`).

  Args:
    distribution: a `tfd.Poisson`, `tfd.Binomial`, `tfd.Geometric` or
      `tfd.NegativeBinomial`, or a GenGS family distribution (its
      `untruncated()` is used).
    tail_mass: float in `(0, 1)`, the mass allowed outside the window.
    split: `'equal'` (the rule above) or `'smallest'` (the exact search).

  Returns:
    `(low, high)`, Python ints with `high >= low + 1`.

  Raises:
    TypeError: for another kind of distribution.
    ValueError: if the parameters are not known outside a traced function,
      `tail_mass` is not in `(0, 1)` or `split` is unknown.

  #### Examples

  ```python
  import tensorflow_probability as tfp
  import tfp_gengs as gengs
  tfd = tfp.distributions
  gengs.window(tfd.Poisson(3.))                  # ==> (0, 14)
  gengs.window(tfd.Poisson(1000.))               # ==> (849, 1158)
  low, high = gengs.window(tfd.Poisson(1000.), tail_mass=1e-3)
  gengs.GenGSPoisson(rate=1000., temperature=.5, tail_mass=1e-3).low == low
  gengs.window(tfd.Poisson(100.))                # ==> (55, 153), 99 outcomes
  gengs.window(tfd.Poisson(100.), split='smallest')  # ==> (55, 152), 98
  ```
  """
  if hasattr(distribution, 'untruncated') and not hasattr(
      distribution, 'rate_parameter'):
    distribution = distribution.untruncated()
  family = families.for_distribution(distribution)
  if family is None:
    raise TypeError(
        'Argument `distribution` must be a tfd.Poisson, tfd.Binomial, '
        'tfd.Geometric or tfd.NegativeBinomial (or a GenGS family); got '
        f'{type(distribution).__name__}.')
  natural = known_natural(family, family.values_of(distribution))
  return window_of(family, natural, tail_mass, split)


def window_from_values(family: families.Family, values: dict,
                       tail_mass: float) -> tuple[int, int]:
  """`window` from a family's parameter values as given (tensors allowed)."""
  return window_of(family, known_natural(family, values), tail_mass)


def resolve(family: families.Family, values: dict,
            high: Optional[int] = None, low: Optional[int] = None,
            tail_mass: Optional[float] = None,
            owner: str = 'the distribution') -> tuple[int, int]:
  """`(low, high)`: the one window rule of `truncate`, the families, layers.

  Either `high` (and `low`, default 0), or `tail_mass` (the window
  `window_of` chooses); with neither, a finite-support family's default
  `{0, ..., max total_count}`. The result is checked (integers, at least two
  outcomes, inside the support), so every entry point gives the same
  window and the same errors for the same arguments.

  Args:
    family: the `families.Family`.
    values: its parameters as given (numbers, arrays, tensors, variables).
    high, low, tail_mass: the user's window arguments.
    owner: what the window is for, in error messages (`'the prior'`).
  """
  if tail_mass is not None:
    if high is not None or low not in (None, 0):
      raise ValueError('Pass either `high` (and `low`) or `tail_mass`, '
                       'not both: `tail_mass` chooses the whole window.')
    low, high = window_from_values(family, values, tail_mass)
  elif high is None:
    if not family.finite_support:
      raise ValueError(
          'Argument `high` (the highest outcome of the truncation window) '
          f'is required; or pass `tail_mass` to choose the window from '
          f'{owner}\'s mass (see `gengs.window`).')
    try:
      natural = known_natural(family, {'total_count': values['total_count']})
    except ValueError as e:
      raise ValueError(
          'Argument `high` is required when `total_count` is not known '
          'outside a traced function (the default window is '
          '0..total_count).') from e
    high = family.default_high(natural)
  return checks.check_window(
      0 if low is None else low, high, min_low=family.min_low,
      support=f' (the {family.title} support starts at 0)')


def _user_stacklevel():
  """The `stacklevel` of the first caller outside this package and TFP."""
  inside = ('/tfp_gengs/', '/tensorflow_probability/', '/decorator/',
            '/keras/', '/tensorflow/')
  frame, level = sys._getframe(1), 1  # pylint: disable=protected-access
  while frame is not None and any(
      part in frame.f_code.co_filename.replace('\\', '/') for part in inside):
    frame, level = frame.f_back, level + 1
  return level


def warn_if_wide(family: families.Family, values: dict, low: int, high: int,
                 owner: str) -> Optional[str]:
  """Warns once per window when it is far wider than its mass needs.

  Only parameters known in Python (`checks.static_value`) are read, and
  only windows of `_WARN_MIN_OUTCOMES` or more outcomes are looked at, so
  this costs nothing in the common case.

  Returns:
    The warning's message, or `None`.
  """
  num = high - low + 1
  if num < _WARN_MIN_OUTCOMES or family.sf_fn is None:
    return None
  given = {k: v for k, v in values.items() if v is not None}
  known = {k: checks.static_value(v) for k, v in given.items()}
  if not known or any(v is None for v in known.values()):
    return None  # some parameter is a tensor: nothing to read cheaply
  natural = family.natural_values(known)
  need_low, need_high = window_of(family, natural, _WARN_TAIL_MASS)
  need = need_high - need_low + 1
  if num <= _WARN_RATIO * need:
    return None
  key = (owner, family.name, low, high)
  if key in _warned:
    return None
  _warned.add(key)
  megabytes = num * 4 / 2.**20
  message = (
      f'{owner}: the window {low}..{high} holds {num} outcomes, but all but '
      f'{_WARN_TAIL_MASS:g} of the {family.title} mass lies in '
      f'{need_low}..{need_high} ({need} outcomes). Every sample costs n '
      f'floats per batch element and latent dimension ({megabytes:.3g} MB '
      'per draw in float32 here; batch x dims x n in all). Choose the window '
      'with `tail_mass=` or `gengs.window(distribution, tail_mass)`.')
  warnings.warn(message, WideWindowWarning, stacklevel=_user_stacklevel())
  return message
