"""REBAR and RELAX for categorical (and so every truncated) variables.

Tucker, Mnih, Maddison, Lawson & Sohl-Dickstein (2017), "REBAR: Low-variance,
unbiased gradient estimates for discrete latent variable models"; Grathwohl,
Choi, Wu, Roeder & Duvenaud (2018), "Backpropagation through the void:
optimizing control variates for black-box gradient estimation" (RELAX).

With noisy logits `v = log pi + g`, `b = argmax v` (so `z = c_b ~ pi`),
conditional noisy logits `v~ ~ p(v | b)` (`sampling.conditional_gumbel`) and
a control variate `c_phi` of the relaxed sample:

```none
g_hat = (f(c_b) - c_phi(v~)) grad log pi(b) + grad c_phi(v) - grad c_phi(v~)
```

unbiased for any `c_phi` (`v` and `v~` are both reparameterised in `pi`, and
`E[c(v)] = E_b E[c(v~) | b]`).

* REBAR: `c_phi(v) = eta f(T(softmax(v / tau)))`, the GenGS relaxation of
  the same sample; `eta` and `log tau` are learned by the variance loss below
  (as Tucker et al. tune them online).
* RELAX: `c_phi(v) = eta f(T(softmax(v / tau))) + r_rho(softmax(v / tau), x)`
  with `r_rho` a one-hidden-layer network (32 tanh units) of the relaxed
  one-hot samples of all the latents of one learning signal (flattened) and
  the `context` x (`model_shape + [c]`).

`phi` (`eta`, `log tau`, `r_rho`) is trained to minimise the single-sample
estimate of the gradient variance, `aux = sum (g_hat)^2` (its expectation is
the variance plus a constant). This is the variance of the gradient for the
*logits*, a proxy for the variance of the gradient for the upstream
parameters (an encoder's weights), which would need a Jacobian per example;
Grathwohl et al. do the same for their discrete experiments. The returned
`aux_loss`'s gradient reaches only `phi` (see `base`), never `f`'s own
parameters. Three evaluations of `f` (at `c_b`, `v`, `v~`) whatever the
number of latents: the conditional noise `v~` is drawn for all latents
jointly.
"""

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import samplers

from tfp_gengs.estimators import base
from tfp_gengs.estimators import baselines
from tfp_gengs.estimators import sampling

__all__ = ['REBAR', 'RELAX']


class REBAR(base.GradientEstimator):
  """REBAR with learned `eta` and temperature (see the module docstring).

  #### Examples

  ```python
  import tensorflow as tf
  import tensorflow_probability as tfp
  import tfp_gengs as gengs
  tfd = tfp.distributions

  # 100 problems: Poisson(3) truncated to {0, ..., 12}.
  dist = gengs.truncate(tfd.Poisson(tf.fill([100], 3.)), high=12)
  rebar = gengs.estimators.REBAR(temperature=0.5)
  with tf.GradientTape() as tape:
    result = rebar(dist, lambda z: (z - 2.5)**2, seed=(1, 2))
  # eta and log tau are trained on the variance loss.
  grads = tape.gradient(result.aux_loss, rebar.trainable_variables)
  len(grads)                      # ==> 2
  ```
  """

  display_name = 'REBAR'
  num_evaluations = 3

  def __init__(self, temperature=1., eta=1., learn_temperature=True,
               learn_eta=True, latent_ndims=0, name='REBAR'):
    super().__init__(latent_ndims=latent_ndims, name=name)
    self._initial = (float(np.log(temperature)), float(eta))
    self.log_temperature = tf.Variable(self._initial[0],
                                       trainable=learn_temperature,
                                       name='log_temperature')
    self.eta = tf.Variable(self._initial[1], trainable=learn_eta, name='eta')

  def reset(self):
    self.log_temperature.assign(self._initial[0])
    self.eta.assign(self._initial[1])

  def _residual(self, problem, relaxed_one_hot):
    """The learned part of the control variate (none for REBAR)."""
    del problem, relaxed_one_hot
    return None

  def _estimate(self, problem, seed):
    noise_seed, conditional_seed = samplers.split_seed(seed)
    dtype = problem.log_pi.dtype
    g = sampling.gumbel(problem.log_pi, 1, noise_seed)[0]
    b = tf.argmax(problem.log_pi + g, axis=-1, output_type=tf.int32)
    u = sampling.uniform(tf.shape(problem.log_pi), dtype, conditional_seed)
    temperature = tf.exp(tf.cast(self.log_temperature, dtype))
    eta = tf.cast(self.eta, dtype)

    def control_variates(p):
      v = p.log_pi + g
      v_cond = sampling.conditional_gumbel(p.log_pi, b, u)
      relaxed = sampling.relaxed(tf.stack([v, v_cond]), temperature)
      points = tf.concat([p.values(b)[tf.newaxis], p.project(relaxed)], 0)
      losses = p.evaluate(points)
      c = eta * losses[1:]
      residual = self._residual(p, relaxed)
      if residual is not None:
        c += residual
      # Differentiated: c(v) - c(v~); also returned: f(c_b), c(v~).
      return c[0] - c[1], losses[0], c[1]

    (_, hard_loss, c_cond), path_grad = base.logits_gradient_of(
        problem, control_variates)
    signal = tf.stop_gradient(hard_loss) - c_cond
    grad = problem.score_gradient(b[tf.newaxis], signal[tf.newaxis]) + \
        path_grad
    per_element = problem.reduce_latent(tf.reduce_sum(tf.square(grad),
                                                      axis=-1))
    aux = tf.reduce_mean(per_element)
    return hard_loss, grad, aux, None


class RELAX(REBAR):
  """RELAX: REBAR's control variate plus a learned network `r_rho`.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  relax = gengs.estimators.RELAX(temperature=0.5)
  result = relax(dist, lambda z: (z - 1.5)**2, seed=(1, 2))
  relax.num_evaluations           # ==> 3
  ```
  """

  display_name = 'RELAX'

  def __init__(self, temperature=1., eta=1., hidden_units=32, seed=0,
               latent_ndims=0, name='RELAX'):
    super().__init__(temperature, eta, latent_ndims=latent_ndims, name=name)
    self.network = baselines.MLP(hidden_units, seed=seed, name='r_rho')

  def reset(self):
    super().reset()
    self.network.reset()

  def _residual(self, problem, relaxed_one_hot):
    # r_rho sees every latent of a learning signal at once (flattened
    # relaxed one-hots, `model_shape + [D n]`) and the context `x`.
    leading = tf.shape(relaxed_one_hot)[
        :relaxed_one_hot.shape.rank - problem.latent_ndims - 1]
    features = tf.reshape(relaxed_one_hot, tf.concat(
        [leading, [problem.num_latents * problem.num_outcomes]], 0))
    if problem.context is not None:
      context = tf.cast(problem.context, features.dtype)
      context = tf.broadcast_to(context, tf.concat(
          [leading, tf.shape(context)[-1:]], 0))
      features = tf.concat([features, context], -1)
    return self.network(features)
