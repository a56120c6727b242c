"""Hard-sample gradients: ReinMax and Gumbel-Rao (and straight-through).

References: exact enumeration of the window in float64 (numpy), and the
straight-through Gumbel-Softmax estimator as Gumbel-Rao's mean. Statistical
tests use fixed seeds and tolerances of a few standard errors of the mean.
"""

import numpy as np
import pytest
import scipy.special
import scipy.stats
import tensorflow as tf

import tensorflow_probability as tfp

import tfp_gengs as gengs
from tfp_gengs import estimators
from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.distributions import sample_gradients

tfd = tfp.distributions

OUTCOMES = np.array([0., 1., 2., 5.])
LOGITS = np.array([0.3, -0.2, 1.0, -1.0])
TARGET = 1.7


def quadratic(z):
  return (z - TARGET)**2


def exact_logits_gradient(logits=LOGITS, outcomes=OUTCOMES, f=quadratic):
  """`pi_k (f(c_k) - E f)`, float64, by enumeration."""
  pi = scipy.special.softmax(np.asarray(logits, np.float64))
  values = f(np.asarray(outcomes, np.float64))
  return pi * (values - pi @ values)


def estimates(name, num=20000, logits=LOGITS, outcomes=OUTCOMES, f=quadratic,
              seed=(1, 2), **settings):
  """`num` independent estimates of `grad_logits E f`, `[num, n]`."""
  dist = gengs.TruncatedDiscrete(
      tf.constant(outcomes, tf.float32),
      logits=tf.broadcast_to(tf.constant(logits, tf.float32),
                             [num, len(logits)]))
  result = estimators.make(name, **settings)(dist, f, seed=seed)
  return result, np.asarray(result.logits_gradient, np.float64)


def mean_and_stderr(samples):
  return samples.mean(0), samples.std(0, ddof=1) / np.sqrt(len(samples))


def test_reinmax_is_exact_for_a_quadratic_loss_at_tau_one():
  """Liu et al.'s second-order accuracy; straight-through is biased."""
  exact = exact_logits_gradient()
  _, reinmax = estimates('ReinMax', temperature=1.)
  mean, stderr = mean_and_stderr(reinmax)
  np.testing.assert_array_less(np.abs(mean - exact), 5 * stderr + 1e-6)
  _, st = estimates('GenGS-ST', temperature=1.)
  st_mean, st_stderr = mean_and_stderr(st)
  # Straight-through misses by far more than its standard error.
  assert np.max(np.abs(st_mean - exact) / st_stderr) > 20.


@pytest.mark.parametrize('family', ['poisson', 'binomial'])
def test_reinmax_exact_on_a_family_window(family):
  """The same property on a truncated family (tails on the window ends)."""
  prior = {'poisson': tfd.Poisson(rate=3.),
           'binomial': tfd.Binomial(total_count=6., probs=.4)}[family]
  truncated = gengs.truncate(prior, high=6)
  logits = truncated.logits_parameter().numpy().astype(np.float64)
  outcomes = truncated.outcomes.numpy().astype(np.float64)
  exact = exact_logits_gradient(logits, outcomes)
  _, reinmax = estimates('ReinMax', logits=logits, outcomes=outcomes,
                         temperature=1., seed=(3, 4))
  mean, stderr = mean_and_stderr(reinmax)
  np.testing.assert_array_less(np.abs(mean - exact), 5 * stderr + 1e-6)


def test_reinmax_vector_outcomes():
  """Multinomial count vectors: a loss quadratic in the one-hot sample."""
  counts = gengs.GenGSMultinomial(2, probs=[.6, .3, .1], temperature=1.)
  truncated = counts.truncated()
  logits = truncated.logits_parameter().numpy().astype(np.float64)
  outcomes = truncated.outcomes.numpy().astype(np.float64)   # [6, 3]
  w = np.array([1., .5, 0.])

  def f(z):
    return tf.reduce_sum((z - w)**2, -1) if tf.is_tensor(z) else (
        np.sum((z - w)**2, -1))

  exact = exact_logits_gradient(logits, outcomes, f)
  _, reinmax = estimates('ReinMax', logits=logits, outcomes=outcomes, f=f,
                         temperature=1., seed=(5, 6))
  mean, stderr = mean_and_stderr(reinmax)
  np.testing.assert_array_less(np.abs(mean - exact), 5 * stderr + 1e-6)


