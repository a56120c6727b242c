r"""The document models of paper §6.3: NVPDEF, multi-stacked NVPDEF, NVDM.

Every model reads a document as its word counts `x [V]` (`N = sum_w x_w`
words), encodes it with the same MLP and explains its words with the same
softmax decoder over the vocabulary; only the latent layer differs:

```none
h = MLP(x)                                  (raw counts, as NVDM)
-log p(x | z) = -sum_w x_w log softmax(z R + b)_w        (R [d, V])
NVPDEF (d):   q(z | x) = TD(Poisson(lambda(h)))  or  softmax(logits(h))
              over the window {0..high} of each of the d counts,
              z = GenGS sample (gengs.layers.GenGSPoissonLayer),
              KL = sum_d KL_cat(q_d || TD(Poisson(lambda0)))          exact
stacked (d1-d2): z1 ~ q(z1 | x) (d1 counts), z2 ~ q(z2 | x) (d2 counts),
              p(z1) = TD(Poisson(lambda0)),
              p(z2 | z1) = TD(Poisson(softplus(z1 W + c)))  per dimension,
              KL = sum KL_cat(q(z1) || p(z1))
                   + sum KL_cat(q(z2) || p(z2 | z1~))   z1~ the same sample
NVDM (d):     q(z | x) = N(mu(h), diag sigma(h)^2), z = mu + sigma eps,
              KL = -1/2 sum_d (1 + 2 log sigma - mu^2 - sigma^2)      exact
```

`-log p(x | z)` leaves out the multinomial coefficient `N! / prod_w x_w!`,
as NVDM does: it is the negative log-probability of the document's word
sequence, whose per-word value is what perplexity exponentiates.

`TD(Poisson(lambda))` is the Poisson PMF truncated to `{0..high}`, the tail
mass above `high` on `high` (paper Definition 1), and `KL_cat` the exact
categorical KL of two such PMFs (the paper's KL for a GenGS latent). The
prior of the multi-stacked model's lower layer depends on the upper sample,
which `gengs.layers` (fixed priors) cannot express: its log-PMF is
`tfp_gengs.distributions.truncated_log_pmf.poisson(log_rate=...)` per
example and the KL `kullback_leibler.categorical_kl`, computed here; its
Keras layer is built with `kl_weight=0` and only draws the sample. The
inference network is mean-field: both layers' posteriors read `h`.

Each model is a `TopicModel` with

* `loss(x, seed, kl_weight)`: `(objective, reported -ELBO)`, batch means
  of per-document values;
* `neg_elbo(x, temperature, num_samples, seed)`: per-document `-ELBO`
  estimates, `{variant: [S, B]}`, one per posterior sample (for NVPDEF the
  `'relaxed'` and `'hard'` variants share the Gumbel noise; see
  `evaluation`);
* `topics()`: the decoder matrix `R [d, V]` whose rows are the topics;
* `latent_layers`: its GenGS layers (none for NVDM), whose temperature and
  noise (`SeedGenerator`) the training run sets.

`MODELS` is the study's model table: one row per `--model` (its display
name, its network, its Adam learning rate); `build` makes the one named.
"""

import dataclasses

import keras
import numpy as np
import tensorflow.compat.v2 as tf

import tfp_gengs
from tfp_gengs import layers as gengs_layers
from tfp_gengs.distributions import kullback_leibler
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.experiments.common import estimator_objective

__all__ = ['MODELS', 'Model', 'TopicModel', 'NVPDEF', 'StackedNVPDEF',
           'NVDM', 'poisson_window', 'log_softplus', 'word_log_frequencies',
           'build']


def poisson_window(rate, tail_mass):
  """`(0, high)`: the smallest `high` with `P(X > high) <= tail_mass`."""
  from tensorflow_probability.python.distributions import poisson  # pylint: disable=g-import-not-at-top
  low, high = tfp_gengs.window(poisson.Poisson(float(rate)), tail_mass)
  return low, high


