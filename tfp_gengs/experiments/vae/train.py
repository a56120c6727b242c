"""What each estimator optimises in the VAE, and the distributed train step.

Objectives per minibatch (`B` examples, `beta` the KL weight, 1 unless a
KL warm-up is asked for):

```none
GenGS (relaxed, straight-through):  mean_B -log p(x | z~) + beta KL(q || p),
    z~ = T(softmax((log pi + g) / tau))  drawn by the Keras GenGS layer,
    KL the layer's loss (exact categorical KL of the truncated
    distributions); pathwise gradients everywhere.
deterministic bottleneck:           the same with z = E_q[z] (no noise): a
    timing reference, not a VAE.
score-function baselines:           mean_B surrogate + beta KL_s + aux,
    surrogate from `gengs.estimators` with f(z) = -log p(x | z) (its
    gradient estimates grad E_q[f] for the encoder and the decoder),
    the KL exact and differentiated, aux the control variate's own loss.
    KL_s = s KL + (1 - s) stop(KL) has the KL's value and `s` times its
    gradient, `s` the estimator's `gradient_scale` (1 except NVIL): NVIL
    normalises its learning signal, which in Mnih & Gregor's NVIL holds the
    KL too; scaling only the reconstruction part would let the KL's full
    gradient swamp it (the posterior collapses to the prior).
VIMCO(k):                           the k-sample bound, f = -log w,
    log w = log p(x | z) + log p(z) - log q(z | x), estimator objective
    'logmeanexp' (no separate KL: it is inside w).
```

The reported training loss is the estimate of the negative ELBO (for
VIMCO: of the negative k-sample bound).
"""

import tensorflow.compat.v2 as tf

from tfp_gengs import estimators

__all__ = ['GenGSObjective', 'EstimatorObjective', 'make_estimator',
           'Trainer']


class GenGSObjective:
  """Pathwise training through the Keras model's GenGS layer.

  Args:
    vae: a `models.VAE`.
    deterministic: use the posterior mean (the layer built with
      `inference_output='mean'`, called with `training=False`) instead of a
      sample: a deterministic bottleneck for timing comparisons.
  """

  def __init__(self, vae, deterministic=False):
    self.vae = vae
    self.deterministic = deterministic
    self.aux_variables = []

  def loss(self, x, seed, kl_weight):
    """`(objective, reported loss, aux loss)`, scalars; `seed` unused.

    The layer draws its Gumbel noise from its own `SeedGenerator`, whose
    state the training loop sets from `(seed, epoch)` at every epoch.
    """
    del seed
    vae = self.vae
    h = vae.encoder(x, training=True)
    z = vae.latent(h, training=not self.deterministic)
    kl = tf.add_n(vae.latent.losses)           # mean_B sum_d KL
    nll = tf.reduce_mean(vae.negative_log_likelihood(x, z, training=True))
    return nll + kl_weight * kl, nll + kl, tf.zeros([])


class EstimatorObjective:
  """Training with a `gengs.estimators` gradient estimator.

  Args:
    vae: a `models.VAE` (its layer gives the posterior and prior).
    estimator: a `GradientEstimator` built with `latent_ndims=1`.
    k_sample_bound: train the estimator on `f = -log w` (VIMCO's k-sample
      bound) instead of `f = -log p(x | z)` plus the exact KL.
  """

  def __init__(self, vae, estimator, k_sample_bound=False):
    self.vae = vae
    self.estimator = estimator
    self.k_sample_bound = k_sample_bound

  @property
  def aux_variables(self):
    return list(self.estimator.trainable_variables)

  def loss(self, x, seed, kl_weight):
    vae = self.vae
    q = vae.posterior(x, training=True)
    if self.k_sample_bound:
      prior = vae.prior()

      def loss_fn(z):                                   # -log w, [m, B]
        log_ratio = q.log_prob(z) - prior.log_prob(z)
        return (vae.negative_log_likelihood(x, z, training=True) +
                tf.reduce_sum(log_ratio, axis=-1))

      result = self.estimator(q, loss_fn, seed, context=x)
      objective = tf.reduce_mean(result.surrogate)
      reported = tf.reduce_mean(result.loss)
    else:
      result = self.estimator(
          q, lambda z: vae.negative_log_likelihood(x, z, training=True),
          seed, context=x)
      kl = tf.reduce_mean(tf.reduce_sum(vae.kl(q), axis=-1))
      scale = result.gradient_scale
      scaled_kl = scale * kl + (1. - scale) * tf.stop_gradient(kl)
      objective = tf.reduce_mean(result.surrogate) + kl_weight * scaled_kl
      reported = tf.reduce_mean(result.loss) + kl
    aux = tf.convert_to_tensor(result.aux_loss)
    return objective + aux, reported, aux


