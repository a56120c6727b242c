r"""The topic-model study of the GenGS paper (§6.3, Figure 5, Table 2).

NVPDEF, the neural variational Poisson deep exponential family (a document
model whose latent topic counts are GenGS-relaxed truncated Poisson
variables), its multi-stacked version (20 upper counts setting the rates of
50 lower counts) and the NVDM baseline (Gaussian latent), trained on the
same data and scored by the same test perplexity. One run per invocation,
or a sequential grid over models, inference modes and seeds:

```
python -m tfp_gengs.experiments.topic_model --output_dir=runs/topic/nvpdef \
    --model=nvpdef --inference=implicit --seed=0 --epochs=50 \
    --data_dir=/path/to/data                  # reads <data_dir>/20news/
python -m tfp_gengs.experiments.topic_model --output_dir=... --resume
python -m tfp_gengs.experiments.topic_model --quick --output_dir=/tmp/tm
# Grid into DIR/<model>-<inference>-s<seed> (NVDM: DIR/nvdm-s<seed>), plus
# DIR/table.md with mean +- standard deviation over the seeds:
python -m tfp_gengs.experiments.topic_model --output_dir=runs/topic \
    --model=nvpdef,nvdm --inference=implicit --seed=0,1,2
# Any corpus in NVDM's format (train.feat, test.feat, vocab.new), e.g.
# RCV1-V2 (not available here), without the 20news checksums:
python -m tfp_gengs.experiments.topic_model --corpus_dir=/path/to/rcv1 ...
```

Output (`--output_dir`): `results.json` (every setting and number, the
per-epoch history), `summary.md`, `curves.png`, `topics.txt` (top words of
every topic), `tensorboard/`, `checkpoints/` (every epoch; `--resume`
continues a killed run to the same final numbers).

#### Models and evaluation

See `models` and `evaluation`
(perplexity `exp(mean_d -ELBO_d / N_d)`, `S` posterior samples per
document; for NVPDEF with relaxed and with hard samples, sharing the
noise). The model evaluated on the test set is the epoch with the lowest
validation perplexity (hard samples for NVPDEF: the discrete model's own
ELBO; NVDM: its Gaussian ELBO).

#### Settings the paper leaves open (its appendix L is not available)

Chosen here; each is a flag and is written beside the numbers (the
reasons are in `results/topic_model/README.md` and `summary.md`):

* Data: 20 Newsgroups in NVDM's format (11,258 / 7,487 documents, 1,995
  words); 1,000 training documents held out (seeded) for validation.
* Encoder: NVDM's (one hidden layer of 500 tanh units on the raw counts);
  the same for every model. Decoder: `softmax(z R + b)`, `b` starting at
  the log unigram frequencies of the training documents.
* NVPDEF: 50 counts, prior `Poisson(lambda0 = 1)`, window `{0..high}` with
  prior tail `P(X > high) <= 1e-6` (`{0..9}`); explicit (log-rates) or
  implicit (logits over the window) posterior. Multi-stacked: 20 upper and
  50 lower counts, lower rates `softplus(z1 W + c)`, same window.
* Temperature `tau = max(tau_min, exp(-rate step))`, evaluation at the
  temperature of the selected epoch.
* Adam (learning rate 2e-3 for NVPDEF, the better of {5e-4, 2e-3}; 1e-3
  for NVDM, the best of {5e-4, 1e-3, 2e-3}; on validation), batch 64
  (NVDM's), KL weight 1 (no annealing by default).
* Randomness: the data order of epoch `e`, the GenGS layers' noise in
  epoch `e` and NVDM's noise at step `t` are stateless functions of
  `(seed, e)` and `(seed, t)`, so a resumed run repeats an uninterrupted
  one.
"""

import dataclasses
import os
import time

from absl import app
from absl import flags
from absl import logging
import keras
import numpy as np
import tensorflow.compat.v2 as tf

from tfp_gengs import layers as gengs_layers
from tfp_gengs.experiments.common import checkpointing
from tfp_gengs.experiments.common import common_flags
from tfp_gengs.experiments.common import data_folder
from tfp_gengs.experiments.common import epoch_loop
from tfp_gengs.experiments.common import output
from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import tensorboard
from tfp_gengs.experiments.topic_model import evaluation
from tfp_gengs.experiments.topic_model import models as networks
from tfp_gengs.experiments.topic_model import report

