"""Argument checks shared by the distributions and layers.

Two kinds of checks, as in TFP:

* Values known in Python at construction (Python numbers and lists, numpy
  arrays; and the structural arguments `low`, `high`, `outcomes`, which fix
  static shapes) are checked at once, whatever `validate_args` says: a bad
  value there can only be a mistake, and silently sampling NaN from it helps
  nobody.
* Tensor and variable values are checked TFP-style: assertions in
  `_parameter_control_dependencies` when `validate_args=True` (at
  construction for tensors, at each use for variables).

A `Constraint` holds both forms of one rule and the words that describe it,
so an argument gets the same rule and the same message on both paths.

Python-only settings (a layer's `temperature` and `kl_weight`, a choice
among names, a number of samples or arrivals, a tail mass) go through
`check_choice`, `python_float` and `python_int`: one rule, one message
each, for every module.
"""

import dataclasses
import math
import numbers
from typing import Any, Callable, Optional

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import tensor_util

__all__ = [
    'Constraint',
    'POSITIVE',
    'POSITIVE_INTEGER',
    'OPEN_UNIT_INTERVAL',
    'UNIT_INTERVAL',
    'FINITE',
    'LOGITS',
    'as_python_int',
    'check_choice',
    'check_window',
    'python_float',
    'python_int',
    'check_static',
    'static_value',
    'maybe_assert',
    'assert_constraint',
    'assert_not_nan',
]


@dataclasses.dataclass(frozen=True)
class Constraint:
  """One rule on a parameter's values, in numpy and in TensorFlow.

  Attributes:
    allowed: how the rule reads in a message: "Argument `rate` must be
      <allowed>".
    numpy_ok: `fn(float64 array) -> bool array`, `True` where allowed.
    tf_ok: `fn(tensor) -> bool tensor`, `True` where allowed.
  """
  allowed: str
  numpy_ok: Callable[[np.ndarray], np.ndarray]
  tf_ok: Callable[[tf.Tensor], tf.Tensor]


def _is_integer_np(a):
  return np.isfinite(a) & (a == np.round(a))


def _is_finite_tf(x):
  """`tf.math.is_finite`, also for integer tensors (always finite)."""
  if not x.dtype.is_floating:
    return tf.ones_like(x, dtype=tf.bool)
  return tf.math.is_finite(x)


def _is_integer_tf(x):
  if not x.dtype.is_floating:
    return tf.ones_like(x, dtype=tf.bool)
  return tf.math.is_finite(x) & tf.equal(x, tf.round(x))


POSITIVE = Constraint(
    'finite and > 0',
    lambda a: np.isfinite(a) & (a > 0.),
    lambda x: _is_finite_tf(x) & (x > tf.zeros([], x.dtype)))
POSITIVE_INTEGER = Constraint(
    'an integer >= 1',
    lambda a: _is_integer_np(a) & (a >= 1.),
    lambda x: _is_integer_tf(x) & (x >= tf.ones([], x.dtype)))
OPEN_UNIT_INTERVAL = Constraint(
    'in the open interval (0, 1)',
    lambda a: (a > 0.) & (a < 1.),
    lambda x: (x > 0.) & (x < 1.))
UNIT_INTERVAL = Constraint(
    'in [0, 1]',
    lambda a: (a >= 0.) & (a <= 1.),
    lambda x: (x >= 0.) & (x <= 1.))
FINITE = Constraint(
    'finite',
    np.isfinite,
    _is_finite_tf)
# Logits of a categorical: -inf (probability 0) is allowed, NaN and +inf not.
LOGITS = Constraint(
    'not NaN and < +inf (-inf gives probability 0)',
    lambda a: ~np.isnan(a) & (a < np.inf),
    lambda x: ~tf.math.is_nan(x) & (x < np.inf))


