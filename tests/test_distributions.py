"""TruncatedDiscrete, OutcomeProjection, RelaxedTruncatedDiscrete, families.

References are float64 numpy/scipy computations, exact enumeration, or
closed forms; statistical tests use fixed seeds and tolerances derived from
the sample size.
"""

import numpy as np
import pytest
import scipy.stats as st
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_gengs as gengs
from tfp_gengs.distributions import gengs_multinomial
from tfp_gengs.distributions import truncated_log_pmf

tfd = tfp.distributions


def chi_square_pvalue(samples, outcomes, probs):
  probs = np.asarray(probs, np.float64) / np.sum(probs, dtype=np.float64)
  counts = np.array([(samples == c).sum() for c in outcomes])
  assert counts.sum() == samples.size  # every sample is an outcome value
  keep = probs * samples.size >= 5  # chi-square validity
  expected = probs * samples.size
  observed = np.append(counts[keep], counts[~keep].sum())
  expected = np.append(expected[keep], expected[~keep].sum())
  if expected[-1] == 0:
    observed, expected = observed[:-1], expected[:-1]
  return st.chisquare(observed, expected).pvalue


# ----------------------------------------------------------------------------
# TruncatedDiscrete
# ----------------------------------------------------------------------------


def test_truncated_discrete_statistics_match_numpy():
  logits = np.array([[0., 1., -1., 2.], [0.5, 0.5, -np.inf, 0.]])
  outcomes = np.array([-1., 0., 2.5, 4.])
  td = gengs.TruncatedDiscrete(outcomes, logits=logits)
  pi = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
  mean = (pi * outcomes).sum(-1)
  assert td.batch_shape == (2,) and td.event_shape == ()
  np.testing.assert_allclose(td.mean(), mean, rtol=1e-6)
  np.testing.assert_allclose(
      td.variance(), (pi * (outcomes - mean[:, None])**2).sum(-1), rtol=1e-5)
  ent = -np.sum(np.where(pi > 0, pi * np.log(np.where(pi > 0, pi, 1)), 0), -1)
  np.testing.assert_allclose(td.entropy(), ent, rtol=1e-5)
  np.testing.assert_allclose(td.prob(2.5), pi[:, 2], rtol=1e-6)
  np.testing.assert_allclose(td.log_prob([[0.], [4.]]),
                             np.log([[pi[0, 1], pi[1, 1]], [pi[0, 3],
                                                            pi[1, 3]]]),
                             rtol=1e-6)
  assert np.all(np.isneginf(td.log_prob(1.7)))  # not an outcome
  np.testing.assert_allclose(td.probs_parameter(), pi, rtol=1e-6)
  np.testing.assert_allclose(td.mode(), [4., -1.])


def test_truncated_discrete_vector_outcomes():
  outcomes = gengs_multinomial.count_vectors(2, 3).astype(np.float32)
  probs = np.array([.1, .2, .3, .1, .2, .1], np.float32)
  td = gengs.TruncatedDiscrete(outcomes, probs=probs)
  assert td.event_shape == (3,) and td.batch_shape == ()
  np.testing.assert_allclose(td.mean(), probs @ outcomes, rtol=1e-6)
  mean = probs @ outcomes
  np.testing.assert_allclose(td.variance(), probs @ (outcomes - mean)**2,
                             rtol=1e-5)
  np.testing.assert_allclose(td.prob(outcomes[2]), .3, rtol=1e-6)
  samples = td.sample(4000, seed=7).numpy()
  assert samples.shape == (4000, 3)
  np.testing.assert_array_equal(samples.sum(-1), 2.)


def test_truncated_discrete_sample_frequencies_chi_square():
  td = gengs.truncate(tfd.Poisson(4.), high=12)
  samples = td.sample(20000, seed=11).numpy()
  pi = td.probs_parameter().numpy()
  assert chi_square_pvalue(samples, np.arange(13.), pi) > 1e-3


