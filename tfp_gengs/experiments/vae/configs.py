r"""The VAE study's settings: `Config` (every flag), with their reasons.

Every field of `Config` is a flag of `python -m tfp_gengs.experiments.vae`
(`common.configs`: its help is the field's entry under `Attributes:`);
`--prior`, `--estimator` and `--seed` take lists (a grid of runs). The
methods `--estimator` names are the rows of `methods.METHODS`.

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
  control variates: NVIL's baseline, REBAR's eta and tau, RELAX's network;
  `--weight_decay` for AdamW, off by default),
  batch 100, 300 epochs; KL weight 1 (`--kl_warmup_epochs` for a linear
  warm-up, off by default).
* Baselines: RF* with 2 samples, VIMCO with 5 samples on the 5-sample bound,
  NVIL/RELAX networks read the image `x`, StoRB* with one latent at a time.
* Model selection: the epoch with the lowest validation negative ELBO with
  hard samples (1 sample per example): the honest metric, and the one we
  report. MNIST: the canonical 10,000 validation images. OMNIGLOT: 1,345
  images held out of the 24,345 training images (seeded), leaving 23,000.
* Dynamic binarization (`--dataset=mnist_dynamic`, not the paper's
  setting, reported apart): the grey MNIST training images less a seeded
  hold-out of 10,000 (so 50,000 train, as in the static split), drawn as
  `Bernoulli(pixel)` at every step; validation and test images are
  binarized once with a fixed seed.
* Randomness: the data order of epoch `e` and every step's noise are
  stateless functions of `(seed, e, step)`, so a resumed run repeats an
  uninterrupted one.
"""

import dataclasses

from tfp_gengs.experiments.common import configs
from tfp_gengs.experiments.common import distribute
from tfp_gengs.experiments.vae import methods
from tfp_gengs.experiments.vae import models

__all__ = ['Config', 'DATASETS', 'INFERENCES', 'quick']

DATASETS = ('mnist', 'mnist_dynamic', 'omniglot', 'npz')
INFERENCES = ('explicit', 'implicit')


