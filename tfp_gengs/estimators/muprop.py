"""MuProp: a first-order Taylor expansion of `f` as control variate.

Gu, Levine, Sutskever & Mnih (2016), "MuProp: Unbiased backpropagation for
stochastic neural networks". Expand `f` around the mean-field value
`zbar = E[z] = sum_k pi_k c_k`:

```none
h(z)  = f(zbar) + f'(zbar) . (z - zbar)
g_hat = (f(z) - h(z)) grad log pi(z) + f'(zbar) . grad E[z]
grad_logits_k E[z] = pi_k (c_k - zbar)
```

Since `E[h(z)] = f(zbar)`, whose gradient with `zbar` held fixed is
`f'(zbar) . grad E[z]`, the estimator is unbiased. Two evaluations of `f`
(at `z` and `zbar`) and one derivative.
"""

import tensorflow.compat.v2 as tf

from tfp_gengs.estimators import base
from tfp_gengs.estimators import sampling

__all__ = ['MuProp']


class MuProp(base.GradientEstimator):
  """MuProp estimator (see the module docstring).

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  result = gengs.estimators.MuProp()(dist, lambda z: (z - 1.5)**2,
                                     seed=(1, 2))
  float(result.aux_loss)          # ==> 0.
  ```
  """

  display_name = 'MuProp'
  num_evaluations = 2

  def __init__(self, latent_ndims=0, name='MuProp'):
    super().__init__(latent_ndims=latent_ndims, name=name)

  def _estimate(self, problem, seed):
    index, _ = sampling.gumbel_max(problem.log_pi, 1, seed)
    z = problem.values(index[0])                       # batch + event
    zbar = problem.project(problem.pi)                 # batch + event
    with tf.GradientTape() as tape:
      tape.watch(zbar)
      losses = problem.evaluate(tf.stack([z, zbar]))
      at_mean = tf.reduce_sum(losses[1])
    slope = tf.stop_gradient(tape.gradient(at_mean, zbar))
    event_axes = list(range(-problem.event_ndims, 0))

    def dot_event(x):
      return tf.reduce_sum(x, axis=event_axes) if event_axes else x

    taylor = losses[1] + problem.reduce_latent(dot_event(slope * (z - zbar)))
    signal = tf.stop_gradient(losses[0] - taylor)
    grad = problem.score_gradient(index, signal[tf.newaxis])
    # f'(zbar) . grad_logits E[z]: pi_k (c_k - zbar) . f'(zbar).
    if problem.event_ndims:
      spread = problem.outcomes - zbar[..., tf.newaxis, :]   # batch + [n, d]
      mean_term = tf.reduce_sum(spread * slope[..., tf.newaxis, :], axis=-1)
    else:
      mean_term = (problem.outcomes - zbar[..., tf.newaxis]) * slope[
          ..., tf.newaxis]
    grad += problem.pi * mean_term
    return losses[0], grad, None, None
