"""Log-probabilities of truncated discrete distributions (GenGS step 1).

For a distribution `D` over the integers and a window `{low, ..., high}` the
truncated PMF is (paper Definition 1, two-sided as in its Appendix A)

```none
pi(low)  = P(X <= low)
pi(k)    = P(X = k)            for low < k < high
pi(high) = P(X >= high)
```

so it sums to one. Everything is computed in log space: interior terms from
`lgamma`, tails from the regularized incomplete gamma/beta functions (never
as `1 - cdf`, which loses small tails in float32). Where a tail underflows the
dtype it is replaced by a bound of the form `log pmf(edge) - log1p(-ratio)`
(the geometric series with the largest ratio of successive PMF terms), which
is tight deep in the tail; gradients are finite there too. Outcomes outside
the support get `-inf` without NaN in values or gradients.

Every function returns a `[..., n]` tensor, `n = high - low + 1`, whose
leading dimensions are the broadcast batch shape of the parameters.
"""

import itertools
import math

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_gengs.distributions import substrates

__all__ = [
    'window_outcomes',
    'poisson',
    'binomial',
    'geometric',
    'negative_binomial',
    'multinomial',
    'count_vectors',
    'from_distribution',
]


def window_outcomes(low, high, dtype):
  """The outcome values `[low, ..., high]` as a constant of `dtype`."""
  return tf.constant(np.arange(low, high + 1), dtype=dtype)


def _interior(o, low, high, dtype):
  """Interior outcomes `low+1 .. high-1` (possibly empty) as a constant."""
  return o.constant(np.arange(low + 1, high), dtype)


def _assemble(o, left, interior, right):
  """Concatenates `[left, interior..., right]` along a new last axis."""
  return o.concat([left[..., None], interior, right[..., None]], axis=-1)


def _guarded_log(o, prob, fallback_log):
  """`log(prob)`, or `fallback_log` where `prob` underflows (NaN-free grads)."""
  ok = prob > o.tiny(prob)
  return o.where(ok, o.log(o.where(ok, prob, o.ones_like(prob))),
                 fallback_log)


def _log1mexp(x, o=None):
  """`log(1 - exp(x))` for `x <= 0`, with finite gradients for `x < 0`.

  Unlike `tfp.math.log1mexp`, neither `where` branch overflows in its
  gradient when `exp(x)` rounds to 1 (double-where on both branches).
  `o`: the array substrate (default TensorFlow).
  """
  o = o or substrates.get('tensorflow')
  use_expm1 = x > -np.log(2.)
  minus_one = -o.ones_like(x)
  near_zero = o.where(use_expm1, x, minus_one)
  far = o.where(use_expm1, minus_one, x)
  return o.where(use_expm1, o.log(-o.expm1(near_zero)),
                 o.log1p(-o.exp(far)))


def _geometric_tail_bound(o, log_pmf_edge, log_ratio):
  """`log(pmf_edge / (1 - ratio))`: a tail bounded by a geometric series.

  Where `ratio >= 1` the bound does not exist and `log_pmf_edge` (a lower
  bound) is returned instead.
  """
  ok = log_ratio < 0.
  safe_log_ratio = o.where(ok, log_ratio, -o.ones_like(log_ratio))
  return o.where(ok, log_pmf_edge - _log1mexp(safe_log_ratio, o),
                 log_pmf_edge)


def _k_times_log(o, k, log_x):
  """`k * log_x` with `0 * (-inf) = 0` (as `xlogy`, from a log value)."""
  k, log_x = o.broadcast_all(k, log_x)
  return o.where(o.equal(k, 0.), o.zeros_like(log_x), k * log_x)


# ----------------------------------------------------------------------------
# Poisson
# ----------------------------------------------------------------------------


def _poisson_log_pmf(o, k, rate, log_rate):
  return _k_times_log(o, k, log_rate) - rate - o.lgamma(k + 1.)


def _log_tail_forward(o, prob, log_pmf_edge, log_ratio):
  """Forward value of a log-tail: `log(prob)`, or where `prob` underflows the
  geometric-series bound `log pmf(edge) - log1p(-ratio)`.

  No autodiff passes through it (the callers define closed-form gradients),
  so neither branch needs guarding; a tail only underflows where the ratio of
  successive PMF terms is below 1, so the bound's NaN for `ratio >= 1` is
  never selected.
  """
  return o.where(prob > o.tiny(prob), o.log(prob),
                 log_pmf_edge - o.log1p(-o.exp(log_ratio)))