INFERENCES = ('explicit', 'implicit')
# Adam learning rates chosen on the validation perplexity of 20-epoch runs
# (results/topic_model/README.md): NVDM overfits at 2e-3, NVPDEF learns
# fastest there.
LEARNING_RATES = {'nvpdef': 2e-3, 'nvpdef_stacked': 2e-3, 'nvdm': 1e-3}

# Settings that may change when resuming (they do not change training).
_RESUMABLE = ('output_dir', 'resume', 'data_dir', 'corpus_dir', 'epochs',
              'log_every_seconds', 'stop_after_steps', 'eval_samples',
              'test_documents', 'topic_words')


Interrupted = epoch_loop.Interrupted   # `--stop_after_steps` (tests)


@dataclasses.dataclass
class Config:
  """Every setting of one run (the flags, and the tests' entry point)."""
  output_dir: str = 'runs/topic_model'
  model: str = 'nvpdef'
  inference: str = 'implicit'
  data_dir: str = None
  corpus_dir: str = None
  seed: int = 0
  epochs: int = 50
  batch_size: int = 64
  learning_rate: float = None      # None: LEARNING_RATES[model]
  latent_dims: int = 50
  upper_dims: int = 20
  hidden: tuple = (500,)
  activation: str = 'tanh'
  decoder_bias: str = 'unigram'
  prior_rate: float = 1.
  tail_mass: float = 1e-6
  tau_initial: float = 1.
  tau_min: float = .5
  tau_rate: float = 1e-4
  straight_through: bool = False
  kl_warmup_epochs: int = 0
  train_documents: int = 0
  valid_size: int = 1000
  valid_samples: int = 5
  eval_samples: int = 20
  test_documents: int = 0
  topic_words: int = 10
  resume: bool = False
  log_every_seconds: float = 30.
  stop_after_steps: int = 0

  def resolved(self):
    """A copy with the choices checked (NVDM has no inference mode)."""
    if self.model not in networks.MODELS:
      raise ValueError(f'Unknown model {self.model!r}; choose from '
                       f'{networks.MODELS}.')
    if self.inference not in INFERENCES:
      raise ValueError(f'Unknown inference {self.inference!r}; choose from '
                       f'{INFERENCES}.')
    if self.decoder_bias not in ('unigram', 'zeros'):
      raise ValueError('decoder_bias must be "unigram" or "zeros".')
    return dataclasses.replace(
        self, inference=None if self.model == 'nvdm' else self.inference,
        learning_rate=float(self.learning_rate or
                            LEARNING_RATES[self.model]),
        straight_through=self.straight_through and self.model != 'nvdm',
        hidden=tuple(int(h) for h in self.hidden))

  @property
  def is_gengs(self):
    return self.model != 'nvdm'


def quick(config):
  """`--quick`: about a minute on 2 CPU cores, the full pipeline."""
  return dataclasses.replace(config, epochs=3, train_documents=2000,
                             valid_size=500, eval_samples=5,
                             test_documents=1000)


@dataclasses.dataclass
class Corpus:
  """Dense float32 counts `[D, V]` of the three parts, and the words."""
  train: np.ndarray
  valid: np.ndarray
  test: np.ndarray
  vocabulary: list
  source: str


def load_corpus(config):
  """The corpus of `config`, its validation part held out of train.

  `--corpus_dir` names a folder in NVDM's format (`train.feat`,
  `test.feat`, `vocab.new`), read without checksums; otherwise 20
  Newsgroups from the data folder (`--data_dir`, checked against its
  canonical SHA-256 sums).
  """
  from tfp_gengs import datasets  # pylint: disable=g-import-not-at-top
  if config.corpus_dir:
    vocabulary = datasets.load_vocabulary(
        os.path.join(config.corpus_dir, 'vocab.new'))
    train, test = (datasets.load_nvdm_bag_of_words(
        os.path.join(config.corpus_dir, f'{part}.feat'), len(vocabulary))
                   for part in ('train', 'test'))
    source = os.path.abspath(config.corpus_dir)
  else:
    try:
      splits = datasets.twenty_newsgroups(config.data_dir)
    except FileNotFoundError as e:
      raise data_folder.missing(e, config.data_dir, '20news') from e
    train, test, vocabulary = splits.train, splits.test, splits.vocabulary
    source = '20 Newsgroups (NVDM format, 1,995 words)'
  train, valid = datasets.split_validation(train, config.valid_size, seed=0)
  return Corpus(train.to_dense(), valid.to_dense(), test.to_dense(),
                list(vocabulary), source)