# ----------------------------------------------------------------------------
# OutcomeProjection
# ----------------------------------------------------------------------------


def test_outcome_projection_shapes_and_values():
  t = gengs.bijectors.OutcomeProjection([0., 1., 2., 3.])
  np.testing.assert_allclose(t.forward([0., 0., 1., 0.]), 2.)
  np.testing.assert_allclose(t.forward([.1, .2, .3, .4]), 2.)
  assert t.forward_min_event_ndims == 1 and t.inverse_min_event_ndims == 0
  assert t.forward_event_shape([5, 4]) == (5,)
  np.testing.assert_array_equal(t.forward_event_shape_tensor([5, 4]), [5])
  assert t.inverse_event_shape([5]) == (5, 4)
  with pytest.raises(NotImplementedError, match='not injective'):
    t.inverse(1.5)
  v = gengs.bijectors.OutcomeProjection(
      gengs_multinomial.count_vectors(2, 3).astype(np.float32))
  assert v.forward_event_shape([7, 6]) == (7, 3)
  assert v.inverse_min_event_ndims == 1
  x = np.random.RandomState(0).dirichlet(np.ones(6), size=7).astype(np.float32)
  np.testing.assert_allclose(
      v.forward(x), x @ gengs_multinomial.count_vectors(2, 3), rtol=1e-5)


def test_outcome_projection_two_outcomes_is_invertible():
  t = gengs.bijectors.OutcomeProjection([2., 5.])
  x = np.array([.25, .75], np.float32)
  y = t.forward(x)
  np.testing.assert_allclose(y, 4.25)
  np.testing.assert_allclose(t.inverse(y), x, rtol=1e-6)
  np.testing.assert_allclose(
      t.forward_log_det_jacobian(x, event_ndims=1), np.log(3.), rtol=1e-6)


# ----------------------------------------------------------------------------
# RelaxedTruncatedDiscrete
# ----------------------------------------------------------------------------


def test_relaxed_sample_is_the_projected_tfp_gumbel_softmax():
  logits = np.array([[0., 1., 1., -1.], [2., 0., -3., 1.]], np.float32)
  outcomes = np.array([0., 1., 2., 3.], np.float32)
  rtd = gengs.RelaxedTruncatedDiscrete(0.7, outcomes, logits=logits)
  base = tfd.RelaxedOneHotCategorical(0.7, logits=logits)
  seed = [5, 6]
  np.testing.assert_allclose(rtd.sample(3, seed=seed),
                             base.sample(3, seed=seed).numpy() @ outcomes,
                             rtol=1e-5, atol=1e-6)
  assert rtd.reparameterization_type == tfd.FULLY_REPARAMETERIZED
  assert rtd.batch_shape == (2,) and rtd.event_shape == ()


def test_straight_through_values_are_outcomes_with_relaxed_gradients():
  logits = tf.constant([0.3, 1., -0.5, 0.2, 0.])
  outcomes = np.arange(5.).astype(np.float32)
  seed = [1, 2]
  with tf.GradientTape(persistent=True) as tape:
    tape.watch(logits)
    hard = gengs.RelaxedTruncatedDiscrete(0.5, outcomes, logits=logits,
                                          straight_through=True).sample(
                                              50, seed=seed)
    soft = gengs.RelaxedTruncatedDiscrete(0.5, outcomes,
                                          logits=logits).sample(50, seed=seed)
    loss_hard = tf.reduce_sum(hard * tf.range(50.))
    loss_soft = tf.reduce_sum(soft * tf.range(50.))
  assert set(np.unique(hard.numpy())) <= set(outcomes)
  # Same noise: the hard value is the outcome nearest the argmax of x.
  np.testing.assert_allclose(tape.gradient(loss_hard, logits),
                             tape.gradient(loss_soft, logits), rtol=1e-5)