def _poisson_log_pmf_at(k, rate, log_rate):
  """Poisson log-PMF at a static non-negative integer `k`."""
  if k == 0:
    return -rate
  return k * log_rate - (rate + math.lgamma(k + 1.))


def _poisson_log_tails(o, rate, log_rate, low, high):
  """`(log P(X <= low), log P(X >= high))` for `X ~ Poisson(rate)`.

  Values from `igammac`/`igamma`; gradients in closed form,
  `d/drate P(X <= l) = -pmf(l)` and `d/drate P(X >= h) = pmf(h - 1)`,
  returned for `log_rate` (times `rate`, in log space), which avoids
  TensorFlow's costly `igamma` gradient with respect to its first argument
  (a constant here) and stays finite where the tails underflow and for any
  representable `log_rate`. Each tail is its own function of
  `(rate, log_rate)` with one output (the form both substrates'
  `custom_gradient` take).
  """
  dtype = o.dtype_of(rate)

  def with_log_rate_gradient(forward, pmf_edge, sign):
    """`forward(rate, log_rate)`, its `d/dlog_rate = sign * rate pmf / tail`
    formed in log space: `rate * pmf / tail` stays finite for any rate (it
    tends to `high` as rate -> 0), where `pmf / tail` alone overflows once
    rate < ~1e-37 in float32."""

    @o.custom_gradient
    def tail(rate, log_rate):
      value = forward(rate, log_rate)

      def grad(upstream):
        g = sign * o.exp(log_rate + _poisson_log_pmf_at(pmf_edge, rate,
                                                        log_rate) - value)
        g = o.where(value > -np.inf, g, o.zeros_like(g))
        # The whole derivative is carried by `log_rate` (`rate` is its exp,
        # or `log_rate` is log(rate): either way the chain rule reaches the
        # user's parameter).
        return o.zeros_like(rate), upstream * g

      return value, grad

    return tail(rate, log_rate)

  if low < 0:
    left = o.full_like(rate, -np.inf)
  elif low == 0:
    left = with_log_rate_gradient(lambda rate, log_rate: -rate, 0, -1.)
  else:  # pmf(k-1)/pmf(k) = k/rate
    left = with_log_rate_gradient(
        lambda rate, log_rate: _log_tail_forward(
            o, o.igammac(o.constant(low + 1., dtype), rate),
            _poisson_log_pmf_at(low, rate, log_rate),
            math.log(low) - log_rate), low, -1.)
  if high <= 0:
    right = o.zeros_like(rate)
  else:  # pmf(k+1)/pmf(k) = rate/(k+1)
    right = with_log_rate_gradient(
        lambda rate, log_rate: _log_tail_forward(
            o, o.igamma(o.constant(float(high), dtype), rate),
            _poisson_log_pmf_at(high, rate, log_rate),
            log_rate - math.log(high + 1.)), high - 1, 1.)
  return left, right


def poisson(rate=None, low=0, high=None, log_rate=None, backend='tensorflow'):
  """Log-PMF of `Poisson(rate)` truncated to `{low, ..., high}`.

  Args:
    rate: non-negative float tensor, or `None` when `log_rate` is given.
    low: Python int, lowest outcome.
    high: Python int, highest outcome (`high > low`).
    log_rate: optional float tensor, `log(rate)` (more accurate for large
      rates and what an encoder network usually outputs).
    backend: the array substrate, `'tensorflow'` (default) or `'jax'`
      (`tfp_gengs.distributions.substrates`).

  Returns:
    `[..., high - low + 1]` tensor of log-probabilities.
  """
  o = substrates.get(backend)
  if log_rate is None:
    rate = o.convert(rate, dtype_hint='float32')
    log_rate = o.log(rate)
  else:
    log_rate = o.convert(log_rate, dtype_hint='float32')
    rate = o.exp(log_rate)
  dtype = o.dtype_of(rate)
  k = np.arange(low + 1, high)
  if low >= 0:
    # Fast path (every interior outcome is >= 1): three fused-friendly ops,
    # with log(k!) folded into a constant.
    log_factorial = o.constant([math.lgamma(x + 1.) for x in k], dtype)
    interior = (log_rate[..., None] * o.constant(k, dtype) -
                (rate[..., None] + log_factorial))
  else:
    k = o.constant(k, dtype)
    support = k >= 0.
    safe_k = o.where(support, k, o.zeros_like(k))
    interior = _poisson_log_pmf(o, safe_k, rate[..., None],
                                log_rate[..., None])
    interior = o.where(support, interior, o.constant(-np.inf, dtype))
  left, right = _poisson_log_tails(o, rate, log_rate, low, high)
  return _assemble(o, left, interior, right)


