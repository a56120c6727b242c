"""Tests of `tfp_gengs.estimators` on small problems with exact gradients."""

import numpy as np
import pytest
import tensorflow as tf

import tfp_gengs as gengs
from tfp_gengs import estimators
from tfp_gengs.distributions import gengs_multinomial
from tfp_gengs.estimators import sampling
from tfp_gengs.experiments.common.optim import Adam

OUTCOMES = tf.constant([0., 1., 2., 5.])
LOGITS = tf.constant([0.5, -0.2, 0.1, -1.0])


def loss(z):
  return (z - 1.5)**2 + 3.


def replicated(num, logits=LOGITS, outcomes=OUTCOMES):
  return gengs.TruncatedDiscrete(
      outcomes, logits=tf.broadcast_to(logits, [num] + logits.shape))


def exact_gradient(logits=LOGITS, outcomes=OUTCOMES, loss_fn=loss):
  dist = gengs.TruncatedDiscrete(outcomes, logits=logits[tf.newaxis])
  return estimators.exact.logits_gradient(dist, loss_fn)[0].numpy()


def mean_and_stderr(grads):
  grads = np.asarray(grads, np.float64)
  return grads.mean(0), grads.std(0, ddof=1) / np.sqrt(grads.shape[0])


UNBIASED = [n for n in estimators.NAMES if estimators.make(n).unbiased]


def test_names_and_claims():
  assert set(UNBIASED) == set(estimators.NAMES) - {
      'GenGS', 'GenGS-ST', 'GenGS-RB', 'GenGS-RB(detached)', 'ReinMax',
      'Gumbel-Rao'}
  assert estimators.make('GenGS@0.3').temperature == pytest.approx(0.3)
  with pytest.raises(ValueError, match='Unknown estimator'):
    estimators.make('NotAnEstimator')


def test_exact_gradient_matches_closed_form():
  pi = tf.math.softmax(LOGITS).numpy()
  f = loss(OUTCOMES).numpy()
  np.testing.assert_allclose(exact_gradient(), pi * (f - pi @ f), rtol=1e-5)


@pytest.mark.parametrize('name', UNBIASED)
def test_unbiased(name):
  """Mean of N estimates within 5 standard errors of the exact gradient."""
  num = 20000
  result = estimators.make(name, temperature=0.5)(
      replicated(num), loss, seed=(11, 12))
  mean, stderr = mean_and_stderr(result.logits_gradient)
  exact = exact_gradient()
  assert np.all(np.abs(mean - exact) <= 5. * stderr + 1e-6), (mean, exact,
                                                              stderr)
  # The loss estimate is unbiased too.
  loss_mean, loss_err = mean_and_stderr(result.loss)
  exact_loss = float(estimators.exact.expectation(replicated(1), loss)[0])
  assert abs(loss_mean - exact_loss) <= 5. * loss_err + 1e-6


@pytest.mark.parametrize('name', ['REINFORCE', 'MuProp', 'RELAX', 'UNORD*',
                                  'StoRB*'])
def test_unbiased_vector_outcomes(name):
  """Count-vector outcomes (a multinomial with 6 outcomes)."""
  outcomes = tf.constant(gengs_multinomial.count_vectors(2, 3), tf.float32)
  logits = tf.constant([0.3, -0.5, 0.1, 0.8, -1., 0.])
  target = tf.constant([1., 0., 1.])

  def vector_loss(z):
    return tf.reduce_sum((z - target)**2, axis=-1) * (1. + z[..., 0])

  num = 20000
  result = estimators.make(name)(replicated(num, logits, outcomes),
                                 vector_loss, seed=(5, 6))
  mean, stderr = mean_and_stderr(result.logits_gradient)
  exact = exact_gradient(logits, outcomes, vector_loss)
  assert np.all(np.abs(mean - exact) <= 5. * stderr + 1e-6), (mean, exact)


@pytest.mark.parametrize('name', ['GenGS', 'NVIL', 'RELAX', 'UNORD*'])
def test_surrogate_gradient_is_chain_rule(name):
  """grad_theta surrogate = J^T (scale * logits_gradient)."""
  theta = tf.Variable([0.3, -0.2])
  estimator = estimators.make(name)

  def logits_fn(th):
    return tf.stack([th[0], th[1], th[0] * th[1], -th[0]])

  with tf.GradientTape(persistent=True) as tape:
    logits = logits_fn(theta)
    dist = gengs.TruncatedDiscrete(OUTCOMES,
                                   logits=tf.broadcast_to(logits, [3, 4]))
    result = estimator(dist, loss, seed=(1, 2))
    total = tf.reduce_sum(result.surrogate) + result.aux_loss
  grad = tape.gradient(total, theta)
  jacobian = tape.jacobian(logits, theta)                      # [4, 2]
  expected = tf.linalg.matvec(
      jacobian, tf.reduce_sum(result.gradient_scale * result.logits_gradient,
                              0), transpose_a=True)
  np.testing.assert_allclose(grad.numpy(), expected.numpy(), rtol=1e-4,
                             atol=1e-5)
  # The surrogate's value is the loss estimate.
  np.testing.assert_allclose(result.surrogate.numpy(), result.loss.numpy(),
                             rtol=1e-6)


