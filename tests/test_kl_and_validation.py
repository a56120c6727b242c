"""Registered KLs and argument validation."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_gengs as gengs
from tfp_gengs.internal import checks

tfd = tfp.distributions


def numpy_categorical_kl(q_logits, p_logits):
  q_logits, p_logits = np.float64(q_logits), np.float64(p_logits)
  log_q = q_logits - np.logaddexp.reduce(q_logits, axis=-1, keepdims=True)
  log_p = p_logits - np.logaddexp.reduce(p_logits, axis=-1, keepdims=True)
  q = np.exp(log_q)
  return np.sum(np.where(q > 0, q * (log_q - np.where(q > 0, log_p, 0)), 0.),
                axis=-1)


def test_kl_matches_numpy_for_every_pair_of_types():
  outcomes = np.arange(6.)
  q_logits = np.array([[0., 1., 2., -1., 0.5, 0.], [1., 1., 1., 1., 1., 1.]])
  p_logits = np.array([0.3, -0.2, 1., 0., 0., -2.])
  expected = numpy_categorical_kl(q_logits, p_logits)
  rq = gengs.RelaxedTruncatedDiscrete(0.5, outcomes, logits=q_logits)
  rp = gengs.RelaxedTruncatedDiscrete(2., outcomes, logits=p_logits)
  for q in (rq, rq.truncated()):
    for p in (rp, rp.truncated()):
      np.testing.assert_allclose(tfd.kl_divergence(q, p), expected,
                                 rtol=1e-5)


def test_kl_between_families_equals_numpy_and_zero_for_identical():
  q = gengs.GenGSPoisson(rate=[2., 5.], temperature=.5, high=15)
  p = gengs.GenGSPoisson(rate=3., temperature=.5, high=15)
  expected = numpy_categorical_kl(q.truncated().logits.numpy(),
                                  p.truncated().logits.numpy())
  np.testing.assert_allclose(tfd.kl_divergence(q, p), expected, rtol=1e-5)
  np.testing.assert_allclose(tfd.kl_divergence(q, q), [0., 0.], atol=1e-6)


def test_registered_kl_takes_precedence_over_transformed_distribution_rule():
  # Same bijector (outcomes), different pi: TFP's TransformedDistribution
  # rule would silently return the base RelaxedOneHotCategorical KL.
  q = gengs.GenGSGeometric(probs=.3, temperature=.5, high=10)
  p = gengs.GenGSGeometric(probs=.6, temperature=.5, high=10)
  expected = numpy_categorical_kl(q.truncated().logits.numpy(),
                                  p.truncated().logits.numpy())
  np.testing.assert_allclose(tfd.kl_divergence(q, p), expected, rtol=1e-5)


def test_kl_with_zero_probability_outcomes_is_finite_with_finite_gradients():
  probs = tf.constant(.3)
  with tf.GradientTape() as tape:
    tape.watch(probs)
    q = gengs.GenGSBinomial(10., probs=probs, temperature=.5, high=14)
    p = gengs.GenGSBinomial(10., probs=.5, temperature=.5, high=14)
    kl = tfd.kl_divergence(q, p)
  grad = tape.gradient(kl, probs)
  assert np.isfinite(kl.numpy()) and np.isfinite(grad.numpy())
  # KL of two binomials (outcomes above 10 have probability 0 in both).
  k = np.arange(11)
  from scipy import stats
  pq, pp = stats.binom(10, .3).pmf(k), stats.binom(10, .5).pmf(k)
  np.testing.assert_allclose(kl, np.sum(pq * np.log(pq / pp)), rtol=1e-4)


def test_kl_with_different_outcomes_raises():
  q = gengs.GenGSPoisson(rate=2., temperature=.5, high=10)
  with pytest.raises(ValueError, match='identical outcomes'):
    tfd.kl_divergence(q, gengs.GenGSPoisson(rate=2., temperature=.5, high=11))
  with pytest.raises(ValueError, match='identical outcomes'):
    tfd.kl_divergence(q, gengs.GenGSPoisson(rate=2., temperature=.5, high=11,
                                            low=1))


def test_kl_outcome_mismatch_is_asserted_when_only_known_at_run_time():
  @tf.function(input_signature=[tf.TensorSpec([None])])
  def kl(outcomes):
    q = gengs.TruncatedDiscrete(outcomes, logits=tf.zeros([3]),
                                validate_args=True)
    p = gengs.TruncatedDiscrete([0., 1., 2.], logits=tf.zeros([3]),
                                validate_args=True)
    return tfd.kl_divergence(q, p)

  np.testing.assert_allclose(kl(tf.constant([0., 1., 2.])), 0., atol=1e-7)
  with pytest.raises(tf.errors.InvalidArgumentError, match='identical'):
    kl(tf.constant([0., 1., 3.]))


# ----------------------------------------------------------------------------
# Validation: bad input raises an error naming the argument.
# ----------------------------------------------------------------------------

BAD_INPUTS = [
    (lambda: gengs.GenGSPoisson(rate=-1., temperature=.5, high=10,
                                validate_args=True), 'rate'),
    (lambda: gengs.GenGSPoisson(rate=np.nan, temperature=.5, high=10,
                                validate_args=True), 'rate'),
    (lambda: gengs.GenGSPoisson(log_rate=np.nan, temperature=.5, high=10,
                                validate_args=True), 'log_rate'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=0., high=10,
                                validate_args=True), 'temperature'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=-1., high=10,
                                validate_args=True), 'temperature'),
    (lambda: gengs.GenGSBinomial(10., probs=1.5, temperature=.5,
                                 validate_args=True), 'probs'),
    (lambda: gengs.GenGSBinomial(-2., probs=.5, temperature=.5, high=3,
                                 validate_args=True), 'total_count'),
    (lambda: gengs.GenGSGeometric(probs=-.1, temperature=.5, high=3,
                                  validate_args=True), 'probs'),
    (lambda: gengs.GenGSNegativeBinomial(0., probs=.5, temperature=.5, high=3,
                                         validate_args=True), 'total_count'),
    (lambda: gengs.GenGSMultinomial(2, probs=[.5, np.nan], temperature=.5,
                                    validate_args=True), 'probs'),
    (lambda: gengs.RelaxedTruncatedDiscrete(.5, [0., 1.], logits=[0., np.nan],
                                            validate_args=True), 'logits'),
    (lambda: gengs.TruncatedDiscrete([0., 1.], probs=[.2, .9],
                                     validate_args=True), 'probs'),
]


@pytest.mark.parametrize('make, arg', BAD_INPUTS)
def test_bad_parameter_values_raise_at_construction_naming_the_argument(
    make, arg):
  with pytest.raises((tf.errors.InvalidArgumentError, ValueError),
                     match=f'`{arg}`'):
    make()


@pytest.mark.parametrize('total_count', [
    1, 3, 3., tf.constant(3.), tf.constant(3., tf.float64)])
def test_multinomial_validate_args_accepts_every_valid_total_count(
    total_count):
  # The multinomial `total_count` is a Python int: its run-time check ran
  # `tf.math.is_finite` on an int32 tensor and failed for any valid value.
  d = gengs.GenGSMultinomial(total_count, probs=[.7, .2, .1],
                             temperature=.5, validate_args=True)
  sample = d.sample(seed=1)
  np.testing.assert_allclose(tf.reduce_sum(sample, -1),
                             float(total_count), rtol=1e-5)


@pytest.mark.parametrize('make, match', [
    (lambda: gengs.GenGSMultinomial(
        3, probs=tf.constant([1.5, -.4, .1]), temperature=.5,
        validate_args=True), '`probs`'),
    (lambda: gengs.GenGSMultinomial(
        tf.constant(0.), probs=[.5, .5], temperature=.5,
        validate_args=True), '`total_count`'),
    (lambda: gengs.GenGSMultinomial(
        tf.constant(0.), probs=[.5, .5], temperature=.5), '`total_count`'),
])
def test_multinomial_bad_values_name_the_argument(make, match):
  with pytest.raises((tf.errors.InvalidArgumentError, ValueError),
                     match=match):
    make()


def test_integer_constraints_accept_integer_tensors():
  for constraint in (checks.POSITIVE, checks.POSITIVE_INTEGER, checks.FINITE):
    checks.assert_constraint(tf.constant([1, 3]), 'n', constraint)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`n`'):
    checks.assert_constraint(tf.constant([0, 3]), 'n',
                             checks.POSITIVE_INTEGER)


def test_bad_parameter_values_in_variables_raise_at_use():
  rate = tf.Variable(2.)
  d = gengs.GenGSPoisson(rate=rate, temperature=.5, high=10,
                         validate_args=True)
  d.sample(seed=1)
  rate.assign(-1.)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`rate`'):
    d.sample(seed=1)


STRUCTURAL_ERRORS = [
    (lambda: gengs.GenGSPoisson(rate=1., temperature=.5, high=3, low=5),
     '`high`'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=.5, high=3, low=3),
     'at least 2'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=.5, high=3.5),
     '`high`'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=.5, high=10, low=.5),
     '`low`'),
    (lambda: gengs.truncate(tfd.Poisson(1.), high=0), 'at least 2'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=.5), '`high`'),
    (lambda: gengs.GenGSPoisson(rate=1., high=4), '`temperature`'),
    (lambda: gengs.GenGSPoisson(rate=1., log_rate=0., temperature=.5, high=4),
     '`rate`'),
    (lambda: gengs.RelaxedTruncatedDiscrete(.5, [0., 1., 2.],
                                            logits=[0., 1.]), '`logits`'),
    (lambda: gengs.TruncatedDiscrete([0., 1., 2.], probs=[.5, .5]),
     '`probs`'),
    (lambda: gengs.TruncatedDiscrete([1.], logits=[0.]), 'at least 2'),
    (lambda: gengs.TruncatedDiscrete(np.zeros([2, 2, 2]), logits=[0., 0.]),
     '`outcomes`'),
    (lambda: gengs.RelaxedTruncatedDiscrete(.5, [0., 1.]), '`logits`'),
    (lambda: gengs.GenGSMultinomial(0, probs=[.5, .5], temperature=.5),
     r'`total_count` \(the number of draws\) must be an integer >= 1'),
    (lambda: gengs.truncate(tfd.Multinomial(3., probs=[.5, .5]), high=3),
     'GenGSMultinomial'),
]


@pytest.mark.parametrize('make, message', STRUCTURAL_ERRORS)
def test_structural_errors_raise_without_validate_args(make, message):
  with pytest.raises((ValueError, TypeError), match=message):
    make()


def test_runtime_logits_width_mismatch_is_asserted():
  @tf.function(input_signature=[tf.TensorSpec([None])])
  def mean(logits):
    return gengs.TruncatedDiscrete([0., 1., 2.], logits=logits,
                                   validate_args=True).mean()

  np.testing.assert_allclose(mean(tf.zeros([3])), 1.)
  with pytest.raises(tf.errors.InvalidArgumentError):
    mean(tf.zeros([4]))
