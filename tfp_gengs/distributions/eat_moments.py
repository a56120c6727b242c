"""Campbell moments of the EAT relaxed count (`K -> inf`): mean and variance
per unit rate, for the sigmoid and cubic smooth steps."""

from typing import Any

import tensorflow.compat.v2 as tf

from tfp_gengs.distributions import eat_smoothing

__all__ = [
    'campbell_integrals',
]

def campbell_integrals(temperature: Any,
                       smoothing: str) -> tuple[tf.Tensor, tf.Tensor]:
  """`(int_0^inf s(t) dt, int_0^inf s(t)^2 dt)` for `s(t) = s((1 - t)/tau)`.

  By Campbell's theorem, the relaxed count of the whole Poisson process
  (`K -> inf`) has mean `lambda * first` and variance `lambda * second`.

  - sigmoid: `first = tau softplus(1/tau) = 1 + tau log1p(exp(-1/tau))`,
    `second = first - tau sigmoid(1/tau)` (as `sigmoid^2 = sigmoid -
    sigmoid'`).
  - cubic, `tau <= 1`: `first = 1` (unbiased mean), `second = 1 - 9 tau/35`
    (`int_0^1 (3u^2 - 2u^3)^2 du = 13/35`); `tau > 1` (the window starts
    before 0), with `u0 = (1 + tau) / (2 tau)`:
    `first = 2 tau (u0^3 - u0^4 / 2)`,
    `second = 2 tau (9/5 u0^5 - 2 u0^6 + 4/7 u0^7)`. Both are C^1 in tau.

  Args:
    temperature: positive float `Tensor`.
    smoothing: `'cubic'` or `'sigmoid'`.

  Returns:
    `(first, second)`, tensors shaped like `temperature`.
  """
  eat_smoothing.check_smoothing(smoothing)
  tau = tf.convert_to_tensor(temperature)
  if smoothing == 'sigmoid':
    inv = tf.math.reciprocal(tau)
    first = 1. + tau * tf.math.softplus(-inv)
    return first, first - tau * tf.math.sigmoid(inv)
  # Two branches (not relu/minimum): both moments are C^1 at tau = 1, where
  # the kinks of relu(1 - tau) and min(1, u0) would give wrong gradients.
  narrow = tau <= 1.
  wide_tau = tf.where(narrow, 2. * tf.ones_like(tau), tau)
  u0 = (1. + wide_tau) / (2. * wide_tau)
  u0_2 = u0 * u0
  wide_first = 2. * wide_tau * u0_2 * u0 * (1. - 0.5 * u0)
  wide_second = 2. * wide_tau * u0_2 * u0_2 * u0 * (
      9. / 5. - 2. * u0 + 4. / 7. * u0_2)
  first = tf.where(narrow, tf.ones_like(tau), wide_first)
  second = tf.where(narrow, 1. - 9. / 35. * tau, wide_second)
  return first, second
