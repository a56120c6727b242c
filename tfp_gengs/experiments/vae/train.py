"""How a VAE run trains: the objectives, the distributed step, the `Trial`.

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
    surrogate from `gengs.estimators` with f(z) = -log p(x | z), the KL
    exact (`common.estimator_objective`: KL_s scales the KL's gradient by
    the estimator's `gradient_scale`, NVIL's normalisation).
VIMCO(k):                           the k-sample bound, f = -log w,
    log w = log p(x | z) + log p(z) - log q(z | x), estimator objective
    'logmeanexp' (no separate KL: it is inside w).
```

The reported training loss is the estimate of the negative ELBO (for
VIMCO: of the negative k-sample bound). Which objective a run uses, and the
layer's sample gradient in each epoch, follow from its method's row
(`methods.METHODS`). `Trial` is one run for `common.runner`: its train step
and validation (the test evaluation is `evaluation.evaluate`).
"""

import keras
import numpy as np
import tensorflow.compat.v2 as tf

from tfp_gengs import estimators
from tfp_gengs.experiments.common import epoch_loop
from tfp_gengs.experiments.common import estimator_objective
from tfp_gengs.experiments.common import runner
from tfp_gengs.experiments.vae import evaluation
from tfp_gengs.experiments.vae import input_pipeline
from tfp_gengs.experiments.vae import methods
from tfp_gengs.experiments.vae import models

__all__ = ['GenGSObjective', 'EstimatorObjective', 'make_estimator',
           'Trainer', 'Trial']


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
      aux = tf.convert_to_tensor(result.aux_loss)
      return objective + aux, reported, aux
    return estimator_objective.elbo_loss(
        self.estimator, q,
        lambda z: vae.negative_log_likelihood(x, z, training=True),
        tf.reduce_sum(vae.kl(q), axis=-1), seed, kl_weight, context=x)


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

  def switch_objective(self, objective, x):
    """Trains on `objective` from the next step (a fine-tuning switch).

    The optimizer carries over, so `objective` may not bring variables of
    its own (its estimator's lazy state is built on `x` and reset, as in
    `build`).

    Raises:
      ValueError: `objective` has trainable variables of its own.
    """
    self.objective = objective
    self._build_objective(x)
    if objective.aux_variables:
      raise ValueError('A fine-tuning objective may not train variables of '
                       'its own (the run\'s optimizer is already built); got '
                       f'{[v.name for v in objective.aux_variables]}.')
    self.retrace()

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
    self._build_objective(x)
    with self.strategy.scope():
      self.optimizer.build(self.variables + self.objective.aux_variables)

  def _build_objective(self, x):
    """One call of the objective on `x`, then its estimator's `reset()`."""
    with self.strategy.scope():
      # In replica context: estimators differentiate their own variables.
      self.strategy.run(self.objective.loss,
                        args=(x, tf.constant([0, 0], tf.int32), 1.))
      estimator = getattr(self.objective, 'estimator', None)
      if estimator is not None and hasattr(estimator, 'reset'):
        estimator.reset()


def _method_of_epoch(config, epoch):
  """The method row that trains `epoch` (0-based): `--estimator`, or
  `--finetune_estimator` in the last `--finetune_epochs`."""
  if config.finetune_epochs and epoch >= config.epochs - config.finetune_epochs:
    return methods.get(config.finetune_estimator)
  return config.method


def _gradient_of_epoch(config, epoch):
  """The latent layer's `gradient` in `epoch` (0-based)."""
  method = _method_of_epoch(config, epoch)
  if method.trains == 'estimator':   # the layer gives only the posterior
    method = config.method
  if method.relaxed and epoch >= config.epochs - config.st_finetune_epochs:
    return 'straight_through'
  return method.gradient


def _objective(vae, method, config):
  """The training objective of `method` (a row of `methods.METHODS`)."""
  if method.pathwise:
    return GenGSObjective(vae, deterministic=method.trains == 'bottleneck')
  estimator = make_estimator(
      method.name, seed=config.seed, temperature=config.tau_initial,
      rf_samples=config.rf_samples, vimco_samples=config.vimco_samples)
  return EstimatorObjective(
      vae, estimator, k_sample_bound=method.objective == 'k_sample_bound')


def _distribute_batch(strategy, batch):
  """The global batch split into contiguous per-replica parts."""
  replicas = strategy.num_replicas_in_sync
  if replicas == 1:
    return tf.constant(batch)
  per = len(batch) // replicas

  def part(context):
    r = context.replica_id_in_sync_group
    return tf.constant(batch[r * per:(r + 1) * per])

  return strategy.experimental_distribute_values_from_function(part)


