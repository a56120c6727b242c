"""Every estimator at the edges the VAE baselines meet, against enumeration.

Small problems (2 latents, 4-5 outcomes) whose exact gradient comes from
enumerating every joint configuration in numpy float64, with a loss that has
its own parameters `w` (like a decoder), outcomes of probability 0, `log pi`
near -100 in float32, the `[batch, d]` latent of a VAE (`latent_ndims=1`,
one learning signal per example) and learned control variates after
training. `R` replicates of the same problem run in one batched call, so the
mean of the per-replicate estimates is compared with the exact gradient
within 5 standard errors (about 1e-6 two-sided per coordinate).
"""

import itertools

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import samplers

import tfp_gengs as gengs
from tfp_gengs import estimators
from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.experiments.common.optim import Adam

tfd = tfp.distributions

R = 4000
W = np.array([1.3, 0.7])
CONTEXT = tf.constant([[0.2, -0.1, 0.5]])


def _cases():
  binomial = gengs.truncate(tfd.Binomial(2., probs=[.3, .6]), high=4)
  zero_logits = binomial.logits_parameter().numpy()
  assert np.isneginf(zero_logits).sum() == 4   # outcomes 3, 4 impossible
  return {
      'plain': ([0., 1., 2., 5.], [[0.5, -0.2, 0.1, -1.], [-0.3, 0.4, 0., .2]]),
      'zero_prob': ([0., 1., 2., 3., 4.], zero_logits),
      'log_pi_-100': ([0., 1., 2., 3., 4.], [[0., 1., -100., -95., 0.5],
                                             [-100., 0.3, 0.2, -90., -0.1]]),
  }


CASES = _cases()


def joint_loss_np(z, w):
  """`f_w(z) = (z0 - w0)^2 + (z1 - w1)^2 + z0 z1 / 2` and `df/dw`."""
  f = (z[0] - w[0])**2 + (z[1] - w[1])**2 + 0.5 * z[0] * z[1]
  return f, np.array([-2. * (z[0] - w[0]), -2. * (z[1] - w[1])])


def exact_joint(logits, outcomes):
  """`(E f, grad_logits [2, n], grad_w [2])` by enumerating `n^2` pairs."""
  logits = np.asarray(logits, np.float64)
  pi = np.exp(logits - logits.max(-1, keepdims=True))
  pi /= pi.sum(-1, keepdims=True)
  c = np.asarray(outcomes, np.float64)
  n = len(c)
  value, g_logits, g_w = 0., np.zeros([2, n]), np.zeros(2)
  for k0, k1 in itertools.product(range(n), repeat=2):
    p = pi[0, k0] * pi[1, k1]
    if p == 0.:
      continue
    f, df = joint_loss_np(c[[k0, k1]], W)
    value += p * f
    g_w += p * df
    for j, k in enumerate((k0, k1)):
      g_logits[j] += p * f * ((np.arange(n) == k) - pi[j])
  return value, g_logits, g_w


def exact_independent(logits, outcomes):
  """Each latent its own learning signal `(z_j - w_j)^2 + z_j^2 / 2`."""
  logits = np.asarray(logits, np.float64)
  pi = np.exp(logits - logits.max(-1, keepdims=True))
  pi /= pi.sum(-1, keepdims=True)
  c = np.asarray(outcomes, np.float64)
  f = (c[None] - W[:, None])**2 + 0.5 * c[None]**2            # [2, n]
  e_f = (pi * f).sum(-1)
  return e_f, pi * (f - e_f[:, None]), (pi * -2. * (c[None] -
                                                    W[:, None])).sum(-1)


class Setting:
  """A replicated problem: `R` copies, a per-replicate `w` variable."""

  def __init__(self, case, joint, dtype=tf.float32):
    outcomes, logits = CASES[case]
    self.outcomes = tf.constant(outcomes, dtype)
    self.logits = tf.constant(np.asarray(logits, np.float64), dtype)
    self.joint = joint
    self.w = tf.Variable(tf.broadcast_to(tf.constant(W, dtype), [R, 2]))
    if joint:
      self.exact = exact_joint(logits, outcomes)
    else:
      self.exact = exact_independent(logits, outcomes)

  def distribution(self):
    return gengs.TruncatedDiscrete(
        self.outcomes, logits=tf.broadcast_to(self.logits,
                                              [R] + self.logits.shape))

  def loss_fn(self, z):
    """`[m, R, 2] -> [m, R]` (joint) or `[m, R, 2]` (independent)."""
    sq = tf.square(z - self.w)
    if self.joint:
      return tf.reduce_sum(sq, -1) + 0.5 * z[..., 0] * z[..., 1]
    return sq + 0.5 * tf.square(z)

  def context(self):
    shape = [R, 3] if self.joint else [R, 2, 3]
    return tf.broadcast_to(CONTEXT if self.joint else CONTEXT[:, None],
                           shape)

  def run(self, estimator, seed):
    with tf.GradientTape(persistent=True) as tape:
      result = estimator(self.distribution(), self.loss_fn, seed,
                         context=self.context())
      total = tf.reduce_sum(result.surrogate)
    grad_w = tape.gradient(total, self.w)
    aux_w = tape.gradient(result.aux_loss, self.w)
    return result, grad_w, aux_w


