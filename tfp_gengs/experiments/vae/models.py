"""The discrete-latent VAE of paper §6.2: priors, windows, the Keras model.

Every one of the `d` latent dimensions follows the prior (a count), the
likelihood is Bernoulli over the 784 pixels, and the posterior is the
truncated distribution over the prior's window, produced by a
`gengs.layers` latent layer:

```none
x [B, 784] -> encoder MLP -> h -> GenGS layer -> z [B, d] -> decoder MLP
           -> Bernoulli logits [B, 784]
explicit:  h [B, d]     the family's unconstrained parameter per dimension
           (log-rate; logit of the success probability), pi = TD(lambda(h))
implicit:  h [B, d * n] the logits of pi over the n outcomes of the window
-log p(x | z) = sum_pixels BCE(x, decoder(z))
KL(q || p)    = sum_d sum_k pi_k (log pi_k - log pi_prior_k)      (exact)
```

The same `VAE` serves every estimator: GenGS calls the Keras model (the
layer draws the relaxed sample and adds the KL), and so does the EAT rival
(`relaxation='eat_cubic'`: the Poisson layer draws the
exponential-arrival-time sample over the window `{0..K}`, `K >= high` its
arrivals, with the same KL; Poisson priors only); the score-function
baselines use the layer only for `posterior(h)` and `prior()` and hand the
`TruncatedDiscrete` posterior to `gengs.estimators`.

Windows: `gengs.window(prior, tail_mass)`, for these priors `{0, ..., high}`
with `high` the smallest integer whose upper tail `P(X > high)` under the
prior is at most `tail_mass` (the mass above `high` goes on `high`,
Definition 1). Negative binomial and geometric follow TFP's
parameterisation (`NegativeBinomial(r, p)`: mean `r p / (1 - p)`;
`Geometric(p)`: failures before the first success, mean `(1 - p) / p`).
"""

import collections

import keras
import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.distributions import geometric
from tensorflow_probability.python.distributions import kullback_leibler
from tensorflow_probability.python.distributions import negative_binomial
from tensorflow_probability.python.distributions import poisson

import tfp_gengs
from tfp_gengs import layers as gengs_layers

__all__ = ['ENCODER_INITS', 'PRIORS', 'Prior', 'RATE_LINKS', 'VAE',
           'SoftplusLogRate', 'build_vae']

ENCODER_INITS = ('zeros', 'prior')
RATE_LINKS = ('exp', 'softplus')

# label; distribution(dtype) -> the TFP prior; layer(high, **kw) -> its layer.
Prior = collections.namedtuple('Prior', ['label', 'distribution', 'layer'])


def _poisson(rate):
  return Prior(
      f'Poisson({rate:g})',
      lambda dtype: poisson.Poisson(rate=tf.constant(rate, dtype)),
      lambda high, **kw: gengs_layers.GenGSPoissonLayer(rate, high, **kw))


def _geometric(probs):
  return Prior(
      f'Geometric({probs:g})',
      lambda dtype: geometric.Geometric(probs=tf.constant(probs, dtype)),
      lambda high, **kw: gengs_layers.GenGSGeometricLayer(probs, high, **kw))


def _negative_binomial(total_count, probs):
  return Prior(
      f'NegativeBinomial({total_count:g}, {probs:g})',
      lambda dtype: negative_binomial.NegativeBinomial(
          tf.constant(total_count, dtype), probs=tf.constant(probs, dtype)),
      lambda high, **kw: gengs_layers.GenGSNegativeBinomialLayer(
          total_count, probs, high, **kw))


# The six priors of Table 1.
PRIORS = collections.OrderedDict([
    ('poisson2', _poisson(2.)),
    ('poisson3', _poisson(3.)),
    ('geometric.25', _geometric(.25)),
    ('geometric.5', _geometric(.5)),
    ('negbin3.5', _negative_binomial(3., .5)),
    ('negbin5.3', _negative_binomial(5., .3)),
])


@keras.saving.register_keras_serializable(package='tfp_gengs_vae')
class SoftplusLogRate(keras.layers.Layer):
  """`h -> log(softplus(h))`: a Poisson rate `softplus(h)` given to a
  layer that reads log-rates (the `rate_link='softplus'` encoder head)."""

  def call(self, h):
    return tf.math.log(tf.math.softplus(h) + 1e-30)


def _output_bias(prior, inference, latent, rate_link, width):
  """Encoder output bias at which `q` is the prior (`encoder_init='prior'`).

  Explicit: the family's unconstrained parameter (log-rate, or the inverse
  softplus of the rate; logits of the success probability). Implicit: the
  prior's `log pi` over the window, repeated for every latent dimension.
  """
  if inference == 'implicit':
    log_pi = np.asarray(latent.prior_spec.log_pi, np.float64).ravel()
    return np.resize(log_pi, [width])
  distribution = prior.distribution(tf.float64)
  if isinstance(distribution, poisson.Poisson):
    rate = float(distribution.rate_parameter())
    value = np.log(np.expm1(rate)) if rate_link == 'softplus' else np.log(rate)
  else:
    value = float(distribution.logits_parameter())
  return np.full([width], value)


