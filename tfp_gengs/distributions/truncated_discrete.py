"""TruncatedDiscrete: an exact distribution over finitely many outcome values."""

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.distributions import categorical
from tensorflow_probability.python.distributions import distribution
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import reparameterization
from tensorflow_probability.python.internal import tensor_util
from tensorflow_probability.python.internal import tensorshape_util

from tfp_gengs.internal import checks

__all__ = ['TruncatedDiscrete']


def outcomes_event_ndims(self):
  """Parameter `event_ndims` of `outcomes`: all of its dimensions."""
  return tensorshape_util.rank(self.outcomes.shape)


def pi_parameter_properties():
  """Parameter properties of `outcomes` (no batch dims), `logits`, `probs`."""
  return dict(
      outcomes=parameter_properties.ParameterProperties(
          event_ndims=outcomes_event_ndims,
          default_constraining_bijector_fn=(
              parameter_properties.BIJECTOR_NOT_IMPLEMENTED),
          is_preferred=False),
      logits=parameter_properties.ParameterProperties(event_ndims=1),
      probs=parameter_properties.ParameterProperties(
          event_ndims=1,
          default_constraining_bijector_fn=(
              parameter_properties.BIJECTOR_NOT_IMPLEMENTED),
          is_preferred=False))


def convert_outcomes(outcomes, dtype):
  """Converts `outcomes` and checks its static shape (`[n]` or `[n, d]`)."""
  outcomes = tf.convert_to_tensor(outcomes, dtype=dtype, name='outcomes')
  if outcomes.shape.rank not in (1, 2):
    raise ValueError('Argument `outcomes` must have shape [n] or [n, d]; got '
                     f'shape {outcomes.shape}.')
  num = tf.compat.dimension_value(outcomes.shape[0])
  if num is not None and num < 2:
    raise ValueError(
        f'Argument `outcomes` must hold at least 2 outcomes; got {num}.')
  return outcomes


def check_logits_width(param, param_name, outcomes):
  """Raises if the static last dimension of `param` is not `n`."""
  if param is None or param.shape.rank is None:
    return
  if param.shape.rank == 0:
    raise ValueError(f'Argument `{param_name}` must have shape [..., n]; got a '
                     'scalar.')
  width = tf.compat.dimension_value(param.shape[-1])
  num = tf.compat.dimension_value(outcomes.shape[0])
  if width is not None and num is not None and width != num:
    raise ValueError(
        f'Argument `{param_name}` has {width} entries in its last dimension '
        f'but `outcomes` holds {num} outcomes; they must match.')


def pi_assertions(logits, probs, outcomes, is_init, validate_args):
  """Run-time checks of `pi`'s parameters shared by the finite distributions."""
  assertions = []
  if not validate_args:
    return assertions
  if logits is not None:
    checks.maybe_assert(lambda x: checks.assert_not_nan(x, 'logits'), logits,
                        is_init, assertions)
  if probs is not None:
    def probs_ok(p):
      return tf.group(
          checks.assert_probability(p, 'probs'),
          assert_util.assert_near(
              tf.reduce_sum(p, axis=-1), tf.ones([], p.dtype),
              message='Argument `probs` must sum to 1 over its last axis.'))
    checks.maybe_assert(probs_ok, probs, is_init, assertions)
  if is_init:
    param = logits if logits is not None else probs
    if param is not None and tf.compat.dimension_value(
        param.shape[-1]) is None:
      assertions.append(assert_util.assert_equal(
          ps.shape(param)[-1], ps.shape(outcomes)[0],
          message='The last dimension of `logits`/`probs` must equal the '
                  'number of outcomes.'))
  return assertions


