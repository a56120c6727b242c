"""REINFORCE and REINFORCE with the leave-one-out baseline (RF*).

REINFORCE (Williams 1992), the score-function estimator:

```none
g_hat = (1/k) sum_s f(z_s) grad log pi(z_s),          z_s ~ pi i.i.d.
```

RF* (Kool, van Hoof & Welling 2019, "Buy 4 REINFORCE samples, get a baseline
for free!"; the built-in control variate the `*` estimators of Kool et al.
2020 use): every sample's baseline is the mean loss of the other samples,

```none
g_hat = (1/k) sum_s (f(z_s) - (1/(k-1)) sum_{j != s} f(z_j)) grad log pi(z_s)
      = 1/(k-1) sum_s (f(z_s) - mean_j f(z_j)) grad log pi(z_s).
```

Both are unbiased; RF* needs `k >= 2` evaluations of `f`.
"""

import tensorflow.compat.v2 as tf

from tfp_gengs.estimators import base
from tfp_gengs.estimators import baselines
from tfp_gengs.estimators import sampling

__all__ = ['REINFORCE', 'RFStar']


class REINFORCE(base.GradientEstimator):
  """Score-function estimator with `num_samples` i.i.d. samples.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  estimator = gengs.estimators.REINFORCE(num_samples=3)
  result = estimator(dist, lambda z: (z - 1.5)**2, seed=(1, 2))
  result.surrogate.shape          # ==> [100]
  estimator.num_evaluations       # ==> 3
  ```
  """

  display_name = 'REINFORCE'

  def __init__(self, num_samples=1, latent_ndims=0, name='REINFORCE'):
    super().__init__(latent_ndims=latent_ndims, name=name)
    self.num_samples = int(num_samples)
    self.num_evaluations = self.num_samples

  def _baseline(self, losses):
    del losses
    return 0.

  def _estimate(self, problem, seed):
    index, _ = sampling.gumbel_max(problem.log_pi, self.num_samples, seed)
    losses = problem.evaluate(problem.values(index))
    k = tf.cast(self.num_samples, losses.dtype)
    signal = tf.stop_gradient(losses - self._baseline(losses))
    grad = problem.score_gradient(index, signal / k)
    return tf.reduce_mean(losses, axis=0), grad, None, None


class RFStar(REINFORCE):
  """RF*: REINFORCE with the leave-one-out baseline of `num_samples >= 2`.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  result = gengs.estimators.RFStar(4)(dist, lambda z: (z - 1.5)**2,
                                     seed=(1, 2))
  result.logits_gradient.shape    # ==> [100, 4]
  ```
  """

  display_name = 'RF*'

  def __init__(self, num_samples=2, latent_ndims=0, name='RFStar'):
    if num_samples < 2:
      raise ValueError('RF* needs `num_samples >= 2`.')
    super().__init__(num_samples, latent_ndims=latent_ndims, name=name)

  def _baseline(self, losses):
    return baselines.leave_one_out(losses)
