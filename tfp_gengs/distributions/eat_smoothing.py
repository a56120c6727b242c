"""The EAT relaxation's smooth step: sigmoid or cubic, and its support.

A relaxed exponential-arrival-time count sums `s((1 - t_k) / tau)` over the
arrival times `t_k`: `s` is a sigmoid (Vafaii et al. 2024) or the cubic
Hermite smoothstep with compact support (Ibrahim et al. 2026). This module
holds `s` and how far in time it reaches (`support_end`).
"""

import math
from typing import Any

import tensorflow.compat.v2 as tf

from tfp_gengs.internal import checks

__all__ = [
    'SMOOTHINGS',
    'check_smoothing',
    'check_tail_mass',
    'smooth_indicator',
    'support_end',
]

SMOOTHINGS = ('cubic', 'sigmoid')


def check_smoothing(smoothing):
  return checks.check_choice(smoothing, 'smoothing', SMOOTHINGS)


def check_tail_mass(tail_mass):
  return checks.python_float(tail_mass, 'tail_mass', 0., 1.)


def smooth_indicator(x: Any, smoothing: str) -> tf.Tensor:
  """The smooth step `s` applied to `x = (1 - t) / tau` (1 for early `t`).

  - `'sigmoid'`: `sigmoid(x)` (Vafaii et al., 2024).
  - `'cubic'`: the C^1 Hermite smoothstep `3 u^2 - 2 u^3` of
    `u = clip((x + 1) / 2, 0, 1)`: exactly 1 for `t <= 1 - tau`, exactly 0
    for `t >= 1 + tau`, and `s(1 - d) + s(1 + d) = 1` (Ibrahim et al., 2026,
    whose reference code uses the same window `[1 - tau, 1 + tau]`).
  """
  if smoothing == 'sigmoid':
    return tf.math.sigmoid(x)
  check_smoothing(smoothing)
  return _cubic_smoothstep(tf.convert_to_tensor(x))


@tf.custom_gradient
def _cubic_smoothstep(x):
  """`3u^2 - 2u^3`, `u = clip((x + 1)/2, 0, 1)`; derivative `3u(1 - u)`.

  The derivative vanishes by itself where `u` is clipped, so the gradient
  needs no mask (fewer ops than differentiating `clip_by_value`). It is
  recomputed from `x`, so second derivatives are right too.
  """
  u = tf.clip_by_value(0.5 * x + 0.5, 0., 1.)

  def grad(dy):
    v = tf.clip_by_value(0.5 * x + 0.5, 0., 1.)
    return dy * (3. * v * (1. - v))

  return u * u * (3. - 2. * u), grad


def support_end(temperature: Any, smoothing: str, tail_mass: float) -> Any:
  """Time `t_h` after which an arrival changes the relaxed count negligibly.

  Cubic: `1 + tau`, where the smoothstep reaches 0 exactly. Sigmoid (infinite
  support): `1 + tau log((1 - tail_mass) / tail_mass)`, after which every
  arrival adds less than `tail_mass`, and all of them together add
  `lambda tau (-log(1 - tail_mass)) ~= lambda tau tail_mass` in expectation.
  Works on Python floats, NumPy arrays and tensors.
  """
  check_smoothing(smoothing)
  if smoothing == 'cubic':
    return 1. + temperature
  return 1. + temperature * math.log((1. - tail_mass) / tail_mass)
