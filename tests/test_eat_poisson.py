"""ExponentialArrivalPoisson: the exponential-arrival-time Poisson relaxation.

References are float64 scipy quadrature of Campbell's-theorem integrals,
scipy.stats.poisson, and closed forms; statistical tests use fixed seeds and
tolerances derived from the sample size (a few standard errors).
"""

import re
import textwrap

import numpy as np
import pytest
import scipy.integrate as integrate
import scipy.stats as st
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_gengs.distributions import eat_poisson as eat

tfd = tfp.distributions
EAT = eat.ExponentialArrivalPoisson
SMOOTHINGS = ('cubic', 'sigmoid')


# ----------------------------------------------------------------------------
# float64 references
# ----------------------------------------------------------------------------


def np_step(t, tau, smoothing):
  """`s((1 - t) / tau)` in float64 (independent NumPy implementation)."""
  x = (1. - np.asarray(t, np.float64)) / tau
  if smoothing == 'sigmoid':
    return 0.5 * (1. + np.tanh(0.5 * x))
  u = np.clip(0.5 * x + 0.5, 0., 1.)
  return 3. * u**2 - 2. * u**3


def quad(f, end, tau):
  """`int_0^end f` with the smoothing's kinks as breakpoints."""
  points = [p for p in (1. - tau, 1., 1. + tau) if 0. < p < end]
  return integrate.quad(f, 0., end, points=points, limit=500,
                        epsabs=1e-13, epsrel=1e-11)[0]


def ref_integrals(tau, smoothing):
  """`int_0^inf s`, `int_0^inf s^2` by quadrature (cut where s < 1e-300)."""
  end = 1. + tau if smoothing == 'cubic' else 1. + 700. * tau
  return (quad(lambda t: np_step(t, tau, smoothing), end, tau),
          quad(lambda t: np_step(t, tau, smoothing)**2, end, tau))


def ref_truncated_moments(rate, tau, smoothing, k):
  """Mean and variance of the K-arrival sample (finite-K Campbell formulas).

  `E z_K = lambda int s P(N(t) <= K-1)`,
  `E z_K^2 = lambda int s^2 P(N(t) <= K-1) + 2 lambda^2 int s S P(N(t) <=
  K-2)`, `N(t) ~ Poisson(lambda t)`, `S(t) = int_0^t s` (nested quadrature).
  """
  end = 1. + tau if smoothing == 'cubic' else 1. + 700. * tau
  s = lambda t: np_step(t, tau, smoothing)  # noqa: E731
  big_s = lambda t: quad(s, t, tau) if t > 0 else 0.  # noqa: E731
  cdf = lambda j, t: st.poisson.cdf(j, rate * t)  # noqa: E731
  m1 = rate * quad(lambda t: s(t) * cdf(k - 1, t), end, tau)
  m2 = (rate * quad(lambda t: s(t)**2 * cdf(k - 1, t), end, tau) +
        2. * rate**2 * quad(lambda t: s(t) * big_s(t) * cdf(k - 2, t), end,
                            tau))
  return m1, m2 - m1**2


def mean_and_variance_tolerances(x, num_se=5.):
  """`num_se` standard errors of the sample mean and sample variance."""
  n = x.size
  centred = x - x.mean()
  var = np.mean(centred**2)
  m4 = np.mean(centred**4)
  return num_se * np.sqrt(var / n), num_se * np.sqrt((m4 - var**2) / n)


def chi_square_pvalue(counts, rate):
  """Chi-square p-value of integer samples against Poisson(rate)."""
  counts = np.asarray(counts)
  assert np.all(counts == np.round(counts))
  top = int(st.poisson.isf(1e-9, rate)) + 1
  ks = np.arange(top + 1)
  probs = st.poisson.pmf(ks, rate)
  probs[-1] += st.poisson.sf(top, rate)
  observed = np.array([(np.minimum(counts, top) == k).sum() for k in ks])
  expected = probs * counts.size
  keep = expected >= 5.
  observed = np.append(observed[keep], observed[~keep].sum())
  expected = np.append(expected[keep], expected[~keep].sum())
  return st.chisquare(observed, expected).pvalue


def per_sample_gradients(make, rate, n, seed, wrt='rate'):
  """`d z_i / d rate` (or temperature) for `n` independent samples."""
  param = tf.Variable(tf.fill([n], tf.constant(rate, tf.float64)))
  with tf.GradientTape() as tape:
    z = make(param).sample(seed=seed)
  return tape.gradient(z, param).numpy()


