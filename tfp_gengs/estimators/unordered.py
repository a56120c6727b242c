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
"""

import tensorflow.compat.v2 as tf

from tfp_gengs.estimators import base
from tfp_gengs.estimators import sampling
from tfp_gengs.estimators import sum_and_sample

__all__ = ['UNORD']


class UNORD(base.GradientEstimator):
  """Unordered set estimator, `k = 2` (see the module docstring)."""

  num_evaluations = 2

  def __init__(self, builtin_baseline=False, name=None):
    self.builtin_baseline = builtin_baseline
    self.display_name = 'UNORD' + ('*' if builtin_baseline else '')
    super().__init__(latent_ndims=0,
                     name=name or 'UNORD' + ('Star' if builtin_baseline
                                             else ''))

  def _estimate(self, problem, seed):
    problem.require_independent_latents(self.display_name)
    first, second = sampling.top_two(problem.log_pi, seed)
    first, second = first[0], second[0]
    fa, fb, _, _, rest_a, rest_b = sum_and_sample.two_category_losses(
        problem, first, second)
    norm = rest_a + rest_b
    w_a, w_b = rest_b / norm, rest_a / norm
    value = w_a * fa + w_b * fb
    index = tf.stack([first, second])
    if self.builtin_baseline:
      c = rest_a * rest_b / norm * (fa - fb)
      weights = tf.stack([c, -c])
    else:
      weights = tf.stack([w_a * fa, w_b * fb])
    grad = problem.score_gradient(index, tf.stop_gradient(weights))
    return value, grad, None, None
