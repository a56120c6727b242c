"""Truncated PMFs against scipy (float64) and Theorem 2."""

import numpy as np
import pytest
import scipy.stats as st
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_gengs as gengs
from tfp_gengs.distributions import truncated_log_pmf

tfd = tfp.distributions


def reference_pmf(dist, low, high):
  """Exact truncated PMF: interior PMF, tails on the window ends (float64)."""
  k = np.arange(low, high + 1)
  p = dist.pmf(k).astype(np.float64)
  p[0] = dist.cdf(low)
  p[-1] = dist.sf(high - 1)
  return p


CASES = [
    # (tfd distribution, scipy distribution, low, high)
    (lambda: tfd.Poisson(7.), st.poisson(7.), 0, 10),
    (lambda: tfd.Poisson(7.), st.poisson(7.), 0, 30),
    (lambda: tfd.Poisson(100.), st.poisson(100.), 50, 150),
    (lambda: tfd.Poisson(3.), st.poisson(3.), 2, 6),
    (lambda: tfd.Binomial(20., probs=.3), st.binom(20, .3), 0, 20),
    (lambda: tfd.Binomial(20., probs=.3), st.binom(20, .3), 0, 25),
    (lambda: tfd.Binomial(20., logits=-.5), st.binom(20, 1 / (1 + np.e**.5)),
     3, 12),
    (lambda: tfd.Geometric(probs=.25), st.geom(.25, loc=-1), 0, 20),
    (lambda: tfd.Geometric(logits=0.), st.geom(.5, loc=-1), 3, 9),
    (lambda: tfd.NegativeBinomial(3., probs=.4), st.nbinom(3, .6), 0, 20),
    (lambda: tfd.NegativeBinomial(5., probs=.3), st.nbinom(5, .7), 2, 9),
    (lambda: tfd.NegativeBinomial(.5, probs=.9), st.nbinom(.5, .1), 0, 200),
]


@pytest.mark.parametrize('make, ref, low, high', CASES)
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_truncate_matches_scipy(make, ref, low, high, dtype):
  dist = make()
  if dtype == np.float64:
    dist = dist.copy(**{k: tf.cast(v, tf.float64)
                        for k, v in dist.parameters.items()
                        if tf.is_tensor(v) or isinstance(v, float)})
  td = gengs.truncate(dist, high=high, low=low)
  probs = td.probs_parameter().numpy()
  expected = reference_pmf(ref, low, high)
  k = np.arange(low, high + 1)
  if hasattr(ref.dist, 'pmf') and isinstance(ref.dist, st.rv_discrete):
    expected[k > ref.support()[1]] = 0.
  atol = 2e-6 if dtype == np.float32 else 1e-12
  np.testing.assert_allclose(probs, expected, atol=atol, rtol=1e-4)
  assert abs(probs.sum() - 1.) < 10 * atol
  np.testing.assert_array_equal(td.outcomes.numpy(), k)


def test_low_level_poisson_accepts_a_window_below_the_support():
  # The families' rule is low >= 0 (`truncate` enforces it); the log-PMF
  # function itself gives probability 0 below the support.
  lp = truncated_log_pmf.poisson(rate=tf.constant(2., tf.float64), low=-2,
                                 high=4).numpy()
  expected = reference_pmf(st.poisson(2.), -2, 4)
  np.testing.assert_allclose(np.exp(lp), expected, atol=1e-12)
  assert np.all(np.isneginf(lp[:2]))
  with pytest.raises(ValueError, match=r'`low` must be >= 0 \(the Poisson'):
    gengs.truncate(tfd.Poisson(2.), high=4, low=-2)


