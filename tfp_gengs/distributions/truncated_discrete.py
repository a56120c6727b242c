"""TruncatedDiscrete: an exact distribution over finitely many outcomes."""

from typing import Any, Optional

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

from tfp_gengs.internal import accessors
from tfp_gengs.internal import checks
from tfp_gengs.internal import outcomes as outcomes_lib

__all__ = ['TruncatedDiscrete']


# `pi` as given at construction, shared by `TruncatedDiscrete` and
# `RelaxedTruncatedDiscrete` (both store `_logits` and `_probs`).
GIVEN_LOGITS = accessors.stored(
    'logits', 'The logits of `pi` given at construction (or `None`).')
GIVEN_PROBS = accessors.stored(
    'probs', 'The probabilities `pi` given at construction (or `None`).')


def pi_parameter_properties() -> dict:
  """Parameter properties of `outcomes`, `logits` and `probs` of `pi`.

  `outcomes` has no batch dimensions (`event_ndims=None`, as
  `tfd.FiniteDiscrete`'s): TFP's slicing and batch-shape tools leave it
  alone, so `d[1:]`, `d[...]` and `tfd.Independent(d, 1)[...]` keep every
  outcome.
  """
  return dict(
      outcomes=parameter_properties.ParameterProperties(
          event_ndims=None,
          default_constraining_bijector_fn=(
              parameter_properties.BIJECTOR_NOT_IMPLEMENTED),
          is_preferred=False),
      logits=parameter_properties.ParameterProperties(event_ndims=1),
      probs=parameter_properties.ParameterProperties(
          event_ndims=1,
          default_constraining_bijector_fn=(
              parameter_properties.BIJECTOR_NOT_IMPLEMENTED),
          is_preferred=False))


def check_pi_static(logits: Any, probs: Any) -> None:
  """Checks Python-known `logits`/`probs` of `pi` (always, at construction)."""
  checks.check_static(logits, 'logits', checks.LOGITS)
  checks.check_static(probs, 'probs', checks.UNIT_INTERVAL)
  known = checks.static_value(probs)
  if known is not None and known.ndim >= 1:
    total = np.sum(known, axis=-1)
    if not np.allclose(total, 1., rtol=0., atol=1e-4):
      raise ValueError('Argument `probs` must sum to 1 over its last axis; '
                       f'got sums {np.asarray(total).tolist()!r}.')


def convert_pi(outcomes: Any, logits: Any, probs: Any,
               dtype_of: tuple = ()) -> tuple:
  """`pi` (exactly one of `logits`, `probs`) and the outcomes, converted.

  Checks what is known in Python (`check_pi_static`), converts `logits` and
  `probs` to one float dtype (also common with the tensors `dtype_of`) and
  the outcomes to it, and checks the width of `pi` against the outcomes.
  Called inside the distribution's name scope.

  Returns:
    `(dtype, logits, probs, outcomes)`, the absent one of `logits`/`probs`
    `None`.

  Raises:
    ValueError: both or none of `logits` and `probs`, or what
      `check_pi_static`, `convert_outcomes` and `check_logits_width` raise.
  """
  if (logits is None) == (probs is None):
    raise ValueError('Must pass exactly one of `logits` or `probs`.')
  check_pi_static(logits, probs)
  dtype = dtype_util.common_dtype([logits, probs, *dtype_of],
                                  dtype_hint=tf.float32)
  logits = tensor_util.convert_nonref_to_tensor(logits, dtype=dtype,
                                                name='logits')
  probs = tensor_util.convert_nonref_to_tensor(probs, dtype=dtype,
                                               name='probs')
  outcomes = outcomes_lib.convert_outcomes(outcomes, dtype)
  outcomes_lib.check_logits_width(logits, 'logits', outcomes)
  outcomes_lib.check_logits_width(probs, 'probs', outcomes)
  return dtype, logits, probs, outcomes


def pi_assertions(logits, probs, outcomes, is_init, validate_args) -> list:
  """Run-time checks of `pi`'s parameters shared by the finite distributions."""
  assertions = []
  if not validate_args:
    return assertions
  checks.maybe_assert(
      lambda x: checks.assert_constraint(x, 'logits', checks.LOGITS), logits,
      is_init, assertions)
  if probs is not None:
    def probs_ok(p):
      return tf.group(
          checks.assert_constraint(p, 'probs', checks.UNIT_INTERVAL),
          assert_util.assert_near(
              tf.reduce_sum(p, axis=-1), tf.ones([], p.dtype),
              message='Argument `probs` must sum to 1 over its last axis.'))
    checks.maybe_assert(probs_ok, probs, is_init, assertions)
  if is_init:
    assertions += outcomes_lib.outcome_assertions(outcomes)
    param = logits if logits is not None else probs
    if param is not None and tf.compat.dimension_value(
        param.shape[-1]) is None:
      assertions.append(assert_util.assert_equal(
          ps.shape(param)[-1], ps.shape(outcomes)[0],
          message='The last dimension of `logits`/`probs` must equal the '
                  'number of outcomes.'))
  return assertions