# ----------------------------------------------------------------------------
# Closed forms and Monte Carlo
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('smoothing', SMOOTHINGS)
def test_campbell_closed_forms_match_float64_quadrature(smoothing):
  taus = np.array([0.01, 0.05, 0.1, 0.2, 0.5, 0.9, 1., 1.5, 2., 5.])
  first, second = eat.campbell_integrals(tf.constant(taus, tf.float64),
                                         smoothing)
  expected = np.array([ref_integrals(tau, smoothing) for tau in taus])
  np.testing.assert_allclose(first, expected[:, 0], rtol=1e-9)
  np.testing.assert_allclose(second, expected[:, 1], rtol=1e-9)
  if smoothing == 'cubic':  # Ibrahim et al.: unbiased mean for tau <= 1.
    np.testing.assert_allclose(first[taus <= 1.], 1., rtol=1e-12)
    np.testing.assert_allclose(second[taus <= 1.],
                               1. - 9. * taus[taus <= 1.] / 35., rtol=1e-12)
    assert np.all(first[taus > 1.] > 1.)


def test_mean_and_variance_methods_are_rate_times_the_integrals():
  rate = np.array([0.3, 2., 40.])
  for smoothing in SMOOTHINGS:
    d = EAT(rate=rate, temperature=0.3, smoothing=smoothing)
    first, second = ref_integrals(0.3, smoothing)
    np.testing.assert_allclose(d.mean(), rate * first, rtol=1e-5)
    np.testing.assert_allclose(d.variance(), rate * second, rtol=1e-5)
    np.testing.assert_allclose(d.stddev(), np.sqrt(rate * second), rtol=1e-5)


@pytest.mark.parametrize('smoothing', SMOOTHINGS)
def test_monte_carlo_moments_match_closed_forms_across_temperatures(
    smoothing):
  n = 40_000
  for i, tau in enumerate([0.05, 0.2, 0.5, 1., 2.]):
    for j, rate in enumerate([0.5, 6.]):
      d = EAT(rate=tf.constant(rate, tf.float64), temperature=tau,
              smoothing=smoothing)
      z = d.sample(n, seed=[i, j]).numpy()
      tol_mean, tol_var = mean_and_variance_tolerances(z)
      assert abs(z.mean() - d.mean()) < tol_mean, (tau, rate)
      assert abs(z.var() - d.variance()) < tol_var, (tau, rate)


@pytest.mark.parametrize('smoothing', SMOOTHINGS)
def test_small_num_arrivals_follows_the_finite_k_formulas(smoothing):
  # K = 3 arrivals at rate 2: the truncation is visible and documented.
  rate, tau, k, n = 2., 0.3, 3, 100_000
  d = EAT(rate=tf.constant(rate, tf.float64), temperature=tau,
          num_arrivals=k, smoothing=smoothing)
  z = d.sample(n, seed=[7, smoothing == 'cubic']).numpy()
  assert z.max() <= k
  mean_k, var_k = ref_truncated_moments(rate, tau, smoothing, k)
  tol_mean, tol_var = mean_and_variance_tolerances(z)
  assert abs(z.mean() - mean_k) < tol_mean
  assert abs(z.var() - var_k) < tol_var
  # mean() is the K -> inf closed form: here visibly larger (documented).
  assert d.mean() - mean_k > 10. * tol_mean


def test_default_num_arrivals_is_the_tail_mass_criterion():
  for smoothing in SMOOTHINGS:
    for rate in (1e-3, 0.5, 2., 20., 300.):
      for tau in (0.05, 1.):
        for tail_mass in (1e-6, 1e-3):
          k = eat.default_num_arrivals(rate, tau, smoothing, tail_mass)
          mu = rate * eat.support_end(tau, smoothing, tail_mass)
          assert k == max(1, int(st.poisson.isf(tail_mass, mu)))
          assert st.poisson.sf(k, mu) <= tail_mass
          if k > 1:
            assert st.poisson.sf(k - 1, mu) > tail_mass
  # Largest rate and temperature of the batch decide.
  d = EAT(rate=[1., 20.], temperature=[[0.1], [1.]])
  assert d.num_arrivals == eat.default_num_arrivals(20., 1.)
  d = EAT(log_rate=np.log([1., 20.]), temperature=0.1, smoothing='sigmoid',
          tail_mass=1e-4)
  assert d.num_arrivals == eat.default_num_arrivals(20., 0.1, 'sigmoid', 1e-4)