def test_small_tails_keep_relative_accuracy_in_float32():
  # 1 - cdf would lose these tails entirely in float32.
  for lp, expected in [
      (truncated_log_pmf.binomial(tf.constant(50.), probs=tf.constant(.1),
                                  low=0, high=30), st.binom(50, .1).sf(29)),
      (truncated_log_pmf.negative_binomial(
          tf.constant(3.), probs=tf.constant(.4), low=0, high=40),
       st.nbinom(3, .6).sf(39)),
      (truncated_log_pmf.poisson(rate=tf.constant(5.), low=0, high=40),
       st.poisson(5.).sf(39)),
  ]:
    assert expected < 1e-12
    np.testing.assert_allclose(lp.numpy()[-1], np.log(expected), rtol=1e-4)


def test_binomial_window_beyond_total_count_is_zero_without_nan():
  total = tf.constant(20.)
  p = tf.constant(.3)
  with tf.GradientTape() as tape:
    tape.watch(p)
    lp = truncated_log_pmf.binomial(total, probs=p, low=0, high=25)
    loss = tf.reduce_sum(tf.exp(lp) * np.arange(26.))
  grad = tape.gradient(loss, p)
  assert np.all(np.isneginf(lp.numpy()[21:]))
  assert np.isfinite(grad.numpy())
  np.testing.assert_allclose(grad.numpy(), 20., rtol=1e-4)  # d/dp (n p)


def test_poisson_far_tail_is_finite_with_finite_gradient():
  # Plain log(igamma) underflows here (pitfall measured on TFP 0.25).
  rate = tf.constant(50.)
  with tf.GradientTape() as tape:
    tape.watch(rate)
    lp = truncated_log_pmf.poisson(rate=rate, low=0, high=1999)
    loss = tf.reduce_sum(lp[-5:]) + tf.reduce_sum(
        tf.exp(lp) * np.arange(2000.))
  grad = tape.gradient(loss, rate)
  assert np.all(np.isfinite(lp.numpy()))
  assert np.isfinite(grad.numpy())
  # The far tail equals the log-PMF at 1999 up to the geometric bound.
  np.testing.assert_allclose(lp.numpy()[-1],
                             st.poisson(50.).logpmf(1999), rtol=1e-4)


@pytest.mark.parametrize('rate, low, high', [(7., 0, 10), (100., 50, 150),
                                             (3., 2, 6)])
def test_poisson_gradient_matches_finite_differences_float64(rate, low, high):
  def expected_value(r):
    return np.sum(reference_pmf(st.poisson(r), low, high) *
                  np.arange(low, high + 1.)**2)
  r = tf.constant(rate, tf.float64)
  with tf.GradientTape() as tape:
    tape.watch(r)
    lp = truncated_log_pmf.poisson(rate=r, low=low, high=high)
    value = tf.reduce_sum(tf.exp(lp) * np.arange(low, high + 1.)**2)
  h = 1e-5 * rate
  numeric = (expected_value(rate + h) - expected_value(rate - h)) / (2 * h)
  np.testing.assert_allclose(value.numpy(), expected_value(rate), rtol=1e-10)
  np.testing.assert_allclose(tape.gradient(value, r).numpy(), numeric,
                             rtol=1e-6)


@pytest.mark.parametrize('family, args, ref', [
    ('binomial', dict(total_count=20., probs=.3), lambda p: st.binom(20, p)),
    ('negative_binomial', dict(total_count=3., probs=.4),
     lambda p: st.nbinom(3, 1 - p)),
    ('geometric', dict(probs=.25), lambda p: st.geom(p, loc=-1)),
])
def test_probs_gradient_matches_finite_differences_float64(family, args, ref):
  low, high = 2, 9
  p0 = args.pop('probs')

  def expected_value(p):
    return np.sum(reference_pmf(ref(p), low, high) * np.arange(low, high + 1.))
  p = tf.constant(p0, tf.float64)
  args = {k: tf.constant(v, tf.float64) for k, v in args.items()}
  with tf.GradientTape() as tape:
    tape.watch(p)
    lp = getattr(truncated_log_pmf, family)(probs=p, low=low, high=high,
                                            **args)
    value = tf.reduce_sum(tf.exp(lp) * np.arange(low, high + 1.))
  h = 1e-6
  numeric = (expected_value(p0 + h) - expected_value(p0 - h)) / (2 * h)
  np.testing.assert_allclose(tape.gradient(value, p).numpy(), numeric,
                             rtol=1e-5)