def test_gengs_bias_shrinks_as_temperature_falls():
  num = 50000
  exact = exact_gradient()
  biases, stderrs = [], []
  for tau in (2., 1., 0.5, 0.2):
    grads = estimators.GenGS(tau)(replicated(num), loss,
                                  seed=(3, 4)).logits_gradient
    mean, stderr = mean_and_stderr(grads)
    biases.append(np.linalg.norm(mean - exact))
    stderrs.append(np.linalg.norm(stderr))
  # Each step down in temperature lowers the bias by more than the noise.
  for i in range(3):
    assert biases[i] - biases[i + 1] > 3. * (stderrs[i] + stderrs[i + 1]), (
        biases, stderrs)
  # ... and GenGS-ST's forward value is the exact sample.
  st = estimators.GenGSStraightThrough(0.5)(replicated(8), loss, seed=(1, 1))
  assert np.all(np.isin(st.loss.numpy(), loss(OUTCOMES).numpy()))


@pytest.mark.parametrize('name', ['NVIL', 'RELAX'])
def test_learned_control_variate_reduces_variance(name):
  """After training its control variate, the estimator's variance drops."""
  targets = tf.constant([0., 1., 3., 5., 0.5, 2., 4., 1.5])
  num = 500
  context = tf.broadcast_to(tf.reshape((targets - 2.) / 2., [1, 8, 1]),
                            [num, 8, 1])
  dist = gengs.TruncatedDiscrete(
      OUTCOMES, logits=tf.broadcast_to(LOGITS, [num, 8, 4]))

  def per_point_loss(z):
    return (z - targets)**2

  estimator = estimators.make(name)

  def variance():
    grads = estimator(dist, per_point_loss, seed=(9, 9),
                      context=context).logits_gradient
    return float(tf.reduce_sum(tf.math.reduce_variance(grads, axis=0)))

  estimator(dist, per_point_loss, seed=(0, 0), context=context)   # build
  before = variance()
  optimizer = Adam(estimator.trainable_variables, 0.01)

  @tf.function
  def train(seed):
    with tf.GradientTape() as tape:
      result = estimator(dist, per_point_loss, seed=seed, context=context)
    optimizer.apply(tape.gradient(result.aux_loss,
                                  estimator.trainable_variables))

  for i in range(300):
    train(tf.constant([1, i]))
  after = variance()
  # 4000 per-coordinate samples: the variance estimate's relative error is
  # about sqrt(2 / 500) per coordinate; ask for a 20% reduction.
  assert after < 0.8 * before, (before, after)


def test_conditional_gumbel_keeps_the_argmax():
  log_pi = tf.math.log_softmax(tf.broadcast_to(LOGITS, [1000, 4]))
  index, _ = sampling.gumbel_max(log_pi, 1, seed=(2, 3))
  u = sampling.uniform(tf.shape(log_pi), tf.float32, (4, 5))
  v = sampling.conditional_gumbel(log_pi, index[0], u)
  np.testing.assert_array_equal(tf.argmax(v, -1).numpy(), index[0].numpy())


def test_top_two_is_without_replacement():
  log_pi = tf.math.log_softmax(tf.broadcast_to(LOGITS, [20000, 4]))
  first, second = sampling.top_two(log_pi, seed=(7, 8))
  assert np.all(first.numpy() != second.numpy())
  # P(second = j) = sum_i pi_i pi_j / (1 - pi_i).
  pi = tf.math.softmax(LOGITS).numpy()
  expected = np.array([sum(pi[i] * pi[j] / (1 - pi[i]) for i in range(4)
                           if i != j) for j in range(4)])
  freq = np.bincount(second.numpy().ravel(), minlength=4) / 20000.
  np.testing.assert_allclose(freq, expected,
                             atol=5 * np.sqrt(0.25 / 20000))


def test_joint_latents_reinforce_unbiased():
  """`latent_ndims=1`: f couples two latents; REINFORCE stays unbiased."""
  num = 20000
  dist = gengs.TruncatedDiscrete(OUTCOMES,
                                 logits=tf.broadcast_to(LOGITS, [num, 2, 4]))

  def joint(z):
    return (z[..., 0] * z[..., 1] - 2.)**2

  result = estimators.RFStar(4, latent_ndims=1)(dist, joint, seed=(3, 3))
  mean, stderr = mean_and_stderr(result.logits_gradient)
  # Exact: enumerate the 16 joint outcomes.
  pi = tf.math.softmax(LOGITS).numpy()
  c = OUTCOMES.numpy()
  f = (c[:, None] * c[None, :] - 2.)**2
  p2 = pi[:, None] * pi[None, :]
  e_f = (p2 * f).sum()
  g0 = pi * ((f * pi[None, :]).sum(1) - e_f)
  g1 = pi * ((f * pi[:, None]).sum(0) - e_f)
  exact = np.stack([g0, g1])
  assert np.all(np.abs(mean - exact) <= 5. * stderr + 1e-6), (mean, exact)
