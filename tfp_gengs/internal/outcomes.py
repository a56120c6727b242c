"""Outcome values `c` and the linear map `T(x) = sum_k c_k x_k`, once.

`TruncatedDiscrete`, `OutcomeProjection`, the relaxed distributions and the
Keras layers all hold outcome values and project onto them; this module is
the one place that validates them and computes `T`.
"""

from typing import Any
import weakref

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import prefer_static as ps

__all__ = [
    'convert_outcomes',
    'outcome_assertions',
    'check_logits_width',
    'project',
]

# Outcome tensors already validated (id -> tensor, held weakly): a family's
# outcomes pass through `TruncatedDiscrete`, `OutcomeProjection` and
# `truncated()`, and are checked once.
_validated = weakref.WeakValueDictionary()


def _check_distinct_static(values):
  """Raises if two rows of the known `values` (`[n]` or `[n, d]`) are equal."""
  rows = values.reshape(values.shape[0], -1)
  unique, counts = np.unique(rows, axis=0, return_counts=True)
  if unique.shape[0] != rows.shape[0]:
    repeated = unique[counts > 1][0]
    shown = repeated[0].item() if values.ndim == 1 else repeated.tolist()
    raise ValueError(
        f'Argument `outcomes` must hold distinct values; {shown!r} appears '
        f'{counts[counts > 1][0]} times. Repeated outcomes would split one '
        'value\'s probability between entries of `pi` (and `log_prob` would '
        'see only one of them): merge them, adding their probabilities.')


def convert_outcomes(outcomes: Any, dtype: Any,
                     assume_valid: bool = False) -> tf.Tensor:
  """Converts `outcomes` (`[n]` or `[n, d]`, `n >= 2`) and checks them.

  Shape and, where the values are known statically (constants, Python
  lists, numpy arrays), finiteness and distinctness are checked at once,
  whatever `validate_args` says: outcomes fix static shapes and the meaning
  of every probability. Run-time checks of traced outcomes are in
  `outcome_assertions` (under `validate_args`).

  Args:
    outcomes: the outcome values.
    dtype: float dtype to convert to.
    assume_valid: skip the value checks (for outcomes built by this package,
      e.g. `arange(low, high + 1)`).

  Returns:
    The outcomes as a `Tensor`.

  Raises:
    ValueError: wrong rank, fewer than 2 outcomes, or known values that are
      not finite or not distinct.
  """
  outcomes = tf.convert_to_tensor(outcomes, dtype=dtype, name='outcomes')
  if outcomes.shape.rank not in (1, 2):
    raise ValueError('Argument `outcomes` must have shape [n] or [n, d]; got '
                     f'shape {outcomes.shape}.')
  num = tf.compat.dimension_value(outcomes.shape[0])
  if num is not None and num < 2:
    raise ValueError(
        f'Argument `outcomes` must hold at least 2 outcomes; got {num}.')
  if _validated.get(id(outcomes)) is outcomes:
    return outcomes
  if not assume_valid:
    values = tf.get_static_value(outcomes)
    if values is None:
      return outcomes  # traced: `outcome_assertions` checks it if asked
    if not np.all(np.isfinite(values)):
      bad = values[~np.isfinite(values)].ravel()[0]
      raise ValueError(f'Argument `outcomes` must be finite; got {bad!r}.')
    _check_distinct_static(values)
  _validated[id(outcomes)] = outcomes
  return outcomes


def outcome_assertions(outcomes: tf.Tensor) -> list:
  """Run-time checks (finite, distinct) of outcomes not known statically."""
  if _validated.get(id(outcomes)) is outcomes:
    return []  # known values, checked in `convert_outcomes`
  rows = tf.reshape(outcomes, [ps.shape(outcomes)[0], -1])
  equal = tf.reduce_all(
      tf.equal(rows[:, tf.newaxis, :], rows[tf.newaxis, :, :]), axis=-1)
  num_equal_pairs = tf.reduce_sum(tf.cast(equal, tf.int32))
  return [
      assert_util.assert_equal(
          tf.reduce_all(tf.math.is_finite(outcomes)), True,
          message='Argument `outcomes` must be finite.'),
      assert_util.assert_equal(
          num_equal_pairs, ps.shape(outcomes)[0],
          message='Argument `outcomes` must hold distinct values.'),
  ]


def check_logits_width(param: Any, param_name: str,
                       outcomes: tf.Tensor) -> None:
  """Raises if the static last dimension of `param` is not `n`."""
  if param is None or param.shape.rank is None:
    return
  if param.shape.rank == 0:
    raise ValueError(f'Argument `{param_name}` must have shape [..., n]; got a '
                     'scalar.')
  width = tf.compat.dimension_value(param.shape[-1])
  num = tf.compat.dimension_value(outcomes.shape[0])
  if width is not None and num is not None and width != num:
    raise ValueError(
        f'Argument `{param_name}` has {width} entries in its last dimension '
        f'but `outcomes` holds {num} outcomes; they must match.')


def project(x: tf.Tensor, outcomes: tf.Tensor) -> tf.Tensor:
  """`T(x) = sum_k c_k x_k`: `[..., n] -> [...]` or `[..., n] -> [..., d]`.

  `x` is a one-hot vector (then `T` selects an outcome exactly), a
  Gumbel-Softmax sample (the relaxed value) or `pi` itself (the mean).
  """
  return tf.tensordot(x, outcomes, axes=[[-1], [0]])