@pytest.mark.parametrize('tau, ratio', [(0.5, 0.8), (1., 0.95)])
def test_gumbel_rao_has_the_straight_through_mean_and_less_variance(tau,
                                                                    ratio):
  _, rao = estimates('Gumbel-Rao', temperature=tau, num_samples=10,
                     seed=(7, 8))
  _, st = estimates('GenGS-ST', temperature=tau, seed=(9, 10))
  rao_mean, rao_stderr = mean_and_stderr(rao)
  st_mean, st_stderr = mean_and_stderr(st)
  np.testing.assert_array_less(np.abs(rao_mean - st_mean),
                               5 * np.hypot(rao_stderr, st_stderr))
  # Rao-Blackwellisation: less total variance (measured with K = 10: 0.83
  # of ST's at tau = 1, less at 0.5; a variance from 20,000 draws is
  # known to a few per cent).
  rao_var, st_var = rao.var(0).sum(), st.var(0).sum()
  assert rao_var < ratio * st_var, (rao_var, st_var)


def test_gumbel_rao_variance_falls_with_k():
  _, one = estimates('Gumbel-Rao', temperature=.5, num_samples=1)
  _, many = estimates('Gumbel-Rao', temperature=.5, num_samples=20)
  assert many.var(0).sum() < 0.8 * one.var(0).sum()


def test_conditional_gumbels_have_the_right_law():
  """Given the argmax, `log pi + g` matches rejection from plain Gumbels."""
  logits = tf.constant(np.log([.5, .3, .2]), tf.float32)
  index = tf.constant(1)
  draws = sample_gradients._conditional_gumbel_logits(  # pylint: disable=protected-access
      logits, index, [40000, 3], (1, 2)).numpy()
  assert np.all(np.argmax(draws, -1) == 1)
  g = scipy.stats.gumbel_r.rvs(size=(200000, 3), random_state=0)
  perturbed = np.log([.5, .3, .2]) + g
  kept = perturbed[np.argmax(perturbed, -1) == 1][:40000]
  for k in range(3):
    assert scipy.stats.ks_2samp(draws[:, k], kept[:, k]).pvalue > 1e-3


@pytest.mark.parametrize('gradient', sample_gradients.HARD_GRADIENTS)
def test_forward_values_are_outcomes(gradient):
  outcomes = tf.constant([1000., 1001., 1003., 1010.])
  logits = tf.random.stateless_normal([500, 4], (1, 1)) * 3.
  z = sample_gradients.outcome_sample(logits, .7, outcomes, gradient,
                                      seed=(2, 3))
  assert np.all(np.isin(z.numpy(), outcomes.numpy()))
  # The same category as straight-through for the same seed.
  st = sample_gradients.outcome_sample(logits, .7, outcomes,
                                       'straight_through', seed=(2, 3))
  np.testing.assert_array_equal(z, st)


@pytest.mark.parametrize('gradient', ['relaxed', 'straight_through'])
def test_relaxed_and_st_match_relaxed_outcomes(gradient):
  """The relaxed and ST paths are `relaxed_outcomes`' (same seed)."""
  logits = tf.random.stateless_normal([20, 4], (1, 1))
  ours = sample_gradients.outcome_sample(logits, .5, OUTCOMES.astype('f4'),
                                         gradient, seed=(4, 5))
  ref = gumbel_softmax.relaxed_outcomes(
      logits, .5, OUTCOMES.astype('f4'), seed=(4, 5),
      straight_through=gradient == 'straight_through')
  np.testing.assert_allclose(ours, ref, rtol=1e-6)