def make(name, joint):
  return estimators.make(name, latent_ndims=1 if joint else 0,
                         temperature=0.5)


def within(samples, exact, what):
  samples = np.asarray(samples, np.float64)
  mean = samples.mean(0)
  stderr = samples.std(0, ddof=1) / np.sqrt(samples.shape[0])
  ok = np.abs(mean - exact) <= 5. * stderr + 1e-5 * (1. + np.abs(exact))
  assert np.all(ok), (what, mean, exact, stderr)


def check(setting, estimator, seed=(4, 2)):
  result, grad_w, aux_w = setting.run(estimator, seed)
  for name, x in [('surrogate', result.surrogate), ('loss', result.loss),
                  ('logits_gradient', result.logits_gradient),
                  ('grad_w', grad_w), ('aux_loss', result.aux_loss)]:
    assert x is not None, name
    assert np.all(np.isfinite(x.numpy())), (name, x.numpy())
  # The auxiliary loss never reaches f's own parameters.
  assert aux_w is None or np.all(aux_w.numpy() == 0.), aux_w
  value, g_logits, g_w = setting.exact
  if estimator.unbiased:
    within(result.logits_gradient.numpy(), g_logits, 'logits')
    within(grad_w.numpy(), g_w if setting.joint else g_w, 'w')
    loss = result.loss.numpy()
    within(loss, value, 'loss')
  return result


@pytest.mark.parametrize('case', list(CASES))
@pytest.mark.parametrize('joint', [True, False], ids=['vae', 'independent'])
@pytest.mark.parametrize('name', estimators.NAMES)
def test_finite_and_unbiased_at_the_edges(name, joint, case):
  check(Setting(case, joint), make(name, joint))


def _train(setting, estimator, steps=40):
  """Trains the estimator's learned parts on its auxiliary loss."""
  setting.run(estimator, (0, 0))                     # build lazy networks
  variables = estimator.trainable_variables
  initial = [v.numpy().copy() for v in variables]
  optimizer = Adam(variables, 0.05)
  for i in range(steps):
    with tf.GradientTape() as tape:
      result = estimator(setting.distribution(), setting.loss_fn, (1, i),
                         context=setting.context())
    optimizer.apply(tape.gradient(result.aux_loss, variables))
  moved = [np.max(np.abs(v.numpy() - v0)) for v, v0 in zip(variables,
                                                           initial)]
  return moved


@pytest.mark.parametrize('case', ['plain', 'zero_prob'])
@pytest.mark.parametrize('name', ['NVIL', 'REBAR', 'RELAX'])
def test_unbiased_after_training_the_control_variate(name, case):
  setting = Setting(case, joint=True)
  estimator = make(name, joint=True)
  moved = _train(setting, estimator)
  # Every learned part has left its initial value (the output layer of the
  # networks starts at zero, where NVIL/RELAX equal REINFORCE/REBAR).
  assert all(m > 1e-3 for m in moved), moved
  if name == 'NVIL':
    assert float(estimator.moments.mean) != 0.
  check(setting, estimator, seed=(7, 7))


def test_nvil_gives_the_loss_parameters_their_gradient():
  """The issue's example: `d/dw E[(z - w)^2]` (exact 2.06 per latent)."""
  setting = Setting('plain', joint=False)
  _, grad_w, _ = setting.run(make('NVIL', False), (3, 3))
  _, _, g_w = setting.exact
  within(grad_w.numpy(), g_w, 'w')