@pytest.mark.parametrize('make', [
    lambda st_: gengs.GenGSPoisson(rate=3., temperature=0.5, high=9,
                                   straight_through=st_),
    lambda st_: gengs.GenGSBinomial(8., probs=.4, temperature=0.5,
                                    straight_through=st_),
    lambda st_: gengs.GenGSNegativeBinomial(3., probs=.4, temperature=0.5,
                                            high=12, straight_through=st_),
    lambda st_: gengs.GenGSGeometric(probs=.3, temperature=0.5, high=10,
                                     low=1, straight_through=st_),
])
def test_theorem3_straight_through_and_low_temperature_samples_follow_pi(make):
  d = make(True)
  pi = d.truncated().probs_parameter().numpy()
  outcomes = d.outcomes.numpy()
  samples = d.sample(20000, seed=3).numpy()
  assert chi_square_pvalue(samples, outcomes, pi) > 1e-3
  # tau -> 0: relaxed samples round to outcomes drawn from pi.
  cold = gengs.RelaxedTruncatedDiscrete.from_truncated(d.truncated(), 1e-3)
  samples = cold.sample(20000, seed=4).numpy()
  # Convergence in probability: all but the few draws whose two largest
  # noisy logits are within a few tau of each other sit on an outcome.
  assert np.mean(np.abs(samples - np.round(samples)) < 1e-3) > 0.98
  assert chi_square_pvalue(np.round(samples), outcomes, pi) > 1e-3


def test_theorem4_relaxed_samples_approach_outcomes_as_temperature_falls():
  """T(GS(pi, tau)) -> T(GM(pi)) for the same Gumbel noise as tau -> 0."""
  logits = truncated_log_pmf.poisson(rate=tf.constant(4.), low=0, high=10)
  distances = []
  for tau in [2., 1., .5, .1, .01, .001]:
    make = lambda st_: gengs.RelaxedTruncatedDiscrete(  # noqa: E731
        tau, np.arange(11.), logits=logits, straight_through=st_)
    soft = make(False).sample(5000, seed=[9, 9]).numpy()
    hard = make(True).sample(5000, seed=[9, 9]).numpy()  # same noise: GM
    distances.append(np.mean(np.abs(soft - hard)))
  assert np.all(np.diff(distances) < 0), distances
  # The gap shrinks about linearly in tau.
  assert distances[-1] < 0.005, distances


def test_theorem4_gradient_approaches_exact_truncated_gradient():
  """E[grad f(T(GS))] -> grad E_pi[f] as tau -> 0 (enumeration + autodiff)."""
  outcomes = np.arange(11.)

  def f(z):
    return (z - 3.)**2

  rate = tf.constant(4., tf.float64)
  with tf.GradientTape() as tape:
    tape.watch(rate)
    pi = tf.exp(truncated_log_pmf.poisson(rate=rate, low=0, high=10))
    exact_value = tf.reduce_sum(pi * f(outcomes))
  exact = tape.gradient(exact_value, rate).numpy()
  errors = []
  num_samples = 200000
  for tau in [1., .25, .1]:
    # One rate per draw: the gradient of the sum is the per-draw gradient.
    rates = tf.fill([num_samples], rate)
    with tf.GradientTape() as tape:
      tape.watch(rates)
      d = gengs.GenGSPoisson(rate=rates, temperature=tf.constant(
          tau, tf.float64), high=10)
      total = tf.reduce_sum(f(d.sample(seed=[3, 4])))
    per_draw = tape.gradient(total, rates).numpy()
    std_error = np.std(per_draw) / np.sqrt(num_samples)
    errors.append((abs(per_draw.mean() - exact), std_error))
  # Bias falls as tau falls and is far above the Monte Carlo error at tau=1.
  assert errors[0][0] > 10 * errors[0][1]
  assert errors[0][0] > errors[1][0] > errors[2][0], errors
  assert errors[2][0] < 0.1 * abs(exact)


def test_log_prob_raises_for_more_than_two_outcomes():
  d = gengs.GenGSPoisson(rate=3., temperature=.5, high=9)
  with pytest.raises(NotImplementedError, match='non-injective'):
    d.log_prob(2.)
  with pytest.raises(NotImplementedError, match='non-injective'):
    d.prob(2.)