def log_softplus(a):
  """`log(softplus(a))`, finite with finite gradients for every float `a`.

  For `a < -20`, `softplus(a) = exp(a) (1 + O(exp(a)))`, so the value is
  `a` to float precision; the other branch never sees such `a`.
  """
  cutoff = tf.constant(-20., a.dtype)
  safe = tf.maximum(a, cutoff)
  return tf.where(a > cutoff, tf.math.log(tf.math.softplus(safe)), a)


def word_log_frequencies(train_counts):
  """`log((n_w + 1) / (sum n + V))`: the decoder bias at initialisation."""
  totals = np.asarray(train_counts, np.float64).sum(0) + 1.
  return (np.log(totals) - np.log(totals.sum())).astype(np.float32)


class TopicModel:
  """Encoder and softmax decoder shared by the three models.

  Args:
    vocab_size: `V`.
    latent_dims: `d`, the decoder's input width (the lowest latent layer).
    hidden: encoder hidden widths.
    activation: their activation.
    word_log_frequencies: optional `[V]` initial decoder bias (the log
      unigram frequencies; only shortens the first epoch).
    seed: initialisation seed.
  """

  name = None
  variants = ()        # the -ELBO estimates `neg_elbo` returns
  primary = None       # the one used for model selection

  def __init__(self, vocab_size, latent_dims, hidden, activation,
               word_log_frequencies=None, seed=0):
    keras.utils.set_random_seed(seed)
    self.vocab_size = int(vocab_size)
    self.latent_dims = int(latent_dims)
    self.encoder = keras.Sequential(
        [keras.layers.Dense(u, activation=activation, name=f'hidden{i}')
         for i, u in enumerate(hidden)], name='encoder')
    bias = ('zeros' if word_log_frequencies is None else
            keras.initializers.Constant(word_log_frequencies))
    self.decoder = keras.layers.Dense(vocab_size, bias_initializer=bias,
                                      name='decoder')

  # Subclasses: `_trackables()` (layers to checkpoint) and the latent parts.

  def _finish(self, outputs):
    """The functional Keras model holding every layer (for checkpoints)."""
    x = keras.Input((self.vocab_size,), name='x')
    self.model = keras.Model(x, outputs(x), name=self.name)

  @property
  def network_variables(self):
    return list(self.model.trainable_variables)

  def negative_log_likelihood(self, x, z):
    """`-sum_w x_w log softmax(z R + b)_w`: `z [..., B, d]` -> `[..., B]`."""
    log_p = tf.nn.log_softmax(self.decoder(z))
    return -tf.reduce_sum(x * log_p, axis=-1)

  def topics(self):
    """The decoder matrix `R [d, V]`: row `k` is topic `k`'s word weights."""
    return np.asarray(self.decoder.kernel)

  @property
  def latent_layers(self):
    """The GenGS layers (their temperature and noise are the run's)."""
    return []

  def loss(self, x, seed, kl_weight):
    """`(objective, reported)`: the training loss of one batch.

    `objective = mean_B [-log p(x | z) + kl_weight KL]` on one sample,
    `reported` the same with weight 1 (the -ELBO estimate).
    """
    nll, kl = self._train_terms(x, seed)
    nll, kl = tf.reduce_mean(nll), tf.reduce_mean(kl)
    return nll + kl_weight * kl, nll + kl