class VAE:
  """Encoder, GenGS latent layer and decoder, plus the Keras model of all.

  Attributes:
    encoder, decoder: `keras.Sequential` MLPs.
    latent: the `gengs.layers` latent layer.
    model: the functional `keras.Model` `x -> decoder logits` (for GenGS).
    outcomes: float32 `[n]` window outcomes.
  """

  def __init__(self, encoder, latent, decoder, data_dim):
    self.encoder = encoder
    self.latent = latent
    self.decoder = decoder
    self.data_dim = data_dim
    x = keras.Input((data_dim,), name='x')
    self.model = keras.Model(x, decoder(latent(encoder(x))), name='vae')
    self.outcomes = tf.constant(latent.outcomes, tf.float32)

  @property
  def latent_dims(self):
    return self.latent.latent_dims

  @property
  def network_variables(self):
    """Trainable weights of encoder and decoder."""
    return list(self.model.trainable_variables)

  def prior(self):
    return self.latent.prior()

  def posterior(self, x, training=False):
    """The truncated posterior `q(z | x)`, batch shape `[B, d]`."""
    return self.latent.posterior(self.encoder(x, training=training))

  def kl(self, q):
    """Exact `KL(q || prior)` per example and dimension, `[B, d]`."""
    return kullback_leibler.kl_divergence(q, self.prior())

  def negative_log_likelihood(self, x, z, training=False):
    """`-log p(x | z)`: `x [B, D]`, `z [..., B, d]` -> `[..., B]`."""
    z = tf.convert_to_tensor(z, tf.float32)
    lead = tf.shape(z)[:-1]
    logits = self.decoder(tf.reshape(z, [-1, z.shape[-1]]),
                          training=training)
    logits = tf.reshape(logits, tf.concat([lead, [self.data_dim]], 0))
    labels = tf.broadcast_to(tf.cast(x, logits.dtype), tf.shape(logits))
    return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=labels, logits=logits), axis=-1)

  def reconstruction(self, z):
    """Bernoulli means `sigmoid(decoder(z))`, `[B, D]`."""
    return tf.sigmoid(self.decoder(z, training=False))


def _mlp(units, activation, out_units, name, output_bias=None):
  hidden = [keras.layers.Dense(u, activation=activation,
                               name=f'{name}_hidden{i}')
            for i, u in enumerate(units)]
  bias = ('zeros' if output_bias is None else
          keras.initializers.Constant(output_bias))
  out = keras.layers.Dense(out_units, bias_initializer=bias,
                           name=f'{name}_out')
  return keras.Sequential(hidden + [out], name=name)


def build_vae(prior_name, inference, latent_dims=50, hidden=(512, 256),
              activation='relu', tail_mass=1e-6, temperature=1.,
              gradient='relaxed', inference_output='sample', seed=0,
              data_dim=784, pixel_mean=None, relaxation='gengs',
              encoder_init='zeros', rate_link='exp'):
  """The VAE for one of `PRIORS` and an inference mode.

  Args:
    prior_name: a key of `PRIORS`.
    inference: `'explicit'` or `'implicit'`.
    latent_dims: `d`.
    hidden: encoder hidden widths; the decoder mirrors them.
    activation: hidden activation.
    tail_mass: the window's prior upper tail bound (see `window`).
    temperature: initial `tau` of the layer.
    gradient: the layer's `gradient` (`'relaxed'`, `'straight_through'`,
      `'reinmax'`, `'gumbel_rao'`).
    inference_output: the layer's output at inference (`'mean'` for a
      deterministic bottleneck).
    seed: the layer's noise seed and the weights' initialisation seed.
    data_dim: pixels.
    pixel_mean: optional `[data_dim]` training-data pixel means; the
      decoder's output bias starts at their logits.
    relaxation: the Poisson layer's `relaxation` (`'gengs'`, or
      `'eat_cubic'` / `'eat_sigmoid'` with explicit inference and a Poisson
      prior: the window becomes `{0..K}`, see
      `tfp_gengs.layers.eat_relaxation`).
    encoder_init: `'zeros'` (the encoder's output bias) or `'prior'` (the
      bias at which the posterior is the prior).
    rate_link: explicit Poisson posterior: `'exp'` (the encoder outputs the
      log-rate) or `'softplus'` (rate `softplus(h)`).

  Returns:
    `(VAE, window info dict)`.
  """
  prior = PRIORS[prior_name]
  distribution = prior.distribution(tf.float64)
  low, high = tfp_gengs.window(distribution, tail_mass)
  eat = {}
  if relaxation != 'gengs':
    if not isinstance(distribution, poisson.Poisson):
      raise ValueError(f'relaxation={relaxation!r} needs a Poisson prior; '
                       f'got {prior.label} ({prior_name!r}).')
    eat = dict(relaxation=relaxation, tail_mass=tail_mass)
    low = 0  # the arrivals count from 0
  keras.utils.set_random_seed(seed)
  latent = prior.layer(high, low=low, temperature=temperature,
                       inference=inference,
                       gradient=gradient,
                       inference_output=inference_output, seed=seed,
                       name='latent', **eat)
  low, high = latent.prior_spec.low, latent.prior_spec.high  # EAT: {0..K}
  tail = float(distribution.survival_function(tf.constant(high, tf.float64)))
  n = latent.num_outcomes
  width = latent_dims * (n if inference == 'implicit' else 1)
  bias = None
  if encoder_init == 'prior':
    bias = _output_bias(prior, inference, latent, rate_link, width)
  encoder = _mlp(hidden, activation, width, 'encoder', bias)
  if rate_link == 'softplus':
    encoder.add(SoftplusLogRate(name='encoder_softplus_log_rate'))
  output_bias = None
  if pixel_mean is not None:
    p = np.clip(np.asarray(pixel_mean, np.float64), 1e-3, 1. - 1e-3)
    output_bias = np.log(p) - np.log1p(-p)
  decoder = _mlp(tuple(reversed(hidden)), activation, data_dim, 'decoder',
                 output_bias)
  vae = VAE(encoder, latent, decoder, data_dim)
  info = dict(prior=prior.label, low=low, high=high, num_outcomes=n,
              prior_upper_tail=tail, tail_mass=tail_mass)
  if eat:
    info.update(relaxation=relaxation, num_arrivals=latent.num_arrivals)
  return vae, info
