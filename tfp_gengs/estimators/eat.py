"""EAT: the exponential-arrival-time relaxation of a Poisson as an estimator.

The rival of GenGS for Poisson latents (issue 13; Vafaii et al. 2024 with a
sigmoid, Ibrahim et al. 2026 with a cubic smoothstep). With `K` arrivals
`t_k = (E_1 + ... + E_k) / rate`, `E_i ~ Exponential(1)`:

```none
z_tau = sum_{k <= K} s((1 - t_k) / tau)        s: sigmoid or cubic smoothstep
g_hat = grad f(z_tau)                            (pathwise, through the rate)
```

Biased like GenGS (the relaxed count is not a Poisson draw; the bias
vanishes as `tau -> 0` and `K -> inf`). Unlike the estimators of
`base.GradientEstimator`, which see a truncated window's logits, EAT samples
the Poisson itself: its `distribution` is a `tfd.Poisson` (anything with
`log_rate_parameter()`), so it applies to Poisson latents only (`family`).
"""

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import samplers

from tfp_gengs.distributions import eat_arrivals
from tfp_gengs.distributions import eat_smoothing
from tfp_gengs.estimators import base
from tfp_gengs.internal import checks

__all__ = ['ExponentialArrivalTime']


class ExponentialArrivalTime(tf.Module):
  """Pathwise gradient of `f` at an EAT-relaxed Poisson count.

  Args:
    smoothing: `'cubic'` (Ibrahim et al. 2026) or `'sigmoid'` (Vafaii et
      al. 2024).
    temperature: positive Python float `tau`.
    num_arrivals: Python int `K`, or `None` to choose it from `tail_mass`
      (`eat_arrivals.default_num_arrivals`) at `max_rate`, or else at the
      rate of the call, which must then be known statically.
    max_rate: Python float, the largest rate the estimator will see (for the
      default `K` in traced code, where the rate is not known).
    tail_mass: Python float in (0, 1) for the default `K`.
    latent_ndims: latents per learning signal (accepted for the common
      interface; a pathwise estimator costs one evaluation for any number).
    name: module name.

  #### Examples

  ```python
  import tensorflow as tf
  import tensorflow_probability as tfp
  import tfp_gengs as gengs

  log_rate = tf.Variable(tf.math.log([2., 20.]))
  estimator = gengs.estimators.make('EAT-cubic', temperature=0.5)
  with tf.GradientTape() as tape:
    result = estimator(tfp.distributions.Poisson(log_rate=log_rate),
                       lambda z: (z - 7.)**2, seed=(1, 2))
    total = tf.reduce_sum(result.surrogate)
  tape.gradient(total, log_rate).shape   # ==> [2]
  ```
  """

  unbiased = False
  num_evaluations = 1
  family = 'poisson'

  def __init__(self, smoothing='cubic', temperature=1., num_arrivals=None,
               max_rate=None, tail_mass=1e-6, latent_ndims=0, name=None):
    eat_smoothing.check_smoothing(smoothing)
    super().__init__(name=name or f'EAT_{smoothing}')
    if not (isinstance(temperature, (int, float)) and temperature > 0):
      raise ValueError('Argument `temperature` must be a positive Python '
                       f'float; got {temperature!r}.')
    if num_arrivals is not None:
      num_arrivals = checks.python_int(num_arrivals, 'num_arrivals',
                                       noun='a Python int')
    if max_rate is not None and not max_rate > 0:
      raise ValueError('Argument `max_rate` must be a positive float or '
                       f'None; got {max_rate!r}.')
    self.smoothing = smoothing
    self.temperature = float(temperature)
    self.num_arrivals = num_arrivals
    self.max_rate = max_rate
    self.tail_mass = tail_mass
    self.latent_ndims = int(latent_ndims)
    self.display_name = f'EAT-{smoothing}'

  def arrivals_for(self, rate=None):
    """`K`: `num_arrivals`, else the default at `max_rate` or `rate`."""
    if self.num_arrivals is not None:
      return int(self.num_arrivals)
    rate = self.max_rate if self.max_rate is not None else rate
    if rate is None:
      raise ValueError(
          'EAT needs `num_arrivals` or `max_rate` when the rate is not known '
          'statically (inside `tf.function`); pass one of them.')
    return eat_arrivals.default_num_arrivals(rate, self.temperature,
                                            self.smoothing, self.tail_mass)

  def __call__(self, distribution, loss_fn, seed, context=None):
    """Estimates `grad E[f(z)]` for `z ~ Poisson(rate)` by EAT.

    Args:
      distribution: a `tfd.Poisson` (anything with `log_rate_parameter()`)
        whose rate depends on the parameters.
      loss_fn: callable, values `[m] + batch` -> `[m] + model_shape`.
      seed: int or stateless seed.
      context: unused (no control variate).

    Returns:
      An `EstimatorResult` whose `surrogate` is `f(z_tau)` (its gradient is
      the pathwise estimate) and whose `logits_gradient` is `None` (there
      are no logits).
    """
    del context
    with tf.name_scope(self.name):
      log_rate = tf.convert_to_tensor(distribution.log_rate_parameter())
      static = tf.get_static_value(log_rate)
      k = self.arrivals_for(None if static is None else np.exp(static))
      z = eat_arrivals.relaxed_count(
          log_rate, self.temperature, k, self.smoothing,
          seed=samplers.sanitize_seed(seed))
      value = loss_fn(z[tf.newaxis])[0]
      one = tf.ones([], value.dtype)
      return base.EstimatorResult(value, tf.stop_gradient(value),
                                  tf.zeros([], value.dtype), None, one)