_seed = epoch_loop.seed


def _settings(config, window):
  """Every setting, as `results.json` and the checkpoints record them.

  The data folder is recorded as `data_folder.setting` writes it
  (`$TFP_GENGS_DATA`, or the folder as given), never as this machine's
  absolute path.
  """
  return dict(dataclasses.asdict(config), window=list(window),
              data_dir=data_folder.setting(config.data_dir))


def run_label(config):
  """`'NVPDEF (Im.) seed 0'` and the like."""
  name = report.DISPLAY[config.model]
  if config.is_gengs:
    name += f' ({config.inference[:2].capitalize()}.'
    name += ', ST)' if config.straight_through else ')'
  return f'{name} seed {config.seed}'


def _build(config, corpus):
  """Model, window and trainer (one device)."""
  window = networks.poisson_window(config.prior_rate, config.tail_mass)
  bias = (networks.word_log_frequencies(corpus.train)
          if config.decoder_bias == 'unigram' else None)
  model = networks.build(
      config.model, corpus.train.shape[1], latent_dims=config.latent_dims,
      upper_dims=config.upper_dims, hidden=config.hidden,
      activation=config.activation, inference=config.inference or 'explicit',
      prior_rate=config.prior_rate, window=window,
      temperature=config.tau_initial,
      straight_through=config.straight_through, word_log_frequencies=bias,
      seed=config.seed)
  optimizer = keras.optimizers.Adam(config.learning_rate)
  optimizer.build(model.network_variables)
  return (model, window, TrainStep(model, optimizer),
          dict(model=model.model, optimizer=optimizer))


class TrainStep:
  """One Adam step on `model.loss` (traced once; one device).

  Args:
    model: a `models.TopicModel`.
    optimizer: a built Keras optimizer of `model.network_variables`.
  """

  def __init__(self, model, optimizer):
    self.model = model
    self.optimizer = optimizer
    self.variables = model.network_variables
    self._step = tf.function(self._traced)

  def _traced(self, x, seed, kl_weight):
    with tf.GradientTape() as tape:
      objective, reported = self.model.loss(x, seed, kl_weight)
    grads = tape.gradient(objective, self.variables)
    self.optimizer.apply_gradients(zip(grads, self.variables))
    return reported

  def __call__(self, x, seed, kl_weight):
    """Trains on the batch `x`; returns its `-ELBO` estimate (a float)."""
    return float(self._step(tf.constant(x), tf.constant(seed, tf.int32),
                            tf.constant(kl_weight, tf.float32)))


