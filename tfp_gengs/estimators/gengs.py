"""GenGS: the Generalized Gumbel-Softmax estimator and its variants.

Joo, Kim, Shin & Moon, "Generalized Gumbel-Softmax Gradient Estimator for
Various Discrete Random Variables" (§3-4, §6.1). With the truncated PMF `pi`,
outcome values `c` and Gumbel noise `g`:

```none
GenGS:     z_tau = T(softmax((log pi + g) / tau)),  T(x) = sum_k c_k x_k
           g_hat = grad f(z_tau)                          (pathwise)
GenGS-ST:  forward  z = T(one_hot(argmax(log pi + g)))  (the exact sample)
           backward the gradient of z_tau                 (straight-through,
           Bengio et al. 2013; Jang et al. 2017)
GenGS-RB:  the Rao-Blackwellised adaptation with m = 1 (paper §6.1): the
           most probable category c* is summed exactly, the rest estimated by
           GenGS. The paper's sentence admits two constructions
           (`construction=`):
           'restricted' (default): the rest is relaxed on pi restricted to
             the other categories (pi_rest),
             E f ~ pi(c*) f(c*) + (1 - pi(c*)) f(T(GS(pi_rest, tau)))
             g_hat = grad of that expression (pi(c*) and the relaxed sample
             are both differentiable);
           'detached' (the Rao-Blackwellisation reference code of Liu et al.
             2019, whose relaxed estimator ignores the summed category):
             two unconditional relaxed samples weighted by the stopped pi(c*),
             stop(pi(c*)) f(T(GS_1(pi))) + (1 - stop(pi(c*))) f(T(GS_2(pi))).
```

With several latents per learning signal (`latent_ndims > 0`), GenGS-RB
treats each latent conditionally on the others held at a relaxed base
sample (as the sum-and-sample estimators do): `1 + 2 D` evaluations of `f`
for `D` latents.

All three are biased for `grad E[f(z)]`: the bias vanishes as `tau -> 0`
(Theorem 4) while the variance of the relaxed gradient grows like `1/tau`.
The relaxed sample is the core library's `relaxed_outcomes`, the same one
`RelaxedTruncatedDiscrete` and the Keras layers draw.
"""

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import samplers

from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.distributions import sample_gradients
from tfp_gengs.estimators import base
from tfp_gengs.estimators import sampling

__all__ = ['GenGS', 'GenGSStraightThrough', 'GenGSRB']


class GenGS(base.GradientEstimator):
  """Relaxed GenGS (pathwise gradient of `f(T(GS(pi, tau)))`).

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  w = tf.Variable(1.5)                  # the loss's own parameter
  with tf.GradientTape() as tape:
    result = gengs.estimators.GenGS(0.5)(dist, lambda z: (z - w)**2,
                                         seed=(1, 2))
    total = tf.reduce_mean(result.surrogate)
  tape.gradient(total, w) is not None   # ==> True
  ```
  """

  unbiased = False
  display_name = 'GenGS'
  # The sample's gradient (`sample_gradients.GRADIENTS`): subclasses that
  # evaluate `f` at exact outcomes change only this (and `num_samples`).
  gradient = 'relaxed'
  num_samples = None

  def __init__(self, temperature=1., latent_ndims=0, name='GenGS'):
    super().__init__(latent_ndims=latent_ndims, name=name)
    self.temperature = temperature

  @property
  def straight_through(self):
    """Whether `f` is evaluated at exact outcomes (any hard gradient)."""
    return self.gradient in sample_gradients.HARD_GRADIENTS

  def _estimate(self, problem, seed):
    def relaxed_loss(p):
      z = sample_gradients.outcome_sample(
          p.log_pi, self.temperature, p.outcomes, self.gradient, seed=seed,
          num_samples=self.num_samples)
      return (p.evaluate(z[tf.newaxis])[0],)

    (value,), grad = base.logits_gradient_of(problem, relaxed_loss)
    return value, grad, None, None