@pytest.mark.parametrize('smoothing', SMOOTHINGS)
def test_low_temperature_limit_is_poisson_chi_square(smoothing):
  n = 30_000
  for i, rate in enumerate([0.7, 4.]):
    d = EAT(rate=rate, temperature=1e-3, smoothing=smoothing)
    z = d.sample(n, seed=[11, i]).numpy()
    # Only arrivals near t = 1 add a fraction > 1e-3: within tau (cubic) or
    # tau log(1e3) (sigmoid), i.e. with probability ~ 2 rate * that width.
    half_width = 1e-3 * (1. if smoothing == 'cubic' else np.log(1e3))
    fractional = np.mean(np.abs(z - np.round(z)) > 1e-3)
    assert fractional < 1.5 * 2. * rate * half_width + 2e-3
    counts = np.round(z)
    assert chi_square_pvalue(counts, rate) > 1e-3
    # The test has power: a 10% wrong rate is rejected.
    assert chi_square_pvalue(counts, 1.1 * rate) < 1e-6


@pytest.mark.parametrize('smoothing', SMOOTHINGS)
def test_straight_through_forward_is_the_exact_count(smoothing):
  rate = tf.constant([0.5, 3., 9.])
  seed = tf.constant([5, 6])
  n = 20_000
  st_dist = EAT(rate=rate, temperature=1., smoothing=smoothing,
                straight_through=True)
  z = st_dist.sample(n, seed=seed).numpy()
  np.testing.assert_array_equal(z, np.round(z))
  # Equal to the number of arrival times <= 1 drawn from the same seed.
  times = eat.arrival_times(tf.math.log(rate), st_dist.num_arrivals, [n],
                            seed)
  np.testing.assert_array_equal(
      z, tf.reduce_sum(tf.cast(times <= 1., tf.float32), -1))
  # Exactly Poisson whatever the temperature (tau = 1 is far from the limit).
  for i, r in enumerate([0.5, 3., 9.]):
    assert chi_square_pvalue(z[:, i], r) > 1e-3
  np.testing.assert_allclose(st_dist.mean(), rate)
  np.testing.assert_allclose(st_dist.variance(), rate)
  # Backward: the relaxed sample's gradient (same seed).
  grads = []
  for straight_through in (True, False):
    with tf.GradientTape() as tape:
      tape.watch(rate)
      d = EAT(rate=rate, temperature=1., smoothing=smoothing,
              straight_through=straight_through)
      loss = tf.reduce_sum(d.sample(100, seed=seed))
    grads.append(tape.gradient(loss, rate))
  np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
  assert np.all(grads[0] > 0.)


@pytest.mark.parametrize('smoothing', SMOOTHINGS)
def test_gradient_of_expected_count_matches_closed_form(smoothing):
  n = 40_000
  for i, tau in enumerate([0.1, 1., 2.]):
    rate = 3.
    make = lambda r: EAT(rate=r, temperature=tau, smoothing=smoothing,  # noqa: E731,B023
                         num_arrivals=eat.default_num_arrivals(
                             rate, tau, smoothing))
    g = per_sample_gradients(make, rate, n, seed=[3, i])
    first, _ = ref_integrals(tau, smoothing)  # d/drate E z = int s
    assert abs(g.mean() - first) < 5. * g.std() / np.sqrt(n), tau
    # d/dtau E z against autodiff of the closed-form mean.
    make_tau = lambda t: EAT(rate=rate, temperature=t, smoothing=smoothing,  # noqa: E731,B023
                             num_arrivals=eat.default_num_arrivals(
                                 rate, tau, smoothing))
    g_tau = per_sample_gradients(make_tau, tau, n, seed=[4, i])
    tau_var = tf.constant(tau, tf.float64)
    with tf.GradientTape() as tape:
      tape.watch(tau_var)
      mean = EAT(rate=rate, temperature=tau_var, smoothing=smoothing,
                 num_arrivals=5).mean()
    expected = tape.gradient(mean, tau_var).numpy()
    assert abs(g_tau.mean() - expected) < 5. * g_tau.std() / np.sqrt(n) + 1e-9