def _build(config, train, strategy):
  """VAE, objective, optimizers and trainer, made in the strategy's scope.

  Returns:
    `(vae, window info, trainer, trackables)`.
  """
  method = config.method
  with strategy.scope():
    vae, window = models.build_vae(
        config.prior, config.inference, latent_dims=config.latent_dims,
        hidden=config.hidden, activation=config.activation,
        tail_mass=config.tail_mass, temperature=config.tau_initial,
        gradient=_gradient_of_epoch(config, 0),
        inference_output=('mean' if method.trains == 'bottleneck'
                          else 'sample'),
        seed=config.seed, data_dim=train.shape[1],
        pixel_mean=train.mean(0), encoder_init=config.encoder_init,
        rate_link=config.rate_link, relaxation=method.relaxation)
    objective = _objective(vae, method, config)
    learning_rate = config.learning_rate
    if config.lr_decay_rate < 1.:   # x rate every `lr_decay_steps` steps
      learning_rate = keras.optimizers.schedules.ExponentialDecay(
          learning_rate, config.lr_decay_steps, config.lr_decay_rate,
          staircase=True)
    if config.weight_decay:   # decoupled: w <- w (1 - lr wd), then Adam
      optimizer = keras.optimizers.AdamW(learning_rate,
                                         weight_decay=config.weight_decay)
    else:
      optimizer = keras.optimizers.Adam(learning_rate)
  trainer = Trainer(objective, vae.network_variables, optimizer, strategy)
  per_replica = config.batch_size // strategy.num_replicas_in_sync
  trainer.build(tf.constant(train[:per_replica]))
  trackables = dict(model=vae.model, optimizer=optimizer)
  if not method.pathwise:
    trackables['estimator'] = objective.estimator
  return vae, window, trainer, trackables


class Trial(runner.Trial):
  """One VAE run for `common.runner`: build, train step, validation.

  Args:
    config: a resolved `configs.Config`.
    data: `(train, valid, test)` arrays.
    strategy: the `tf.distribute.Strategy`.
    log: callable taking a line.
  """

  def __init__(self, config, data, strategy, log):
    train, valid, test = data
    train = np.asarray(train, np.float32)
    if config.train_examples:
      train = train[:config.train_examples]
    self.config, self.strategy, self.log = config, strategy, log
    self.train = train
    self.valid = np.asarray(valid, np.float32)
    self.test = np.asarray(test, np.float32)
    self.vae, self.window, self.trainer, self.trackables = _build(
        config, train, strategy)
    self.method = config.method   # the method training the current epoch
    self.model = self.vae.model
    self.latent_layers = [self.vae.latent]
    self.label = (f'{config.dataset} {self.window["prior"]} '
                  f'{config.method.display} seed {config.seed}')
    self.evaluator = evaluation.Evaluator(self.vae)

  def shape_text(self, steps_per_epoch):
    w = self.window
    return (f'{self.config.epochs} epochs x {steps_per_epoch} steps, window '
            f'{{{w["low"]}..{w["high"]}}}, '
            f'{self.strategy.num_replicas_in_sync} replica(s).')

  def start_epoch(self, epoch):
    latent = self.vae.latent
    if _gradient_of_epoch(self.config, epoch) != latent.gradient:
      latent.gradient = _gradient_of_epoch(self.config, epoch)
      self.trainer.retrace()
      self.log(f'Epoch {epoch + 1}: gradient {latent.gradient!r} from here '
               'on.')
    method = _method_of_epoch(self.config, epoch)
    if method.name != self.method.name:
      self.method = method
      per_replica = (self.config.batch_size //
                     self.strategy.num_replicas_in_sync)
      self.trainer.switch_objective(
          _objective(self.vae, method, self.config),
          tf.constant(self.train[:per_replica]))
      self.log(f'Epoch {epoch + 1}: trained by {method.display} from here '
               'on.')

  def train_step(self, batch, seed, kl_weight):
    if self.config.dataset in input_pipeline.DYNAMIC_DATASETS:
      batch = input_pipeline.binarize_batch(batch, seed)
    loss, aux = self.trainer.step(_distribute_batch(self.strategy, batch),
                                  seed, kl_weight)
    return dict(loss=loss, aux=aux)

  def validate(self, epoch, tau, kl_weight, train_means):
    config = self.config
    v = self.evaluator.elbo(self.valid, tau, config.valid_samples,
                            epoch_loop.seed(epoch_loop.VALID, config.seed,
                                            epoch))
    record = dict(
        train_loss=train_means['loss'], aux_loss=train_means['aux'],
        temperature=tau, kl_weight=kl_weight,
        straight_through=self.vae.latent.straight_through,
        method=self.method.name,
        valid_neg_elbo_relaxed=float(v['neg_elbo_relaxed'].mean()),
        valid_neg_elbo_hard=float(v['neg_elbo_hard'].mean()),
        valid_kl=float(v['kl'].mean()),
        valid_collapsed_dims=int(np.sum(v['kl_per_dim'] <
                                        evaluation.COLLAPSE_THRESHOLD)))
    text = (f'train {record["train_loss"]:.2f}  valid relaxed '
            f'{record["valid_neg_elbo_relaxed"]:.2f}  hard '
            f'{record["valid_neg_elbo_hard"]:.2f}  KL '
            f'{record["valid_kl"]:.2f}  tau {tau:.3f}  collapsed '
            f'{record["valid_collapsed_dims"]}')
    return record, record['valid_neg_elbo_hard'], text

  def evaluate(self, out, tau, state):
    return evaluation.evaluate(self, out, tau, state)

  def outcome_text(self, results):
    test = results['test']
    return (f'test -ELBO relaxed {test["neg_elbo_relaxed"][0]:.2f}, hard '
            f'{test["neg_elbo_hard"][0]:.2f}, IWAE(k='
            f'{self.config.iw_samples}) -log p(x) <= '
            f'{test["neg_log_likelihood_iw"][0]:.2f}')