def test_vimco_logmeanexp_is_unbiased_for_the_k_sample_bound():
  """`E[-log mean_s exp(-f(z_s))]`, k = 3, exact over the n^3 triples."""
  k, n = 3, 4
  outcomes = np.array([0., 1., 2., 5.])
  logits = np.array([0.5, -0.2, 0.1, -1.])
  w0 = 1.3

  def bound(logits_t, w_t):
    log_pi = tf.math.log_softmax(logits_t)
    total = tf.zeros([], tf.float64)
    for triple in itertools.product(range(n), repeat=k):
      f = (tf.constant(outcomes[list(triple)]) - w_t)**2 * 0.5
      log_p = tf.add_n([log_pi[i] for i in triple])
      total += tf.exp(log_p) * -(tf.reduce_logsumexp(-f) - np.log(k))
    return total

  logits_t = tf.constant(logits)
  w_t = tf.constant(w0, tf.float64)
  with tf.GradientTape() as tape:
    tape.watch([logits_t, w_t])
    exact = bound(logits_t, w_t)
  g_logits, g_w = tape.gradient(exact, [logits_t, w_t])

  w = tf.Variable(tf.fill([R], tf.constant(w0, tf.float64)))
  estimator = estimators.make('VIMCO', vimco_samples=k,
                              vimco_objective='logmeanexp')
  assert not estimator.unbiased      # for E[f]; unbiased for the bound
  with tf.GradientTape() as tape:
    result = estimator(
        gengs.TruncatedDiscrete(tf.constant(outcomes),
                                logits=tf.broadcast_to(logits_t, [R, n])),
        lambda z: (z - w)**2 * 0.5, seed=(5, 5))
    total = tf.reduce_sum(result.surrogate)
  within(result.logits_gradient.numpy(), g_logits.numpy(), 'logits')
  within(tape.gradient(total, w).numpy(), g_w.numpy(), 'w')
  within(result.loss.numpy(), exact.numpy(), 'bound')


# -- the relaxed estimators' gradients are those of the objective they claim --


def _relaxed_objective(logits, noise, outcomes, tau, f):
  """`f(T(softmax((log_softmax(l) + g) / tau)))` in numpy float64."""
  log_pi = logits - np.log(np.exp(logits).sum())
  x = np.exp((log_pi + noise) / tau)
  return f((x / x.sum()) @ outcomes)


def _finite_difference(fn, logits, eps=1e-6):
  grad = np.zeros_like(logits)
  for i in range(len(logits)):
    step = np.zeros_like(logits)
    step[i] = eps
    grad[i] = (fn(logits + step) - fn(logits - step)) / (2. * eps)
  return grad


def _noise(log_pi, tau, seed):
  _, noisy = gumbel_softmax.relaxed_one_hot(log_pi, tau, seed=seed)
  return (noisy - log_pi).numpy()


OUT = np.array([0., 1., 2., 5.])
LOG = np.array([0.5, -0.2, 0.1, -1.])
TAU = 0.7


def f_np(z):
  return (z - 1.5)**2 + np.sin(z)


def f_tf(z):
  return (z - 1.5)**2 + tf.sin(z)


def _estimate(estimator, seed):
  result = estimator(gengs.TruncatedDiscrete(tf.constant(OUT),
                                             logits=tf.constant(LOG)),
                     f_tf, seed)
  return result.logits_gradient.numpy()


def test_gengs_gradient_is_that_of_the_relaxed_objective():
  seed = samplers.sanitize_seed((8, 1))
  log_pi = tf.math.log_softmax(tf.constant(LOG))
  noise = _noise(log_pi, TAU, seed)
  expected = _finite_difference(
      lambda lg: _relaxed_objective(lg, noise, OUT, TAU, f_np), LOG)
  np.testing.assert_allclose(_estimate(estimators.GenGS(TAU), seed),
                             expected, rtol=1e-5, atol=1e-8)


def test_straight_through_gradient_is_f_prime_at_the_hard_sample():
  """Forward `f(c_b)`, backward `f'(c_b) dT(soft)/dlogits`."""
  seed = samplers.sanitize_seed((8, 2))
  log_pi = tf.math.log_softmax(tf.constant(LOG))
  noise = _noise(log_pi, TAU, seed)
  hard = OUT[np.argmax(log_pi.numpy() + noise)]
  slope = 2. * (hard - 1.5) + np.cos(hard)
  expected = slope * _finite_difference(
      lambda lg: _relaxed_objective(lg, noise, OUT, TAU, lambda z: z), LOG)
  estimator = estimators.GenGSStraightThrough(TAU)
  np.testing.assert_allclose(_estimate(estimator, seed), expected,
                             rtol=1e-5, atol=1e-8)
  # ... and the forward value is the exact sample's loss.
  result = estimator(gengs.TruncatedDiscrete(tf.constant(OUT),
                                             logits=tf.constant(LOG)),
                     f_tf, seed)
  np.testing.assert_allclose(result.loss.numpy(), f_np(hard), rtol=1e-12)