@pytest.mark.parametrize('smoothing', SMOOTHINGS)
@pytest.mark.parametrize('param', ['rate', 'log_rate'])
def test_gradients_are_finite_at_extreme_rates_and_small_temperature(
    smoothing, param):
  log_rate = tf.constant(np.linspace(-50., 8., 12), tf.float32)
  for tau in (0.01, 1.):
    for straight_through in (False, True):
      temperature = tf.constant(tau)
      with tf.GradientTape(persistent=True) as tape:
        tape.watch([log_rate, temperature])
        kwargs = ({'rate': tf.exp(log_rate)} if param == 'rate'
                  else {'log_rate': log_rate})
        d = EAT(temperature=temperature, smoothing=smoothing,
                num_arrivals=eat.default_num_arrivals(np.exp(8.), tau,
                                                      smoothing),
                straight_through=straight_through, **kwargs)
        z = d.sample(2, seed=[1, 2])
        loss = tf.reduce_sum(tf.sin(z))
        stats = tf.reduce_sum(d.mean() + d.variance())
        kl = tf.reduce_sum(tfd.kl_divergence(d, tfd.Poisson(rate=2.)))
      for value in (z, stats, kl):
        assert np.all(np.isfinite(value))
      for target in (loss, stats, kl):
        g_rate, g_tau = tape.gradient(target, [log_rate, temperature])
        assert np.all(np.isfinite(g_rate)), (tau, straight_through, target)
        # None: the KL and the straight-through moments ignore tau.
        assert g_tau is not None or target is not loss
        if g_tau is not None:
          assert np.all(np.isfinite(g_tau)), (tau, straight_through, target)
      # Sanity at the ends: tiny rates count 0, large ones ~ mean (sd e^4).
      assert np.all(z[:, 0] == 0.)
      assert np.all(np.abs(z[:, -1] - d.mean()[-1]) < 6. * np.exp(4.))


# ----------------------------------------------------------------------------
# Graph, XLA, composite tensor
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('smoothing', SMOOTHINGS)
def test_eager_function_and_xla_agree(smoothing):
  rates = np.array([0.5, 4., 30.])
  n = 4000
  seed = tf.constant([8, 9])

  def run(rate, seed):
    # One rate per sample: the gradient holds per-sample d z_i^2 / d rate.
    rate = tf.broadcast_to(rate, [n, 3])
    with tf.GradientTape() as tape:
      tape.watch(rate)
      d = EAT(rate=rate, temperature=0.2, smoothing=smoothing,
              num_arrivals=80)
      z = d.sample(seed=seed)
      loss = tf.reduce_sum(z**2)
    hard = EAT(rate=rate, temperature=0.2, smoothing=smoothing,
               num_arrivals=80, straight_through=True).sample(seed=seed)
    kl = tfd.kl_divergence(d, tfd.Poisson(rate=2.))
    return z, hard, tape.gradient(loss, rate), d.mean(), d.variance(), kl

  rate = tf.constant(rates, tf.float32)
  eager = run(rate, seed)
  graph = tf.function(run)(rate, seed)
  xla = tf.function(run, jit_compile=True)(rate, seed)
  for a, b in zip(eager, graph):  # same generator: same numbers
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
  for a, b in zip(eager[3:], xla[3:]):  # closed forms: same numbers
    np.testing.assert_allclose(a, b, rtol=1e-5)
  # XLA's Philox stream differs: same distribution (5 standard errors),
  # integer hard counts, and d/drate E z^2 = 2 rate m1^2 + m2.
  first, second = ref_integrals(0.2, smoothing)
  np.testing.assert_array_equal(xla[1], np.round(xla[1]))
  for z, grad in ((eager[0], eager[2]), (xla[0], xla[2])):
    z, grad = z.numpy(), grad.numpy()
    assert np.all(np.abs(z.mean(0) - rates * first) <
                  5. * z.std(0) / np.sqrt(n))
    assert np.all(np.abs(grad.mean(0) - (2. * rates * first**2 + second)) <
                  5. * grad.std(0) / np.sqrt(n))