@dataclasses.dataclass
class Config(configs.with_defaults(
    configs.TrainingConfig, output_dir='runs/vae', epochs=300,
    batch_size=100, learning_rate=1e-3, hidden=(512, 256), activation='relu',
    tau_rate=2e-5, valid_size=1345, valid_samples=1, eval_samples=10)):
  """Every setting of one run (the flags, and the tests' entry point).

  Attributes:
    batch_size: Global batch size.
    valid_size: OMNIGLOT: images held out for validation.
    valid_samples: Posterior samples per validation image.
    eval_samples: Posterior samples per test image (ELBOs).
    resume: Continue the run in output_dir (a finished run with the same
      settings is skipped).
    dataset: Data set (mnist_dynamic: grey MNIST binarized anew at every
      step, reported apart from the paper's static mnist).
    data_path: --dataset=npz: a .npz with arrays train, valid, test.
    prior: The latent prior (paper Table 1).
    estimator: How the encoder trains (a row of `methods.METHODS`).
    inference: Posterior of the methods without their own (gengs_st, the
      bottleneck, the baselines; default implicit).
    tau_update_every: Steps between temperature updates.
    st_finetune_epochs: GenGS Ex./Im., EAT: train the last N epochs
      straight-through (hard forward values; 0: off).
    finetune_estimator: GenGS Ex./Im.: train the last --finetune_epochs
      epochs with a hard-sample method (gengs_st, reinmax, gumbel_rao, or
      an estimator without learned parts: StoRB*, RF*, MuProp).
    finetune_epochs: Epochs of --finetune_estimator (0: off).
    lr_decay_rate: Multiply the learning rate by this every
      --lr_decay_steps steps (1: constant).
    lr_decay_steps: Steps between learning-rate decays.
    weight_decay: Decoupled weight decay (AdamW): every step multiplies
      each trained weight (network and control variates) by
      1 - learning_rate * weight_decay (0: Adam).
    encoder_init: Encoder output bias: zeros, or the prior (q starts at the
      prior).
    rate_link: Explicit Poisson posterior: rate = exp(h) or softplus(h).
    rf_samples: RF* samples.
    vimco_samples: VIMCO samples.
    train_examples: Use the first N training images (0: all).
    iw_samples: IWAE k.
    iw_examples: Test images for the IWAE bound (0: all).
    figure_examples: Test images in reconstructions.png.
    strategy: tf.distribute strategy.
  """

  GRID = ('prior', 'estimator', 'seed')
  RESUMABLE = configs.TrainingConfig.RESUMABLE + (
      'iw_samples', 'iw_examples', 'figure_examples')

  dataset: str = configs.choice('mnist', DATASETS)
  data_path: str = None
  prior: str = configs.choice('poisson2', models.PRIORS)
  estimator: str = configs.choice('gengs_implicit', methods.METHODS)
  inference: str = configs.choice(None, INFERENCES)
  tau_update_every: int = 1
  st_finetune_epochs: int = 0
  finetune_estimator: str = ''
  finetune_epochs: int = 0
  lr_decay_rate: float = 1.
  lr_decay_steps: int = 1000
  weight_decay: float = 0.
  encoder_init: str = configs.choice('zeros', models.ENCODER_INITS)
  rate_link: str = configs.choice('exp', models.RATE_LINKS)
  rf_samples: int = 2
  vimco_samples: int = 5
  train_examples: int = 0
  iw_samples: int = 100
  iw_examples: int = 0
  figure_examples: int = 10
  strategy: str = configs.choice('default', distribute.STRATEGIES)

  @property
  def method(self):
    """The row of `--estimator` in `methods.METHODS`."""
    return methods.get(self.estimator)

  def resolved(self):
    """A copy with `inference` filled in and the choices checked."""
    method = self.method
    self.check_choices('prior', 'dataset', 'encoder_init', 'rate_link')
    inference = method.posterior or self.inference or 'implicit'
    if self.finetune_epochs or self.finetune_estimator:
      self._check_finetune(method)
    if not 0. < self.lr_decay_rate <= 1. or self.lr_decay_steps < 1:
      raise ValueError('--lr_decay_rate must be in (0, 1] and '
                       f'--lr_decay_steps >= 1; got {self.lr_decay_rate}, '
                       f'{self.lr_decay_steps}.')
    if not 0. <= self.weight_decay < float('inf'):
      raise ValueError('--weight_decay must be finite and >= 0; got '
                       f'{self.weight_decay}.')
    if self.rate_link != 'exp' and not (
        inference == 'explicit' and self.prior.startswith('poisson')):
      raise ValueError('--rate_link=softplus is for the explicit Poisson '
                       f'posterior; got --inference={inference} --prior='
                       f'{self.prior}.')
    return dataclasses.replace(self, inference=inference,
                               hidden=tuple(int(h) for h in self.hidden))

  def _check_finetune(self, method):
    """`--finetune_estimator`: a hard-sample method after GenGS."""
    targets = tuple(m.name for m in methods.METHODS.values() if m.fine_tunes)
    if self.finetune_estimator not in targets:
      raise ValueError(f'--finetune_estimator must be one of {targets} '
                       f'(with --finetune_epochs > 0); got '
                       f'{self.finetune_estimator!r}.')
    bases = tuple(m.name for m in methods.METHODS.values()
                  if m.relaxed and m.trains == 'layer')
    if self.estimator not in bases:
      raise ValueError(f'--finetune_estimator fine-tunes a GenGS run '
                       f'({", ".join(bases)}); got --estimator='
                       f'{self.estimator}.')
    if not 0 < self.finetune_epochs <= self.epochs:
      raise ValueError(f'--finetune_epochs must be in [1, --epochs='
                       f'{self.epochs}]; got {self.finetune_epochs}.')


def quick(config):
  """A few minutes: 3 epochs on 5,000 training images, smaller test
  evaluation.

  `--quick`: the full pipeline in a few minutes on 2 CPU cores.
  """
  return dataclasses.replace(config, epochs=3, train_examples=5000,
                             iw_examples=500, eval_samples=2,
                             iw_samples=20)