@pytest.mark.parametrize('construction', ['restricted', 'detached'])
def test_gengs_rb_gradient_is_that_of_its_objective(construction):
  seed = samplers.sanitize_seed((8, 3))
  _, first_seed, second_seed = samplers.split_seed(seed, n=3)
  log_pi = tf.math.log_softmax(tf.constant(LOG))
  mode = int(np.argmax(LOG))
  # The Gumbel noise of a seed does not depend on the logits.
  noise_second = _noise(log_pi, TAU, second_seed)
  noise_first = _noise(log_pi, TAU, first_seed)
  pi_mode = float(tf.math.softmax(tf.constant(LOG))[mode])

  def objective(lg):
    log_p = lg - np.log(np.exp(lg).sum())
    p_mode = np.exp(log_p[mode])
    if construction == 'restricted':
      rest = log_p.copy()
      rest[mode] = -1e9
      x = np.exp((rest + noise_second) / TAU)
      relaxed = f_np((x / x.sum()) @ OUT)
      return p_mode * f_np(OUT[mode]) + (1. - p_mode) * relaxed
    first = _relaxed_objective(lg, noise_first, OUT, TAU, f_np)
    second = _relaxed_objective(lg, noise_second, OUT, TAU, f_np)
    return pi_mode * first + (1. - pi_mode) * second

  expected = _finite_difference(objective, LOG)
  estimator = estimators.make('GenGS-RB', temperature=TAU,
                              rb_construction=construction)
  np.testing.assert_allclose(_estimate(estimator, seed), expected,
                             rtol=1e-5, atol=1e-8)


# -- the interface ----------------------------------------------------------


def test_make_rejects_misspelled_settings():
  with pytest.raises(TypeError, match='temprature'):
    estimators.make('GenGS', temprature=0.5)
  with pytest.raises(ValueError, match='construction'):
    estimators.make('GenGS-RB', rb_construction='other')
  assert estimators.make('StoRB*', latent_ndims=1).latent_ndims == 1


def test_evaluations_per_estimate_with_latents():
  assert estimators.make('StoRB*').evaluations(50) == 51
  assert estimators.make('DetRB').evaluations(50) == 101
  assert estimators.make('UNORD').evaluations(1) == 2
  assert estimators.make('GenGS-RB').evaluations(50) == 101


def test_joint_sum_and_sample_calls_f_once_per_latent_plus_one():
  calls = []

  def loss_fn(z):
    calls.append(int(z.shape[0]))
    return tf.reduce_sum(z, -1)

  dist = gengs.TruncatedDiscrete(tf.constant(OUT, tf.float32),
                                 logits=tf.zeros([3, 6, 4]))
  estimators.make('StoRB*', latent_ndims=1)(dist, loss_fn, (1, 1))
  assert calls == [1, 6]   # f at the base (differentiated), then the swaps


# -- the Poisson tail gradient for tiny rates -------------------------------


def _tail_gradient_reference(log_rate, high):
  """`d log P(X >= high) / d log_rate = rate pmf(high-1) / P(X >= high)`.

  From the series `P(X >= h) / pmf(h-1) = sum_{m>=1} prod_{i=1}^m
  rate / (h - 1 + i)` in float64 (no underflow for any rate).
  """
  rate = np.exp(log_rate)
  term, total = 1., 0.
  for i in range(1, 200):
    term *= rate / (high - 1 + i)
    total += term
  return rate / total


@pytest.mark.parametrize('log_rate', [-50., -85., -90., -100., -300., 2.])
def test_poisson_tail_gradient_for_any_log_rate(log_rate):
  high = 6
  x = tf.Variable(log_rate, dtype=tf.float32)
  with tf.GradientTape() as tape:
    log_pi = truncated_log_pmf.poisson(log_rate=x, high=high)
    right = log_pi[-1]
  grad = tape.gradient(right, x).numpy()
  assert np.isfinite(grad)
  np.testing.assert_allclose(grad, _tail_gradient_reference(log_rate, high),
                             rtol=1e-4)
  # The whole PMF's gradient (interior + both tails) is finite too.
  with tf.GradientTape() as tape:
    total = tf.reduce_sum(truncated_log_pmf.poisson(log_rate=x, low=1,
                                                    high=high) *
                          tf.range(6.))
  assert np.isfinite(tape.gradient(total, x).numpy())