def test_composite_tensor_round_trip_through_tf_function():
  rate = tf.Variable([1., 5.])
  d = EAT(rate=rate, temperature=0.3, num_arrivals=30, smoothing='sigmoid')
  assert isinstance(d, tf.__internal__.CompositeTensor)
  assert d.reparameterization_type == tfd.FULLY_REPARAMETERIZED
  flat = tf.nest.flatten(d, expand_composites=True)
  rebuilt = tf.nest.pack_sequence_as(d, flat, expand_composites=True)
  assert rebuilt.num_arrivals == 30 and rebuilt.smoothing == 'sigmoid'

  @tf.function
  def sample_and_return(dist, seed):
    return dist.sample(seed=seed), dist

  with tf.GradientTape() as tape:
    z, returned = sample_and_return(d, tf.constant([1, 2]))
    loss = tf.reduce_sum(z)
  assert isinstance(returned, EAT) and returned.num_arrivals == 30
  assert np.all(np.isfinite(tape.gradient(loss, rate)))
  np.testing.assert_allclose(z, d.sample(seed=tf.constant([1, 2])))
  # A distribution whose K came from the default keeps it inside a function.
  default = EAT(rate=[1., 5.], temperature=0.3)
  out = tf.function(lambda dist: dist.mean())(default)
  np.testing.assert_allclose(out, [1., 5.])

  @tf.function
  def resample(dist):
    return dist.copy(temperature=0.1).num_arrivals

  resample(default)  # traces with a symbolic rate: K is not recomputed


def test_tensor_rates_inside_tf_function_require_num_arrivals():
  @tf.function
  def build(rate):
    return EAT(rate=rate, temperature=0.5).sample(seed=[1, 2])

  with pytest.raises(ValueError, match='`num_arrivals` is required'):
    build(tf.constant([1., 2.]))
  with pytest.raises(ValueError, match='`num_arrivals` is required'):
    EAT(rate=tf.Variable(1.), temperature=0.5)


# ----------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(rate=0., temperature=1.), ValueError, r'`rate`.*0 < rate < inf'),
    (dict(rate=[1., -2.], temperature=1.), ValueError, r'`rate`.*positive'),
    (dict(rate=np.inf, temperature=1.), ValueError, r'`rate`.*finite'),
    (dict(rate=np.nan, temperature=1.), ValueError, r'`rate`'),
    (dict(log_rate=np.inf, temperature=1.), ValueError, r'`log_rate`.*finite'),
    (dict(rate=1., temperature=0.), ValueError,
     r'`temperature`.*0 < temperature < inf'),
    (dict(rate=1., temperature=-1.), ValueError, r'`temperature`'),
    (dict(rate=1., temperature=1., num_arrivals=0), ValueError,
     r'`num_arrivals`.*>= 1'),
    (dict(rate=1., temperature=1., num_arrivals=2.5), ValueError,
     r'`num_arrivals`.*integer'),
    (dict(rate=1., temperature=1., num_arrivals=True), TypeError,
     r'`num_arrivals`'),
    (dict(rate=1., temperature=1., smoothing='quintic'), ValueError,
     r'`smoothing`.*cubic'),
    (dict(rate=1., temperature=1., tail_mass=0.), ValueError,
     r'`tail_mass`.*\(0, 1\)'),
    (dict(rate=1., temperature=1., tail_mass=1.), ValueError, r'`tail_mass`'),
    (dict(rate=1., temperature=1., straight_through=1), TypeError,
     r'`straight_through`'),
    (dict(rate=1., log_rate=0., temperature=1.), ValueError, 'exactly one'),
    (dict(temperature=1.), ValueError, 'exactly one'),
    (dict(rate=1.), ValueError, '`temperature` is required'),
])
def test_invalid_python_known_arguments_raise_at_construction(kwargs, error,
                                                              match):
  with pytest.raises(error, match=match):
    EAT(**kwargs)


def test_validate_args_checks_variables_at_use():
  rate = tf.Variable([1., 2.])
  tau = tf.Variable(0.5)
  d = EAT(rate=rate, temperature=tau, num_arrivals=20, validate_args=True)
  d.sample(seed=[1, 2])
  rate.assign([1., -2.])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=re.escape('`rate` must be positive and finite')):
    d.sample(seed=[1, 2])
  rate.assign([1., 2.])
  tau.assign(-0.1)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`temperature`'):
    d.mean()
  tau.assign(0.5)
  rate.assign([1., 20.])  # K = 20 arrivals miss too much at rate 20
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='`num_arrivals` .20. is too small'):
    d.sample(seed=[1, 2])
  log_rate = tf.Variable(0.)
  d = EAT(log_rate=log_rate, temperature=0.5, num_arrivals=20,
          validate_args=True)
  log_rate.assign(np.nan)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`log_rate`'):
    d.sample(seed=[1, 2])
  # Python-known values too small for K: caught at construction.
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='`num_arrivals`'):
    EAT(rate=10., temperature=0.5, num_arrivals=5, validate_args=True)
  EAT(rate=10., temperature=0.5, num_arrivals=5)  # allowed without checks


