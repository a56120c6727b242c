"""GenGSLayer: a Keras 3 latent layer drawing relaxed GenGS samples."""

import collections
from typing import Any, Optional
import warnings

import keras
import numpy as np
import tensorflow.compat.v2 as tf

from tfp_gengs.distributions import kullback_leibler
from tfp_gengs.distributions import sample_gradients
from tfp_gengs.distributions import substrates
from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.internal import checks
from tfp_gengs.layers import prior_spec
from tfp_gengs.layers import relaxations

__all__ = ['GenGSLayer', 'GRADIENTS', 'INFERENCE_MODES', 'INFERENCE_OUTPUTS',
           'PosteriorSample']

GRADIENTS = sample_gradients.GRADIENTS

INFERENCE_MODES = ('explicit', 'implicit')
INFERENCE_OUTPUTS = ('sample', 'straight_through', 'mean')
_HALF_DTYPES = ('float16', 'bfloat16')


class PosteriorSample(collections.namedtuple(
    'PosteriorSample', ['posterior', 'relaxed', 'hard'])):
  """`layer.sample_posterior(...)`: `q`, and relaxed and hard samples of it
  from the same noise (the hard one an exact sample of `q`).

  `posterior` is a `gengs.TruncatedDiscrete` on Keras's TensorFlow backend
  and the log-probabilities `log pi` `[..., d, n]` on the JAX backend.
  """
  __slots__ = ()


