"""RelaxedTruncatedDiscrete: the Generalized Gumbel-Softmax distribution."""

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import softplus as softplus_bijector
from tensorflow_probability.python.distributions import relaxed_onehot_categorical
from tensorflow_probability.python.distributions import transformed_distribution
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util
from tensorflow_probability.python.util import deferred_tensor

from tfp_gengs.bijectors import outcome_projection
from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.internal import checks

__all__ = ['RelaxedTruncatedDiscrete']


def temperature_properties(dtype):
  return parameter_properties.ParameterProperties(
      default_constraining_bijector_fn=(
          lambda: softplus_bijector.Softplus(low=dtype_util.eps(dtype))))


class RelaxedTruncatedDiscrete(transformed_distribution.TransformedDistribution):
  """Generalized Gumbel-Softmax: a relaxed, reparameterized discrete value.

  `T(GS(pi, tau))`: a `tfd.RelaxedOneHotCategorical(temperature, logits)`
  pushed through `OutcomeProjection(outcomes)` (paper §3.2). Samples are
  differentiable in `logits`/`probs` and `temperature`; as `tau -> 0` they
  tend to samples of `truncated()`, the exact `TruncatedDiscrete` with the
  same `pi` (paper Theorem 4).

  #### Mathematical Details

  ```none
  x = softmax((log pi + g) / tau),   g_k ~ Gumbel(0, 1) iid
  z = T(x) = sum_k c_k x_k
  ```

  With `straight_through=True`, samples are the exact outcomes
  `T(one_hot(argmax(log pi + g)))` and gradients are those of the relaxed
  `z` (Bengio et al., 2013; Jang et al., 2017).

  `T` is not injective for `n > 2` outcomes, so the density of `z` is not
  available: `log_prob` raises `NotImplementedError` (use `truncated()` for
  the exact discrete probabilities, and `tfd.kl_divergence`, registered as
  the categorical KL of `pi`, for ELBOs). For two scalar outcomes `log_prob`
  is the binary Concrete density.

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.RelaxedTruncatedDiscrete(
      temperature=0.5, outcomes=[0., 1., 2., 3.], logits=[0., 1., 1., 0.])
  z = d.sample(5, seed=1)            # five relaxed values in [0, 3]
  d.truncated().probs_parameter()    # pi
  ```
  """

  def __init__(self,
               temperature,
               outcomes,
               logits=None,
               probs=None,
               straight_through=False,
               validate_args=False,
               allow_nan_stats=True,
               name='RelaxedTruncatedDiscrete'):
    """Creates the distribution.

    Args:
      temperature: positive float `Tensor` (or variable) broadcastable to the
        batch shape: the Gumbel-Softmax temperature `tau`.
      outcomes: float `Tensor` `[n]` or `[n, d]`, the outcome values `c`.
      logits: float `Tensor` `[..., n]`, logits of `pi` (implicit inference).
      probs: float `Tensor` `[..., n]`, `pi` itself. Exactly one of `logits`,
        `probs` must be given.
      straight_through: Python `bool`: sample exact outcomes forward and
        relaxed gradients backward.
      validate_args: Python `bool`, check parameters at run time.
      allow_nan_stats: Python `bool`, TFP's convention for undefined stats.
      name: Python `str` name prefixed to ops created by this class.
    """
    parameters = dict(locals())
    if (logits is None) == (probs is None):
      raise ValueError('Must pass exactly one of `logits` or `probs`.')
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype([temperature, logits, probs],
                                      dtype_hint=tf.float32)
      self._logits = tensor_util.convert_nonref_to_tensor(
          logits, dtype=dtype, name='logits')
      self._probs = tensor_util.convert_nonref_to_tensor(
          probs, dtype=dtype, name='probs')
      outcomes = truncated_discrete.convert_outcomes(outcomes, dtype)
      truncated_discrete.check_logits_width(self._logits, 'logits', outcomes)
      truncated_discrete.check_logits_width(self._probs, 'probs', outcomes)
      self._init_relaxed(
          temperature=temperature, outcomes=outcomes, dtype=dtype,
          base_logits=self._logits, base_probs=self._probs,
          straight_through=straight_through, validate_args=validate_args,
          allow_nan_stats=allow_nan_stats, parameters=parameters, name=name)

  def _init_relaxed(self, temperature, outcomes, dtype, base_logits,
                    base_probs, straight_through, validate_args,
                    allow_nan_stats, parameters, name):
    """Shared constructor body of this class and the GenGS families."""
    self._temperature = tensor_util.convert_nonref_to_tensor(
        temperature, dtype=dtype, name='temperature')
    self._outcomes = outcomes
    if not isinstance(straight_through, bool):
      raise TypeError('Argument `straight_through` must be a Python bool.')
    self._straight_through = straight_through
    # The base does not validate: this class checks every parameter itself
    # with messages that name this class's arguments.
    base = relaxed_onehot_categorical.RelaxedOneHotCategorical(
        self._temperature, logits=base_logits, probs=base_probs,
        validate_args=False, allow_nan_stats=allow_nan_stats)
    super(RelaxedTruncatedDiscrete, self).__init__(
        distribution=base,
        bijector=outcome_projection.OutcomeProjection(
            outcomes, validate_args=validate_args),
        validate_args=validate_args,
        parameters=parameters,
        name=name)

  def _deferred_pi_logits(self, pretransformed_input, shape, dtype,
                          also_track=None):
    """`pi`'s logits as a `DeferredTensor` recomputed at each use.

    Families pass it to the base `RelaxedOneHotCategorical`, so a family
    built from variables outside a `GradientTape` still differentiates.
    """
    return deferred_tensor.DeferredTensor(
        pretransformed_input, lambda _: self._pi_logits(), dtype=dtype,
        shape=shape, also_track=also_track)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(temperature=temperature_properties(dtype),
                **truncated_discrete.pi_parameter_properties())

  @classmethod
  def from_truncated(cls, truncated, temperature, straight_through=False,
                     validate_args=None, name=None):
    """Relaxes a `TruncatedDiscrete` at `temperature` (same `pi`, outcomes)."""
    return RelaxedTruncatedDiscrete(
        temperature=temperature, outcomes=truncated.outcomes,
        logits=truncated.logits, probs=truncated.probs,
        straight_through=straight_through,
        validate_args=(truncated.validate_args if validate_args is None
                       else validate_args),
        allow_nan_stats=truncated.allow_nan_stats,
        name=name or 'RelaxedTruncatedDiscrete')

  @property
  def temperature(self):
    """Gumbel-Softmax temperature `tau`."""
    return self._temperature

  @property
  def outcomes(self):
    """Outcome values `c`, `[n]` or `[n, d]`."""
    return self._outcomes

  @property
  def logits(self):
    """`pi`'s logits as given at construction (`None` for the families)."""
    return self._logits

  @property
  def probs(self):
    """`pi` as given at construction (`None` for the families)."""
    return self._probs

  @property
  def straight_through(self):
    return self._straight_through

  @property
  def num_outcomes(self):
    return tf.compat.dimension_value(self._outcomes.shape[0])

  def _pi_logits(self):
    """Logits of `pi` (`[..., n]`), computed from the current parameters."""
    if self._logits is None:
      return tf.math.log(tf.convert_to_tensor(self._probs))
    return tf.convert_to_tensor(self._logits)

  def truncated(self, name=None):
    """The `tau -> 0` limit: a `TruncatedDiscrete` with the same `pi`."""
    with self._name_and_control_scope(name or 'truncated'):
      return truncated_discrete.TruncatedDiscrete(
          self._outcomes, logits=self._pi_logits(),
          validate_args=self.validate_args,
          allow_nan_stats=self.allow_nan_stats)

  def _call_sample_n(self, sample_shape, seed, **kwargs):
    # One fused pass (no log_softmax/exp round trip, no bijector cache);
    # the same Gumbel noise as the base distribution for the same seed.
    with self._name_and_control_scope('sample'):
      return gumbel_softmax.relaxed_outcomes(
          self._pi_logits(), self._temperature, self._outcomes,
          sample_shape=sample_shape, seed=seed,
          straight_through=self._straight_through)

  def _sample_and_log_prob(self, sample_shape, seed, **kwargs):
    z = self._call_sample_n(sample_shape, seed)
    return z, self.log_prob(z)

  def _log_prob(self, y, **kwargs):
    if self.bijector._is_injective:  # pylint: disable=protected-access
      return super()._log_prob(y, **kwargs)
    raise NotImplementedError(
        f'{type(self).__name__}.log_prob is not defined for '
        f'{self.num_outcomes} outcomes: the relaxed value T(x) = sum_k c_k x_k '
        'is a non-injective projection of the Gumbel-Softmax sample x, so '
        'its density is not available (only for 2 scalar outcomes). Use '
        '`.truncated().log_prob(...)` for the exact discrete probabilities or '
        '`tfd.kl_divergence(q, p)` for the KL between truncated '
        'distributions.')

  def _prob(self, y, **kwargs):
    return tf.exp(self._log_prob(y, **kwargs))

  def _parameter_control_dependencies(self, is_init):
    assertions = []
    if self.validate_args:
      checks.maybe_assert(
          lambda t: checks.assert_positive(t, 'temperature'),
          self._temperature, is_init, assertions)
    assertions += truncated_discrete.pi_assertions(
        self._logits, self._probs, self._outcomes, is_init,
        self.validate_args)
    return assertions