class NVPDEF(TopicModel):
  """NVPDEF with one layer of `d` GenGS-relaxed truncated Poisson counts.

  Args:
    inference: `'explicit'` (the encoder gives the log-rates) or
      `'implicit'` (the logits of each count's PMF over the window).
    prior_rate: `lambda0`.
    window: `(low, high)` of every count.
    temperature: initial `tau`.
    straight_through: train with the straight-through sample.
    seed: initialisation and layer-noise seed.
    **kwargs: `TopicModel`'s.
  """

  name = 'nvpdef'
  variants = ('relaxed', 'hard')
  primary = 'hard'

  def __init__(self, vocab_size, latent_dims=50, hidden=(500,),
               activation='tanh', inference='explicit', prior_rate=1.,
               window=(0, 9), temperature=1., straight_through=False,
               word_log_frequencies=None, seed=0):
    super().__init__(vocab_size, latent_dims, hidden, activation,
                     word_log_frequencies, seed)
    self.inference = inference
    self.prior_rate = float(prior_rate)
    self.low, self.high = window
    self.latent = self._latent_layer('latent', temperature, straight_through,
                                     seed)
    self.head = self._head('head', latent_dims)
    self._finish(lambda x: self.decoder(self.latent(self.head(
        self.encoder(x)))))

  @property
  def num_outcomes(self):
    return self.high - self.low + 1

  @property
  def latent_layers(self):
    return [self.latent]

  def _latent_layer(self, name, temperature, straight_through, seed,
                    kl_weight=1.):
    return gengs_layers.GenGSPoissonLayer(
        self.prior_rate, high=self.high, low=self.low,
        temperature=temperature, inference=self.inference,
        gradient='straight_through' if straight_through else 'relaxed',
        kl_weight=kl_weight, seed=seed, name=name)

  def _head(self, name, dims):
    width = dims * (self.num_outcomes if self.inference == 'implicit' else 1)
    return keras.layers.Dense(width, name=name)

  def _train_terms(self, x, seed):
    del seed  # the layer's own SeedGenerator draws the noise
    z = self.latent(self.head(self.encoder(x, training=True)),
                    training=True)
    nll = self.negative_log_likelihood(x, z)
    kl = tf.add_n(self.latent.losses)           # mean_B sum_d KL (exact)
    return nll, kl

  def posteriors(self, x):
    """`{name: TruncatedDiscrete}` posteriors of `x`, batch `[B, d]`."""
    return dict(latent=self.latent.posterior(self.head(self.encoder(x))))

  def estimator_loss(self, estimator, x, seed, kl_weight):
    """`(objective, reported)` of one batch trained by `estimator`.

    The exact posterior `q` (no relaxation: every latent an outcome) and a
    `gengs.estimators` estimator of `grad E_q[-log p(x | z)]` with the
    exact KL (`common.estimator_objective`); `estimator` may not have parts
    of its own to train.
    """
    q = self.latent.posterior(self.head(self.encoder(x, training=True)))
    kl = tf.reduce_sum(kullback_leibler.categorical_kl(
        q.logits_parameter(), self.latent.prior().logits_parameter()),
                       axis=-1)
    objective, reported, _ = estimator_objective.elbo_loss(
        estimator, q, lambda z: self.negative_log_likelihood(x, z), kl,
        seed, kl_weight, context=x)
    return objective, reported

  def neg_elbo(self, x, temperature, num_samples, seed, keep_samples=False):
    """`{'relaxed', 'hard'}: [S, B]` one-sample `-ELBO` estimates.

    Both use the same Gumbel noise: the relaxed sample
    `T(softmax((log pi + g) / tau))` and its straight-through forward value
    `c_argmax(log pi + g)`, an exact draw of `q` (every latent an outcome).
    """
    q, relaxed, hard = self.latent.sample_posterior(
        self.head(self.encoder(x)), temperature, num_samples, seed)
    kl = tf.reduce_sum(
        kullback_leibler.categorical_kl(q.logits_parameter(),
        self.latent.prior().logits_parameter()),
        axis=-1)
    out = dict(relaxed=self.negative_log_likelihood(x, relaxed) + kl,
               hard=self.negative_log_likelihood(x, hard) + kl)
    if keep_samples:
      out.update(z_relaxed=relaxed, z_hard=hard)
    return out