@keras.saving.register_keras_serializable(package='tfp_gengs')
class GenGSLayer(keras.layers.Layer):
  """Latent layer: a relaxed GenGS sample and `KL(q || prior)` as a loss.

  The layer turns its input into the truncated posterior `q = pi(x)` over
  the prior's outcome window `c = [c_1, ..., c_n]`, one per latent
  dimension, returns a reparameterized GenGS sample of it, and adds the KL
  to the prior to the model's losses (paper §4.1 and §6.2).

  #### Mathematical Details

  For each of the `d` latent dimensions:

  ```none
  explicit:  log pi = log TD(lambda(x), low, high)    x: [..., d]
  implicit:  log pi = log_softmax(x)                  x: [..., d, n]
  z          = sum_k c_k softmax((log pi + g) / tau)_k,   g_k ~ Gumbel(0, 1)
  KL         = sum_k pi_k (log pi_k - log pi_prior_k)
  loss      += kl_weight * mean_batch(sum_d KL)
  ```

  `TD(lambda, low, high)` is the family PMF truncated to the window with its
  tails on the window ends (`tfp_gengs.distributions.truncated_log_pmf`). In
  `explicit` mode the input holds the family's unconstrained parameter per
  latent dimension: the log-rate for a Poisson prior, the logits of the
  success probability for geometric, binomial and negative binomial priors
  (their `total_count` is the prior's). In `implicit` mode it holds the logits
  of `pi` directly, `[..., d, n]`, or flattened `[..., d * n]` (for example a
  `Dense(d * n)` output), which the layer reshapes. An input of rank >= 3
  whose last axis has `n` entries is read as `[..., d, n]`; any other input
  as `[..., d * n]`. With an explicit prior per latent dimension, `d` must be
  the prior's.

  #### Gradients

  `gradient` chooses what the sample is and which gradient it carries
  (`tfp_gengs.distributions.sample_gradients`):

  * `'relaxed'` (default): the relaxed `z` above, pathwise (GenGS);
  * `'straight_through'`: the exact outcome `c_argmax(log pi + g)` forward,
    the gradient of the relaxed `z` backward;
  * `'reinmax'`: the exact outcome forward, ReinMax's second-order
    gradient backward (Liu et al. 2023; `tau >= 1` recommended);
  * `'gumbel_rao'`: the exact outcome forward, straight-through
    Rao-Blackwellised over `gumbel_rao_samples` conditional Gumbel draws
    (Paulus et al. 2021).

  The three hard choices train the model that is evaluated with exact
  samples (the decoder only ever sees outcomes). `straight_through=True`
  is the former spelling of `gradient='straight_through'` (deprecated).

  #### Training and inference

  The estimator does not change silently with `training`: in training the
  layer always returns the sample above; at inference (`training=False` or
  `None`, as in `predict` and `evaluate`) it returns what `inference_output`
  says:

  * `'sample'` (default): the same sample as in training (relaxed, or the
    exact outcome for a hard `gradient`), at the current `tau`;
  * `'straight_through'`: an exact discrete sample `c_argmax(log pi + g)`;
  * `'mean'`: the deterministic mean of the truncated posterior,
    `sum_k pi_k c_k`.

  The KL loss and the metric are added in both cases. `inference_output`
  can be changed at any time, also after `predict` or `evaluate` have
  compiled their functions: the choice is held in a variable that the
  compiled function reads at each call (a `tf.switch_case` over the three
  outputs, at inference only), so `layer.inference_output = 'mean'` takes
  effect at the next call without retracing.

  #### Temperature, KL metric, seeds

  `tau` is the non-trainable weight `layer.temperature`: it is saved with the
  model and `TemperatureAnnealing` (or `layer.temperature.assign(...)`)
  changes it during training without retracing. The unweighted KL
  (`mean_batch(sum_d KL)`) is tracked by a `keras.metrics.Mean` named
  `'<layer name>_kl'`, which `model.fit` logs and resets every epoch. The
  Gumbel noise comes from a `keras.random.SeedGenerator` (`seed`): one
  stateless seed per call, so the layer is random but reproducible under
  `model.fit`, `tf.function` and `jit_compile=True`; under a
  `tf.distribute` strategy each replica folds in its replica id, so the
  replicas draw different noise.

  #### Keras backends

  The layer runs on Keras's TensorFlow, JAX and PyTorch backends
  (`KERAS_BACKEND=jax` or `torch`) with the same formulas
  (`tfp_gengs.distributions.substrates`): the same outputs, KL and log-PMF
  for the same weights and inputs (the deterministic ones up to float
  rounding), and saved `.keras` files that load on another backend. The
  random streams differ (TensorFlow's Philox, JAX's threefry, PyTorch's
  generator). Elsewhere than on TensorFlow: TFP distribution objects are
  TensorFlow, so `prior()` and `posterior()` raise there;
  `posterior_log_probs(inputs)` gives `log pi` on every backend, and
  `sample_posterior` returns it as its `posterior`; EAT relaxations and
  `tf.distribute` are TensorFlow-only. On JAX there is no
  `'<layer name>_kl'` metric (Keras's JAX trainer cannot update a metric
  inside `call`, keras-team/keras#21639; the KL loss is there). On PyTorch
  `torch.special` has no regularized incomplete beta function, so the
  binomial and negative binomial layers in explicit mode raise a
  `ValueError` naming it (implicit mode works for every prior).

  #### Precision and distribution

  The relaxation, KL and truncated log-PMF are computed in float32 (float64
  if the layer's dtype is float64). Under a mixed-precision policy
  (`mixed_float16`, `mixed_bfloat16`) the layer defaults to a float32 policy;
  given a mixed policy explicitly it casts its inputs to float32. Its output
  is float32 (float64) in both cases.
  `tf.distribute.MirroredStrategy` is supported. XLA inside
  `MirroredStrategy` on *logical* CPU devices fails in TensorFlow for any
  model (not only this layer): keep `jit_compile=False` there (Keras's
  `'auto'` already does); single-device `jit_compile=True` works.

  #### Examples

  ```python
  import keras
  import tensorflow_probability as tfp
  import tfp_gengs as gengs

  # Implicit inference with a per-dimension prior given as a TruncatedDiscrete.
  prior = gengs.truncate(tfp.distributions.Poisson([2., 5., 9.]), high=20)
  latent = gengs.layers.GenGSLayer(prior, temperature=0.5,
                                   inference='implicit', seed=1)
  x = keras.Input((12,))
  z = latent(keras.layers.Dense(3 * 21)(x))          # [batch, 3]

  # Explicit inference: a TFP prior plus its window; the input is log-rates.
  latent = gengs.layers.GenGSLayer(tfp.distributions.Poisson(4.), high=15)
  z = latent(keras.layers.Dense(8)(x))               # [batch, 8]
  ```
  """

  def __init__(self,
               prior: Any,
               temperature: float = 1.0,
               inference: str = 'explicit',
               straight_through: Optional[bool] = None,
               kl_weight: float = 1.0,
               inference_output: str = 'sample',
               seed: Optional[int] = None,
               high: Optional[int] = None,
               low: Optional[int] = None,
               tail_mass: Optional[float] = None,
               gradient: str = 'relaxed',
               gumbel_rao_samples: int = (
                   sample_gradients.DEFAULT_GUMBEL_RAO_SAMPLES),
               **kwargs):
    """Creates the layer.

    Args:
      prior: the truncated prior, shared by all latent dimensions (batch shape
        `[]`) or one per dimension (batch shape `[d]`): a
        `gengs.TruncatedDiscrete` with scalar outcomes (implicit inference
        only, it has no family); a `tfd.Poisson`, `tfd.Geometric`,
        `tfd.Binomial` or `tfd.NegativeBinomial` with `high` (and `low`):
        both modes; any other scalar integer TFP distribution with `high`
        (truncated with `gengs.truncate`, implicit only); or the `prior` dict
        of a `get_config()`. The prior is fixed: its parameters are read once,
        here, and its truncated log-PMF is computed in float64.
      temperature: Python float `> 0`, initial Gumbel-Softmax temperature
        (the value of the `temperature` weight).
      inference: `'explicit'` (input: family parameters `[..., d]`) or
        `'implicit'` (input: logits of `pi`, `[..., d, n]` or `[..., d*n]`).
      straight_through: deprecated; `True` is `gradient='straight_through'`.
      kl_weight: Python float `>= 0` multiplying the KL added to the losses.
      inference_output: `'sample'`, `'straight_through'` or `'mean'`: what
        the layer returns at inference (see the class docstring).
      seed: Python int or `None`, seed of the layer's `SeedGenerator`.
      high: Python int, highest outcome of the window, for a TFP prior.
      low: Python int, lowest outcome of the window, for a TFP prior
        (default 0).
      tail_mass: optional float in `(0, 1)`, for a Poisson, geometric,
        binomial or negative binomial prior instead of `high`/`low`: the
        window `gengs.window(prior, tail_mass)`. The posterior shares the
        prior's window, so leave room for it (a smaller `tail_mass`). The
        config holds the resolved `high`/`low`.
      gradient: `'relaxed'` (default), `'straight_through'`, `'reinmax'` or
        `'gumbel_rao'`: the sample and its gradient (see the class
        docstring).
      gumbel_rao_samples: Python int `K >= 1`, conditional Gumbel draws of
        `gradient='gumbel_rao'` (default 10).
      **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Raises:
      ValueError: unknown `inference`, `inference_output` or `gradient`,
        `straight_through=True` with another hard `gradient`,
        `gumbel_rao_samples < 1`, `temperature <=
        0`, `kl_weight < 0`, a window with fewer than 2 outcomes or outside
        the prior's support, out-of-range prior parameters, a window that
        does not match a `TruncatedDiscrete` prior, or `explicit` inference
        with a prior that has no family.
    """
    substrate = substrates.for_keras_backend()
    checks.check_choice(inference, 'inference', INFERENCE_MODES)
    checks.check_choice(inference_output, 'inference_output',
                        INFERENCE_OUTPUTS)
    gradient = _resolve_gradient(gradient, straight_through)
    sample_gradients.check_gradient(gradient)
    gumbel_rao_samples = checks.python_int(gumbel_rao_samples,
                                           'gumbel_rao_samples')
    temperature = checks.python_float(temperature, 'temperature')
    kl_weight = checks.python_float(kl_weight, 'kl_weight',
                                    allow_minimum=True)
    if seed is not None and (isinstance(seed, bool) or
                             not isinstance(seed, (int, np.integer))):
      raise TypeError(f'Argument `seed` must be a Python int or None; got '
                      f'{seed!r}.')
    if isinstance(prior, prior_spec.PriorSpec):
      spec = prior
    else:
      spec = prior_spec.PriorSpec.from_prior(prior, high=high, low=low,
                                             tail_mass=tail_mass)
    if inference == 'explicit' and spec.family is None:
      raise ValueError(
          'Argument `inference`=\'explicit\' needs a prior family to map the '
          'input to a truncated PMF, but the prior is an arbitrary finite '
          'distribution (a TruncatedDiscrete). Use inference=\'implicit\', or '
          'pass a tfd.Poisson / tfd.Geometric / tfd.Binomial / '
          'tfd.NegativeBinomial prior with `high`, or a named layer such as '
          'GenGSPoissonLayer.')
    if inference == 'explicit':
      substrates.check_family_supported(substrate.name, spec.family)
    if kwargs.get('dtype') is None:
      policy = keras.config.dtype_policy()
      if policy.compute_dtype in _HALF_DTYPES:
        kwargs['dtype'] = 'float32'
    super().__init__(**kwargs)
    self._o = substrate
    self._prior = spec
    self._initial_temperature = temperature
    self.inference = inference
    # The layer owns its sampler (`relaxations`); subclasses with another
    # relaxation of the same posterior replace it.
    self._relaxation = relaxations.GumbelSoftmaxRelaxation(
        gradient, int(gumbel_rao_samples))
    self.kl_weight = kl_weight
    # Read by the compiled inference function at each call (see the class
    # docstring). On TensorFlow a plain `tf.Variable`, not a Keras weight:
    # it is part of the config, not of the trained state (and not saved).
    # On JAX, where a compiled function sees only the variables Keras
    # passes in, a non-trainable weight (also not saved: see
    # `save_own_variables`).
    index = INFERENCE_OUTPUTS.index(inference_output)
    if substrate.name == 'tensorflow':
      self._inference_output_index = tf.Variable(
          index, trainable=False, dtype=tf.int32, name='inference_output')
    else:
      self._inference_output_index = self.add_weight(
          shape=(), name='inference_output', trainable=False, dtype='int32',
          initializer=keras.initializers.Constant(index))
    self.inference_output = inference_output
    self.seed = None if seed is None else int(seed)
    self._latent_dims = None
    self.temperature = self.add_weight(
        shape=(), name='temperature', trainable=False,
        initializer=keras.initializers.Constant(temperature))
    self.seed_generator = keras.random.SeedGenerator(seed)
    # Keras's JAX trainer cannot update a metric inside `call`
    # (keras-team/keras#21639): there the KL is in the losses only.
    self.kl_metric = (keras.metrics.Mean(name=f'{self.name}_kl')
                      if substrate.name != 'jax' else None)
    self.supports_masking = False

  # --------------------------------------------------------------------------
  # Properties
  # --------------------------------------------------------------------------

  @property
  def inference_output(self):
    """What the layer returns at inference: `'sample'`, `'straight_through'`
    or `'mean'`. Assigning it takes effect at the next call, also in
    functions that Keras has already compiled."""
    return self._inference_output

  @inference_output.setter
  def inference_output(self, value):
    checks.check_choice(value, 'inference_output', INFERENCE_OUTPUTS)
    self._inference_output = value
    self._inference_output_index.assign(INFERENCE_OUTPUTS.index(value))

  @property
  def gradient(self):
    """The training sample's gradient (`GRADIENTS`); assignable (functions
    already traced keep the old choice until traced again)."""
    return self._relaxation.gradient

  @gradient.setter
  def gradient(self, value):
    checks.check_choice(value, 'gradient', self._relaxation.gradients)
    self._relaxation.gradient = value

  @property
  def gumbel_rao_samples(self):
    """`K` of `gradient='gumbel_rao'`."""
    return getattr(self._relaxation, 'gumbel_rao_samples',
                   sample_gradients.DEFAULT_GUMBEL_RAO_SAMPLES)

  @property
  def straight_through(self):
    """Whether the training sample is an exact outcome (a hard gradient).

    Assigning `True` / `False` sets `gradient` to `'straight_through'` /
    `'relaxed'` (the former flag; functions already traced keep the old
    choice until they are traced again).
    """
    return self.gradient in sample_gradients.HARD_GRADIENTS

  @straight_through.setter
  def straight_through(self, value):
    self.gradient = 'straight_through' if value else 'relaxed'

  @property
  def prior_spec(self):
    """The `PriorSpec` (outcomes, `log pi_prior`, family and window)."""
    return self._prior

  @property
  def outcomes(self):
    """Outcome values `c` of the window, float64 numpy `[n]`."""
    return self._prior.outcomes

  @property
  def num_outcomes(self):
    """`n`, the number of outcomes of the window."""
    return self._prior.num_outcomes

  @property
  def latent_dims(self):
    """`d` (known once the layer is built, or from a per-dimension prior)."""
    return self._latent_dims or self._prior.latent_dims

  def _require_tensorflow(self, method):
    if self._o.name != 'tensorflow':
      raise NotImplementedError(
          f'`{type(self).__name__}.{method}()` returns a TFP distribution, '
          f'which needs Keras\'s TensorFlow backend; this Keras runs on '
          f'{self._o.name!r}. Use `posterior_log_probs(inputs)` (log pi, '
          'an array) or `prior_spec` (outcomes and log pi, numpy).')

  def prior(self) -> truncated_discrete.TruncatedDiscrete:
    """The prior as a `gengs.TruncatedDiscrete` (batch `[]` or `[d]`).

    TensorFlow backend only (`prior_spec.log_pi` holds it on any backend).
    """
    self._require_tensorflow('prior')
    dtype = self._relaxation_dtype()
    return truncated_discrete.TruncatedDiscrete(
        tf.constant(self._prior.outcomes, dtype),
        logits=tf.constant(self._prior.log_pi, dtype))

  def posterior(self, inputs: Any) -> truncated_discrete.TruncatedDiscrete:
    """The truncated posterior `q` for `inputs`, a `gengs.TruncatedDiscrete`.

    Args:
      inputs: what the layer is called on (`[..., d]` explicit, `[..., d, n]`
        or `[..., d*n]` implicit).

    Returns:
      `TruncatedDiscrete` over the window with batch shape `[..., d]`;
      its `probs_parameter()` is `pi`, its `mean()` the `'mean'` output.
      TensorFlow backend only (`posterior_log_probs` on any backend).
    """
    self._require_tensorflow('posterior')
    dtype = self._relaxation_dtype()
    return truncated_discrete.TruncatedDiscrete(
        tf.constant(self._prior.outcomes, dtype),
        logits=self.posterior_log_probs(inputs))

  def posterior_log_probs(self, inputs: Any) -> Any:
    """`log pi`, the truncated posterior's log-probabilities `[..., d, n]`.

    On any Keras backend (a tensor of that backend), over the outcomes
    `layer.outcomes`; normalized in explicit mode, the input logits as they
    are (reshaped) in implicit mode.
    """
    x = keras.ops.cast(keras.ops.convert_to_tensor(inputs),
                       self._relaxation_dtype())
    self._parse_input_shape(x.shape)
    return self._posterior_logits(x)

  def sample_posterior(self, inputs: Any, temperature: Any = None,
                       num_samples: int = 1,
                       seed: Any = None) -> PosteriorSample:
    """The posterior and `num_samples` relaxed and hard samples of it.

    What an evaluation needs, from the layer's own relaxation (GenGS, or
    EAT for an EAT Poisson layer): the relaxed value and its hard
    counterpart from the same noise; the hard value is an exact sample of
    the posterior (every latent an outcome of the window). Adds no loss.

    Args:
      inputs: what the layer is called on.
      temperature: `tau` of the relaxed samples (default: the layer's
        `temperature` weight).
      num_samples: `S`, samples per input.
      seed: a stateless seed (default: the layer's next seed).

    Returns:
      `PosteriorSample(posterior, relaxed, hard)`: a `TruncatedDiscrete`
      with batch shape `[..., d]` (on JAX: its `log pi`, `[..., d, n]`) and
      two `[S, ..., d]` tensors.
    """
    o = self._o
    dtype = self._relaxation_dtype()
    x = keras.ops.cast(keras.ops.convert_to_tensor(inputs), dtype)
    self._parse_input_shape(x.shape)
    log_pi = self._posterior_logits(x)
    outcomes = o.constant(self._prior.outcomes, dtype)
    if temperature is None:
      temperature = self.temperature.value
    temperature = keras.ops.cast(temperature, dtype)
    seed = self._next_seed() if seed is None else seed

    def draw(gradient):
      return self._relaxation.sample(x, log_pi, outcomes, temperature, seed,
                                     gradient, sample_shape=[num_samples],
                                     backend=o.name)

    posterior = (log_pi if o.name != 'tensorflow' else
                 truncated_discrete.TruncatedDiscrete(outcomes, logits=log_pi))
    return PosteriorSample(posterior, draw('relaxed'),
                           draw('straight_through'))

  # --------------------------------------------------------------------------
  # Shapes
  # --------------------------------------------------------------------------

  def _relaxation_dtype(self):
    dtype = self.compute_dtype
    return 'float32' if dtype in _HALF_DTYPES else dtype

  def _expected_shapes(self, d):
    n = self.num_outcomes
    if self.inference == 'explicit':
      what = self._prior.describe_explicit_input()
      return f'[..., {d}] ({what} of each latent dimension)'
    flat = d * n if isinstance(d, int) else f'd*{n}'
    return (f'[..., {d}, {n}] or [..., {flat}] '
            f'(logits of pi over the n={n} outcomes {self._window_text()} of '
            'each latent dimension)')

  def _window_text(self):
    c = self._prior.outcomes
    if np.array_equal(c, np.arange(c[0], c[0] + c.shape[0])):
      return f'{c[0]:g}..{c[-1]:g}'
    return str(c.tolist())

  def _shape_error(self, input_shape, reason):
    d = self._prior.latent_dims
    expected = self._expected_shapes(d if d is not None else 'd')
    return ValueError(
        f'Layer {self.name!r} ({type(self).__name__}, {self.inference} '
        f'inference) expects inputs of shape {expected}; got input shape '
        f'{tuple(input_shape)}: {reason}.')

  def _parse_input_shape(self, input_shape):
    """`(d, flat)` from the input shape, or a `ValueError` naming the shape."""
    shape = _shape_tuple(input_shape)
    if not shape:
      raise self._shape_error(shape, 'the input is a scalar')
    n = self.num_outcomes
    d_prior = self._prior.latent_dims
    if self.inference == 'explicit':
      d, flat = shape[-1], False
      if d is None:
        raise self._shape_error(shape, 'its last dimension must be known')
    elif len(shape) >= 3 and shape[-1] == n:
      d, flat = shape[-2], False
      if d is None:
        raise self._shape_error(shape, 'the latent dimension d (axis -2) must '
                                'be known')
    else:
      width, flat = shape[-1], True
      if width is None:
        raise self._shape_error(shape, 'its last dimension must be known')
      if width % n:
        raise self._shape_error(
            shape, f'the last dimension ({width}) is not a multiple of n={n}')
      d = width // n
    if d_prior is not None and d != d_prior:
      raise self._shape_error(
          shape, f'the prior is given per latent dimension for d={d_prior} '
          f'dimensions, the input has d={d}')
    if d < 1:
      raise self._shape_error(shape, 'there must be at least one latent '
                              'dimension')
    return d, flat

  def build(self, input_shape):
    self._latent_dims, _ = self._parse_input_shape(input_shape)

  def compute_output_shape(self, input_shape):
    d, flat = self._parse_input_shape(input_shape)
    shape = _shape_tuple(input_shape)
    if self.inference == 'explicit':
      return shape
    return shape[:-1] + (d,) if flat else shape[:-1]

  def compute_output_spec(self, inputs, training=None):
    return keras.KerasTensor(self.compute_output_shape(inputs.shape),
                             dtype=self._relaxation_dtype())

  # --------------------------------------------------------------------------
  # Forward pass
  # --------------------------------------------------------------------------

  def _posterior_logits(self, x):
    """`log pi` of the posterior, `[..., d, n]`, from the cast input."""
    if self.inference == 'explicit':
      return self._prior.explicit_log_pi(x, self._o.name)
    d, flat = self._parse_input_shape(x.shape)
    if flat:
      x = self._o.split_last(x, d, self.num_outcomes)
    return x

  def _next_seed(self):
    """A stateless seed, distinct per call (and per `tf.distribute`
    replica): `int32[2]` on TensorFlow, a `uint32[2]` key on JAX."""
    if self._o.name != 'tensorflow':
      return self.seed_generator.next()
    seed = tf.cast(self.seed_generator.next(), tf.int32)
    replica = tf.distribute.get_replica_context()
    if replica is not None and replica.num_replicas_in_sync > 1:
      seed = tf.random.experimental.stateless_fold_in(
          seed, replica.replica_id_in_sync_group)
    return seed

  def call(self, inputs, training=None):
    o = self._o
    dtype = self._relaxation_dtype()
    x = keras.ops.cast(inputs, dtype)
    log_pi = self._posterior_logits(x)
    outcomes = o.constant(self._prior.outcomes, dtype)

    kl = kullback_leibler.categorical_kl(
        log_pi, o.constant(self._prior.log_pi, dtype), backend=o.name)
    kl = o.reduce_mean(o.reduce_sum(kl, axis=-1))
    self.add_loss(o.constant(self.kl_weight, dtype) * kl)
    if self.kl_metric is not None:
      self.kl_metric.update_state(kl)

    temperature = keras.ops.cast(self.temperature.value, dtype)
    seed = self._next_seed()

    def sample(gradient):
      return self._relaxation.sample(x, log_pi, outcomes, temperature, seed,
                                     gradient, backend=o.name)

    if training:
      return sample(self.gradient)
    # At inference: the output the variable names now (no retracing).
    index = self._inference_output_index
    if isinstance(index, keras.Variable):  # JAX: its value in this call
      index = index.value
    return o.switch_case(index, [
        lambda: sample(self.gradient),
        lambda: sample('straight_through'),
        lambda: o.tensordot_last(o.softmax(log_pi), outcomes),
    ])

  # --------------------------------------------------------------------------
  # Serialization
  # --------------------------------------------------------------------------

  def save_own_variables(self, store):
    """Saves `temperature` and the seed generator's state.

    Keras saves only `add_weight` variables by default; keeping the seed
    state too makes a reloaded model continue the same random stream (the
    same outputs as the original for the same calls).
    """
    store['0'] = self.temperature
    store['1'] = self.seed_generator.state

  def load_own_variables(self, store):
    if len(store.keys()) not in (1, 2):
      raise ValueError(
          f'Layer {self.name!r} expects 2 saved variables (temperature and '
          f'seed state); the file has {len(store.keys())}.')
    self.temperature.assign(store['0'])
    if '1' in store:
      self.seed_generator.state.assign(store['1'])

  @classmethod
  def from_config(cls, config):
    """Also reads configs saved before `gradient` (`straight_through`)."""
    config = dict(config)
    if 'straight_through' in config and 'gradient' not in config:
      config['gradient'] = ('straight_through'
                            if config.pop('straight_through') else 'relaxed')
    return super().from_config(config)

  def get_config(self):
    config = super().get_config()
    config.update(
        prior=self._prior.to_config(),
        temperature=self._initial_temperature,
        inference=self.inference,
        gradient=self.gradient,
        gumbel_rao_samples=self.gumbel_rao_samples,
        kl_weight=self.kl_weight,
        inference_output=self.inference_output,
        seed=self.seed)
    return config


def _shape_tuple(shape):
  """A shape (`tf.TensorShape`, tuple or list) as a tuple of ints / `None`."""
  if hasattr(shape, 'as_list'):
    return tuple(shape.as_list()) if shape.rank is not None else ()
  return tuple(None if s is None else int(s) for s in shape)


def _resolve_gradient(gradient, straight_through):
  """`gradient`, with the deprecated `straight_through` flag folded in."""
  if straight_through is None:
    return gradient
  warnings.warn('Argument `straight_through` is deprecated: use '
                "gradient='straight_through' (or 'relaxed').",
                DeprecationWarning, stacklevel=3)
  if not straight_through:
    return gradient
  if gradient not in ('relaxed', 'straight_through'):
    raise ValueError('Arguments `straight_through`=True and `gradient`='
                     f'{gradient!r} disagree: pass only `gradient`.')
  return 'straight_through'