def run(config, corpus=None, log=None):
  """Trains and evaluates one configuration; returns the results dict.

  Args:
    config: a `Config`.
    corpus: optional `Corpus` (else `load_corpus(config)`).
    log: callable taking a line (default: print, flushed).

  Raises:
    Interrupted: after `config.stop_after_steps` steps of this session.
  """
  log = log or (lambda line: print(line, flush=True))
  config = config.resolved()
  plots.require_matplotlib()
  out = output.OutputFolder(config.output_dir)
  corpus = corpus or load_corpus(config)
  train = corpus.train
  if config.train_documents:
    train = train[:config.train_documents]
  model, window, trainer, trackables = _build(
      config, dataclasses.replace(corpus, train=train))
  settings = _settings(config, window)
  ckpt = checkpointing.EpochCheckpoint(
      os.path.join(out.root, 'checkpoints'), settings, trackables,
      best=dict(model=model.model), ignore=_RESUMABLE)
  loop = epoch_loop.EpochLoop(ckpt, out, config.resume, log)

  label = run_label(config)
  steps_per_epoch = len(train) // config.batch_size
  evaluator = evaluation.Evaluator(model)
  writer = tensorboard.ScalarWriter(out.path('tensorboard', 'train'))
  log(f'{label}: {config.epochs} epochs x {steps_per_epoch} steps of '
      f'{config.batch_size} documents' + (
          f'; window {{{window[0]}..{window[1]}}}.' if config.is_gengs
          else '.'))

  def train_step(batch, seed, beta):
    return dict(loss=trainer(batch, seed, beta))

  def validate(epoch, step, tau, beta, means):
    del step
    ppx, _, _ = evaluator.perplexities(
        corpus.valid, tau or 1., config.valid_samples,
        _seed(epoch_loop.VALID, config.seed, epoch))
    record = dict(train_neg_elbo=means['loss'],
                  temperature=tau if config.is_gengs else None,
                  kl_weight=beta)
    record.update({f'valid_perplexity_{k}': v for k, v in ppx.items()})
    valid_text = '  '.join(f'{k} {v:.1f}' for k, v in ppx.items())
    text = (f'train -ELBO {record["train_neg_elbo"]:.2f}  valid ppx '
            f'{valid_text}' + (f'  tau {tau:.3f}' if config.is_gengs else ''))
    return record, ppx[model.primary], text

  loop.run(
      epoch_loop.Hooks(
          train_step, validate,
          lambda tau: _set_temperature(model, tau, None),
          lambda epoch: model.reset_noise(
              _seed(epoch_loop.LAYER, config.seed, epoch)),
          show_temperature=config.is_gengs),
      train, batch_size=config.batch_size, epochs=config.epochs,
      run_seed=config.seed,
      schedule=gengs_layers.TemperatureAnnealing(
          config.tau_initial, config.tau_min, config.tau_rate),
      kl_warmup_epochs=config.kl_warmup_epochs, writer=writer,
      log_every_seconds=config.log_every_seconds,
      stop_after_steps=config.stop_after_steps)
  writer.close()
  results = _finish(config, model, evaluator, ckpt, loop.state,
                    loop.history, dataclasses.replace(corpus, train=train),
                    window, label, out)
  results['elapsed_seconds'] = loop.elapsed_seconds()
  results['sessions'] = loop.sessions()
  out.write_json('results.json', results)
  out.write_text('summary.md', report.summary(results))
  test = results['test']['perplexity']
  log(f'{label}: test perplexity ' + ', '.join(
      f'{k} {v:.1f}' for k, v in test.items()) +
      f' (S = {config.eval_samples}); report {out.path("summary.md")}')
  return results


def _set_temperature(model, new_tau, tau):
  """Assigns `new_tau` to every GenGS layer when it changed; returns it."""
  if new_tau != tau:
    for layer in getattr(model, 'latent_layers', ()):
      layer.temperature.assign(new_tau)
  return new_tau


def _finish(config, model, evaluator, ckpt, state, history, corpus, window,
            label, out):
  """Test evaluation of the best-validation model, topics, figures."""
  ckpt.restore_best()
  best = history[state['best_epoch'] - 1]
  tau = best['temperature']
  _set_temperature(model, tau, None)
  test = corpus.test
  if config.test_documents:
    test = test[:config.test_documents]
  start = time.time()
  ppx, corpus_ppx, neg_elbo = evaluator.perplexities(
      test, tau or 1., config.eval_samples,
      _seed(epoch_loop.TEST, config.seed, 0))
  test_seconds = time.time() - start
  words = evaluation.top_words(model.topics(), corpus.vocabulary,
                               config.topic_words)
  topics_text = evaluation.format_topics(words, label)
  if config.model == 'nvpdef_stacked':
    topics_text += report.super_topics_text(model.super_topics(), words)
  topics_path = out.write_text('topics.txt', topics_text)
  curves = report.curves(out.path('curves.png'), history, model.variants,
                         label, config.is_gengs)
  return dict(
      label=label,
      settings=_settings(config, window),
      settings_explained=report.explained(config, window, corpus),
      paper=report.PAPER.get(config.model),
      data=dict(source=corpus.source, train_documents=len(corpus.train),
                valid_documents=len(corpus.valid),
                test_documents=len(test), vocab_size=len(corpus.vocabulary)),
      best_epoch=state['best_epoch'],
      best_valid_perplexity=state['best_valid'],
      test=dict(
          temperature=tau, samples=config.eval_samples,
          perplexity=ppx, corpus_perplexity=corpus_ppx,
          neg_elbo_mean={k: float(v.mean()) for k, v in neg_elbo.items()},
          primary=model.primary),
      topics=words,
      seconds_per_epoch=float(np.median([h['train_seconds']
                                         for h in history])),
      valid_seconds_per_epoch=float(np.median(
          [h['valid_seconds'] for h in history])),
      test_seconds=test_seconds,
      machine=output.machine(),
      figures=dict(curves=curves, topics=topics_path),
      history=history)