def test_log_prob_raises_a_clear_error():
  d = EAT(rate=2., temperature=0.5)
  for method in (d.log_prob, d.prob):
    with pytest.raises(NotImplementedError, match='no tractable density'):
      method(1.)
  np.testing.assert_allclose(d.untruncated().log_prob(1.),
                             st.poisson.logpmf(1, 2.), rtol=1e-6)


# ----------------------------------------------------------------------------
# KL, shapes, docs
# ----------------------------------------------------------------------------


def test_kl_is_the_analytic_poisson_kl():
  q_rate = np.array([0.01, 0.5, 2., 2., 30., 3000.])
  p_rate = np.array([5., 2., 2., 2.0001, 0.1, 2900.])
  expected = q_rate * np.log(q_rate / p_rate) - q_rate + p_rate
  for smoothing in SMOOTHINGS:
    q = EAT(rate=tf.constant(q_rate), temperature=0.2, smoothing=smoothing)
    kl = tfd.kl_divergence(q, tfd.Poisson(rate=p_rate))
    np.testing.assert_allclose(kl, expected, rtol=1e-9, atol=1e-15)
    p = EAT(log_rate=np.log(p_rate), temperature=1.,
            smoothing='sigmoid')
    np.testing.assert_allclose(tfd.kl_divergence(q, p), expected, rtol=1e-9,
                               atol=1e-15)
    np.testing.assert_array_equal(tfd.kl_divergence(q, q), 0.)
  # float32 near q = p: no cancellation (q d - q + p would lose all digits
  # of 2.5e-7 to the rounding of 2 - 2.001), accurate to the log-rates'
  # rounding.
  q = EAT(rate=[2., 2.], temperature=0.2)
  p_rate = np.float32([2.001, 1e-30]).astype(np.float64)
  kl32 = tfd.kl_divergence(q, tfd.Poisson(rate=np.float32(p_rate))).numpy()
  np.testing.assert_allclose(
      kl32, 2. * np.log(2. / p_rate) - 2. + p_rate, rtol=1e-3)


def test_batch_shapes_broadcast_and_slicing():
  rate = np.array([[1.], [2.], [3.]])
  tau = np.array([0.1, 0.5])
  d = EAT(rate=rate, temperature=tau)
  assert d.batch_shape == [3, 2] and d.event_shape == []
  assert d.sample(5, seed=[1, 2]).shape == [5, 3, 2]
  assert d.sample(seed=[1, 2]).shape == [3, 2]
  assert d.mean().shape == [3, 2] and d.variance().shape == [3, 2]
  np.testing.assert_allclose(d.mean(), np.broadcast_to(rate, [3, 2]),
                             rtol=1e-6)
  sliced = d[1:]
  assert sliced.batch_shape == [2, 2]
  assert sliced.num_arrivals == d.num_arrivals
  np.testing.assert_allclose(sliced.mean(), d.mean()[1:])
  np.testing.assert_allclose(sliced.variance(), d.variance()[1:])
  column = d[..., 1]
  assert column.batch_shape == [3]
  np.testing.assert_allclose(column.variance(), d.variance()[:, 1])
  assert EAT(log_rate=np.zeros([4]), temperature=[[0.1], [0.2]]
             ).batch_shape == [2, 4]
  # Parameter properties drive TFP's generic machinery.
  assert EAT.parameter_properties()['rate'].is_preferred
  assert d.copy(smoothing='sigmoid').smoothing == 'sigmoid'
  assert d.parameters['num_arrivals'] == d.num_arrivals


def test_docstring_example_runs():
  block = re.search(r'#### Examples\s+```python\n(.*?)```', EAT.__doc__,
                    re.S).group(1)
  namespace = {}
  exec(textwrap.dedent(block), namespace)  # pylint: disable=exec-used
  d = namespace['d']
  assert d.num_arrivals == eat.default_num_arrivals(7., 0.1)
  assert re.search(rf'# {d.num_arrivals} \(', block)
  np.testing.assert_allclose(namespace['z'].shape, [4, 2])
  np.testing.assert_allclose(d.variance(), (1. - 0.9 / 35.) * np.array(
      [2., 7.]), rtol=1e-6)