@pytest.mark.parametrize('gradient', sample_gradients.GRADIENTS)
def test_edges_stay_finite(gradient):
  """Probability-0 outcomes and extreme logits: finite gradients, none for
  impossible outcomes, which are never drawn."""
  logits = tf.Variable([[0., -np.inf, 1., -np.inf],
                        [80., -80., 0., -np.inf],
                        [-1e4, 0., 1e4, 3.]], dtype=tf.float32)
  outcomes = tf.constant([0., 1., 2., 5.])
  with tf.GradientTape() as tape:
    z = sample_gradients.outcome_sample(logits, .3, outcomes, gradient,
                                        sample_shape=[200], seed=(6, 7))
    loss = tf.reduce_sum((z - 1.5)**2)
  grad = tape.gradient(loss, logits).numpy()
  assert np.all(np.isfinite(z.numpy()))
  assert np.all(np.isfinite(grad)), grad
  assert np.all(grad[np.isinf(logits.numpy())] == 0.)
  if gradient != 'relaxed':
    assert not np.any(z.numpy()[:, 0] == 1.) and not np.any(
        z.numpy()[:, 0] == 5.)


@pytest.mark.parametrize('gradient', sample_gradients.HARD_GRADIENTS)
@pytest.mark.parametrize('jit', [False, True])
def test_tf_function_and_xla(gradient, jit):
  logits = tf.Variable(tf.random.stateless_normal([8, 3, 5], (1, 2)))
  outcomes = tf.range(5.)

  @tf.function(jit_compile=jit)
  def step(seed):
    with tf.GradientTape() as tape:
      z = sample_gradients.outcome_sample(logits, 1., outcomes, gradient,
                                          seed=seed)
      loss = tf.reduce_sum((z - 2.)**2)
    return z, tape.gradient(loss, logits)

  z, grad = step(tf.constant([3, 4]))
  assert np.all(np.isin(z.numpy(), np.arange(5.)))
  assert np.all(np.isfinite(grad.numpy())) and np.any(grad.numpy() != 0.)
  if not jit:   # XLA's Philox stream differs; eagerly the same numbers
    with tf.GradientTape() as tape:
      z_eager = sample_gradients.outcome_sample(logits, 1., outcomes,
                                                gradient, seed=(3, 4))
      loss = tf.reduce_sum((z_eager - 2.)**2)
    np.testing.assert_allclose(tape.gradient(loss, logits), grad, rtol=1e-5,
                               atol=1e-6)


def test_bad_choices_are_named():
  with pytest.raises(ValueError, match='`gradient`'):
    sample_gradients.outcome_sample([0., 0.], 1., [0., 1.], 'reinmx')
  with pytest.raises(ValueError, match='`num_samples`'):
    estimators.make('Gumbel-Rao', num_samples=0)
  assert estimators.make('Gumbel-Rao', num_samples=4).num_samples == 4
  assert estimators.make('Gumbel-Rao').num_samples == 10
  assert estimators.make('RF*').num_samples == 2
  assert estimators.make('ReinMax', temperature=1.3).temperature == 1.3


@pytest.mark.parametrize('name', ['ReinMax', 'Gumbel-Rao'])
def test_vae_setting_one_signal_per_example(name):
  """`latent_ndims=1`: `[batch, d]` latents, f evaluated once at outcomes,
  and the loss's own parameter gets its gradient."""
  w = tf.Variable(1.5)
  dist = gengs.TruncatedDiscrete(
      tf.range(4.), logits=tf.random.stateless_normal([16, 3, 4], (5, 5)))
  calls = []

  def f(z):
    calls.append(z.shape)
    return tf.reduce_sum((z - w)**2, -1)

  with tf.GradientTape() as tape:
    result = estimators.make(name, latent_ndims=1)(dist, f, seed=(1, 1))
    total = tf.reduce_sum(result.surrogate)
  assert calls == [tf.TensorShape([1, 16, 3])]
  assert result.loss.shape == [16]
  assert tape.gradient(total, w) is not None