def test_log_prob_for_two_outcomes_is_the_binary_concrete_density():
  d = gengs.RelaxedTruncatedDiscrete(0.6, [1., 4.], logits=[0.2, -0.3])
  u = np.array([.1, .5, .9], np.float32)
  expected = tfd.RelaxedBernoulli(0.6, logits=-0.5).log_prob(u) - np.log(3.)
  np.testing.assert_allclose(d.log_prob(1. + 3. * u), expected, rtol=1e-5)


def test_multinomial_with_one_draw_is_plain_gumbel_softmax():
  logits = np.array([0.5, -1., 2.], np.float32)
  d = gengs.GenGSMultinomial(1, logits=logits, temperature=0.4)
  base = tfd.RelaxedOneHotCategorical(0.4, logits=logits)
  np.testing.assert_allclose(d.sample(4, seed=[1, 1]),
                             base.sample(4, seed=[1, 1]), rtol=1e-5,
                             atol=1e-6)


def test_multinomial_pi_matches_scipy():
  d = gengs.GenGSMultinomial(3, probs=[.7, .2, .1], temperature=.5)
  outcomes = d.outcomes.numpy()
  assert outcomes.shape == (10, 3)
  expected = st.multinomial(3, [.7, .2, .1]).pmf(outcomes)
  np.testing.assert_allclose(d.truncated().probs_parameter(), expected,
                             rtol=1e-5)
  np.testing.assert_allclose(d.truncated().mean(), [2.1, .6, .3], rtol=1e-5)
  assert d.sample(5, seed=1).shape == (5, 3)
  assert d.event_shape == (3,)


def test_families_keep_their_parameter_names():
  b = gengs.GenGSBinomial(10., probs=.3, temperature=.5)
  np.testing.assert_allclose(b.probs, .3)
  assert b.high == 10 and b.low == 0
  np.testing.assert_allclose(b.truncated().mean(), 3., rtol=1e-5)
  assert isinstance(b.untruncated(), tfd.Binomial)
  p = gengs.GenGSPoisson(log_rate=np.log(5.), temperature=.5, high=40)
  np.testing.assert_allclose(p.truncated().mean(), 5., rtol=1e-4)
  nb = gengs.GenGSNegativeBinomial(3., probs=.4, temperature=.5, high=60)
  np.testing.assert_allclose(nb.truncated().mean(), 2., rtol=1e-4)
  np.testing.assert_allclose(nb.truncated().mean(), nb.untruncated().mean(),
                             rtol=1e-4)


def test_families_batch_shapes_broadcast():
  d = gengs.GenGSBinomial([[10.], [20.]], probs=[.1, .2, .3],
                          temperature=[[.5], [1.]], high=20)
  assert d.batch_shape == (2, 3)
  assert d.sample(4, seed=1).shape == (4, 2, 3)
  assert d.truncated().logits.shape == (2, 3, 21)
  assert d[1, :2].batch_shape == (2,)


def test_variables_are_read_lazily():
  rate = tf.Variable(3.)
  temperature = tf.Variable(1.)
  d = gengs.GenGSPoisson(rate=rate, temperature=temperature, high=10)
  with tf.GradientTape() as tape:
    z = d.sample(100, seed=1)
    kl = tfd.kl_divergence(d, gengs.GenGSPoisson(rate=2., temperature=1.,
                                                 high=10))
    loss = tf.reduce_mean(z) + kl
  grads = tape.gradient(loss, [rate, temperature])
  assert all(g is not None and np.isfinite(g.numpy()) for g in grads)
  rate.assign(6.)
  np.testing.assert_allclose(d.truncated().mean(),
                             np.sum(np.arange(11.) * np.exp(
                                 truncated_log_pmf.poisson(
                                     rate=tf.constant(6.), low=0,
                                     high=10).numpy())), rtol=1e-5)


