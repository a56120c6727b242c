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

#### Several latents per learning signal (`latent_ndims > 0`, a VAE)

Summing over the categories of `D` latents jointly needs `m^D` evaluations
(paper §6.1). Instead, each latent `j` is Rao-Blackwellised conditionally on
the others held at a base sample `z_{-j} = b_{-j}` (drawn from `pi_{-j}`,
independent of latent `j`'s noise), which keeps every estimator unbiased:

```none
g_hat_j = pi_j(s1) f(b_{-j}, s1_j) grad log pi_j(s1_j)
          + (1 - pi_j(s1)) f(b_{-j}, s2_j) grad log pi_j(s2_j)
```

StoRB(*) takes `b = s1` (itself a sample from `pi`), so `f(b_{-j}, s1_j) =
f(s1)` is shared: `1 + D` evaluations of `f`. DetRB(*) needs a separate
base: the Gumbel-Max sample `b = argmax(log pi + g)` of the same noise that
draws `s2` (its latents are independent), and `f` at `(b_{-j}, s1_j)` and
`(b_{-j}, s2_j)` for every `j`: `1 + 2 D` evaluations. The loss estimate is
then `f(b)`.
"""

import tensorflow.compat.v2 as tf

from tfp_gengs.estimators import base
from tfp_gengs.estimators import sampling

__all__ = ['SumAndSample', 'DetRB', 'StoRB', 'TwoCategories']


class TwoCategories:
  """`f`, `pi` and `1 - pi` at two categories `a`, `b` of every latent.

  Attributes (`batch_shape`, one per latent, unless said otherwise):
    f_a, f_b: `f` with latent `j` at `a_j` (resp. `b_j`) and the others at
      the base sample.
    p_a, rest_a, rest_b: `pi_j(a_j)`, `1 - pi_j(a_j)`, `1 - pi_j(b_j)`.
    f_base: `model_shape`, `f` at the base sample (`None` with one latent
      and a separate base: not needed there).
  """

  def __init__(self, problem, first, second, base_index=None):
    if problem.num_latents == 1:           # f at s1 and s2 only
      losses = problem.evaluate(problem.values(tf.stack([first, second])))
      f_first, f_second = losses[0], losses[1]
      self.f_base = f_first if base_index is None else None
    else:
      shared = base_index is None          # the base sample is `first`
      base_index = first if shared else base_index
      swaps = [problem.one_at_a_time(base_index, second)]
      if not shared:
        swaps.insert(0, problem.one_at_a_time(base_index, first))
      # `f` at the base carries the value (and the gradient of `f`'s own
      # parameters); the swapped points only weight scores, so they are
      # evaluated apart and stopped: backpropagation skips their `D` (or
      # `2 D`) evaluations.
      self.f_base = problem.evaluate(
          problem.values(base_index[tf.newaxis]))[0]
      swapped = tf.stop_gradient(problem.evaluate(
          problem.values(tf.concat(swaps, 0))))
      d = problem.num_latents
      f_first = (problem.broadcast_to_latents(self.f_base) if shared else
                 problem.per_latent(swapped[:d]))
      f_second = problem.per_latent(swapped[-d:])
    self.f_a, self.f_b = f_first, f_second
    log_p = tf.stack([problem.log_prob_of(first),
                      problem.log_prob_of(second)])
    rest = -tf.math.expm1(log_p)           # 1 - p without cancellation
    self.p_a = tf.exp(log_p[0])
    self.rest_a, self.rest_b = rest[0], rest[1]


class SumAndSample(base.GradientEstimator):
  """Sum-and-sample with one summed category (see the module docstring).

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  storb = gengs.estimators.SumAndSample(stochastic=True,
                                       builtin_baseline=True)
  result = storb(dist, lambda z: (z - 1.5)**2, seed=(1, 2))
  storb.display_name == 'StoRB*'  # ==> True
  ```
  """

  def __init__(self, stochastic, builtin_baseline=False, latent_ndims=0,
               name=None):
    self.stochastic = stochastic
    self.builtin_baseline = builtin_baseline
    base_name = 'StoRB' if stochastic else 'DetRB'
    self.display_name = base_name + ('*' if builtin_baseline else '')
    super().__init__(
        latent_ndims=latent_ndims,
        name=name or base_name + ('Star' if builtin_baseline else ''))

  def evaluations(self, num_latents):
    """Evaluations of `f` per estimate with `num_latents` latents."""
    if num_latents == 1:
      return 2
    return 1 + (1 if self.stochastic else 2) * num_latents

  @property
  def num_evaluations(self):
    return self.evaluations(1)

  def _estimate(self, problem, seed):
    if self.stochastic:
      first, second = sampling.top_two(problem.log_pi, seed)
      first, second, base_index = first[0], second[0], None
    else:
      first = tf.argmax(problem.log_pi, axis=-1, output_type=tf.int32)
      index, noisy = sampling.gumbel_max(problem.log_pi, 1, seed)
      second = sampling.second_given(noisy[0], first)
      base_index = index[0]
    c = TwoCategories(problem, first, second, base_index)
    if problem.num_latents == 1:
      value = c.p_a * c.f_a + c.rest_a * c.f_b
    else:
      value = c.f_base
    index = tf.stack([first, second])
    if self.builtin_baseline:
      weights = tf.stack([tf.zeros_like(c.f_a), c.rest_a * (c.f_b - c.f_a)])
    else:
      weights = tf.stack([c.p_a * c.f_a, c.rest_a * c.f_b])
    grad = problem.score_gradient_per_latent(index, tf.stop_gradient(weights))
    return value, grad, None, None


def DetRB(builtin_baseline=False, latent_ndims=0):  # pylint: disable=invalid-name
  """DetRB (Liu et al. 2019), `m = 1`; `builtin_baseline` gives DetRB*.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  result = gengs.estimators.DetRB()(dist, lambda z: (z - 1.5)**2,
                                    seed=(1, 2))
  gengs.estimators.DetRB().evaluations(50)   # ==> 101
  ```
  """
  return SumAndSample(stochastic=False, builtin_baseline=builtin_baseline,
                      latent_ndims=latent_ndims)


def StoRB(builtin_baseline=False, latent_ndims=0):  # pylint: disable=invalid-name
  """StoRB (Kool et al. 2020), `m = 1`; `builtin_baseline` gives StoRB*.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  # 8 examples x 50 latents: 1 + 50 evaluations of f per estimate.
  dist = gengs.TruncatedDiscrete([0., 1., 2.], logits=tf.zeros([8, 50, 3]))
  storb = gengs.estimators.StoRB(builtin_baseline=True, latent_ndims=1)
  result = storb(dist, lambda z: tf.reduce_sum(z, -1), seed=(1, 2))
  storb.evaluations(50)           # ==> 51
  ```
  """
  return SumAndSample(stochastic=True, builtin_baseline=builtin_baseline,
                      latent_ndims=latent_ndims)