def make_estimator(name, seed, temperature, rf_samples, vimco_samples):
  """`gengs.estimators.make(name)` for a `[B, d]` latent (`latent_ndims=1`).

  VIMCO is built on the k-sample bound (`vimco_objective='logmeanexp'`).
  """
  settings = dict(latent_ndims=1, seed=seed, temperature=temperature,
                  num_samples=rf_samples, vimco_samples=vimco_samples)
  if name == 'VIMCO':
    settings['vimco_objective'] = 'logmeanexp'
  estimator = estimators.make(name, **settings)
  if estimator.latent_ndims != 1 or (
      name == 'VIMCO' and estimator.objective != 'logmeanexp'):
    raise NotImplementedError(
        f'gengs.estimators.make({name!r}) ignored latent_ndims=1 or '
        'vimco_objective: these estimators predate the VAE setting.')
  return estimator


class Trainer:
  """One synchronous training step under a `tf.distribute` strategy.

  Each replica computes its objective on its part of the global batch and
  differentiates `objective / num_replicas` with respect to the encoder,
  decoder and the estimator's own variables; the optimizer's all-reduce
  sums the replicas, so one step uses the global-batch mean gradient. Each
  replica folds its id into the step's seed (independent noise).

  One optimizer updates the network and the estimator's control variates
  together: with two, their all-reduces can be issued in different orders
  on different replicas and mismatch (seen with `MirroredStrategy`).

  Args:
    objective: a `GenGSObjective` or `EstimatorObjective`.
    variables: the network's trainable variables.
    optimizer: Keras optimizer (network and `objective.aux_variables`).
    strategy: the `tf.distribute.Strategy` (variables made in its scope).
  """

  def __init__(self, objective, variables, optimizer, strategy):
    self.objective = objective
    self.variables = list(variables)
    self.optimizer = optimizer
    self.strategy = strategy
    self.retrace()

  def retrace(self):
    """Traces the step anew (after a Python-level change of the model)."""
    self._step = tf.function(self._distributed_step)

  def _replica_step(self, x, seed, kl_weight):
    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync
    if replicas > 1:
      seed = tf.random.experimental.stateless_fold_in(
          seed, context.replica_id_in_sync_group)
    variables = self.variables + self.objective.aux_variables
    with tf.GradientTape() as tape:
      objective, reported, aux = self.objective.loss(x, seed, kl_weight)
      scaled = objective / tf.cast(replicas, objective.dtype)
    grads = tape.gradient(scaled, variables)
    self.optimizer.apply_gradients(
        [(g, v) for g, v in zip(grads, variables) if g is not None])
    return reported, aux

  def _distributed_step(self, x, seed, kl_weight):
    reported, aux = self.strategy.run(self._replica_step,
                                      args=(x, seed, kl_weight))
    mean = tf.distribute.ReduceOp.MEAN
    return (self.strategy.reduce(mean, reported, axis=None),
            self.strategy.reduce(mean, aux, axis=None))

  def step(self, x, seed, kl_weight):
    """One step on `x` (a per-replica value or a tensor); losses (floats)."""
    reported, aux = self._step(x, tf.constant(seed, tf.int32),
                               tf.constant(kl_weight, tf.float32))
    return float(reported), float(aux)

  def build(self, x):
    """Creates the estimator's lazy variables and the optimizers' slots.

    One call of the objective on `x` (each replica's part) builds the
    estimator's networks
    (their weights start from fixed values, and `reset()` restores them and
    any running statistics the call changed); then the optimizers are built
    for its variables, all outside `tf.function`.
    """
    with self.strategy.scope():
      # In replica context: estimators differentiate their own variables.
      self.strategy.run(self.objective.loss,
                        args=(x, tf.constant([0, 0], tf.int32), 1.))
      estimator = getattr(self.objective, 'estimator', None)
      if estimator is not None and hasattr(estimator, 'reset'):
        estimator.reset()
      self.optimizer.build(self.variables + self.objective.aux_variables)
