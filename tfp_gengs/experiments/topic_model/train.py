"""How a topic-model run trains: the Adam step and the `Trial`.

One device: each step is one Adam step on the model's `loss` (one
posterior sample per document; `models`). `Trial` is one run for
`common.runner`: the model of the config, its train step and the
validation perplexity (hard samples for NVPDEF, the Gaussian ELBO for
NVDM); the test evaluation is `evaluation.evaluate`.
"""

import dataclasses
import functools

import keras
import tensorflow.compat.v2 as tf

from tfp_gengs import estimators
from tfp_gengs.experiments.common import epoch_loop
from tfp_gengs.experiments.common import runner
from tfp_gengs.experiments.topic_model import configs
from tfp_gengs.experiments.topic_model import evaluation
from tfp_gengs.experiments.topic_model import models

__all__ = ['TrainStep', 'Trial', 'run_label']


def run_label(config):
  """`'NVPDEF (Im.) seed 0'` and the like."""
  name = models.MODELS[config.model].display
  if config.is_gengs:
    name += f' ({config.inference[:2].capitalize()}.'
    name += ', ST)' if config.straight_through else ')'
  return f'{name} seed {config.seed}'


class TrainStep:
  """One Adam step on `model.loss` (traced once; one device).

  Args:
    model: a `models.TopicModel`.
    optimizer: a built Keras optimizer of `model.network_variables`.
    loss: `(x, seed, kl_weight) -> (objective, reported)`; default
      `model.loss`.
  """

  def __init__(self, model, optimizer, loss=None):
    self.model = model
    self.optimizer = optimizer
    self.loss = loss or model.loss
    self.variables = model.network_variables
    self._step = tf.function(self._traced)

  def _traced(self, x, seed, kl_weight):
    with tf.GradientTape() as tape:
      objective, reported = self.loss(x, seed, kl_weight)
    grads = tape.gradient(objective, self.variables)
    self.optimizer.apply_gradients(
        [(g, v) for g, v in zip(grads, self.variables) if g is not None])
    return reported

  def __call__(self, x, seed, kl_weight):
    """Trains on the batch `x`; returns its `-ELBO` estimate (a float)."""
    return float(self._step(tf.constant(x), tf.constant(seed, tf.int32),
                            tf.constant(kl_weight, tf.float32)))



class Trial(runner.Trial):
  """One topic-model run for `common.runner`: model, step, validation.

  Args:
    config: a resolved `configs.Config`.
    corpus: the `input_pipeline.Corpus`.
    strategy: unused (one device).
    log: unused.
  """

  def __init__(self, config, corpus, strategy, log):
    del strategy, log
    train = corpus.train
    if config.train_documents:
      train = train[:config.train_documents]
    self.config = config
    self.corpus = dataclasses.replace(corpus, train=train)
    self.train = train
    window = models.poisson_window(config.prior_rate, config.tail_mass)
    bias = (models.word_log_frequencies(train)
            if config.decoder_bias == 'unigram' else None)
    self.network = models.build(
        config.model, train.shape[1], latent_dims=config.latent_dims,
        upper_dims=config.upper_dims, hidden=config.hidden,
        activation=config.activation,
        inference=config.inference or 'explicit',
        prior_rate=config.prior_rate, window=window,
        temperature=config.tau_initial,
        straight_through=config.straight_through, word_log_frequencies=bias,
        seed=config.seed)
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(self.network.network_variables)
    self.step = TrainStep(self.network, optimizer)
    self.finetuning = False      # switched to --finetune_gradient
    self.model = self.network.model
    self.trackables = dict(model=self.model, optimizer=optimizer)
    self.window = list(window)
    self.latent_layers = self.network.latent_layers
    self.label = run_label(config)
    self.evaluator = evaluation.Evaluator(self.network)

  def shape_text(self, steps_per_epoch):
    config, window = self.config, self.window
    return (f'{config.epochs} epochs x {steps_per_epoch} steps of '
            f'{config.batch_size} documents' + (
                f'; window {{{window[0]}..{window[1]}}}.' if config.is_gengs
                else '.'))

  def start_epoch(self, epoch):
    """`--finetune_gradient`: its last epochs train on exact counts
    (a hard-sample gradient of the layers, or an estimator)."""
    config = self.config
    if not (config.finetune_epochs and
            epoch >= config.epochs - config.finetune_epochs) or (
                self.finetuning):
      return
    self.finetuning = True
    if config.finetune_gradient in configs.FINETUNE_ESTIMATORS:
      estimator = estimators.make(config.finetune_gradient, latent_ndims=1,
                                  seed=config.seed)
      self.step = TrainStep(self.network, self.step.optimizer,
                            loss=functools.partial(
                                self.network.estimator_loss, estimator))
    else:
      for layer in self.latent_layers:
        layer.gradient = config.finetune_gradient
      self.step = TrainStep(self.network, self.step.optimizer)  # retrace

  def train_step(self, batch, seed, kl_weight):
    return dict(loss=self.step(batch, seed, kl_weight))

  def validate(self, epoch, tau, kl_weight, train_means):
    config = self.config
    ppx, _, _ = self.evaluator.perplexities(
        self.corpus.valid, tau or 1., config.valid_samples,
        epoch_loop.seed(epoch_loop.VALID, config.seed, epoch))
    record = dict(train_neg_elbo=train_means['loss'],
                  temperature=tau if config.is_gengs else None,
                  kl_weight=kl_weight)
    record.update({f'valid_perplexity_{k}': v for k, v in ppx.items()})
    valid_text = '  '.join(f'{k} {v:.1f}' for k, v in ppx.items())
    text = (f'train -ELBO {record["train_neg_elbo"]:.2f}  valid ppx '
            f'{valid_text}' + (f'  tau {tau:.3f}' if config.is_gengs else ''))
    return record, ppx[self.network.primary], text

  def evaluate(self, out, tau, state):
    return evaluation.evaluate(self, out, tau, state)

  def outcome_text(self, results):
    test = results['test']['perplexity']
    return ('test perplexity ' + ', '.join(
        f'{k} {v:.1f}' for k, v in test.items()) +
            f' (S = {self.config.eval_samples})')
