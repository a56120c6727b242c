"""`truncate`: a TFP integer distribution -> its `TruncatedDiscrete` (step 1)."""

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.distributions import binomial
from tensorflow_probability.python.distributions import geometric
from tensorflow_probability.python.distributions import negative_binomial
from tensorflow_probability.python.distributions import poisson
from tensorflow_probability.python.internal import tensor_util
from tensorflow_probability.python.util import deferred_tensor

from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.internal import checks

__all__ = ['truncate', 'truncated_log_probs']


def _probs_or_logits(dist):
  if dist.logits is not None:
    return dict(logits=tf.convert_to_tensor(dist.logits))
  return dict(probs=tf.convert_to_tensor(dist.probs))


def truncated_log_probs(distribution, low, high):
  """Log-PMF of `distribution` truncated to `{low, ..., high}`: `[..., n]`.

  Poisson, binomial, geometric and negative binomial use their closed-form
  log-space tails (`truncated_log_pmf`); any other scalar integer-valued
  distribution uses its `log_prob`, `log_cdf` and `log_survival_function`.
  """
  if isinstance(distribution, poisson.Poisson):
    if distribution.log_rate is not None:
      return truncated_log_pmf.poisson(
          log_rate=tf.convert_to_tensor(distribution.log_rate), low=low,
          high=high)
    return truncated_log_pmf.poisson(
        rate=tf.convert_to_tensor(distribution.rate), low=low, high=high)
  if isinstance(distribution, binomial.Binomial):
    return truncated_log_pmf.binomial(
        tf.convert_to_tensor(distribution.total_count), low=low, high=high,
        **_probs_or_logits(distribution))
  if isinstance(distribution, negative_binomial.NegativeBinomial):
    return truncated_log_pmf.negative_binomial(
        tf.convert_to_tensor(distribution.total_count), low=low, high=high,
        **_probs_or_logits(distribution))
  if isinstance(distribution, geometric.Geometric):
    return truncated_log_pmf.geometric(low=low, high=high,
                                       **_probs_or_logits(distribution))
  return truncated_log_pmf.from_distribution(distribution, low, high)


def _has_ref_parameters(distribution):
  return any(tensor_util.is_ref(v) for v in distribution.parameters.values()
             if v is not None and not isinstance(v, (str, bool)))


def truncate(distribution, high, low=0, validate_args=False, name=None):
  """Truncates an integer-valued distribution to `{low, ..., high}`.

  GenGS step 1 (paper Definition 1, two-sided as in its Appendix A): the mass
  below `low` goes on `low`, the mass above `high` on `high`, so the result
  sums to one. Computed in log space; outcomes outside the support get
  probability 0.

  Args:
    distribution: a scalar, integer-valued TFP distribution with `log_prob`
      (`tfd.Poisson`, `tfd.Binomial`, `tfd.Geometric`,
      `tfd.NegativeBinomial` use closed-form tails; others need `log_cdf` or
      `log_survival_function`).
    high: Python int, highest outcome.
    low: Python int, lowest outcome (default 0).
    validate_args: Python `bool` for the returned distribution.
    name: optional name.

  Returns:
    A `TruncatedDiscrete` over outcomes `low, ..., high`. If the distribution
    holds variables, its logits are a `DeferredTensor`, recomputed at each
    use (so gradients reach the variables).

  Raises:
    ValueError: if a bound is not an integer, `high < low + 1`, or the
      distribution is not scalar.

  #### Examples

  ```python
  import tensorflow_probability as tfp
  import tfp_gengs as gengs
  td = gengs.truncate(tfp.distributions.Poisson(100.), high=150, low=50)
  td.probs_parameter()   # [101] probabilities, tails on 50 and 150
  ```
  """
  low, high = checks.check_window(low, high)
  if distribution.event_shape.rank != 0:
    raise ValueError(
        'Argument `distribution` must have scalar events to be truncated; got '
        f'event shape {distribution.event_shape}. For multinomials use '
        '`gengs.GenGSMultinomial`.')
  with tf.name_scope(name or 'truncate'):
    outcomes = truncated_log_pmf.window_outcomes(
        low, high, distribution.dtype if distribution.dtype.is_floating
        else tf.float32)
    if _has_ref_parameters(distribution):
      num = high - low + 1
      logits = deferred_tensor.DeferredTensor(
          tf.zeros([], outcomes.dtype),
          lambda _: truncated_log_probs(distribution, low, high),
          dtype=outcomes.dtype,
          shape=distribution.batch_shape.concatenate([num]),
          also_track=distribution)
    else:
      logits = truncated_log_probs(distribution, low, high)
    return truncated_discrete.TruncatedDiscrete(
        outcomes, logits=logits, validate_args=validate_args,
        name=name or 'TruncatedDiscrete')