# ----------------------------------------------------------------------------
# Graph modes, composite tensors, seeds, dtypes
# ----------------------------------------------------------------------------


def _all_families(dtype):
  c = lambda x: tf.constant(x, dtype)  # noqa: E731
  return [
      gengs.GenGSPoisson(rate=c([2., 7.]), temperature=c(.5), high=15),
      gengs.GenGSBinomial(c(10.), logits=c([0., 1.]), temperature=c(.5)),
      gengs.GenGSGeometric(probs=c(.3), temperature=c(.5), high=12),
      gengs.GenGSNegativeBinomial(c(3.), probs=c(.4), temperature=c(.5),
                                  high=20, low=1),
      gengs.GenGSMultinomial(2, probs=c([.5, .3, .2]), temperature=c(.5)),
      gengs.RelaxedTruncatedDiscrete(c(.5), c([0., 2., 5.]),
                                     logits=c([0., 1., -1.]),
                                     straight_through=True),
  ]


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64])
def test_eager_function_and_xla_agree(dtype):
  families = _all_families(dtype)

  def stats(dists):
    out = []
    for dist in dists:
      td = dist.truncated()
      out += [td.logits, td.mean(), tfd.kl_divergence(dist, dist)]
    return out

  def sample(dists):
    return [dist.sample(3, seed=[4, 2]) for dist in dists]

  # The distributions cross the function boundary as CompositeTensors.
  eager = stats(families)
  graph = tf.function(stats)(families)
  xla = tf.function(stats, jit_compile=True)(families)
  for e, g, x in zip(eager, graph, xla):
    assert e.dtype == dtype
    np.testing.assert_allclose(e, g, rtol=1e-6)
    np.testing.assert_allclose(e, x, rtol=1e-4, atol=1e-5)
  for e, g in zip(sample(families), tf.function(sample)(families)):
    np.testing.assert_allclose(e, g, rtol=1e-6)
  # XLA's Philox stream differs from the CPU kernels': check that it is
  # reproducible and valid instead (its distribution is tested below).
  xla_sample = tf.function(sample, jit_compile=True)
  for a, b in zip(xla_sample(families), xla_sample(families)):
    np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(a))


def test_stateless_seeds_are_reproducible_and_int_seeds_work():
  d = gengs.GenGSPoisson(rate=[3., 4.], temperature=.5, high=10)
  np.testing.assert_array_equal(d.sample(5, seed=[1, 2]),
                                d.sample(5, seed=[1, 2]))
  assert not np.array_equal(d.sample(5, seed=[1, 2]),
                            d.sample(5, seed=[1, 3]))
  assert d.sample(5, seed=42).shape == (5, 2)


def test_xla_samples_follow_the_same_distribution():
  d = gengs.GenGSPoisson(rate=4., temperature=.5, high=12,
                         straight_through=True)
  samples = tf.function(lambda: d.sample(20000, seed=[7, 7]),
                        jit_compile=True)().numpy()
  pi = d.truncated().probs_parameter().numpy()
  assert chi_square_pvalue(samples, np.arange(13.), pi) > 1e-3


def test_extreme_but_valid_inputs_give_finite_samples_and_gradients():
  cases = [
      lambda r: gengs.GenGSPoisson(rate=r, temperature=1e-3, high=30),
      lambda r: gengs.GenGSPoisson(rate=r * 250., temperature=.5, high=1150,
                                   low=850),
      lambda r: gengs.GenGSPoisson(rate=r, temperature=.5, high=1999),
  ]
  for make in cases:
    r = tf.constant(4.)
    with tf.GradientTape() as tape:
      tape.watch(r)
      d = make(r)
      z = d.sample(64, seed=5)
      loss = tf.reduce_mean((z - 3.)**2) + tf.reduce_sum(
          tfd.kl_divergence(d, make(tf.constant(3.))))
    g = tape.gradient(loss, r)
    assert np.all(np.isfinite(z.numpy())) and np.isfinite(g.numpy())
