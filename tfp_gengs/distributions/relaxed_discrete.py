"""RelaxedDiscrete: the base of every GenGS distribution; it owns `pi`."""

from typing import Any, Optional

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import sigmoid as sigmoid_bijector
from tensorflow_probability.python.bijectors import (
    softplus as softplus_bijector)
from tensorflow_probability.python.distributions import (
    relaxed_onehot_categorical)
from tensorflow_probability.python.distributions import transformed_distribution
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_gengs.bijectors import outcome_projection
from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.internal import checks

__all__ = ['RelaxedDiscrete', 'temperature_properties']


def temperature_properties(dtype) -> parameter_properties.ParameterProperties:
  return parameter_properties.ParameterProperties(
      default_constraining_bijector_fn=(
          lambda: softplus_bijector.Softplus(low=dtype_util.eps(dtype))))


def _no_moment(name):
  """`_mean`, `_stddev`, ... of a relaxed distribution: a clear error."""
  def method(self, **kwargs):
    del kwargs
    raise NotImplementedError(
        f'{type(self).__name__}.{name}() is not available: the relaxed value '
        'T(x) = sum_k c_k x_k of a Gumbel-Softmax sample x has no closed-form '
        f'{name} for tau > 0. Use `.truncated().{name}()`, its tau -> 0 limit '
        '(the exact truncated distribution), or a Monte Carlo estimate from '
        '`.sample(...)`.')
  method.__name__ = f'_{name}'
  return method