def test_leading_axis_scan_is_a_cumsum():
  # The fast two-level scan (unrolled up to 1024 arrivals, two tf.cumsum
  # above), in eager and XLA, for sizes with and without padding.
  scan = tf.function(eat._cumsum_leading, jit_compile=True)  # pylint: disable=protected-access
  for k in (1, 2, 7, 16, 37, 1025):
    x = tf.random.stateless_uniform([k, 3, 2], [k, 0], dtype=tf.float64)
    expected = np.cumsum(x.numpy(), axis=0)
    np.testing.assert_allclose(eat._cumsum_leading(x), expected, rtol=1e-12)  # pylint: disable=protected-access
    np.testing.assert_allclose(scan(x), expected, rtol=1e-12)


def test_cubic_smoothstep_gradients_match_autodiff_of_the_formula():
  x = tf.constant(np.linspace(-3.05, 3.05, 62))  # not on the kinks +-1
  with tf.GradientTape() as outer:
    outer.watch(x)
    with tf.GradientTape() as inner:
      inner.watch(x)
      s = eat.smooth_indicator(x, 'cubic')
    ds = inner.gradient(s, x)
  d2s = outer.gradient(ds, x)
  u = np.clip(0.5 * x.numpy() + 0.5, 0., 1.)
  inside = (u > 0.) & (u < 1.)
  np.testing.assert_allclose(s, 3. * u**2 - 2. * u**3, atol=1e-15)
  np.testing.assert_allclose(ds, 3. * u * (1. - u), atol=1e-15)
  np.testing.assert_allclose(d2s, np.where(inside, 1.5 * (1. - 2. * u), 0.),
                             atol=1e-15)


def test_benchmark_metrics():
  """The benchmark's W1 and exact-gradient helpers on known answers."""
  # Under Bazel the test needs `:benchmarks` among its deps (see BUILD).
  bench = pytest.importorskip('benchmarks.poisson_relaxations')
  rng = np.random.RandomState(0)
  x = rng.poisson(3., 200_000).astype(np.float64)
  floor = bench.wasserstein1_to_poisson(x, 3.)
  assert floor < 0.02
  # A shift by 0.3 moves the whole CDF: W1 = 0.3.
  assert abs(bench.wasserstein1_to_poisson(x + 0.3, 3.) - 0.3) < 0.02
  # All mass at 0: W1 = E|X - 0| = rate.
  np.testing.assert_allclose(bench.wasserstein1_to_poisson(np.zeros(10), 3.),
                             3., rtol=1e-9)
  # d/drate E[X^2] = 2 rate + 1; d/drate E[sin X] by finite differences.
  np.testing.assert_allclose(
      bench.exact_poisson_gradient(lambda k: k**2, 2.5), 6., rtol=1e-12)
  ks = np.arange(100)
  mean_sin = lambda r: np.sum(st.poisson.pmf(ks, r) * np.sin(ks))  # noqa: E731
  np.testing.assert_allclose(
      bench.exact_poisson_gradient(np.sin, 2.5),
      (mean_sin(2.5 + 1e-6) - mean_sin(2.5 - 1e-6)) / 2e-6, rtol=1e-6)
  assert bench.gengs_window(20.) == (int(st.poisson.ppf(5e-7, 20.)),
                                     int(st.poisson.isf(5e-7, 20.)))


# ----------------------------------------------------------------------------
# EAT as a gradient estimator (`estimators.ExponentialArrivalTime`)
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('smoothing,tau', [('cubic', 0.5), ('cubic', 1.),
                                           ('sigmoid', 0.5)])
