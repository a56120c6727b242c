"""ReinMax and Gumbel-Rao: exact outcomes forward, low-bias gradients back.

Both evaluate `f` once, at an exact sample `z = T(D)` of the truncated
distribution (the model that is trained is the model that is evaluated),
and replace straight-through's backward pass (`sample_gradients`):

```none
ReinMax:     g_hat = 2 J(pi_half)^T grad_D f - 1/2 J(pi)^T grad_D f,
             pi_half = (softmax(log pi / tau) + D) / 2
             (Liu et al., "Bridging Discrete and Backpropagation:
             Straight-Through and Beyond", NeurIPS 2023)
Gumbel-Rao:  g_hat = grad (1/K) sum_j f_lin(T(softmax((log pi + g_j)/tau))),
             g_j ~ Gumbel | argmax = D
             (Paulus, Maddison & Krause, "Rao-Blackwellizing the
             Straight-Through Gumbel-Softmax Gradient Estimator", ICLR 2021)
```

with `J(p)^T v = p * v - p <p, v>` and `f_lin` the first-order expansion of
`f` at `T(D)`. Both are biased for `grad E[f]`. ReinMax is exact for losses
quadratic in `D` at `tau = 1` (second-order accurate; the authors recommend
`tau >= 1`); Gumbel-Rao has straight-through's mean at the same `tau` with
less variance.
"""

from tfp_gengs.distributions import sample_gradients
from tfp_gengs.estimators import gengs

__all__ = ['ReinMax', 'GumbelRao']


class ReinMax(gengs.GenGS):
  """ReinMax: the second-order (Heun) straight-through estimator.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  logits = tf.Variable(tf.zeros([100, 4]))              # 100 problems
  with tf.GradientTape() as tape:
    dist = gengs.TruncatedDiscrete([0., 1., 2., 5.], logits=logits)
    result = gengs.estimators.ReinMax(1.)(dist, lambda z: (z - 1.5)**2,
                                          seed=(1, 2))
  # f at exact outcomes: (c - 1.5)^2 for c in {0, 1, 2, 5}.
  set(result.loss.numpy().tolist()) <= {2.25, 0.25, 12.25}   # ==> True
  tape.gradient(result.surrogate, logits).shape              # ==> [100, 4]
  ```
  """

  display_name = 'ReinMax'
  gradient = 'reinmax'

  def __init__(self, temperature=1., latent_ndims=0, name='ReinMax'):
    super().__init__(temperature, latent_ndims=latent_ndims, name=name)


class GumbelRao(gengs.GenGS):
  """Gumbel-Rao MC-K: straight-through Rao-Blackwellised over `K` Gumbels.

  Args:
    temperature: the relaxation's temperature.
    num_samples: `K`, conditional Gumbel draws per sample (one evaluation
      of `f` whatever `K`).
    latent_ndims: latents per learning signal.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  estimator = gengs.estimators.GumbelRao(0.5, num_samples=10)
  result = estimator(dist, lambda z: (z - 1.5)**2, seed=(1, 2))
  estimator.display_name            # ==> Gumbel-Rao(10)
  ```
  """

  def __init__(self, temperature=1., num_samples=None, latent_ndims=0,
               name='GumbelRao'):
    super().__init__(temperature, latent_ndims=latent_ndims, name=name)
    if num_samples is None:
      num_samples = sample_gradients.DEFAULT_GUMBEL_RAO_SAMPLES
    sample_gradients.check_gradient('gumbel_rao', num_samples)
    self.gradient = 'gumbel_rao'
    self.num_samples = num_samples
    self.display_name = f'Gumbel-Rao({num_samples})'
