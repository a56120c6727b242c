r"""The discrete-latent VAE study of the GenGS paper (§6.2, Table 1, Figure 4).

Every latent dimension of a VAE on binarized MNIST or OMNIGLOT follows a
count prior (Poisson(2), Poisson(3), Geometric(.25), Geometric(.5),
NegativeBinomial(3, .5), NegativeBinomial(5, .3)), truncated to a window;
the encoder is trained with GenGS (explicit, implicit, straight-through;
the Keras 3 layers of `tfp_gengs.layers`), with the exponential-arrival-time
rival (`eat_cubic`, `eat_sigmoid`: the Poisson layer's EAT relaxation,
explicit, Poisson priors only; issue 13), or with a baseline gradient
estimator of `tfp_gengs.estimators` (RF*, NVIL, MuProp, VIMCO(5), REBAR,
RELAX, StoRB*). One run per invocation (or a sequential grid):

```
python -m tfp_gengs.experiments.vae --output_dir=runs/vae/mnist-poisson2-im \
    --dataset=mnist --prior=poisson2 --estimator=gengs_implicit --seed=0 \
    --data_dir=/path/to/data
python -m tfp_gengs.experiments.vae ...the same flags... --resume  # continue
python -m tfp_gengs.experiments.vae --quick --output_dir=/tmp/vae_quick
# A grid, run one after the other into DIR/<dataset>-<prior>-<est>-s<seed>,
# then every run under DIR tabulated beside Table 1 in DIR/table.md:
python -m tfp_gengs.experiments.vae --grid --resume --output_dir=runs/vae \
    --estimator=gengs_implicit,gengs_explicit --prior=poisson2 --seed=0,1,2
python -m tfp_gengs.experiments.vae --report_only --output_dir=runs/vae
```

Output (`--output_dir`): `results.json` (every setting and number, the
per-epoch history), `summary.md`, `curves.png`, `reconstructions.png`
(Figure 4 style), `latent_histograms.png`, `tensorboard/`, `checkpoints/`
(every epoch; `--resume` continues a killed run to the same final numbers).

#### Evaluation (see `evaluation`)

On the test set, for the model with the best validation score: (a) the
negative ELBO with relaxed samples at the temperature of that epoch, (b)
with hard samples (exact outcomes: the honest ELBO of the discrete model),
both over `--eval_samples` posterior samples with common noise, (c) the
IWAE bound of `-log p(x)` with `--iw_samples` hard samples on the first
`--iw_examples` test examples (0: all). Plus the exact KL, the number of
collapsed latent dimensions (mean KL < 0.01 nats), reconstructions and
latent-count histograms.

#### Settings the paper leaves open (its appendix K is not available)

Chosen here; each is a flag and is written beside the numbers:

* Architecture: MLP encoder 784-512-256-(d or d*n), decoder d-256-512-784,
  ReLU, Bernoulli likelihood, `d = 50` latent dimensions (the sizes of the
  paper's categorical-VAE predecessors and of the project's earlier probe).
  The decoder's output bias starts at the logits of the training pixel means
  (Burda et al.'s initialisation; it only shortens the first epoch).
* Posterior: explicit (the family's parameter per dimension: log-rate, or
  logit of the success probability) or implicit (logits of pi over the
  window). The baselines use `--inference` (default implicit: the same
  posterior family as GenGS (Im.), so the estimator is the only difference).
  EAT is explicit: the posterior is the Poisson of the encoder's log-rate
  truncated to `{0..K}`, `K >= high` the number of arrivals (the exact law
  of its straight-through count), with the same truncated KL as GenGS (Ex.)
  (`tfp_gengs.layers.eat_relaxation`); its relaxed evaluation uses EAT
  samples, its hard one `min(N, K)` from the same arrivals.
* Truncation: `{0..high}`, `high` the smallest integer with prior tail
  `P(X > high) <= 1e-6` (Poisson(2): {0..12}, Poisson(3): {0..14},
  Geometric(.25): {0..48}, Geometric(.5): {0..19}, NegBin(3, .5): {0..26},
  NegBin(5, .3): {0..17}); TFP's parameterisation of the families.
* Temperature: `tau = max(0.5, exp(-2e-5 step))` (Jang et al.'s schedule),
  which reaches 0.5 after about 35,000 steps (70 MNIST epochs); REBAR and
  RELAX learn their own temperature (initial 1).
* Straight-through fine-tuning (`--st_finetune_epochs`, off by default):
  GenGS Ex./Im. train their last epochs on hard forward values.
* Optimiser: Adam, learning rate 1e-3 (one Adam also for the estimators'
  control variates: NVIL's baseline, REBAR's eta and tau, RELAX's network),
  batch 100, 300 epochs; KL weight 1 (`--kl_warmup_epochs` for a linear
  warm-up, off by default).
* Baselines: RF* with 2 samples, VIMCO with 5 samples on the 5-sample bound,
  NVIL/RELAX networks read the image `x`, StoRB* with one latent at a time.
* Model selection: the epoch with the lowest validation negative ELBO with
  hard samples (1 sample per example): the honest metric, and the one we
  report. MNIST: the canonical 10,000 validation images. OMNIGLOT: 1,345
  images held out of the 24,345 training images (seeded), leaving 23,000.
* Randomness: the data order of epoch `e` and every step's noise are
  stateless functions of `(seed, e, step)`, so a resumed run repeats an
  uninterrupted one.
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
from tfp_gengs.experiments.common import distribute
from tfp_gengs.experiments.common import epoch_loop
from tfp_gengs.experiments.common import output
from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import tensorboard
from tfp_gengs.experiments.vae import evaluation as vae_evaluation
from tfp_gengs.experiments.vae import models as vae_model
from tfp_gengs.experiments.vae import report as vae_report
from tfp_gengs.experiments.vae import train as vae_training

# The layer methods' sample gradient (`GenGSLayer(gradient=...)`): GenGS
# relaxed, or an exact outcome forward with a hard-sample gradient.
LAYER_GRADIENTS = {
    'gengs_implicit': 'relaxed', 'gengs_explicit': 'relaxed',
    'gengs_st': 'straight_through', 'reinmax': 'reinmax',
    'gumbel_rao': 'gumbel_rao', 'deterministic': 'relaxed',
}
GENGS_METHODS = tuple(LAYER_GRADIENTS)
# What `--finetune_estimator` may switch a GenGS run to for its last epochs.
FINETUNE_ESTIMATORS = ('gengs_st', 'reinmax', 'gumbel_rao')
EAT_METHODS = ('eat_cubic', 'eat_sigmoid')   # the Poisson layer's relaxation
BASELINES = ('RF*', 'NVIL', 'MuProp', 'VIMCO', 'REBAR', 'RELAX', 'StoRB*')
ESTIMATORS = GENGS_METHODS + EAT_METHODS + BASELINES
# Trained pathwise through the Keras latent layer.
_LAYER_METHODS = GENGS_METHODS + EAT_METHODS
# Their last `st_finetune_epochs` epochs may train straight-through.
_FINETUNED = ('gengs_implicit', 'gengs_explicit') + EAT_METHODS
DATASETS = ('mnist', 'omniglot', 'npz')
COLLAPSE_THRESHOLD = 0.01

# Settings that may change when resuming (they do not change training).
_RESUMABLE = ('output_dir', 'resume', 'data_dir', 'epochs',
              'log_every_seconds', 'stop_after_steps', 'eval_samples',
              'iw_samples', 'iw_examples', 'figure_examples')


# Settings that change nothing in a finished run's results.
_UNCHANGED = ('output_dir', 'resume', 'data_dir', 'log_every_seconds',
              'stop_after_steps')


Interrupted = epoch_loop.Interrupted   # `--stop_after_steps` (tests)


@dataclasses.dataclass
class Config:
  """Every setting of one run (the flags, and the tests' entry point)."""
  output_dir: str = 'runs/vae'
  dataset: str = 'mnist'
  data_dir: str = None
  data_path: str = None
  prior: str = 'poisson2'
  estimator: str = 'gengs_implicit'
  inference: str = None
  seed: int = 0
  epochs: int = 300
  batch_size: int = 100
  learning_rate: float = 1e-3
  latent_dims: int = 50
  hidden: tuple = (512, 256)
  activation: str = 'relu'
  tail_mass: float = 1e-6
  tau_initial: float = 1.
  tau_min: float = .5
  tau_rate: float = 2e-5
  tau_update_every: int = 1
  kl_warmup_epochs: int = 0
  st_finetune_epochs: int = 0
  finetune_estimator: str = ''
  finetune_epochs: int = 0
  lr_decay_rate: float = 1.
  lr_decay_steps: int = 1000
  encoder_init: str = 'zeros'
  rate_link: str = 'exp'
  rf_samples: int = 2
  vimco_samples: int = 5
  train_examples: int = 0
  valid_size: int = 1345
  valid_samples: int = 1
  eval_samples: int = 10
  iw_samples: int = 100
  iw_examples: int = 0
  figure_examples: int = 10
  strategy: str = 'default'
  resume: bool = False
  log_every_seconds: float = 30.
  stop_after_steps: int = 0

  def resolved(self):
    """A copy with `inference` filled in and the choices checked."""
    if self.estimator not in ESTIMATORS:
      raise ValueError(f'Unknown estimator {self.estimator!r}; choose from '
                       f'{ESTIMATORS}.')
    if self.prior not in vae_model.PRIORS:
      raise ValueError(f'Unknown prior {self.prior!r}; choose from '
                       f'{tuple(vae_model.PRIORS)}.')
    if self.dataset not in DATASETS:
      raise ValueError(f'Unknown dataset {self.dataset!r}; choose from '
                       f'{DATASETS}.')
    inference = vae_report.OWN_POSTERIOR.get(self.estimator, self.inference)
    inference = inference or 'implicit'
    if self.finetune_epochs or self.finetune_estimator:
      if self.finetune_estimator not in FINETUNE_ESTIMATORS:
        raise ValueError(f'--finetune_estimator must be one of '
                         f'{FINETUNE_ESTIMATORS} (with --finetune_epochs > 0);'
                         f' got {self.finetune_estimator!r}.')
      if self.estimator not in ('gengs_implicit', 'gengs_explicit'):
        raise ValueError('--finetune_estimator fine-tunes a GenGS run '
                         '(gengs_implicit, gengs_explicit); got --estimator='
                         f'{self.estimator}.')
      if not 0 < self.finetune_epochs <= self.epochs:
        raise ValueError(f'--finetune_epochs must be in [1, --epochs='
                         f'{self.epochs}]; got {self.finetune_epochs}.')
    if not 0. < self.lr_decay_rate <= 1. or self.lr_decay_steps < 1:
      raise ValueError('--lr_decay_rate must be in (0, 1] and '
                       f'--lr_decay_steps >= 1; got {self.lr_decay_rate}, '
                       f'{self.lr_decay_steps}.')
    if self.encoder_init not in vae_model.ENCODER_INITS:
      raise ValueError(f'--encoder_init must be one of '
                       f'{vae_model.ENCODER_INITS}; got {self.encoder_init!r}.')
    if self.rate_link not in vae_model.RATE_LINKS:
      raise ValueError(f'--rate_link must be one of {vae_model.RATE_LINKS}; '
                       f'got {self.rate_link!r}.')
    if self.rate_link != 'exp' and not (
        inference == 'explicit' and self.prior.startswith('poisson')):
      raise ValueError('--rate_link=softplus is for the explicit Poisson '
                       f'posterior; got --inference={inference} --prior='
                       f'{self.prior}.')
    return dataclasses.replace(self, inference=inference,
                               hidden=tuple(int(h) for h in self.hidden))


def quick(config):
  """`--quick`: a few minutes on 2 CPU cores, the full pipeline."""
  return dataclasses.replace(config, epochs=3, train_examples=5000,
                             iw_examples=500, eval_samples=2,
                             iw_samples=20)


def _explained(config, window, data_dim):
  """`(setting, value, why)` rows for the report."""
  c = config
  validation = {'mnist': 'the canonical 10,000 images',
                'omniglot': f'{c.valid_size} images held out of train '
                            '(seeded)'}.get(c.dataset, 'given')
  return [
      ('dataset', c.dataset + (' (our 28×28 derivation, not Burda\'s split)'
                               if c.dataset == 'omniglot' else ''),
       'paper §6.2'),
      ('prior', f'{window["prior"]} per latent dimension', 'paper §6.2'),
      ('estimator', f'{c.estimator} ({vae_report.DISPLAY[c.estimator]})',
       'Table 1 column'),
      ('posterior', c.inference, 'paper §4.1; baselines use the same '
       'family as GenGS (Im.) by default'),
      ('truncation', f'{{{window["low"]}..{window["high"]}}}, tail on the '
       f'ends', f'prior tail P(X > high) <= {c.tail_mass:g}'),
      ('latent dimensions d', c.latent_dims, 'not stated; as in '
       'categorical-VAE work and the earlier probe'),
      ('encoder / decoder', f'{data_dim}-{"-".join(map(str, c.hidden))}-'
       f'(d·n or d), d-{"-".join(map(str, reversed(c.hidden)))}-{data_dim}, '
       f'{c.activation}; Bernoulli likelihood', 'not stated'),
      ('temperature', f'max({c.tau_min:g}, {c.tau_initial:g}·exp(-'
       f'{c.tau_rate:g}·step)), every {c.tau_update_every} step(s)',
       'not stated; Jang et al. schedule'),
      ('optimiser', f'Adam lr {c.learning_rate:g}, batch {c.batch_size}, '
       f'{c.epochs} epochs; the same Adam trains the control variates',
       'not stated'),
      ('KL weight', 'warm-up over %d epochs' % c.kl_warmup_epochs
       if c.kl_warmup_epochs else '1', 'the ELBO'),
      ('straight-through fine-tuning', f'last {c.st_finetune_epochs} '
       'epochs' if c.st_finetune_epochs else 'off', 'GenGS Ex./Im. and EAT; '
       'closes the relaxed/hard gap'),
      ('hard-sample fine-tuning', f'{c.finetune_estimator}, last '
       f'{c.finetune_epochs} epochs' if c.finetune_epochs else 'off',
       'GenGS Ex./Im.: exact outcomes forward in the last epochs'),
      ('learning-rate decay', f'x{c.lr_decay_rate:g} every '
       f'{c.lr_decay_steps} steps' if c.lr_decay_rate < 1. else 'off',
       'Jang et al.\'s reference decays it'),
      ('encoder output', f'bias {c.encoder_init}, rate link {c.rate_link}',
       '\'prior\': starts q at the prior'),
      ('RF* / VIMCO samples', f'{c.rf_samples} / {c.vimco_samples} '
       '(VIMCO on the k-sample bound)', 'paper: VIMCO(5)'),
      ('model selection', f'lowest validation -ELBO, hard samples, S = '
       f'{c.valid_samples}', 'the honest metric; never the test set'),
      ('validation', validation, 'model selection only'),
      ('training examples', c.train_examples or 'all', ''),
      ('test evaluation', f'S = {c.eval_samples} samples (relaxed and hard, '
       f'common noise); IWAE k = {c.iw_samples} on '
       f'{c.iw_examples or "all"} test examples', ''),
      ('seed', c.seed, 'data order and noise: functions of (seed, epoch, '
       'step)'),
  ]


def load_data(config):
  """`(train, valid, test)` float32 `[N, 784]` arrays in {0, 1}."""
  if config.dataset == 'npz':
    if not config.data_path:
      raise ValueError('--dataset=npz needs --data_path=FILE.npz with '
                       'arrays train, valid, test.')
    with np.load(config.data_path) as f:
      return tuple(np.asarray(f[k], np.float32)
                   for k in ('train', 'valid', 'test'))
  from tfp_gengs import datasets  # pylint: disable=g-import-not-at-top
  try:
    if config.dataset == 'mnist':
      splits = datasets.binarized_mnist(config.data_dir)
      return splits.train, splits.valid, splits.test
    splits = datasets.omniglot(config.data_dir)
  except FileNotFoundError as e:
    raise data_folder.missing(
        e, config.data_dir,
        'binarized_mnist' if config.dataset == 'mnist' else 'omniglot') from e
  train, valid = datasets.split_validation(splits.train, config.valid_size,
                                           seed=0)
  return train, valid, splits.test


_seed = epoch_loop.seed


def _settings(config, window):
  """Every setting, as `results.json` and the checkpoints record them.

  The data folder is recorded as `data_folder.setting` writes it
  (`$TFP_GENGS_DATA`, or the folder as given), never as this machine's
  absolute path.
  """
  return dict(dataclasses.asdict(config), window=window,
              data_dir=data_folder.setting(config.data_dir))


def _same_settings(saved, config):
  """Whether a saved run's settings are `config`'s (up to `_UNCHANGED`)."""
  return not checkpointing.changed_settings(
      saved, dataclasses.asdict(config), _UNCHANGED,
      dataclasses.asdict(Config()))


def _gradient_of_epoch(config, epoch):
  """The latent layer's `gradient` in `epoch` (0-based)."""
  if config.finetune_epochs and epoch >= config.epochs - config.finetune_epochs:
    return LAYER_GRADIENTS[config.finetune_estimator]
  if (config.estimator in _FINETUNED and
      epoch >= config.epochs - config.st_finetune_epochs):
    return 'straight_through'
  return LAYER_GRADIENTS.get(config.estimator, 'relaxed')


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
  """VAE, objective, optimizers and trainer, made in the strategy's scope."""
  with strategy.scope():
    vae, window = vae_model.build_vae(
        config.prior, config.inference, latent_dims=config.latent_dims,
        hidden=config.hidden, activation=config.activation,
        tail_mass=config.tail_mass, temperature=config.tau_initial,
        gradient=_gradient_of_epoch(config, 0),
        inference_output=('mean' if config.estimator == 'deterministic'
                          else 'sample'),
        seed=config.seed, data_dim=train.shape[1],
        pixel_mean=train.mean(0), encoder_init=config.encoder_init,
        rate_link=config.rate_link,
        relaxation=(config.estimator if config.estimator in EAT_METHODS
                    else 'gengs'))
    estimator = None
    if config.estimator in _LAYER_METHODS:
      objective = vae_training.GenGSObjective(
          vae, deterministic=config.estimator == 'deterministic')
    else:
      estimator = vae_training.make_estimator(
          config.estimator, seed=config.seed, temperature=config.tau_initial,
          rf_samples=config.rf_samples, vimco_samples=config.vimco_samples)
      objective = vae_training.EstimatorObjective(
          vae, estimator, k_sample_bound=config.estimator == 'VIMCO')
    learning_rate = config.learning_rate
    if config.lr_decay_rate < 1.:   # x rate every `lr_decay_steps` steps
      learning_rate = keras.optimizers.schedules.ExponentialDecay(
          learning_rate, config.lr_decay_steps, config.lr_decay_rate,
          staircase=True)
    optimizer = keras.optimizers.Adam(learning_rate)
  trainer = vae_training.Trainer(objective, vae.network_variables, optimizer,
                                 strategy)
  per_replica = config.batch_size // strategy.num_replicas_in_sync
  trainer.build(tf.constant(train[:per_replica]))
  trackables = dict(model=vae.model, optimizer=optimizer)
  if estimator is not None:
    trackables['estimator'] = estimator
  return vae, window, trainer, trackables


def run(config, data=None, log=None):
  """Trains and evaluates one configuration; returns the results dict.

  Args:
    config: a `Config`.
    data: optional `(train, valid, test)` arrays (else `load_data`).
    log: callable taking a line (default: print, flushed).

  Raises:
    Interrupted: after `config.stop_after_steps` steps of this session.
  """
  log = log or (lambda line: print(line, flush=True))
  config = config.resolved()
  plots.require_matplotlib()
  strategy = distribute.make_strategy(config.strategy)
  replicas = strategy.num_replicas_in_sync
  if config.batch_size % replicas:
    raise ValueError(f'--batch_size={config.batch_size} must be a multiple '
                     f'of the {replicas} replicas.')
  out_dir = config.output_dir
  if not distribute.is_chief():
    out_dir = os.path.join(out_dir, f'worker-{distribute.task_index()}')
  out = output.OutputFolder(out_dir)
  done = out.read_json('results.json') if config.resume else None
  if done is not None and _same_settings(done['settings'], config):
    log(f'{out.root}: finished with these settings; not run again.')
    return done
  train, valid, test = data if data is not None else load_data(config)
  train = np.asarray(train, np.float32)
  if config.train_examples:
    train = train[:config.train_examples]
  valid, test = np.asarray(valid, np.float32), np.asarray(test, np.float32)

  vae, window, trainer, trackables = _build(config, train, strategy)
  settings = _settings(config, window)
  ckpt = checkpointing.EpochCheckpoint(
      os.path.join(out.root, 'checkpoints'), settings,
      trackables, best=dict(model=vae.model), ignore=_RESUMABLE,
      defaults=dataclasses.asdict(Config()))
  loop = epoch_loop.EpochLoop(ckpt, out, config.resume, log)

  label = (f'{config.dataset} {window["prior"]} '
           f'{vae_report.DISPLAY[config.estimator]} seed {config.seed}')
  steps_per_epoch = len(train) // config.batch_size
  evaluator = vae_evaluation.Evaluator(vae)
  writer = tensorboard.ScalarWriter(out.path('tensorboard', 'train'))
  log(f'{label}: {config.epochs} epochs x {steps_per_epoch} steps, window '
      f'{{{window["low"]}..{window["high"]}}}, {replicas} replica(s).')

  def start_epoch(epoch):
    if _gradient_of_epoch(config, epoch) != vae.latent.gradient:
      vae.latent.gradient = _gradient_of_epoch(config, epoch)
      trainer.retrace()
      log(f'Epoch {epoch + 1}: gradient {vae.latent.gradient!r} from here '
          'on.')
    vae.latent.seed_generator.state.assign(tf.constant(
        _seed(epoch_loop.LAYER, config.seed, epoch),
        vae.latent.seed_generator.state.dtype))

  def train_step(batch, seed, beta):
    loss, aux = trainer.step(_distribute_batch(strategy, batch), seed, beta)
    return dict(loss=loss, aux=aux)

  def validate(epoch, step, tau, beta, means):
    del step
    v = evaluator.elbo(valid, tau, config.valid_samples,
                       _seed(epoch_loop.VALID, config.seed, epoch))
    record = dict(
        train_loss=means['loss'], aux_loss=means['aux'], temperature=tau,
        kl_weight=beta, straight_through=vae.latent.straight_through,
        valid_neg_elbo_relaxed=float(v['neg_elbo_relaxed'].mean()),
        valid_neg_elbo_hard=float(v['neg_elbo_hard'].mean()),
        valid_kl=float(v['kl'].mean()),
        valid_collapsed_dims=int(np.sum(v['kl_per_dim'] <
                                        COLLAPSE_THRESHOLD)))
    text = (f'train {record["train_loss"]:.2f}  valid relaxed '
            f'{record["valid_neg_elbo_relaxed"]:.2f}  hard '
            f'{record["valid_neg_elbo_hard"]:.2f}  KL '
            f'{record["valid_kl"]:.2f}  tau {tau:.3f}  collapsed '
            f'{record["valid_collapsed_dims"]}')
    return record, record['valid_neg_elbo_hard'], text

  loop.run(
      epoch_loop.Hooks(train_step, validate, vae.latent.temperature.assign,
                       start_epoch),
      train, batch_size=config.batch_size, epochs=config.epochs,
      run_seed=config.seed,
      schedule=gengs_layers.TemperatureAnnealing(
          config.tau_initial, config.tau_min, config.tau_rate,
          update_every=config.tau_update_every),
      kl_warmup_epochs=config.kl_warmup_epochs, writer=writer,
      log_every_seconds=config.log_every_seconds,
      stop_after_steps=config.stop_after_steps)
  writer.close()
  results = _finish(config, vae, evaluator, ckpt, loop.state, loop.history,
                    test, window, label, out, replicas)
  results['elapsed_seconds'] = loop.elapsed_seconds()
  results['sessions'] = loop.sessions()
  out.write_json('results.json', results)
  out.write_text('summary.md', vae_report.summary(results))
  log(f'{label}: test -ELBO relaxed '
      f'{results["test"]["neg_elbo_relaxed"][0]:.2f}, hard '
      f'{results["test"]["neg_elbo_hard"][0]:.2f}, IWAE(k='
      f'{config.iw_samples}) -log p(x) <= '
      f'{results["test"]["neg_log_likelihood_iw"][0]:.2f}; report '
      f'{out.path("summary.md")}')
  return results


def _mean_se(values):
  values = np.asarray(values, np.float64)
  return [float(values.mean()),
          float(values.std(ddof=1) / np.sqrt(len(values)))
          if len(values) > 1 else None]


def _finish(config, vae, evaluator, ckpt, state, history, test, window,
            label, out, replicas):
  """Test evaluation of the best-validation model, figures, results."""
  ckpt.restore_best()
  best = history[state['best_epoch'] - 1]
  tau = best['temperature']
  vae.latent.temperature.assign(tau)
  test_start = time.time()
  t = evaluator.elbo(test, tau, config.eval_samples,
                     _seed(epoch_loop.TEST, config.seed, 0))
  iw_x = test[:config.iw_examples] if config.iw_examples else test
  iw = evaluator.importance_weighted(iw_x, config.iw_samples,
                                     _seed(epoch_loop.TEST, config.seed, 1))
  test_seconds = time.time() - test_start
  outcomes = np.asarray(vae.latent.outcomes)
  hard = t['hard_sample']                                   # [N, d]
  index = np.searchsorted(outcomes, hard)
  counts = np.bincount(index.ravel(), minlength=len(outcomes))
  prior_pmf = np.exp(np.asarray(vae.latent.prior().logits_parameter(),
                                np.float64))
  prior_pmf /= prior_pmf.sum(-1, keepdims=True)
  kl_per_dim = t['kl_per_dim']
  busiest = np.argsort(-kl_per_dim)[:3]
  per_dim = [(f'dimension {j} (KL {kl_per_dim[j]:.2f})',
              np.bincount(index[:, j], minlength=len(outcomes)) /
              len(index)) for j in busiest]
  k = config.figure_examples
  recon_hard, recon_relaxed = evaluator.reconstructions(
      test[:k], tau, _seed(epoch_loop.TEST, config.seed, 2))
  figures = vae_report.figures(
      out, history, label, test[:k],
      [('hard z', recon_hard), (f'relaxed z (tau {tau:.2g})', recon_relaxed)],
      outcomes, counts / counts.sum(), prior_pmf, per_dim)
  seconds = [h['train_seconds'] for h in history]
  return dict(
      label=label,
      settings=_settings(config, window),
      settings_explained=_explained(config, window, test.shape[1]),
      window=window,
      paper=vae_report.paper_value(config.dataset, config.prior,
                                   config.estimator),
      best_epoch=state['best_epoch'],
      test=dict(
          temperature=tau,
          neg_elbo_relaxed=_mean_se(t['neg_elbo_relaxed']),
          neg_elbo_hard=_mean_se(t['neg_elbo_hard']),
          neg_log_likelihood_iw=_mean_se(-iw),
          iw_examples=len(iw_x),
          # (b) on the IWAE's examples, the number (c) must not exceed.
          neg_elbo_hard_iw_examples=_mean_se(t['neg_elbo_hard'][:len(iw_x)]),
          kl=_mean_se(t['kl']),
          nll_hard=_mean_se(t['nll_hard']),
          nll_relaxed=_mean_se(t['nll_relaxed']),
          kl_per_dim=kl_per_dim,
          collapse_threshold=COLLAPSE_THRESHOLD,
          collapsed_dims=int(np.sum(kl_per_dim < COLLAPSE_THRESHOLD)),
          latent_count_pmf=counts / counts.sum(),
          prior_pmf=prior_pmf,
          all_hard_latents_are_outcomes=bool(np.all(
              np.isin(hard, outcomes)))),
      seconds_per_epoch=float(np.median(seconds)),
      valid_seconds_per_epoch=float(np.median(
          [h['valid_seconds'] for h in history])),
      test_seconds=test_seconds,
      replicas=replicas,
      machine=output.machine(),
      figures=figures,
      history=history)


FLAGS = flags.FLAGS


def _define_flags():
  d = Config()
  common_flags.define_training_flags(d)
  flags.DEFINE_bool('quick', False, 'A few minutes: 3 epochs on 5,000 '
                    'training images, smaller test evaluation.')
  flags.DEFINE_bool('resume', d.resume, 'Continue the run in output_dir '
                    '(a finished run with the same settings is skipped).')
  flags.DEFINE_bool('grid', False, 'Write each run into output_dir/<dataset>'
                    '-<prior>-<estimator>-s<seed> (also for one run; always '
                    'with several) and tabulate output_dir in table.md.')
  flags.DEFINE_bool('report_only', False, 'Train nothing: tabulate every '
                    'results.json under output_dir into output_dir/table.md.')
  flags.DEFINE_enum('dataset', d.dataset, DATASETS, 'Data set.')
  flags.DEFINE_string('data_dir', d.data_dir, 'Data folder (default: the '
                      'loaders\' default).')
  flags.DEFINE_string('data_path', d.data_path, '--dataset=npz: a .npz '
                      'with arrays train, valid, test.')
  flags.DEFINE_list('prior', [d.prior], f'One or more of '
                    f'{",".join(vae_model.PRIORS)}.')
  flags.DEFINE_list('estimator', [d.estimator], f'One or more of '
                    f'{",".join(ESTIMATORS)}.')
  flags.DEFINE_enum('inference', None, ['explicit', 'implicit'],
                    'Posterior of gengs_st and the baselines (default '
                    'implicit).')
  flags.DEFINE_integer('batch_size', d.batch_size, 'Global batch size.')
  flags.DEFINE_float('learning_rate', d.learning_rate, 'Adam learning rate.')
  flags.DEFINE_integer('latent_dims', d.latent_dims, 'd.')
  flags.DEFINE_integer('tau_update_every', d.tau_update_every,
                       'Steps between temperature updates.')
  flags.DEFINE_integer('st_finetune_epochs', d.st_finetune_epochs,
                       'GenGS Ex./Im., EAT: train the last N epochs '
                       'straight-through (hard forward values; 0: off).')
  flags.DEFINE_string('finetune_estimator', d.finetune_estimator,
                      'GenGS Ex./Im.: train the last --finetune_epochs '
                      f'epochs with one of {",".join(FINETUNE_ESTIMATORS)} '
                      '(hard forward values).')
  flags.DEFINE_integer('finetune_epochs', d.finetune_epochs,
                       'Epochs of --finetune_estimator (0: off).')
  flags.DEFINE_float('lr_decay_rate', d.lr_decay_rate, 'Multiply the '
                     'learning rate by this every --lr_decay_steps steps '
                     '(1: constant).')
  flags.DEFINE_integer('lr_decay_steps', d.lr_decay_steps,
                       'Steps between learning-rate decays.')
  flags.DEFINE_enum('encoder_init', d.encoder_init, vae_model.ENCODER_INITS,
                    'Encoder output bias: zeros, or the prior (q starts at '
                    'the prior).')
  flags.DEFINE_enum('rate_link', d.rate_link, vae_model.RATE_LINKS,
                    'Explicit Poisson posterior: rate = exp(h) or '
                    'softplus(h).')
  flags.DEFINE_integer('rf_samples', d.rf_samples, 'RF* samples.')
  flags.DEFINE_integer('vimco_samples', d.vimco_samples, 'VIMCO samples.')
  flags.DEFINE_integer('train_examples', d.train_examples,
                       'Use the first N training images (0: all).')
  flags.DEFINE_integer('valid_size', d.valid_size,
                       'OMNIGLOT: images held out for validation.')
  flags.DEFINE_integer('valid_samples', d.valid_samples,
                       'Posterior samples per validation image.')
  flags.DEFINE_integer('eval_samples', d.eval_samples,
                       'Posterior samples per test image (ELBOs).')
  flags.DEFINE_integer('iw_samples', d.iw_samples, 'IWAE k.')
  flags.DEFINE_integer('iw_examples', d.iw_examples,
                       'Test images for the IWAE bound (0: all).')
  flags.DEFINE_integer('figure_examples', d.figure_examples,
                       'Test images in reconstructions.png.')
  flags.DEFINE_enum('strategy', d.strategy, distribute.STRATEGIES,
                    'tf.distribute strategy.')


def run_folder_name(config):
  """A grid run's folder: dataset, prior, table column (the estimator, and
  `explicit` for a baseline with the explicit posterior), seed; e.g.
  `mnist-poisson2-RFstar-explicit-s0`."""
  column = vae_report.column(dataclasses.asdict(config.resolved()))
  name = f'{config.dataset}-{config.prior}-{column}-s{config.seed}'
  return name.replace('@', '-').replace('*', 'star')


def configs_from_flags():
  """One `Config` per (prior, estimator, seed) of the flags."""
  names = [f.name for f in dataclasses.fields(Config)]
  base = {n: FLAGS[n].value for n in names
          if n in FLAGS and n not in ('prior', 'estimator', 'seed')}
  base['hidden'] = tuple(int(h) for h in FLAGS.hidden)
  grid = [(p, e, int(s)) for p in FLAGS.prior for e in FLAGS.estimator
          for s in FLAGS.seed]
  configs = []
  for prior, estimator, seed in grid:
    config = Config(**dict(base, prior=prior, estimator=estimator, seed=seed))
    if FLAGS.grid or len(grid) > 1:
      config.output_dir = os.path.join(FLAGS.output_dir,
                                       run_folder_name(config))
    if FLAGS.quick:
      config = quick(config)
    configs.append(config)
  return configs


def main(argv):
  del argv
  if not FLAGS['verbosity'].present:     # TF's per-checkpoint INFO lines
    logging.set_verbosity(logging.WARNING)
  if not FLAGS.report_only:
    configs = configs_from_flags()
    with data_folder.exit_if_missing():  # no data: a message and status 2
      for config in configs:
        run(config)
    if len(configs) == 1 and not FLAGS.grid:
      return
  records = vae_report.collect(FLAGS.output_dir)
  path = output.OutputFolder(FLAGS.output_dir).write_text(
      'table.md', vae_report.grid_report(
          records, defaults=dataclasses.asdict(Config())))
  print(f'{len(records)} runs tabulated in {path}.', flush=True)


def cli():
  """`python -m tfp_gengs.experiments.vae`: flags, then `main`."""
  _define_flags()
  app.run(main)