def static_value(value: Any) -> Optional[np.ndarray]:
  """`value` as a float64 numpy array if it is known in Python, else `None`.

  Known means a Python number, a (nested) list of them, or a numpy array:
  what a user typed. Tensors and variables return `None` (their checks are
  TFP's, behind `validate_args`), so no check here reads a tensor back from
  a device or sees a traced value.
  """
  if value is None or tf.is_tensor(value) or tensor_util.is_ref(value):
    return None
  if isinstance(value, (bool, np.bool_)):
    return None  # a type error that the conversion reports
  if isinstance(value, (numbers.Real, np.ndarray, list, tuple)):
    try:
      return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
      return None
  return None


def _describe(array):
  array = np.asarray(array)
  return repr(array.item()) if array.ndim == 0 else repr(array.tolist())


def check_static(value: Any, arg_name: str, constraint: Constraint,
                 what: Optional[str] = None) -> None:
  """Raises `ValueError` if a Python-known `value` breaks `constraint`.

  Args:
    value: the argument as passed (checked only if `static_value` knows it).
    arg_name: the argument's name, as the user wrote it.
    constraint: the rule.
    what: optional words for what the argument is (`'the Poisson rate'`).
  """
  array = static_value(value)
  if array is None:
    return
  ok = constraint.numpy_ok(array)
  if not np.all(ok):
    label = f'`{arg_name}`' + (f' ({what})' if what else '')
    if array.size <= 8:
      shown = _describe(array)
    else:
      first_bad = array[~ok].ravel()[0]
      shown = f'an array of shape {array.shape} holding {first_bad!r}'
    raise ValueError(f'Argument {label} must be {constraint.allowed}; got '
                     f'{shown}.')


def assert_constraint(x: tf.Tensor, arg_name: str,
                      constraint: Constraint) -> tf.Operation:
  """A run-time assertion of `constraint` on the tensor `x`."""
  return assert_util.assert_equal(
      tf.reduce_all(constraint.tf_ok(x)), True,
      message=f'Argument `{arg_name}` must be {constraint.allowed}.')


def assert_not_nan(x: tf.Tensor, arg_name: str) -> tf.Operation:
  return assert_util.assert_equal(
      tf.reduce_any(tf.math.is_nan(x)), False,
      message=f'Argument `{arg_name}` must not contain NaN.')


def as_python_int(value: Any, arg_name: str) -> int:
  """Returns `value` as a Python int or raises naming `arg_name`."""
  if isinstance(value, bool):
    raise TypeError(f'Argument `{arg_name}` must be an integer, got a bool.')
  if tf.is_tensor(value):
    static = tf.get_static_value(value)
    if static is None:
      raise ValueError(
          f'Argument `{arg_name}` must be statically known (a Python int or a '
          'constant): it fixes the number of outcomes, hence static shapes.')
    value = static
  value = np.asarray(value)
  if value.ndim != 0:
    raise ValueError(f'Argument `{arg_name}` must be a scalar, got shape '
                     f'{value.shape}.')
  value = value.item()
  if isinstance(value, numbers.Integral):
    return int(value)
  if isinstance(value, numbers.Real) and float(value).is_integer():
    return int(value)
  raise ValueError(f'Argument `{arg_name}` must be an integer, got {value!r}.')


def check_window(low: Any, high: Any, min_outcomes: int = 2,
                 min_low: Optional[int] = None,
                 support: str = '') -> tuple[int, int]:
  """Validates a truncation window `{low, ..., high}` and returns Python ints.

  Args:
    low: lowest outcome (the left tail `P(X <= low)` is put on it).
    high: highest outcome (the right tail `P(X >= high)` is put on it).
    min_outcomes: the window must hold at least this many outcomes.
    min_low: if not `None`, `low` must be `>= min_low` (a family's support
      starts there).
    support: words naming the support for the `min_low` message.

  Returns:
    `(low, high)` as Python ints.

  Raises:
    ValueError: if a bound is not an integer, `high < low`, `low < min_low`,
      or the window has fewer than `min_outcomes` outcomes.
  """
  low = as_python_int(low, 'low')
  high = as_python_int(high, 'high')
  if min_low is not None and low < min_low:
    raise ValueError(
        f'Argument `low` must be >= {min_low}{support}; got low={low}.')
  if high < low:
    raise ValueError(
        f'Argument `high` ({high}) must be >= `low` ({low}).')
  if high - low + 1 < min_outcomes:
    raise ValueError(
        f'The truncation window low={low}..high={high} has {high - low + 1} '
        f'outcome(s); at least {min_outcomes} are needed (`high` must be >= '
        f'`low` + {min_outcomes - 1}).')
  return low, high