class GenGSStraightThrough(GenGS):
  """GenGS-ST: exact forward sample, relaxed backward gradient.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  result = gengs.estimators.GenGSStraightThrough(0.5)(
      dist, lambda z: z, seed=(1, 2))
  # The forward value is an exact outcome.
  bool(tf.reduce_all(tf.reduce_any(
      result.loss[:, None] == [0., 1., 2., 5.], -1)))   # ==> True
  ```
  """

  display_name = 'GenGS-ST'
  gradient = 'straight_through'

  def __init__(self, temperature=1., latent_ndims=0, name='GenGSST'):
    super().__init__(temperature, latent_ndims=latent_ndims, name=name)


class GenGSRB(GenGS):
  """GenGS-RB (m = 1): the mode summed exactly, the rest relaxed by GenGS.

  Args:
    temperature: the relaxation's temperature.
    construction: `'restricted'` (default) or `'detached'`, the two readings
      of the paper's sentence (see the module docstring).
    latent_ndims: latents per learning signal.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  rb = gengs.estimators.GenGSRB(0.5, construction='detached')
  result = rb(dist, lambda z: (z - 1.5)**2, seed=(1, 2))
  rb.display_name                 # ==> e.g. GenGS-RB(detached)
  ```
  """

  display_name = 'GenGS-RB'
  num_evaluations = 2
  CONSTRUCTIONS = ('restricted', 'detached')

  def __init__(self, temperature=1., construction='restricted',
               latent_ndims=0, name='GenGSRB'):
    super().__init__(temperature, latent_ndims=latent_ndims, name=name)
    if construction not in self.CONSTRUCTIONS:
      raise ValueError(f'`construction` must be one of {self.CONSTRUCTIONS}; '
                       f'got {construction!r}.')
    self.construction = construction
    if construction == 'detached':
      self.display_name = 'GenGS-RB(detached)'

  def evaluations(self, num_latents):
    """Evaluations of `f` per estimate with `num_latents` latents."""
    return 2 if num_latents == 1 else 1 + 2 * num_latents

  def _estimate(self, problem, seed):
    mode = tf.argmax(problem.log_pi, axis=-1, output_type=tf.int32)
    base_seed, first_seed, second_seed = samplers.split_seed(
        samplers.sanitize_seed(seed), n=3)
    restricted = self.construction == 'restricted'

    def relaxed(log_pi, relax_seed):
      return gumbel_softmax.relaxed_outcomes(log_pi, self.temperature,
                                             problem.outcomes, seed=relax_seed)

    def rao_blackwellized_loss(p):
      if restricted:   # f(c*) exactly, the rest relaxed on pi_rest
        first = p.values(mode)
        second = relaxed(sampling.masked(p.log_pi, mode), second_seed)
        weight = p.prob_of(mode)
      else:            # two relaxed samples of pi, weighted by stop(pi*)
        first = relaxed(p.log_pi, first_seed)
        second = relaxed(p.log_pi, second_seed)
        weight = tf.stop_gradient(p.prob_of(mode))
      if p.num_latents == 1:
        losses = p.evaluate(tf.stack([first, second]))
        return (weight * losses[0] + (1. - weight) * losses[1],)
      # Latent j conditionally on the others at a relaxed base sample (no
      # gradient through it): its terms carry latent j's gradient only.
      base = tf.stop_gradient(relaxed(p.log_pi, base_seed))
      d = p.num_latents
      points = tf.concat(
          [base[tf.newaxis]] +
          [p.one_at_a_time(base, x, p.event_ndims) for x in (first, second)],
          0)
      losses = p.evaluate(points)
      per_latent = (weight * p.per_latent(losses[1:1 + d]) +
                    (1. - weight) * p.per_latent(losses[1 + d:]))
      # Value f(base) (its gradient for f's own parameters); the logits'
      # gradient comes from the per-latent terms, whose value is removed.
      total = p.reduce_latent(per_latent)
      return (losses[0] + total - tf.stop_gradient(total),)

    (value,), grad = base.logits_gradient_of(problem,
                                             rao_blackwellized_loss)
    return value, grad, None, None
