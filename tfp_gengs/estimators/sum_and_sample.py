"""DetRB and StoRB: sum-and-sample (Rao-Blackwellised) score functions, m = 1.

Liu, Regier, Tripuraneni, Jordan & McAuliffe (2019), "Rao-Blackwellized
stochastic gradients for discrete distributions" (DetRB: the summed set is
the `m` most probable categories); Kool, van Hoof & Welling (2020),
"Estimating gradients for discrete random variables by sampling without
replacement" (StoRB: the summed set is itself sampled, the stochastic
sum-and-sample estimator, and the `*` variants with a built-in baseline).

With `m = 1` summed category `s1` and one category `s2` drawn from `pi`
restricted to the others (`q`), for any choice of `s1` independent of the
noise that draws `s2` given `s1`:

```none
E f = pi(s1) f(s1) + (1 - pi(s1)) E_{z ~ q}[f(z)]
g_hat = pi(s1) f(s1) grad log pi(s1) + (1 - pi(s1)) f(s2) grad log pi(s2)
```

is unbiased (`g = f grad log pi` summed over `s1` and sampled elsewhere).
DetRB takes `s1 = argmax pi`; StoRB takes `s1 ~ pi` and `s2` the second draw
without replacement (Gumbel-top-2). The `*` variants use `f(s1)` as the
baseline of the sampled term, subtracting its known expectation:

```none
g_hat* = (1 - pi(s1)) (f(s2) - f(s1)) grad log pi(s2)
```

(unbiased given `s1`, because `E_q[grad log pi(z)] = -grad pi(s1) /
(1 - pi(s1))` and `pi(s1) grad log pi(s1) = grad pi(s1)`). Two evaluations
of `f`. The loss estimate is `pi(s1) f(s1) + (1 - pi(s1)) f(s2)`.
"""

import tensorflow.compat.v2 as tf

from tfp_gengs.estimators import base
from tfp_gengs.estimators import sampling

__all__ = ['SumAndSample', 'DetRB', 'StoRB', 'two_category_losses']


def two_category_losses(problem, first, second):
  """`(f(s1), f(s2), pi(s1), pi(s2), 1 - pi(s1), 1 - pi(s2))`, model shape."""
  losses = problem.evaluate(problem.values(tf.stack([first, second])))
  log_p = tf.stack([tf.reduce_sum(
      tf.one_hot(i, problem.num_outcomes, dtype=problem.log_pi.dtype) *
      problem.log_pi, axis=-1) for i in (first, second)])
  # 1 - p from log p without cancellation.
  rest = -tf.math.expm1(log_p)
  return losses[0], losses[1], tf.exp(log_p[0]), tf.exp(log_p[1]), rest[0], \
      rest[1]


class SumAndSample(base.GradientEstimator):
  """Sum-and-sample with one summed category (see the module docstring)."""

  num_evaluations = 2

  def __init__(self, stochastic, builtin_baseline=False, name=None):
    self.stochastic = stochastic
    self.builtin_baseline = builtin_baseline
    base_name = 'StoRB' if stochastic else 'DetRB'
    self.display_name = base_name + ('*' if builtin_baseline else '')
    super().__init__(
        latent_ndims=0,
        name=name or base_name + ('Star' if builtin_baseline else ''))

  def _estimate(self, problem, seed):
    problem.require_independent_latents(self.display_name)
    if self.stochastic:
      first, second = sampling.top_two(problem.log_pi, seed)
      first, second = first[0], second[0]
    else:
      first = tf.argmax(problem.log_pi, axis=-1, output_type=tf.int32)
      _, noisy = sampling.gumbel_max(problem.log_pi, 1, seed)
      second = sampling.second_given(noisy[0], first)
    f1, f2, p1, _, rest1, _ = two_category_losses(problem, first, second)
    value = p1 * f1 + rest1 * f2
    index = tf.stack([first, second])
    if self.builtin_baseline:
      weights = tf.stack([tf.zeros_like(f1), rest1 * (f2 - f1)])
    else:
      weights = tf.stack([p1 * f1, rest1 * f2])
    grad = problem.score_gradient(index, tf.stop_gradient(weights))
    return value, grad, None, None


def DetRB(builtin_baseline=False):  # pylint: disable=invalid-name
  """DetRB (Liu et al. 2019), `m = 1`; `builtin_baseline` gives DetRB*."""
  return SumAndSample(stochastic=False, builtin_baseline=builtin_baseline)


def StoRB(builtin_baseline=False):  # pylint: disable=invalid-name
  """StoRB (Kool et al. 2020), `m = 1`; `builtin_baseline` gives StoRB*."""
  return SumAndSample(stochastic=True, builtin_baseline=builtin_baseline)