class RelaxedDiscrete(transformed_distribution.TransformedDistribution):
  """Base of the GenGS distributions: `T(GS(pi, tau))`, `pi` owned here.

  A `tfd.RelaxedOneHotCategorical(temperature, logits of pi)` pushed through
  `OutcomeProjection(outcomes)`. Subclasses say how `pi` is parameterized
  (`_pi_logits()`: the logits of `pi` from their current parameters, and
  `_pi_assertions(is_init)`: their run-time checks) and pass the base
  distribution's logits or probs to `__init__`:

  * `RelaxedTruncatedDiscrete`: `pi` given directly (`logits` / `probs`);
  * the `GenGS<Family>` distributions (`GenGSFamily`): `pi` is a family's
    truncated PMF, recomputed lazily from its parameters.

  Everything else is here, once: temperature, outcomes, straight-through,
  `logits_parameter()` / `probs_parameter()` (`pi`), `truncated()` (the
  `tau -> 0` limit), the fused sampler, and the errors for what a relaxed
  value does not have (a density for `n > 2` outcomes, closed-form moments).
  """

  def __init__(self,
               temperature: Any,
               outcomes: tf.Tensor,
               base_logits: Any,
               base_probs: Any,
               dtype: Any,
               straight_through: bool,
               validate_args: bool,
               allow_nan_stats: bool,
               parameters: dict,
               name: str):
    """Builds the transformed distribution (called by the subclasses).

    Args:
      temperature: positive float `Tensor` (or variable): `tau`.
      outcomes: the converted outcome values `c`, `[n]` or `[n, d]`.
      base_logits: logits of `pi` for the base `RelaxedOneHotCategorical`
        (a `Tensor`, variable or `DeferredTensor`), or `None`.
      base_probs: `pi` itself, or `None`.
      dtype: float dtype.
      straight_through: Python `bool`.
      validate_args, allow_nan_stats: TFP's flags.
      parameters: the subclass's `dict(locals())`.
      name: the name scope already entered by the subclass.
    """
    if temperature is None:
      raise ValueError('Argument `temperature` is required.')
    checks.check_static(temperature, 'temperature', checks.POSITIVE,
                        'the Gumbel-Softmax temperature')
    if not isinstance(straight_through, bool):
      raise TypeError('Argument `straight_through` must be a Python bool; got '
                      f'{straight_through!r}.')
    self._temperature = tensor_util.convert_nonref_to_tensor(
        temperature, dtype=dtype, name='temperature')
    self._outcomes = outcomes
    self._straight_through = straight_through
    # The base does not validate: this class checks every parameter itself
    # with messages that name the user's arguments.
    base = relaxed_onehot_categorical.RelaxedOneHotCategorical(
        self._temperature, logits=base_logits, probs=base_probs,
        validate_args=False, allow_nan_stats=allow_nan_stats)
    super().__init__(
        distribution=base,
        bijector=outcome_projection.OutcomeProjection(
            outcomes, validate_args=validate_args),
        validate_args=validate_args,
        parameters=parameters,
        name=name)

  # --------------------------------------------------------------------------
  # Parameters
  # --------------------------------------------------------------------------

  @property
  def temperature(self) -> Any:
    """Gumbel-Softmax temperature `tau`."""
    return self._temperature

  @property
  def outcomes(self) -> tf.Tensor:
    """Outcome values `c`, `[n]` or `[n, d]`."""
    return self._outcomes

  @property
  def straight_through(self) -> bool:
    """Whether samples are exact outcomes with relaxed gradients."""
    return self._straight_through

  @property
  def num_outcomes(self) -> Optional[int]:
    """`n`, the number of outcomes (static)."""
    return tf.compat.dimension_value(self._outcomes.shape[0])

  def _pi_logits(self) -> tf.Tensor:
    """Logits of `pi` (`[..., n]`) from the current parameters."""
    raise NotImplementedError

  def _pi_assertions(self, is_init: bool) -> list:
    """Run-time checks of the subclass's parameters (`validate_args`)."""
    raise NotImplementedError

  def logits_parameter(self, name: Optional[str] = None) -> tf.Tensor:
    """Logits of `pi`, `[..., n]` (not necessarily normalized).

    As `TruncatedDiscrete.logits_parameter()`: for a family, its truncated
    log-PMF; for `RelaxedTruncatedDiscrete`, the given logits (or
    `log(probs)`).
    """
    with self._name_and_control_scope(name or 'logits_parameter'):
      return tf.convert_to_tensor(self._pi_logits())

  def probs_parameter(self, name: Optional[str] = None) -> tf.Tensor:
    """`pi`, `[..., n]`: `softmax(logits_parameter())`."""
    with self._name_and_control_scope(name or 'probs_parameter'):
      return tf.math.softmax(self._pi_logits())

  def truncated(self, name: Optional[str] = None
                ) -> truncated_discrete.TruncatedDiscrete:
    """The `tau -> 0` limit: a `TruncatedDiscrete` with the same `pi`."""
    with self._name_and_control_scope(name or 'truncated'):
      return truncated_discrete.TruncatedDiscrete(
          self._outcomes, logits=self._pi_logits(),
          validate_args=self.validate_args,
          allow_nan_stats=self.allow_nan_stats)

  # --------------------------------------------------------------------------
  # Sampling and densities
  # --------------------------------------------------------------------------

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

  _mean = _no_moment('mean')
  _stddev = _no_moment('stddev')
  _variance = _no_moment('variance')
  _covariance = _no_moment('covariance')
  _mode = _no_moment('mode')
  _entropy = _no_moment('entropy')

  def _default_event_space_bijector(self):
    """`Sigmoid` onto `(c_1, c_2)` where the density exists, else none.

    A relaxed value lies in the convex hull of the outcomes. Only for two
    scalar outcomes does it have a density (the binary Concrete), and there
    `Sigmoid(low, high)` maps the reals onto its support (as for
    `tfd.RelaxedBernoulli`). Otherwise there is no density to transform,
    and, as TFP's base `Distribution` does for a distribution without an
    event-space bijector, this raises `NotImplementedError`.
    """
    if self.bijector._is_injective:  # pylint: disable=protected-access
      low = tf.reduce_min(self._outcomes)
      high = tf.reduce_max(self._outcomes)
      return sigmoid_bijector.Sigmoid(low=low, high=high,
                                      validate_args=self.validate_args)
    raise NotImplementedError(
        f'{type(self).__name__} has no default event-space bijector for '
        f'{self.num_outcomes} outcomes: its value has no density (see '
        '`log_prob`), so there is nothing for an unconstraining bijector to '
        'serve. Use `.truncated()` for the exact discrete distribution.')

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    assertions = []
    checks.maybe_assert(
        lambda t: checks.assert_constraint(t, 'temperature', checks.POSITIVE),
        self._temperature, is_init, assertions)
    return assertions + self._pi_assertions(is_init)