# ----------------------------------------------------------------------------
# Binomial
# ----------------------------------------------------------------------------


def _log_probs_pair(o, probs, logits):
  """`(log p, log(1 - p), p, 1 - p)` from probs or logits, stably."""
  if logits is not None:
    logits = o.convert(logits, dtype_hint='float32')
    return (o.log_sigmoid(logits), o.log_sigmoid(-logits),
            o.sigmoid(logits), o.sigmoid(-logits))
  probs = o.convert(probs, dtype_hint='float32')
  return o.log(probs), o.log1p(-probs), probs, 1. - probs


def _binomial_log_pmf(o, k, n, log_p, log_1mp):
  """Log-PMF with `-inf` outside `0..n` and NaN-free gradients."""
  support = (k >= 0.) & (k <= n)
  safe_k = o.where(support, k, o.zeros_like(k))
  log_pmf = (o.lgamma(n + 1.) - o.lgamma(safe_k + 1.) -
             o.lgamma(n - safe_k + 1.) + _k_times_log(o, safe_k, log_p) +
             _k_times_log(o, n - safe_k, log_1mp))
  return o.where(support, log_pmf, o.constant(-np.inf, o.dtype_of(log_pmf)))


def binomial(total_count, probs=None, logits=None, low=0, high=None,
             backend='tensorflow'):
  """Log-PMF of `Binomial(total_count, p)` truncated to `{low, ..., high}`.

  Tails use `P(X >= h) = I_p(h, n - h + 1)` and
  `P(X <= l) = I_{1-p}(n - l, l + 1)` (regularized incomplete beta `I`).
  Outcomes above `total_count` get `-inf`. Gradients flow to `probs`/`logits`;
  TensorFlow's `betainc` has no gradient for `total_count` in the tails.
  `backend`: the array substrate, as in `poisson`.
  """
  o = substrates.get(backend)
  log_p, log_1mp, p, q = _log_probs_pair(o, probs, logits)
  n = o.convert(total_count, dtype=o.dtype_of(log_p))
  n, log_p, log_1mp, p, q = o.broadcast_all(n, log_p, log_1mp, p, q)
  dtype = o.dtype_of(log_p)
  zero, one = o.constant(0., dtype), o.constant(1., dtype)
  neg_inf = o.constant(-np.inf, dtype)

  def log_pmf(k):
    return _binomial_log_pmf(o, o.constant(float(k), dtype), n, log_p,
                             log_1mp)

  # Right tail P(X >= high).
  if high <= 0:
    right = o.zeros_like(n)
  else:
    in_support = high <= n
    b = o.where(in_support, n - high + 1., one)
    # pmf(k+1)/pmf(k) = (n - k) / (k + 1) * p / (1 - p), decreasing in k.
    log_ratio = (o.log(o.maximum(n - high, zero)) -
                 np.log(high + 1.) + log_p - log_1mp)
    fallback = _geometric_tail_bound(o, log_pmf(high), log_ratio)
    right = _guarded_log(
        o, o.betainc(o.constant(float(high), dtype), b, p), fallback)
    right = o.where(in_support, right, neg_inf)

  # Left tail P(X <= low).
  if low < 0:
    left = o.full_like(n, -np.inf)
  else:
    inside = low < n
    a = o.where(inside, n - low, one)
    # pmf(k-1)/pmf(k) = k / (n - k + 1) * (1 - p) / p, increasing in k.
    log_ratio = (np.log(max(low, 1e-300)) - o.log(
        o.maximum(n - low + 1., one)) + log_1mp - log_p)
    fallback = _geometric_tail_bound(o, log_pmf(low), log_ratio)
    left = _guarded_log(
        o, o.betainc(a, o.constant(low + 1., dtype), q), fallback)
    left = o.where(inside, left, zero)

  k = _interior(o, low, high, dtype)
  interior = _binomial_log_pmf(o, k, n[..., None], log_p[..., None],
                               log_1mp[..., None])
  return _assemble(o, left, interior, right)


# ----------------------------------------------------------------------------
# Geometric (TFP convention: failures before the first success)
# ----------------------------------------------------------------------------


