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
           GenGS on pi restricted to the other categories (pi_rest):
           E f ~ pi(c*) f(c*) + (1 - pi(c*)) f(T(softmax((log pi_rest + g)
           / tau)))
           g_hat = grad of that expression (pi(c*) and the relaxed sample are
           both differentiable).
```

All three are biased for `grad E[f(z)]`: the bias vanishes as `tau -> 0`
(Theorem 4) while the variance of the relaxed gradient grows like `1/tau`.
The relaxed sample is the core library's `relaxed_outcomes`, the same one
`RelaxedTruncatedDiscrete` and the Keras layers draw.
"""

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import samplers

from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.estimators import base
from tfp_gengs.estimators import sampling

__all__ = ['GenGS', 'GenGSStraightThrough', 'GenGSRB']


class GenGS(base.GradientEstimator):
  """Relaxed GenGS (pathwise gradient of `f(T(GS(pi, tau)))`)."""

  unbiased = False
  display_name = 'GenGS'
  straight_through = False

  def __init__(self, temperature=1., latent_ndims=0, name='GenGS'):
    super().__init__(latent_ndims=latent_ndims, name=name)
    self.temperature = temperature

  def _estimate(self, problem, seed):
    def relaxed_loss(p):
      z = gumbel_softmax.relaxed_outcomes(
          p.log_pi, self.temperature, p.outcomes, seed=seed,
          straight_through=self.straight_through)
      return (p.evaluate(z[tf.newaxis])[0],)

    (value,), grad = base.logits_gradient_of(problem, relaxed_loss)
    return value, grad, None, None


class GenGSStraightThrough(GenGS):
  """GenGS-ST: exact forward sample, relaxed backward gradient."""

  display_name = 'GenGS-ST'
  straight_through = True

  def __init__(self, temperature=1., latent_ndims=0, name='GenGSST'):
    super().__init__(temperature, latent_ndims=latent_ndims, name=name)


class GenGSRB(GenGS):
  """GenGS-RB (m = 1): the mode summed exactly, the rest relaxed by GenGS."""

  display_name = 'GenGS-RB'
  num_evaluations = 2

  def __init__(self, temperature=1., latent_ndims=0, name='GenGSRB'):
    super().__init__(temperature, latent_ndims=latent_ndims, name=name)

  def _estimate(self, problem, seed):
    problem.require_independent_latents('GenGS-RB')
    mode = tf.argmax(problem.log_pi, axis=-1, output_type=tf.int32)
    seed = samplers.sanitize_seed(seed)

    def rao_blackwellized_loss(p):
      rest = gumbel_softmax.relaxed_outcomes(
          sampling.masked(p.log_pi, mode), self.temperature, p.outcomes,
          seed=seed)
      losses = p.evaluate(tf.stack([p.values(mode), rest]))
      p_mode = p.prob_of(mode)
      return (p_mode * losses[0] + (1. - p_mode) * losses[1],)

    (value,), grad = base.logits_gradient_of(problem,
                                             rao_blackwellized_loss)
    return value, grad, None, None