FLAGS = flags.FLAGS


def _define_flags():
  d = Config()
  common_flags.define_training_flags(d)
  flags.DEFINE_bool('quick', False, 'About a minute: 3 epochs on 2,000 '
                    'training documents, 1,000 test documents, S = 5.')
  flags.DEFINE_bool('resume', d.resume, 'Continue the run in output_dir.')
  flags.DEFINE_list('model', [d.model], f'One or more of '
                    f'{",".join(networks.MODELS)}.')
  flags.DEFINE_list('inference', [d.inference], 'NVPDEF posterior(s): '
                    'explicit (log-rates) and/or implicit (logits of pi).')
  flags.DEFINE_string('data_dir', d.data_dir, 'Data folder holding 20news/ '
                      '(default: the loaders\' default).')
  flags.DEFINE_string('corpus_dir', d.corpus_dir, 'Instead of 20 '
                      'Newsgroups: a folder with train.feat, test.feat and '
                      'vocab.new in NVDM\'s format (no checksums).')
  flags.DEFINE_integer('batch_size', d.batch_size, 'Documents per step.')
  flags.DEFINE_float('learning_rate', d.learning_rate, 'Adam learning rate '
                     '(default: per model, ' + ', '.join(
                         f'{k} {v:g}' for k, v in LEARNING_RATES.items()) +
                     ').')
  flags.DEFINE_integer('latent_dims', d.latent_dims, 'Latent dimensions '
                       '(the lower layer of the multi-stacked NVPDEF).')
  flags.DEFINE_integer('upper_dims', d.upper_dims, 'Upper-layer counts of '
                       'the multi-stacked NVPDEF.')
  flags.DEFINE_enum('decoder_bias', d.decoder_bias, ['unigram', 'zeros'],
                    'Initial decoder bias.')
  flags.DEFINE_float('prior_rate', d.prior_rate, 'Poisson prior rate '
                     'lambda0.')
  flags.DEFINE_bool('straight_through', d.straight_through,
                    'Train NVPDEF with straight-through samples.')
  flags.DEFINE_integer('train_documents', d.train_documents,
                       'Use the first N training documents (0: all).')
  flags.DEFINE_integer('valid_size', d.valid_size,
                       'Training documents held out for validation.')
  flags.DEFINE_integer('valid_samples', d.valid_samples,
                       'Posterior samples per validation document.')
  flags.DEFINE_integer('eval_samples', d.eval_samples,
                       'Posterior samples per test document.')
  flags.DEFINE_integer('test_documents', d.test_documents,
                       'Evaluate the first N test documents (0: all).')
  flags.DEFINE_integer('topic_words', d.topic_words, 'Words per topic in '
                       'topics.txt.')


def configs_from_flags():
  """One `Config` per (model, inference, seed) of the flags."""
  names = [f.name for f in dataclasses.fields(Config)]
  grid_keys = ('model', 'inference', 'seed')
  base = {n: FLAGS[n].value for n in names
          if n in FLAGS and n not in grid_keys}
  base['hidden'] = tuple(int(h) for h in FLAGS.hidden)
  grid = []
  for model in FLAGS.model:
    for inference in (FLAGS.inference if model != 'nvdm'
                      else FLAGS.inference[:1]):
      for seed in FLAGS.seed:
        grid.append((model, inference, int(seed)))
  configs = []
  for model, inference, seed in grid:
    config = Config(**dict(base, model=model, inference=inference,
                           seed=seed))
    if len(grid) > 1:
      name = (f'nvdm-s{seed}' if model == 'nvdm'
              else f'{model}-{inference}-s{seed}')
      config.output_dir = os.path.join(FLAGS.output_dir, name)
    if FLAGS.quick:
      config = quick(config)
    configs.append(config)
  return configs


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # TF's checkpoint INFO lines
  configs = configs_from_flags()
  with data_folder.exit_if_missing():  # no data: a message and status 2
    records = [run(config) for config in configs]
  if len(configs) > 1:
    output.OutputFolder(FLAGS.output_dir).write_text(
        'table.md', report.grid_table(records))


def cli():
  """`python -m tfp_gengs.experiments.topic_model`: flags, then `main`."""
  _define_flags()
  app.run(main)