def maybe_assert(condition_fn: Callable[[tf.Tensor], Any], x: Any,
                 is_init: bool, assertions: list) -> None:
  """Appends `condition_fn(x)` to `assertions` when TFP's rule says so.

  TFP checks a parameter at construction (`is_init=True`) when it is a plain
  tensor and at each use (`is_init=False`) when it is a variable/deferred
  value that can change.
  """
  if x is None:
    return
  if is_init != tensor_util.is_ref(x):
    assertions.append(condition_fn(tf.convert_to_tensor(x)))


def check_choice(value: Any, arg_name: str, choices: Any) -> Any:
  """`value` if it is one of `choices`, else a `ValueError` naming both."""
  if value not in choices:
    raise ValueError(f'Argument `{arg_name}` must be one of '
                     f'{", ".join(repr(c) for c in choices)}; got {value!r}.')
  return value


def python_float(value: Any, arg_name: str, minimum: float = 0.,
                 maximum: Optional[float] = None, allow_minimum: bool = False,
                 allow_maximum: bool = False) -> float:
  """`value` as a finite Python float in the given range, naming the arg.

  The range is `(minimum, maximum)`, closed on a side where `allow_*` says
  so; `maximum=None` is unbounded (`> 0` by default). A bool or a
  non-number is a `TypeError`.
  """
  if isinstance(value, bool) or not isinstance(value, numbers.Real):
    if not (isinstance(value, np.ndarray) and value.ndim == 0 and
            value.dtype.kind in 'iuf'):
      raise TypeError(f'Argument `{arg_name}` must be a Python number; got '
                      f'{value!r}.')
  value = float(value)
  above = value >= minimum if allow_minimum else value > minimum
  below = (maximum is None or
           (value <= maximum if allow_maximum else value < maximum))
  if not (math.isfinite(value) and above and below):
    if maximum is None:
      allowed = f'{">=" if allow_minimum else ">"} {minimum:g}'
    else:
      allowed = (f'in {"[" if allow_minimum else "("}{minimum:g}, '
                 f'{maximum:g}{"]" if allow_maximum else ")"}')
    raise ValueError(f'Argument `{arg_name}` must be finite and {allowed}; '
                     f'got {value}.')
  return value


def python_int(value: Any, arg_name: str, minimum: int = 1,
               noun: str = 'an int') -> int:
  """`value` as a Python int `>= minimum` (it fixes a static shape).

  Accepts Python and numpy integers, integral floats (`3.0`) and tensors
  whose value is known statically; a bool, a fraction or a value known
  only at run time is an error naming the argument. `noun` words the kind
  in the message (`'a Python int'` where a tensor would be a mistake).
  """
  if isinstance(value, bool):
    raise TypeError(f'Argument `{arg_name}` must be {noun} >= {minimum}, got '
                    'a bool.')
  known = value
  if tf.is_tensor(known):
    known = tf.get_static_value(known)
    if known is None:
      raise ValueError(f'Argument `{arg_name}` must be known statically (a '
                       'Python int): it fixes a static shape.')
  known = np.asarray(known)
  if (known.ndim != 0 or known.dtype.kind not in 'iuf' or
      not np.isfinite(known) or float(known) != int(known) or
      int(known) < minimum):
    raise ValueError(f'Argument `{arg_name}` must be {noun} >= {minimum}; '
                     f'got {value!r}.')
  return int(known)
