r"""The topic-model study's settings: `Config` (every flag), with reasons.

Every field of `Config` is a flag of
`python -m tfp_gengs.experiments.topic_model` (`common.configs`: its help
is the field's entry under `Attributes:`); `--model`, `--inference` and
`--seed` take lists (a grid of runs). The models `--model` names are the
rows of `models.MODELS`.

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

from tfp_gengs.experiments.common import configs
from tfp_gengs.experiments.topic_model import models

__all__ = ['Config', 'DECODER_BIASES', 'INFERENCES', 'quick']

INFERENCES = ('explicit', 'implicit')
DECODER_BIASES = ('unigram', 'zeros')


# What `--finetune_gradient` may switch to: a hard-sample gradient of the
# latent layers, or an estimator without parts of its own on the exact
# posterior (NVPDEF).
FINETUNE_ESTIMATORS = ('StoRB*',)
FINETUNE_GRADIENTS = ('', 'straight_through', 'reinmax',
                      'gumbel_rao') + FINETUNE_ESTIMATORS


@dataclasses.dataclass
class Config(configs.with_defaults(
    configs.TrainingConfig, output_dir='runs/topic_model', epochs=50,
    batch_size=64, learning_rate=None, hidden=(500,), activation='tanh',
    tau_rate=1e-4, valid_size=1000, valid_samples=5, eval_samples=20)):
  """Every setting of one run (the flags, and the tests' entry point).

  Attributes:
    data_dir: Data folder holding 20news/ (default: the loaders' default).
    batch_size: Documents per step.
    learning_rate: Adam learning rate (default: the model's, in
      `models.MODELS`).
    latent_dims: Latent dimensions (the lower layer of the multi-stacked
      NVPDEF).
    valid_size: Training documents held out for validation.
    valid_samples: Posterior samples per validation document.
    eval_samples: Posterior samples per test document.
    model: The document model (paper Table 2).
    inference: NVPDEF posterior(s): explicit (log-rates) and/or implicit
      (logits of pi).
    corpus_dir: Instead of 20 Newsgroups: a folder with train.feat,
      test.feat and vocab.new in NVDM's format (no checksums).
    upper_dims: Upper-layer counts of the multi-stacked NVPDEF.
    decoder_bias: Initial decoder bias.
    prior_rate: Poisson prior rate lambda0.
    straight_through: Train NVPDEF with straight-through samples.
    finetune_gradient: NVPDEF: train the last --finetune_epochs epochs with
      this sample gradient of the latent layers (straight_through, reinmax,
      gumbel_rao: exact counts forward), or with the StoRB* estimator on
      the exact posterior (one-layer NVPDEF).
    finetune_epochs: Epochs of --finetune_gradient (0: off).
    train_documents: Use the first N training documents (0: all).
    test_documents: Evaluate the first N test documents (0: all).
    topic_words: Words per topic in topics.txt.
  """

  GRID = ('model', 'inference', 'seed')
  UNCHANGED = None           # a finished run is evaluated again on --resume
  RESUMABLE = configs.TrainingConfig.RESUMABLE + (
      'corpus_dir', 'test_documents', 'topic_words')

  model: str = configs.choice('nvpdef', models.MODELS)
  inference: str = configs.choice('implicit', INFERENCES)
  corpus_dir: str = None
  upper_dims: int = 20
  decoder_bias: str = configs.choice('unigram', DECODER_BIASES)
  prior_rate: float = 1.
  straight_through: bool = False
  finetune_gradient: str = configs.choice('', FINETUNE_GRADIENTS)
  finetune_epochs: int = 0
  train_documents: int = 0
  test_documents: int = 0
  topic_words: int = 10

  def resolved(self):
    """A copy with the choices checked (NVDM has no inference mode)."""
    self.check_choices('model', 'inference', 'decoder_bias',
                       'finetune_gradient')
    row = models.MODELS[self.model]
    if bool(self.finetune_gradient) != bool(self.finetune_epochs) or not (
        0 <= self.finetune_epochs <= self.epochs):
      raise ValueError('--finetune_gradient and --finetune_epochs go together'
                       f' (epochs in [1, --epochs={self.epochs}]); got '
                       f'{self.finetune_gradient!r}, {self.finetune_epochs}.')
    if self.finetune_gradient and not row.gengs:
      raise ValueError(f'--finetune_gradient needs a GenGS model; got '
                       f'--model={self.model}.')
    if (self.finetune_gradient in FINETUNE_ESTIMATORS and
        self.model != 'nvpdef'):
      raise ValueError(f'--finetune_gradient={self.finetune_gradient} (an '
                       'estimator) is for the one-layer NVPDEF; got '
                       f'--model={self.model}.')
    return dataclasses.replace(
        self, inference=self.inference if row.gengs else None,
        learning_rate=float(self.learning_rate or row.learning_rate),
        straight_through=self.straight_through and row.gengs,
        hidden=tuple(int(h) for h in self.hidden))

  @property
  def is_gengs(self):
    return models.MODELS[self.model].gengs


def quick(config):
  """About a minute: 3 epochs on 2,000 training documents, 1,000 test
  documents, S = 5.

  `--quick`: the full pipeline in about a minute on 2 CPU cores.
  """
  return dataclasses.replace(config, epochs=3, train_documents=2000,
                             valid_size=500, eval_samples=5,
                             test_documents=1000)