class TruncatedDiscrete(distribution.AutoCompositeTensorDistribution):
  """A discrete distribution over `n` given outcome values (scalar or vector).

  This is the exact, `tau -> 0` distribution that GenGS relaxes: outcome
  `c_k` has probability `pi_k = softmax(logits)_k`. `gengs.truncate(...)`
  builds one from a TFP distribution and a truncation window.

  #### Mathematical Details

  ```none
  P(Z = c_k) = pi_k,       k = 1..n
  mean       = sum_k pi_k c_k
  variance   = sum_k pi_k (c_k - mean)^2     (elementwise for vector outcomes)
  entropy    = -sum_k pi_k log pi_k
  ```

  Outcomes with `pi_k = 0` (logit `-inf`) are allowed and never sampled.

  #### Examples

  ```python
  import tensorflow_probability as tfp
  import tfp_gengs as gengs
  td = gengs.truncate(tfp.distributions.Poisson(rate=7.), high=15)
  td.outcomes            # ==> [0., 1., ..., 15.]
  td.sample(3, seed=42)  # ==> e.g. [6., 9., 7.]
  td.mean()              # ==> ~7.
  ```
  """

  def __init__(self,
               outcomes,
               logits=None,
               probs=None,
               validate_args=False,
               allow_nan_stats=True,
               name='TruncatedDiscrete'):
    """Creates the distribution.

    Args:
      outcomes: float `Tensor` `[n]` (scalar outcomes) or `[n, d]` (vector
        outcomes, e.g. count vectors), `n >= 2`; distinct rows.
      logits: float `Tensor` `[..., n]`, unnormalized log-probabilities `pi`.
      probs: float `Tensor` `[..., n]`, probabilities `pi`. Exactly one of
        `logits`, `probs` must be given.
      validate_args: Python `bool`, check parameters at run time.
      allow_nan_stats: Python `bool`, TFP's convention for undefined stats.
      name: Python `str` name prefixed to ops created by this class.

    Raises:
      ValueError: if both or none of `logits` and `probs` are given, if
        `outcomes` has fewer than 2 rows, or if the last dimension of `logits`
        / `probs` is statically not `n`.
    """
    parameters = dict(locals())
    if (logits is None) == (probs is None):
      raise ValueError('Must pass exactly one of `logits` or `probs`.')
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype([logits, probs], dtype_hint=tf.float32)
      self._logits = tensor_util.convert_nonref_to_tensor(
          logits, dtype=dtype, name='logits')
      self._probs = tensor_util.convert_nonref_to_tensor(
          probs, dtype=dtype, name='probs')
      self._outcomes = convert_outcomes(outcomes, dtype)
      check_logits_width(self._logits, 'logits', self._outcomes)
      check_logits_width(self._probs, 'probs', self._outcomes)
      super().__init__(
          dtype=dtype,
          reparameterization_type=reparameterization.NOT_REPARAMETERIZED,
          validate_args=validate_args,
          allow_nan_stats=allow_nan_stats,
          parameters=parameters,
          name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return pi_parameter_properties()

  @property
  def outcomes(self):
    """Outcome values `c`, shape `[n]` or `[n, d]`."""
    return self._outcomes

  @property
  def logits(self):
    """The `logits` given at construction (or `None`)."""
    return self._logits

  @property
  def probs(self):
    """The `probs` given at construction (or `None`)."""
    return self._probs

  @property
  def num_outcomes(self):
    return tf.compat.dimension_value(self._outcomes.shape[0])

  def logits_parameter(self, name=None):
    """Logits of `pi` (the given logits, or `log(probs)`)."""
    with self._name_and_control_scope(name or 'logits_parameter'):
      return self._logits_no_checks()

  def probs_parameter(self, name=None):
    """`pi`: `softmax(logits)` or the given probs."""
    with self._name_and_control_scope(name or 'probs_parameter'):
      if self._probs is None:
        return tf.math.softmax(self._logits)
      return tf.identity(self._probs)

  def _logits_no_checks(self):
    if self._logits is None:
      return tf.math.log(self._probs)
    return tf.identity(self._logits)

  def _log_pi(self):
    """Normalized `log pi`, `[..., n]`."""
    if self._logits is None:
      return tf.math.log(tf.convert_to_tensor(self._probs))
    return tf.math.log_softmax(self._logits)

  def _pi(self):
    if self._probs is None:
      return tf.math.softmax(self._logits)
    return tf.convert_to_tensor(self._probs)

  def _event_shape(self):
    return self._outcomes.shape[1:]

  def _event_shape_tensor(self):
    return ps.shape(self._outcomes)[1:]

  def _sample_n(self, n, seed=None):
    index = categorical.Categorical(
        logits=self._logits_no_checks()).sample(n, seed=seed)
    return tf.gather(self._outcomes, index)

  def _outcome_index(self, x):
    """`(index, found)`: where `x` matches an outcome, and whether it does."""
    if self._outcomes.shape.rank == 1:
      match = tf.equal(x[..., tf.newaxis], self._outcomes)
    else:
      match = tf.reduce_all(
          tf.equal(x[..., tf.newaxis, :], self._outcomes), axis=-1)
    return tf.argmax(match, axis=-1), tf.reduce_any(match, axis=-1)

  def _log_prob(self, x):
    x = tf.convert_to_tensor(x, dtype=self.dtype)
    log_pi = self._log_pi()
    index, found = self._outcome_index(x)
    shape = ps.broadcast_shape(ps.shape(index), ps.shape(log_pi)[:-1])
    log_pi = tf.broadcast_to(log_pi, ps.concat([shape, ps.shape(log_pi)[-1:]],
                                               0))
    index = tf.broadcast_to(index, shape)
    found = tf.broadcast_to(found, shape)
    selected = tf.gather(log_pi, index, batch_dims=len(log_pi.shape) - 1)
    return tf.where(found, selected, tf.constant(-np.inf, self.dtype))

  def _expand_pi(self, pi):
    """`pi[..., n]` -> `[..., n, 1]` for vector outcomes, else unchanged."""
    return pi[..., tf.newaxis] if self._outcomes.shape.rank == 2 else pi

  def _mean(self):
    pi = self._pi()
    return tf.reduce_sum(self._expand_pi(pi) * self._outcomes, axis=-1 -
                         (self._outcomes.shape.rank - 1))

  def _variance(self):
    pi = self._pi()
    mean = self._mean()
    axis = -self._outcomes.shape.rank
    centered = self._outcomes - tf.expand_dims(mean, axis)
    return tf.reduce_sum(self._expand_pi(pi) * tf.square(centered), axis=axis)

  def _entropy(self):
    log_pi = self._log_pi()
    return -tf.reduce_sum(tf.math.multiply_no_nan(log_pi, tf.exp(log_pi)),
                          axis=-1)

  def _mode(self):
    return tf.gather(self._outcomes, tf.argmax(self._logits_no_checks(),
                                               axis=-1))

  def _default_event_space_bijector(self):
    return None

  def _parameter_control_dependencies(self, is_init):
    return pi_assertions(self._logits, self._probs, self._outcomes, is_init,
                         self.validate_args)