class StackedNVPDEF(NVPDEF):
  """Multi-stacked NVPDEF: `d1` upper counts set the `d2` lower rates.

  `p(z2 | z1) = TD(Poisson(softplus(z1 W + c)))`, `W` starting at 0 and
  `c` at `softplus^-1(lambda0)`, so training starts from the single-layer
  model's prior. The decoder reads `z2`.

  Args:
    upper_dims: `d1`.
    latent_dims: `d2`.
    (others as `NVPDEF`.)
  """

  name = 'nvpdef_stacked'

  def __init__(self, vocab_size, latent_dims=50, upper_dims=20,
               hidden=(500,), activation='tanh', inference='explicit',
               prior_rate=1., window=(0, 9), temperature=1.,
               straight_through=False, word_log_frequencies=None, seed=0):
    TopicModel.__init__(self, vocab_size, latent_dims, hidden, activation,
                        word_log_frequencies, seed)
    self.inference = inference
    self.prior_rate = float(prior_rate)
    self.low, self.high = window
    self.upper_dims = int(upper_dims)
    self.upper = self._latent_layer('upper', temperature, straight_through,
                                    seed)
    # Draws the lower sample only; its KL (to p(z2 | z1)) is computed here.
    self.latent = self._latent_layer('latent', temperature, straight_through,
                                      seed + 1, kl_weight=0.)
    self.upper_head = self._head('upper_head', upper_dims)
    self.head = self._head('head', latent_dims)
    inverse_softplus = float(np.log(np.expm1(self.prior_rate)))
    self.prior_map = keras.layers.Dense(
        latent_dims, kernel_initializer='zeros',
        bias_initializer=keras.initializers.Constant(inverse_softplus),
        name='prior_map')

    def outputs(x):
      h = self.encoder(x)
      z1 = self.upper(self.upper_head(h))
      return [self.decoder(self.latent(self.head(h))), self.prior_map(z1)]

    self._finish(outputs)

  @property
  def latent_layers(self):
    return [self.upper, self.latent]

  def conditional_prior_logits(self, z1):
    """`log TD(Poisson(softplus(z1 W + c)))`, `[..., d2, n]`."""
    return truncated_log_pmf.poisson(
        log_rate=log_softplus(self.prior_map(z1)), low=self.low,
        high=self.high)

  def lower_kl(self, q2_logits, z1):
    """`sum_d2 KL_cat(q(z2 | x) || p(z2 | z1))`, `[..., B]`."""
    return tf.reduce_sum(kullback_leibler.categorical_kl(
        q2_logits, self.conditional_prior_logits(z1)), axis=-1)

  def _train_terms(self, x, seed):
    del seed
    h = self.encoder(x, training=True)
    z1 = self.upper(self.upper_head(h), training=True)
    kl1 = tf.add_n(self.upper.losses)           # mean_B sum_d1 KL (exact)
    lower_input = self.head(h)
    z2 = self.latent(lower_input, training=True)
    q2 = self.latent.posterior(lower_input)
    kl2 = self.lower_kl(q2.logits_parameter(), z1)          # [B]
    return self.negative_log_likelihood(x, z2), kl1 + kl2

  def posteriors(self, x):
    h = self.encoder(x)
    return dict(upper=self.upper.posterior(self.upper_head(h)),
                latent=self.latent.posterior(self.head(h)))

  def neg_elbo(self, x, temperature, num_samples, seed, keep_samples=False):
    """As `NVPDEF.neg_elbo`; the lower KL uses the same sample's `z1`."""
    h = self.encoder(x)
    seed = tf.convert_to_tensor(seed, tf.int32)
    q1, z1_relaxed, z1_hard = self.upper.sample_posterior(
        self.upper_head(h), temperature, num_samples,
        tf.random.experimental.stateless_fold_in(seed, 1))
    q2, z2_relaxed, z2_hard = self.latent.sample_posterior(
        self.head(h), temperature, num_samples, seed)
    kl1 = tf.reduce_sum(kullback_leibler.categorical_kl(
        q1.logits_parameter(), self.upper.prior().logits_parameter()),
        axis=-1)
    logits = q2.logits_parameter()
    out = dict(
        relaxed=(self.negative_log_likelihood(x, z2_relaxed) + kl1 +
                 self.lower_kl(logits, z1_relaxed)),
        hard=(self.negative_log_likelihood(x, z2_hard) + kl1 +
              self.lower_kl(logits, z1_hard)))
    if keep_samples:
      out.update(z_relaxed=z2_relaxed, z_hard=z2_hard,
                 z1_relaxed=z1_relaxed, z1_hard=z1_hard)
    return out

  def super_topics(self):
    """`W [d1, d2]`: how much each upper count raises each lower rate."""
    return np.asarray(self.prior_map.kernel)