def _masked_logsumexp(log_pi, mask):
  """`log sum_{k: mask} pi_k`, `-inf` for an empty sum, NaN-free gradients."""
  neg_inf = tf.constant(-np.inf, log_pi.dtype)
  mask = mask & (log_pi > neg_inf)
  any_selected = tf.reduce_any(mask, axis=-1)
  safe = tf.where(mask, log_pi, tf.where(any_selected[..., tf.newaxis],
                                         neg_inf, tf.zeros_like(log_pi)))
  return tf.where(any_selected, tf.reduce_logsumexp(safe, axis=-1), neg_inf)


class TruncatedDiscrete(distribution.AutoCompositeTensorDistribution):
  """A discrete distribution over `n` given outcome values (scalar or vector).

  This is the exact, `tau -> 0` distribution that GenGS relaxes: outcome
  `c_k` has probability `pi_k = softmax(logits)_k`. `gengs.truncate(...)`
  builds one from a TFP distribution and a truncation window.

  #### Mathematical Details

  ```none
  P(Z = c_k)   = pi_k,       k = 1..n
  mean         = sum_k pi_k c_k
  variance     = sum_k pi_k (c_k - mean)^2     (elementwise for vectors)
  entropy      = -sum_k pi_k log pi_k
  cdf(x)       = sum_{k: c_k <= x} pi_k        (scalar outcomes)
  survival(x)  = sum_{k: c_k > x} pi_k         (summed, not 1 - cdf)
  quantile(p)  = min {c_k : cdf(c_k) >= p}
  ```

  Outcomes with `pi_k = 0` (logit `-inf`) are allowed and never sampled.
  Outcomes must be distinct (checked at construction when they are known,
  at run time under `validate_args` otherwise).

  #### Examples

  ```python
  import tensorflow_probability as tfp
  import tfp_gengs as gengs
  td = gengs.truncate(tfp.distributions.Poisson(rate=7.), high=15)
  td.outcomes            # ==> [0., 1., ..., 15.]
  td.sample(3, seed=42)  # ==> e.g. [6., 9., 7.]
  td.mean()              # ==> ~7.
  td.cdf(7.)             # ==> P(X <= 7) ~ 0.599
  td.quantile(0.5)       # ==> 7.
  td[...].batch_shape    # TFP slicing works: ==> []
  ```
  """

  def __init__(self,
               outcomes: Any,
               logits: Any = None,
               probs: Any = None,
               validate_args: bool = False,
               allow_nan_stats: bool = True,
               name: str = 'TruncatedDiscrete'):
    """Creates the distribution.

    Args:
      outcomes: float `Tensor` `[n]` (scalar outcomes) or `[n, d]` (vector
        outcomes, e.g. count vectors), `n >= 2`; distinct, finite rows.
      logits: float `Tensor` `[..., n]`, unnormalized log-probabilities `pi`.
      probs: float `Tensor` `[..., n]`, probabilities `pi`. Exactly one of
        `logits`, `probs` must be given.
      validate_args: Python `bool`, check tensor parameters at run time.
        Values given as Python numbers, lists or numpy arrays are checked at
        construction regardless.
      allow_nan_stats: Python `bool`, TFP's convention for undefined stats.
      name: Python `str` name prefixed to ops created by this class.

    Raises:
      ValueError: if both or none of `logits` and `probs` are given, if
        `outcomes` has fewer than 2 rows, repeats a row or is not finite, if
        the last dimension of `logits` / `probs` is statically not `n`, or if
        known `logits` / `probs` are out of range.
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      dtype, self._logits, self._probs, self._outcomes = convert_pi(
          outcomes, logits, probs)
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
  def outcomes(self) -> tf.Tensor:
    """Outcome values `c`, shape `[n]` or `[n, d]`."""
    return self._outcomes

  logits = GIVEN_LOGITS
  probs = GIVEN_PROBS

  @property
  def num_outcomes(self) -> Optional[int]:
    """`n`, the number of outcomes (static)."""
    return tf.compat.dimension_value(self._outcomes.shape[0])

  def logits_parameter(self, name: Optional[str] = None) -> tf.Tensor:
    """Logits of `pi` (the given logits, or `log(probs)`)."""
    with self._name_and_control_scope(name or 'logits_parameter'):
      return self._logits_no_checks()

  def probs_parameter(self, name: Optional[str] = None) -> tf.Tensor:
    """`pi`: `softmax(logits)` or the given probs."""
    with self._name_and_control_scope(name or 'probs_parameter'):
      return self._pi()

  def _logits_no_checks(self):
    if self._logits is None:
      return tf.math.log(tf.convert_to_tensor(self._probs))
    return tf.identity(self._logits)

  def _log_pi(self):
    """Normalized `log pi`, `[..., n]`."""
    if self._logits is None:
      return tf.math.log(tf.convert_to_tensor(self._probs))
    return tf.math.log_softmax(self._logits)

  def _pi(self):
    if self._probs is None:
      return tf.math.softmax(self._logits)
    return tf.identity(self._probs)

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

  # --------------------------------------------------------------------------
  # CDF, survival function, quantile (scalar outcomes)
  # --------------------------------------------------------------------------

  def _require_scalar_outcomes(self, what):
    if self._outcomes.shape.rank != 1:
      raise NotImplementedError(
          f'{type(self).__name__}.{what} needs scalar outcomes (an order on '
          f'them); these are vectors of shape {self._outcomes.shape[1:]}.')

  def _below(self, x):
    """`c_k <= x`, `[..., n]`."""
    x = tf.convert_to_tensor(x, dtype=self.dtype)
    return self._outcomes <= x[..., tf.newaxis]

  def _log_cdf(self, x):
    self._require_scalar_outcomes('log_cdf')
    return _masked_logsumexp(self._log_pi(), self._below(x))

  def _cdf(self, x):
    self._require_scalar_outcomes('cdf')
    below = self._below(x)
    zero = tf.zeros([], self.dtype)
    return tf.reduce_sum(tf.where(below, self._pi(), zero), axis=-1)

  def _log_survival_function(self, x):
    self._require_scalar_outcomes('log_survival_function')
    return _masked_logsumexp(self._log_pi(), ~self._below(x))

  def _survival_function(self, x):
    self._require_scalar_outcomes('survival_function')
    below = self._below(x)
    zero = tf.zeros([], self.dtype)
    return tf.reduce_sum(tf.where(below, zero, self._pi()), axis=-1)

  def _quantile(self, p):
    self._require_scalar_outcomes('quantile')
    p = tf.convert_to_tensor(p, dtype=self.dtype)
    order = tf.argsort(self._outcomes)
    sorted_outcomes = tf.gather(self._outcomes, order)
    cumulative = tf.cumsum(tf.gather(self._pi(), order, axis=-1), axis=-1)
    # Number of outcomes whose cdf is still below p: the index of the first
    # outcome reaching p (the last one if rounding keeps the sum below 1).
    index = tf.reduce_sum(
        tf.cast(cumulative < p[..., tf.newaxis], tf.int32), axis=-1)
    return tf.gather(sorted_outcomes,
                     tf.minimum(index, ps.shape(self._outcomes)[0] - 1))

  # --------------------------------------------------------------------------
  # Statistics
  # --------------------------------------------------------------------------

  def _mean(self):
    return outcomes_lib.project(self._pi(), self._outcomes)

  def _variance(self):
    mean = self._mean()
    axis = -self._outcomes.shape.rank
    centered = self._outcomes - tf.expand_dims(mean, axis)
    pi = self._pi()
    if self._outcomes.shape.rank == 2:
      pi = pi[..., tf.newaxis]
    return tf.reduce_sum(pi * tf.square(centered), axis=axis)

  def _entropy(self):
    log_pi = self._log_pi()
    return -tf.reduce_sum(tf.math.multiply_no_nan(log_pi, tf.exp(log_pi)),
                          axis=-1)

  def _mode(self):
    return tf.gather(self._outcomes, tf.argmax(self._logits_no_checks(),
                                               axis=-1))

  def _default_event_space_bijector(self):
    return None  # discrete (TFP's convention, as `tfd.Categorical`)

  def _parameter_control_dependencies(self, is_init):
    return pi_assertions(self._logits, self._probs, self._outcomes, is_init,
                         self.validate_args)