def geometric(probs=None, logits=None, low=0, high=None,
              backend='tensorflow'):
  """Log-PMF of `Geometric(p)` truncated to `{low, ..., high}`.

  `P(X = k) = p (1 - p)^k` for `k >= 0` (as `tfd.Geometric`), so
  `P(X >= h) = (1 - p)^h` and `P(X <= l) = 1 - (1 - p)^(l + 1)`: both tails
  are closed forms. `backend`: the array substrate, as in `poisson`.
  """
  o = substrates.get(backend)
  log_p, log_1mp, _, _ = _log_probs_pair(o, probs, logits)
  dtype = o.dtype_of(log_p)
  neg_inf = o.constant(-np.inf, dtype)
  if high <= 0:
    right = o.zeros_like(log_p)
  else:
    right = _k_times_log(o, o.constant(float(high), dtype), log_1mp)
  if low < 0:
    left = o.full_like(log_p, -np.inf)
  else:
    left = _log1mexp(
        _k_times_log(o, o.constant(float(low + 1), dtype), log_1mp), o)
  k = _interior(o, low, high, dtype)
  support = k >= 0.
  safe_k = o.where(support, k, o.zeros_like(k))
  interior = log_p[..., None] + _k_times_log(o, safe_k, log_1mp[..., None])
  interior = o.where(support, interior, neg_inf)
  return _assemble(o, left, interior, right)


# ----------------------------------------------------------------------------
# Negative binomial (TFP convention: successes before `total_count` failures)
# ----------------------------------------------------------------------------


def _negative_binomial_log_pmf(o, k, r, log_p, log_1mp):
  support = k >= 0.
  safe_k = o.where(support, k, o.zeros_like(k))
  log_pmf = (o.lgamma(safe_k + r) - o.lgamma(safe_k + 1.) -
             o.lgamma(r) + _k_times_log(o, r, log_1mp) +
             _k_times_log(o, safe_k, log_p))
  return o.where(support, log_pmf, o.constant(-np.inf, o.dtype_of(log_pmf)))


def negative_binomial(total_count, probs=None, logits=None, low=0, high=None,
                      backend='tensorflow'):
  """Log-PMF of `NegativeBinomial(r, p)` truncated to `{low, ..., high}`.

  As `tfd.NegativeBinomial`: `P(X = k) = C(k + r - 1, k) (1 - p)^r p^k`, the
  number of successes (probability `p`) before `r` failures; this is
  `scipy.stats.nbinom(r, 1 - p)`. Tails: `P(X >= h) = I_p(h, r)`,
  `P(X <= l) = I_{1-p}(r, l + 1)`. `backend`: the array substrate, as in
  `poisson`.
  """
  o = substrates.get(backend)
  log_p, log_1mp, p, q = _log_probs_pair(o, probs, logits)
  r = o.convert(total_count, dtype=o.dtype_of(log_p))
  r, log_p, log_1mp, p, q = o.broadcast_all(r, log_p, log_1mp, p, q)
  dtype = o.dtype_of(log_p)

  def log_pmf(k):
    return _negative_binomial_log_pmf(o, o.constant(float(k), dtype), r,
                                      log_p, log_1mp)

  if high <= 0:
    right = o.zeros_like(r)
  else:
    # pmf(k+1)/pmf(k) = (k + r)/(k + 1) p tends to p; the largest ratio at or
    # beyond `high` is max((high + r)/(high + 1) p, p).
    log_ratio = o.maximum(
        o.log(high + r) - np.log(high + 1.) + log_p, log_p)
    fallback = _geometric_tail_bound(o, log_pmf(high), log_ratio)
    right = _guarded_log(
        o, o.betainc(o.constant(float(high), dtype), r, p), fallback)

  if low < 0:
    left = o.full_like(r, -np.inf)
  else:
    # pmf(k-1)/pmf(k) = k / ((k - 1 + r) p), increasing in k when r >= 1; for
    # r < 1 no bound of this form holds and the fallback is pmf(low) alone.
    log_ratio = o.where(
        r >= 1.,
        np.log(max(low, 1e-300)) - o.log(low - 1. + r) - log_p,
        o.zeros_like(r))
    fallback = _geometric_tail_bound(o, log_pmf(low), log_ratio)
    left = _guarded_log(
        o, o.betainc(r, o.constant(low + 1., dtype), q), fallback)

  k = _interior(o, low, high, dtype)
  interior = _negative_binomial_log_pmf(o, k, r[..., None], log_p[..., None],
                                        log_1mp[..., None])
  return _assemble(o, left, interior, right)