def test_theorem2_total_variation_vanishes_as_truncation_grows():
  """TV(TD(lambda, n), D(lambda)) -> 0 as n grows (paper Theorem 2)."""
  for dist, ref in [(tfd.Poisson(7.), st.poisson(7.)),
                    (tfd.Geometric(probs=.25), st.geom(.25, loc=-1)),
                    (tfd.NegativeBinomial(3., probs=.4), st.nbinom(3, .6))]:
    tvs = []
    for high in [5, 10, 20, 40, 80]:
      pi = gengs.truncate(dist, high=high).probs_parameter().numpy()
      k = np.arange(high + 1)
      pmf = ref.pmf(k)
      # TV = 1/2 (sum_k |pi_k - p_k| + P(X > high)).
      tvs.append(0.5 * (np.abs(pi - pmf).sum() + ref.sf(high)))
    assert np.all(np.diff(tvs) < 0), tvs
    assert tvs[-1] < 1e-6
    # The TV equals the right-tail mass beyond the window, exactly.
    np.testing.assert_allclose(tvs[0], ref.sf(5), rtol=1e-4)


def test_generic_path_matches_scipy_and_batches():
  # tfd.Skellam is not a special case: log_prob + log_cdf/survival path.
  dist = tfd.Poisson(rate=[3., 7.])
  generic = truncated_log_pmf.from_distribution(dist, 0, 12)
  special = truncated_log_pmf.poisson(rate=tf.constant([3., 7.]), low=0,
                                      high=12)
  assert generic.shape == (2, 13)
  np.testing.assert_allclose(np.exp(generic), np.exp(special), atol=2e-6)
  # A quantized normal is not a special case: log_prob + log_cdf path.
  quantized = tfd.QuantizedDistribution(tfd.Normal(5., 2.))
  lp = truncated_log_pmf.from_distribution(quantized, -1, 9).numpy()
  k = np.arange(-1, 10)
  cdf = st.norm(5., 2.).cdf
  expected = cdf(k) - cdf(k - 1.)
  expected[0], expected[-1] = cdf(-1.), 1. - cdf(8.)
  np.testing.assert_allclose(np.exp(lp), expected, atol=2e-6)


def test_generic_path_without_cdf_raises_clearly():
  with pytest.raises(NotImplementedError, match='log_cdf'):
    gengs.truncate(tfd.Skellam(rate1=4., rate2=2.), high=8, low=-3)


def test_truncate_of_variable_parameters_is_lazy():
  rate = tf.Variable(4.)
  td = gengs.truncate(tfd.Poisson(rate), high=15)
  with tf.GradientTape() as tape:
    mean = td.mean()
  assert tape.gradient(mean, rate) is not None
  rate.assign(9.)
  expected = np.sum(reference_pmf(st.poisson(9.), 0, 15) * np.arange(16.))
  np.testing.assert_allclose(td.mean().numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_geometric_gradients_are_finite_for_tiny_success_probabilities(dtype):
  # exp((low + 1) log(1 - p)) rounds to 1 here; tfp.math.log1mexp's gradient
  # would be NaN.
  logits = tf.constant([-20., -45., 0., 20.], dtype)
  with tf.GradientTape() as tape:
    tape.watch(logits)
    lp = truncated_log_pmf.geometric(logits=logits, low=2, high=10)
  jac = tape.jacobian(lp, logits).numpy()
  assert np.all(np.isfinite(lp.numpy())) and np.all(np.isfinite(jac))
  p = 1. / (1. + np.exp(20.))
  np.testing.assert_allclose(np.exp(lp.numpy()[0, 0]), 1. - (1. - p)**3,
                             rtol=1e-4)
