"""Shared base of the GenGS families (Poisson, binomial, ...)."""

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import sigmoid as sigmoid_bijector
from tensorflow_probability.python.internal import parameter_properties

from tfp_gengs.distributions import relaxed_truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.internal import checks

__all__ = ['GenGSFamily', 'probs_properties', 'probs_or_logits_checks']


def probs_properties(dtype):
  """`logits`/`probs` properties of a scalar success probability."""
  return dict(
      logits=parameter_properties.ParameterProperties(),
      probs=parameter_properties.ParameterProperties(
          default_constraining_bijector_fn=sigmoid_bijector.Sigmoid,
          is_preferred=False))


def probs_or_logits_checks(dist, is_init, assertions):
  """Appends the checks of `temperature`, `probs` in [0, 1], `logits` no NaN."""
  checks.maybe_assert(lambda t: checks.assert_positive(t, 'temperature'),
                      dist._temperature, is_init, assertions)  # pylint: disable=protected-access
  checks.maybe_assert(lambda t: checks.assert_probability(t, 'probs'),
                      dist._probs, is_init, assertions)  # pylint: disable=protected-access
  checks.maybe_assert(lambda t: checks.assert_not_nan(t, 'logits'),
                      dist._logits, is_init, assertions)  # pylint: disable=protected-access


class GenGSFamily(relaxed_truncated_discrete.RelaxedTruncatedDiscrete):
  """A `RelaxedTruncatedDiscrete` whose `pi` is a truncated family PMF.

  Subclasses keep their family's parameter names and meanings (as in
  `tfd.Poisson`, `tfd.Binomial`, ...) and implement `_pi_logits()` (the
  truncated log-PMF from the current parameter values) and `untruncated()`
  (the TFP distribution being relaxed). `pi` itself is
  `truncated().probs_parameter()`.
  """

  def _init_family(self, params, temperature, dtype, window=None,
                   outcomes=None, *, straight_through, validate_args,
                   allow_nan_stats, parameters, name):
    """Validates the window, builds outcomes and the lazy base distribution.

    Args:
      params: the family's parameter tensors (first one non-`None` is used as
        the `DeferredTensor` input; all are tracked).
      temperature: the Gumbel-Softmax temperature.
      dtype: float dtype.
      window: `(low, high)` for truncated families, else `None`.
      outcomes: explicit outcomes when `window` is `None`.
      straight_through, validate_args, allow_nan_stats, parameters, name: as
        in `RelaxedTruncatedDiscrete`.
    """
    if temperature is None:
      raise ValueError('Argument `temperature` is required.')
    if window is not None:
      self._low, self._high = checks.check_window(*window)
      outcomes = truncated_log_pmf.window_outcomes(self._low, self._high,
                                                   dtype)
    params = [p for p in params if p is not None]
    batch_shape = tf.TensorShape([])
    for p in params:
      batch_shape = tf.broadcast_static_shape(
          batch_shape, p.shape[:self._param_batch_rank(p)])
    num = tf.compat.dimension_value(outcomes.shape[0])
    base_logits = self._deferred_pi_logits(
        params[0], shape=batch_shape.concatenate([num]), dtype=dtype,
        also_track=params[1:])
    self._init_relaxed(
        temperature=temperature, outcomes=outcomes, dtype=dtype,
        base_logits=base_logits, base_probs=None,
        straight_through=straight_through, validate_args=validate_args,
        allow_nan_stats=allow_nan_stats, parameters=parameters, name=name)

  def _param_batch_rank(self, param):
    """Rank of a parameter's batch part (all of it for scalar parameters)."""
    return param.shape.rank

  @property
  def low(self):
    """Lowest outcome of the truncation window."""
    return self._low

  @property
  def high(self):
    """Highest outcome of the truncation window."""
    return self._high

  def _probs_or_logits_now(self):
    """`dict(probs=..., logits=...)` converted now (one of them `None`)."""
    return {k: None if v is None else tf.convert_to_tensor(v)
            for k, v in (('probs', self._probs), ('logits', self._logits))}

  def untruncated(self):
    """The TFP distribution `D(lambda)` that this family truncates."""
    raise NotImplementedError

  def _pi_logits(self):
    raise NotImplementedError