class NVDM(TopicModel):
  """NVDM (Miao et al., 2016): a Gaussian latent `z [d]`, prior `N(0, I)`.

  The log-sigma layer starts at zero (weights and bias), as in NVDM's code.
  """

  name = 'nvdm'
  variants = ('gaussian',)
  primary = 'gaussian'

  def __init__(self, vocab_size, latent_dims=50, hidden=(500,),
               activation='tanh', word_log_frequencies=None, seed=0):
    super().__init__(vocab_size, latent_dims, hidden, activation,
                     word_log_frequencies, seed)
    self.mean = keras.layers.Dense(latent_dims, name='mean')
    self.log_sigma = keras.layers.Dense(latent_dims, kernel_initializer='zeros',
                                        name='log_sigma')
    self._finish(lambda x: self.decoder(self._posterior(x)[0]))

  def _posterior(self, x, training=False):
    h = self.encoder(x, training=training)
    return self.mean(h), self.log_sigma(h)

  @staticmethod
  def kl(mu, log_sigma):
    """`KL(N(mu, sigma^2) || N(0, 1))` summed over dimensions, `[B]`."""
    return -0.5 * tf.reduce_sum(
        1. + 2. * log_sigma - tf.square(mu) - tf.exp(2. * log_sigma), -1)

  def _sample(self, mu, log_sigma, num_samples, seed):
    shape = tf.concat([[num_samples], tf.shape(mu)], 0)
    eps = tf.random.stateless_normal(shape, seed, dtype=mu.dtype)
    return mu + tf.exp(log_sigma) * eps

  def _train_terms(self, x, seed):
    mu, log_sigma = self._posterior(x, training=True)
    z = self._sample(mu, log_sigma, 1, seed)[0]
    return self.negative_log_likelihood(x, z), self.kl(mu, log_sigma)

  def neg_elbo(self, x, temperature, num_samples, seed, keep_samples=False):
    """`{'gaussian': [S, B]}` one-sample `-ELBO` estimates."""
    del temperature
    mu, log_sigma = self._posterior(x)
    z = self._sample(mu, log_sigma, num_samples, seed)
    out = dict(gaussian=self.negative_log_likelihood(x, z) +
               self.kl(mu, log_sigma))
    if keep_samples:
      out.update(z_gaussian=z)
    return out


@dataclasses.dataclass(frozen=True)
class Model:
  """One row of `MODELS`: a `--model`.

  Attributes:
    name: its `--model` value (run folders, `results.json`).
    display: its name in labels and tables (the paper's Table 2 row).
    network: its class (`NVPDEF`, `StackedNVPDEF`, `NVDM`).
    learning_rate: its Adam learning rate unless `--learning_rate` is
      given, chosen on the validation perplexity of 20-epoch runs
      (`results/topic_model/README.md`: NVDM overfits at 2e-3, NVPDEF
      learns fastest there).
  """

  name: str
  display: str
  network: type
  learning_rate: float

  @property
  def gengs(self):
    """Whether its latents are GenGS counts (it takes `--inference`)."""
    return issubclass(self.network, NVPDEF)


MODELS = {m.name: m for m in (
    # name, display, network, learning rate
    Model('nvpdef', 'NVPDEF', NVPDEF, 2e-3),
    Model('nvpdef_stacked', 'multi-stacked NVPDEF', StackedNVPDEF, 2e-3),
    Model('nvdm', 'NVDM', NVDM, 1e-3),
)}


def build(name, vocab_size, latent_dims=50, upper_dims=20, hidden=(500,),
          activation='tanh', inference='explicit', prior_rate=1.,
          window=(0, 9), temperature=1., straight_through=False,
          word_log_frequencies=None, seed=0):
  """The model called `name` (a key of `MODELS`)."""
  if name not in MODELS:
    raise ValueError(f'Unknown model {name!r}; choose from {tuple(MODELS)}.')
  network = MODELS[name].network
  kwargs = dict(vocab_size=vocab_size, latent_dims=latent_dims,
                hidden=tuple(hidden), activation=activation,
                word_log_frequencies=word_log_frequencies, seed=seed)
  if MODELS[name].gengs:
    kwargs.update(inference=inference, prior_rate=prior_rate, window=window,
                  temperature=temperature, straight_through=straight_through)
  if network is StackedNVPDEF:
    kwargs['upper_dims'] = upper_dims
  return network(**kwargs)
