"""Argument checks shared by the distributions and layers.

Structural arguments (truncation bounds, numbers of outcomes) decide static
shapes, so they are checked in Python at construction whatever
`validate_args` says. Parameter values are checked TFP-style: assertions in
`_parameter_control_dependencies` when `validate_args=True`, which raise at
construction when the values are statically known.
"""

import numbers

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import tensor_util

__all__ = [
    'check_window',
    'assert_not_nan',
    'assert_positive',
    'assert_non_negative',
    'assert_probability',
    'maybe_assert',
]


def _as_python_int(value, arg_name):
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


def check_window(low, high, min_outcomes=2):
  """Validates a truncation window `{low, ..., high}` and returns Python ints.

  Args:
    low: lowest outcome (the left tail `P(X <= low)` is put on it).
    high: highest outcome (the right tail `P(X >= high)` is put on it).
    min_outcomes: the window must hold at least this many outcomes.

  Returns:
    `(low, high)` as Python ints.

  Raises:
    ValueError: if a bound is not an integer, `high < low`, or the window has
      fewer than `min_outcomes` outcomes.
  """
  low = _as_python_int(low, 'low')
  high = _as_python_int(high, 'high')
  if high < low:
    raise ValueError(
        f'Argument `high` ({high}) must be >= `low` ({low}).')
  if high - low + 1 < min_outcomes:
    raise ValueError(
        f'The truncation window low={low}..high={high} has {high - low + 1} '
        f'outcome(s); at least {min_outcomes} are needed (`high` must be >= '
        f'`low` + {min_outcomes - 1}).')
  return low, high


def maybe_assert(condition_fn, x, is_init, assertions):
  """Appends `condition_fn(x)` to `assertions` when TFP's rule says so.

  TFP checks a parameter at construction (`is_init=True`) when it is a plain
  tensor and at each use (`is_init=False`) when it is a variable/deferred
  value that can change.
  """
  if x is None:
    return
  if is_init != tensor_util.is_ref(x):
    assertions.append(condition_fn(tf.convert_to_tensor(x)))


def assert_not_nan(x, arg_name):
  return assert_util.assert_equal(
      tf.reduce_any(tf.math.is_nan(x)), False,
      message=f'Argument `{arg_name}` must not contain NaN.')


def assert_positive(x, arg_name):
  """Positive and not NaN (NaN fails the comparison)."""
  return assert_util.assert_positive(
      x, message=f'Argument `{arg_name}` must be positive (> 0).')


def assert_non_negative(x, arg_name):
  """Non-negative and not NaN (NaN fails the comparison)."""
  return assert_util.assert_non_negative(
      x, message=f'Argument `{arg_name}` must be non-negative (>= 0).')


def assert_probability(x, arg_name):
  """In [0, 1] and not NaN."""
  return tf.group(
      assert_util.assert_non_negative(
          x, message=f'Argument `{arg_name}` must be in [0, 1].'),
      assert_util.assert_less_equal(
          x, tf.ones([], x.dtype),
          message=f'Argument `{arg_name}` must be in [0, 1].'))