def test_estimator_is_unbiased_for_the_relaxed_objective(smoothing, tau):
  """`E g_hat = d/dtheta E f(z_tau)`, against float64 Campbell integrals.

  `f(z) = (z - w)^2` with its own parameter `w`: `E f = lambda I2 +
  (lambda I1 - w)^2`, so `d/dlog lambda = lambda I2 + 2 lambda I1 (lambda I1
  - w)` and `d/dw = -2 (lambda I1 - w)` (K from the tail mass 1e-6: its
  truncation is far below the Monte Carlo error).
  """
  from tfp_gengs import estimators  # pylint: disable=g-import-not-at-top
  rates, w0, n = np.array([2., 20.]), 3., 20000
  i1, i2 = ref_integrals(tau, smoothing)
  exact_rate = rates * i2 + 2. * rates * i1 * (rates * i1 - w0)
  exact_w = -2. * (rates * i1 - w0)
  estimator = estimators.make(f'EAT-{smoothing}', temperature=tau,
                              max_rate=20.)
  log_rate = tf.Variable(np.log(np.tile(rates, [n, 1])), dtype=tf.float32)
  w = tf.Variable(w0)
  seen = []

  def loss_fn(z):
    seen.append(z[0])
    return (z - w)**2

  with tf.GradientTape(persistent=True) as tape:
    result = estimator(tfd.Poisson(log_rate=log_rate), loss_fn, seed=(4, 2))
    totals = tf.reduce_sum(result.surrogate, axis=0)                 # [2]
    per_rate = [totals[j] for j in range(2)]
  g_rate = tape.gradient(result.surrogate, log_rate).numpy()         # [n, 2]
  g_w = np.array([float(tape.gradient(t, w)) for t in per_rate]) / n
  assert result.logits_gradient is None and float(result.aux_loss) == 0.
  mean, se = g_rate.mean(0), g_rate.std(0) / np.sqrt(n)
  np.testing.assert_array_less(np.abs(mean - exact_rate), 5. * se)
  # d f / d w = -2 (z - w) per point.
  w_se = 2. * seen[0].numpy().std(0) / np.sqrt(n)
  np.testing.assert_array_less(np.abs(g_w - exact_w), 5. * w_se)


def test_estimator_differs_from_the_poisson_gradient_where_it_is_biased():
  """Sigmoid at tau = 1 relaxes visibly: its gradient is not the Poisson's."""
  from tfp_gengs import estimators  # pylint: disable=g-import-not-at-top
  rate, n = 2., 20000
  log_rate = tf.Variable(tf.fill([n], np.log(rate)))
  with tf.GradientTape() as tape:
    result = estimators.make('EAT-sigmoid', max_rate=rate)(
        tfd.Poisson(log_rate=log_rate), lambda z: z**2, seed=(1, 5))
  g = tape.gradient(result.surrogate, log_rate).numpy()
  poisson = rate + 2. * rate**2          # d/dlog rate (rate + rate^2)
  assert abs(g.mean() - poisson) > 10. * g.std() / np.sqrt(n)


def test_estimator_needs_a_static_window_in_traced_code():
  from tfp_gengs import estimators  # pylint: disable=g-import-not-at-top

  @tf.function
  def call(estimator, log_rate):
    return estimator(tfd.Poisson(log_rate=log_rate), lambda z: z,
                     seed=(1, 2)).surrogate

  log_rate = tf.constant([0.5, 1.])
  with pytest.raises(ValueError, match='num_arrivals.*max_rate'):
    call(estimators.make('EAT-cubic'), log_rate)
  k = estimators.make('EAT-cubic', max_rate=5.).arrivals_for()
  assert k == eat.default_num_arrivals(5., 1., 'cubic', 1e-6)
  assert call(estimators.make('EAT-cubic', num_arrivals=k),
              log_rate).shape == [2]


@pytest.mark.parametrize('kwargs,match', [
    (dict(smoothing='tanh'), 'smoothing'),
    (dict(temperature=0.), 'temperature'),
    (dict(num_arrivals=0), 'num_arrivals'),
    (dict(max_rate=-1.), 'max_rate'),
])
def test_estimator_rejects_bad_arguments(kwargs, match):
  from tfp_gengs import estimators  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match=match):
    estimators.ExponentialArrivalTime(**kwargs)


def test_make_builds_eat_with_a_temperature_override():
  from tfp_gengs import estimators  # pylint: disable=g-import-not-at-top
  estimator = estimators.make('EAT-sigmoid@0.2', num_arrivals=30)
  assert (estimator.smoothing, estimator.temperature,
          estimator.num_arrivals) == ('sigmoid', 0.2, 30)
  assert estimator.display_name == 'EAT-sigmoid(τ=0.2)'
  assert set(estimators.POISSON_NAMES) == {'EAT-cubic', 'EAT-sigmoid'}
  assert not set(estimators.POISSON_NAMES) & set(estimators.NAMES)
