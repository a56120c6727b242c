"""UNORD: the unordered set estimator with a sample of size 2.

Kool, van Hoof & Welling (2020), "Estimating gradients for discrete random
variables by sampling without replacement", ICLR. For a sample `S` of `k`
categories without replacement, treated as a set,

```none
g_hat = sum_{s in S} pi(s) R(S, s) f(s) grad log pi(s),
R(S, s) = pi^{D \\ s}(S \\ s) / pi(S),
```

`pi(s) R(S, s)` being the probability that `s` came first given the set.
With `k = 2`, `S = {a, b}`, that weight is
`w_a = (1 - pi_b) / ((1 - pi_a) + (1 - pi_b))`. UNORD* uses the built-in
baseline of the paper (each sample's baseline is the sum-and-sample estimate
conditioned on it being first, `pi_a f(a) + (1 - pi_a) f(b)`), which for
`k = 2` collapses to

```none
g_hat* = (1-pi_a)(1-pi_b)/(2-pi_a-pi_b) (f(a) - f(b)) (grad log pi(a) -
                                                       grad log pi(b)),
```

the conditional expectation of StoRB* given the set. Both are unbiased
(`E[g_hat] = sum_a pi_a f(a) grad log pi_a`; checked in the tests). The
paper's "one category" setting is read as the smallest sample that is not
plain REINFORCE, `k = 2`: one category plus the sampled one, as for StoRB.
With several latents per learning signal each latent is treated
conditionally on the others held at the first draw (as StoRB in
`sum_and_sample`): `1 + D` evaluations of `f` for `D` latents.
"""

import tensorflow.compat.v2 as tf

from tfp_gengs.estimators import base
from tfp_gengs.estimators import sampling
from tfp_gengs.estimators import sum_and_sample

__all__ = ['UNORD']


class UNORD(base.GradientEstimator):
  """Unordered set estimator, `k = 2` (see the module docstring).

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  result = gengs.estimators.UNORD(builtin_baseline=True)(
      dist, lambda z: (z - 1.5)**2, seed=(1, 2))
  result.logits_gradient.shape    # ==> [100, 4]
  ```
  """

  def __init__(self, builtin_baseline=False, latent_ndims=0, name=None):
    self.builtin_baseline = builtin_baseline
    self.display_name = 'UNORD' + ('*' if builtin_baseline else '')
    super().__init__(latent_ndims=latent_ndims,
                     name=name or 'UNORD' + ('Star' if builtin_baseline
                                             else ''))

  def evaluations(self, num_latents):
    """Evaluations of `f` per estimate with `num_latents` latents."""
    return 2 if num_latents == 1 else 1 + num_latents

  @property
  def num_evaluations(self):
    return self.evaluations(1)

  def _estimate(self, problem, seed):
    first, second = sampling.top_two(problem.log_pi, seed)
    first, second = first[0], second[0]
    c = sum_and_sample.TwoCategories(problem, first, second)
    norm = c.rest_a + c.rest_b
    # `norm = 0` only when a latent has one possible outcome (then `a = b`
    # and the weights do not matter): split evenly instead of 0 / 0.
    degenerate = norm <= 0.
    safe_norm = tf.where(degenerate, tf.ones_like(norm), norm)
    half = 0.5 * tf.ones_like(norm)
    w_a = tf.where(degenerate, half, c.rest_b / safe_norm)
    w_b = tf.where(degenerate, half, c.rest_a / safe_norm)
    if problem.num_latents == 1:
      value = w_a * c.f_a + w_b * c.f_b
    else:
      value = c.f_base
    index = tf.stack([first, second])
    if self.builtin_baseline:
      cv = c.rest_a * c.rest_b / safe_norm * (c.f_a - c.f_b)
      weights = tf.stack([cv, -cv])
    else:
      weights = tf.stack([w_a * c.f_a, w_b * c.f_b])
    grad = problem.score_gradient_per_latent(index, tf.stop_gradient(weights))
    return value, grad, None, None