# ----------------------------------------------------------------------------
# Any integer-valued TFP distribution
# ----------------------------------------------------------------------------


def _call_or_none(fn, *args):
  try:
    return fn(*args)
  except NotImplementedError:
    return None


def from_distribution(distribution, low, high):
  """Truncated log-PMF of any scalar integer-valued TFP distribution.

  The interior uses `distribution.log_prob`; the tails use `log_cdf` and
  `log_survival_function`. Where only one of those is implemented the other
  tail is `log1mexp` of it (`P(X >= h) = 1 - P(X <= h - 1)`), which is exact
  but loses tails below float epsilon.

  Raises:
    NotImplementedError: if the distribution implements neither `log_cdf`
      nor `log_survival_function`.
  """
  dtype = distribution.dtype
  if not dtype.is_floating:
    dtype = tf.float32
  batch_rank = ps.rank_from_shape(distribution.batch_shape_tensor(),
                                  distribution.batch_shape)
  k = tf.constant(np.arange(low, high + 1), dtype=distribution.dtype)
  k_batched = tf.reshape(k, ps.concat([[-1], ps.ones([batch_rank],
                                                     tf.int32)], 0))

  left = _call_or_none(distribution.log_cdf, k_batched[:1])
  right = _call_or_none(distribution.log_survival_function,
                        k_batched[-2:-1])
  if left is None and right is None:
    raise NotImplementedError(
        f'truncate() needs `log_cdf` or `log_survival_function` of '
        f'{type(distribution).__name__} to put the tails on the window ends.')
  interior = distribution.log_prob(k_batched[1:-1])
  if right is None:
    right = _log1mexp(distribution.log_cdf(k_batched[-2:-1]))
  if left is None:
    left = _log1mexp(distribution.log_survival_function(k_batched[:1]))
  log_probs = tf.concat([left, interior, right], axis=0)
  log_probs = tf.cast(log_probs, dtype)
  # Move the outcome axis last: [n, batch...] -> [batch..., n].
  perm = ps.concat([ps.range(1, batch_rank + 1), [0]], 0)
  return tf.transpose(log_probs, perm)


# ----------------------------------------------------------------------------
# Multinomial (finite support: every count vector, nothing truncated)
# ----------------------------------------------------------------------------


def count_vectors(total_count, num_categories):
  """Every count vector of `num_categories` entries summing to `total_count`.

  Ordered in decreasing lexicographic order, so that `total_count = 1` gives
  the identity matrix (one-hot vectors in category order).

  Returns:
    int numpy array `[C(total_count + K - 1, K - 1), K]`.
  """
  rows = [c for c in itertools.product(range(total_count + 1),
                                       repeat=num_categories)
          if sum(c) == total_count]
  return np.array(sorted(rows, reverse=True), dtype=np.int64)


def multinomial(total_count, probs=None, logits=None, low=None, high=None):
  """Log-PMF of `Multinomial(total_count, p)` over all its count vectors.

  ```none
  log pi(c) = log N! - sum_i log c_i! + sum_i c_i log p_i,   sum_i c_i = N
  ```

  with `0 log 0 = 0`, over the outcomes `count_vectors(N, K)` (their order).

  Args:
    total_count: Python int `N >= 1`.
    probs: float `Tensor` `[..., K]` on the simplex, or `None`.
    logits: float `Tensor` `[..., K]` (normalized here), or `None`.
    low, high: must be `None`: a multinomial has no window (every count
      vector is an outcome); accepted so every family's function takes
      `(low=, high=, **params)`.

  Returns:
    `[..., C(N + K - 1, K - 1)]` tensor of log-probabilities.
  """
  if low is not None or high is not None:
    raise ValueError('A multinomial has no truncation window: `low` and '
                     f'`high` must be None; got low={low}, high={high}.')
  if logits is not None:
    log_p = tf.math.log_softmax(logits)
  else:
    log_p = tf.math.log(probs)
  num_categories = tf.compat.dimension_value(log_p.shape[-1])
  c = tf.constant(count_vectors(total_count, num_categories), log_p.dtype)
  log_coefficient = (math.lgamma(total_count + 1.) -
                     tf.reduce_sum(tf.math.lgamma(c + 1.), axis=-1))
  # sum_i c_i log p_i with 0 * log 0 = 0: [..., 1, K] x [n, K] -> [..., n].
  weighted = tf.math.multiply_no_nan(log_p[..., tf.newaxis, :], c)
  return log_coefficient + tf.reduce_sum(weighted, axis=-1)
