"""NVIL: a learned input-dependent baseline and variance normalisation.

Mnih & Gregor (2014), "Neural variational inference and learning in belief
networks", §3. With `z ~ pi` and a network `b_psi(x)` of the input `x`:

```none
l      = f(z) - b_psi(x) - c                 (c: running mean of f - b_psi)
g_hat  = l grad log pi(z)                    (unbiased: c, b_psi do not
                                              depend on z)
update = g_hat / max(1, sqrt(v))             (v: running variance of l)
aux    = mean (f(z) - b_psi(x) - c)^2        (trains b_psi)
```

`c` and `v` are exponential moving averages with decay 0.8 (as in the paper),
read before being updated with the current batch so that `g_hat` stays
unbiased (the first call, with no statistics yet, takes `v` from its own
batch: a scale only). The network predicts the normalised signal,
`b_psi(x) = max(1, sqrt(v)) net(x)`, and is trained on
`((f - c) / max(1, sqrt(v)) - net(x))^2`: NVIL's regression, rescaled so
that one learning rate suits losses of any magnitude. The input `x` is the
`context` passed to the estimator, `model_shape + [c]` (e.g. the data point
of a VAE); without one, the network sees the distribution's own
probabilities `pi` per latent (summed over the latents), an input-dependent
baseline that needs nothing else. One evaluation of `f` per estimate,
whatever the number of latents.
`logits_gradient` is `g_hat`; the surrogate's gradient is the normalised
update (`gradient_scale = 1 / max(1, sqrt(v))`), as NVIL trains with it.
"""

import tensorflow.compat.v2 as tf

from tfp_gengs.estimators import base
from tfp_gengs.estimators import baselines
from tfp_gengs.estimators import sampling

__all__ = ['NVIL']


class NVIL(base.GradientEstimator):
  """NVIL estimator (see the module docstring).

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  x = tf.random.stateless_normal([100, 3], seed=(0, 1))   # the inputs
  estimator = gengs.estimators.NVIL(latent_ndims=0)
  result = estimator(dist, lambda z: (z - 1.5)**2, seed=(1, 2), context=x)
  # Train the baseline network on `aux_loss`, the encoder on `surrogate`.
  len(estimator.trainable_variables)   # ==> 4
  ```
  """

  display_name = 'NVIL'

  def __init__(self, hidden_units=32, decay=0.8, normalize_variance=True,
               latent_ndims=0, seed=0, display_name=None, name='NVIL'):
    super().__init__(latent_ndims=latent_ndims, name=name)
    if display_name:
      self.display_name = display_name
    self.baseline = baselines.MLP(hidden_units, seed=seed, name='baseline')
    self.moments = baselines.RunningMoments(decay, name='moments')
    self.normalize_variance = normalize_variance

  def reset(self):
    self.baseline.reset()
    self.moments.reset()

  def _estimate(self, problem, seed):
    index, _ = sampling.gumbel_max(problem.log_pi, 1, seed)
    # `value` keeps the gradient of f's own parameters (a decoder's weights);
    # the learning signal is stopped.
    value = problem.evaluate(problem.values(index))[0]
    losses = tf.stop_gradient(value)
    centre = tf.cast(self.moments.mean.read_value(), losses.dtype)
    variance = tf.cast(self.moments.variance.read_value(), losses.dtype)
    # Before the first update there are no statistics: take the scale from
    # this batch (a positive factor only, so the estimate stays unbiased).
    batch_variance = tf.math.reduce_variance(losses)
    variance = tf.where(self.moments.initialized, variance, batch_variance)
    std = tf.maximum(tf.ones([], losses.dtype), tf.sqrt(variance))
    # The network predicts the normalised signal, so its learning rate does
    # not depend on the scale of f: b_psi(x) = std * net(x).
    if problem.context is not None:     # b_psi(x): one per learning signal
      normalised = self.baseline(tf.cast(problem.context, losses.dtype))
    else:                               # b_psi(pi), summed over the latents
      normalised = problem.reduce_latent(self.baseline(problem.pi))
    learned = tf.stop_gradient(std) * normalised
    signal = losses - learned - centre
    with tf.control_dependencies([centre, variance]):
      self.moments.update(losses - learned)
    grad = problem.score_gradient(index,
                                  tf.stop_gradient(signal)[tf.newaxis])
    aux = tf.reduce_mean(tf.square(signal / tf.stop_gradient(std)))
    scale = 1. / std if self.normalize_variance else None
    return value, grad, aux, scale
