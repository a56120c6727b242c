"""The formulas and the Keras layers on TensorFlow and on JAX.

Two levels:

* the JAX substrate (`tfp_gengs.distributions.substrates`) in this process,
  against the TensorFlow one in float64 (values and gradients of the
  truncated log-PMFs and the KL), against scipy, and its samplers against
  exact enumeration (ReinMax's exactness, Gumbel-Rao's mean, the law of the
  hard sample);
* the Keras layer contract (`tests/backend_contract.py`) run once per
  backend, each in a fresh process with `KERAS_BACKEND` set before Keras is
  imported, with the same assertions; then the deterministic numbers
  compared across backends, and the files saved on TensorFlow loaded on JAX.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import scipy.special
import scipy.stats
import tensorflow as tf

from tfp_gengs.distributions import kullback_leibler
from tfp_gengs.distributions import sample_gradients
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.distributions import substrates

jax = pytest.importorskip('jax')
jnp = jax.numpy
jax.config.update('jax_enable_x64', True)

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent

X = np.linspace(-4., 4., 9)
# family, parameters (the one differentiated first), window; edges included:
# a left tail (low > 0), negative low, total_count < 1, extreme parameters.
CASES = [
    ('poisson', dict(log_rate=1.5 * X), 0, 12),
    ('poisson', dict(log_rate=X), 3, 9),
    ('poisson', dict(log_rate=X), -2, 5),
    ('poisson', dict(log_rate=np.array([-30., 6., 9.])), 0, 6),
    ('poisson', dict(rate=np.exp(X)), 1, 8),
    ('geometric', dict(logits=X), 0, 10),
    ('geometric', dict(probs=scipy.special.expit(X)), 2, 6),
    ('binomial', dict(logits=X, total_count=8.), 0, 8),
    ('binomial', dict(logits=X, total_count=8.), 2, 5),
    ('binomial', dict(logits=X, total_count=4.), 1, 7),
    ('negative_binomial', dict(logits=X, total_count=3.5), 0, 15),
    ('negative_binomial', dict(logits=X, total_count=0.5), 1, 6),
    ('negative_binomial', dict(logits=np.array([-40., 3.]),
                               total_count=2.), 0, 4),
]


def _ids(case):
  return f'{case[0]}-{list(case[1])[0]}-{case[2]}..{case[3]}'


def _log_pmf(backend, family, params, low, high):
  convert = ((lambda v: tf.constant(v, tf.float64)) if backend == 'tensorflow'
             else jnp.asarray)
  fn = getattr(truncated_log_pmf, family)
  return fn(low=low, high=high, backend=backend,
            **{k: convert(v) for k, v in params.items()})


def _tensorflow_reference(family, params, low, high):
  """`(value, finite, weights, gradient)` on TensorFlow, float64: the
  gradient of `sum(weights * value)` over the finite entries, for the first
  parameter (the one a network would output)."""
  name = list(params)[0]
  value = _log_pmf('tensorflow', family, params, low, high).numpy()
  finite = np.isfinite(value)
  weights = np.random.RandomState(0).randn(*value.shape)
  x = tf.constant(params[name], tf.float64)
  with tf.GradientTape() as tape:
    tape.watch(x)
    total = tf.reduce_sum(tf.where(finite, _log_pmf(
        'tensorflow', family, {**params, name: x}, low, high), 0.) * weights)
  return value, finite, weights, tape.gradient(total, x).numpy()


@pytest.mark.parametrize('case', CASES, ids=_ids)
def test_truncated_log_pmf_values_and_gradients_agree(case):
  family, params, low, high = case
  name = list(params)[0]
  tf_value, finite, weights, tf_grad = _tensorflow_reference(*case)
  jax_value = np.asarray(_log_pmf('jax', family, params, low, high))
  np.testing.assert_array_equal(np.isfinite(tf_value), np.isfinite(jax_value))
  np.testing.assert_allclose(jax_value, tf_value, rtol=1e-10, atol=1e-11)

  def jax_total(v):
    value = _log_pmf('jax', family, {**params, name: v}, low, high)
    return jnp.sum(jnp.where(finite, value, 0.) * weights)

  jax_grad = np.asarray(jax.grad(jax_total)(jnp.asarray(params[name])))
  assert np.all(np.isfinite(jax_grad))
  np.testing.assert_allclose(jax_grad, tf_grad, rtol=1e-9, atol=1e-10)


def test_jax_poisson_matches_scipy():
  rate, low, high = np.array([0.3, 2., 7.5]), 1, 9
  got = np.exp(np.asarray(truncated_log_pmf.poisson(
      jnp.asarray(rate), low=low, high=high, backend='jax')))
  k = np.arange(low, high + 1)
  want = scipy.stats.poisson.pmf(k, rate[:, None])
  want[:, 0] = scipy.stats.poisson.cdf(low, rate)
  want[:, -1] = scipy.stats.poisson.sf(high - 1, rate)
  np.testing.assert_allclose(got, want, rtol=1e-12)


def test_jax_float32_extremes_stay_finite():
  """Deep tails underflow float32: the geometric-series bound takes over."""
  log_rate = jnp.asarray([-80., -5., 4.5, 80.], jnp.float32)
  value, grad = jax.value_and_grad(
      lambda v: jnp.sum(jnp.where(jnp.isfinite(truncated_log_pmf.poisson(
          log_rate=v, low=2, high=6, backend='jax')), truncated_log_pmf.poisson(
              log_rate=v, low=2, high=6, backend='jax'), 0.)))(log_rate)
  assert np.isfinite(float(value)) and np.all(np.isfinite(np.asarray(grad)))
  expected = truncated_log_pmf.poisson(
      log_rate=tf.constant(np.asarray(log_rate)), low=2, high=6).numpy()
  got = np.asarray(truncated_log_pmf.poisson(log_rate=log_rate, low=2,
                                             high=6, backend='jax'))
  np.testing.assert_array_equal(np.isfinite(got), np.isfinite(expected))
  np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_categorical_kl_agrees_with_zero_probabilities():
  q = np.array([[0.1, -np.inf, 2., 0.5], [-np.inf, -np.inf, 0., 1.]])
  p = np.array([0.3, -np.inf, -0.1, 0.4])  # 0 where q is 0 too
  tf_kl = kullback_leibler.categorical_kl(tf.constant(q), tf.constant(p))
  jax_kl = kullback_leibler.categorical_kl(jnp.asarray(q), jnp.asarray(p),
                                           backend='jax')
  log_q = q - scipy.special.logsumexp(q, -1, keepdims=True)
  log_p = p - scipy.special.logsumexp(p)
  qq = np.exp(log_q)
  with np.errstate(invalid='ignore'):
    want = np.sum(np.where(qq > 0, qq * (log_q - log_p), 0.), -1)
  np.testing.assert_allclose(np.asarray(jax_kl), want, rtol=1e-12)
  np.testing.assert_allclose(tf_kl.numpy(), want, rtol=1e-12)


# ----------------------------------------------------------------------------
# Samplers on JAX, against exact enumeration
# ----------------------------------------------------------------------------

OUTCOMES = np.array([0., 1., 2., 5.])
LOGITS = np.array([0.3, -0.2, 1.0, -1.0])
TARGET = 1.7
NUM = 20000


def _jax_gradient_estimates(gradient, temperature, seed, logits=LOGITS,
                            **kw):
  """`NUM` estimates of `grad_logits E (z - TARGET)^2`, `[NUM, n]`."""
  keys = jax.random.split(jax.random.PRNGKey(seed), NUM)

  def loss(logits, key):
    z = sample_gradients.outcome_sample(
        logits, temperature, OUTCOMES, gradient, seed=key, backend='jax',
        **kw)
    return (z - TARGET)**2

  return np.asarray(jax.vmap(jax.grad(loss), in_axes=(None, 0))(
      jnp.asarray(logits), keys))


def _exact_gradient(logits=LOGITS):
  pi = scipy.special.softmax(logits)
  values = (OUTCOMES - TARGET)**2
  return pi * (values - pi @ values)


def _mean_stderr(samples):
  return samples.mean(0), samples.std(0, ddof=1) / np.sqrt(len(samples))


def test_jax_reinmax_is_exact_for_a_quadratic_loss_at_tau_one():
  mean, stderr = _mean_stderr(_jax_gradient_estimates('reinmax', 1., 1))
  np.testing.assert_array_less(np.abs(mean - _exact_gradient()),
                               5 * stderr + 1e-9)
  st_mean, st_stderr = _mean_stderr(
      _jax_gradient_estimates('straight_through', 1., 2))
  assert np.max(np.abs(st_mean - _exact_gradient()) / st_stderr) > 20.


def test_jax_gumbel_rao_has_the_straight_through_mean_and_less_variance():
  rao = _jax_gradient_estimates('gumbel_rao', .5, 3, num_samples=10)
  st = _jax_gradient_estimates('straight_through', .5, 4)
  (rao_mean, rao_se), (st_mean, st_se) = _mean_stderr(rao), _mean_stderr(st)
  np.testing.assert_array_less(np.abs(rao_mean - st_mean),
                               5 * np.hypot(rao_se, st_se))
  assert rao.var(0).sum() < 0.8 * st.var(0).sum()


@pytest.mark.parametrize('gradient', sample_gradients.HARD_GRADIENTS)
def test_jax_hard_samples_are_exact_samples(gradient):
  """Outcome frequencies match `pi` (5 standard errors); a probability-0
  outcome is never drawn and its gradient is 0."""
  logits = np.array([0.3, -np.inf, 1.0, -1.0])
  z = np.asarray(sample_gradients.outcome_sample(
      jnp.asarray(logits), 1., OUTCOMES, gradient,
      sample_shape=[NUM], seed=jax.random.PRNGKey(7), backend='jax'))
  assert np.all(np.isin(z, OUTCOMES[[0, 2, 3]]))
  pi = scipy.special.softmax(logits)
  freq = np.array([(z == c).mean() for c in OUTCOMES])
  np.testing.assert_array_less(np.abs(freq - pi),
                               5 * np.sqrt(pi * (1 - pi) / NUM) + 1e-12)
  grads = _jax_gradient_estimates(gradient, 1., 8, logits=logits)
  assert np.all(np.isfinite(grads)) and np.all(grads[:, 1] == 0.)


def test_unknown_backends_are_refused_by_name(monkeypatch):
  import keras  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(keras.backend, 'backend', lambda: 'numpy')
  with pytest.raises(ValueError, match=r"runs on 'numpy'.*KERAS_BACKEND"):
    substrates.for_keras_backend()
  with pytest.raises(ValueError, match='`backend`'):
    substrates.get('numpy')
  with pytest.raises(ValueError, match="betainc.*'torch'"):
    substrates.check_family_supported('torch', 'binomial')
  substrates.check_family_supported('torch', 'poisson')  # supported


# ----------------------------------------------------------------------------
# The PyTorch substrate (where torch is installed: not by requirements-dev,
# so CI skips these; Poisson and geometric, which torch.special covers)
# ----------------------------------------------------------------------------

TORCH_CASES = [case for case in CASES if case[0] in ('poisson', 'geometric')]


@pytest.mark.parametrize('case', TORCH_CASES, ids=_ids)
def test_torch_truncated_log_pmf_values_and_gradients_agree(case):
  torch = pytest.importorskip('torch')
  family, params, low, high = case
  name = list(params)[0]
  tf_value, finite, weights, tf_grad = _tensorflow_reference(*case)
  leaf = torch.tensor(params[name], dtype=torch.float64, requires_grad=True)
  fn = getattr(truncated_log_pmf, family)
  value = fn(low=low, high=high, backend='torch', **{
      **{k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()},
      name: leaf})
  np.testing.assert_array_equal(np.isfinite(value.detach().numpy()), finite)
  np.testing.assert_allclose(value.detach().numpy(), tf_value, rtol=1e-10,
                             atol=1e-11)
  torch.sum(torch.where(torch.tensor(finite), value, 0.) *
            torch.tensor(weights)).backward()
  np.testing.assert_allclose(leaf.grad.numpy(), tf_grad, rtol=1e-9,
                             atol=1e-10)


def _torch_gradient_estimates(torch, gradient, temperature, seed,
                              logits=LOGITS, **kw):
  """`NUM` independent estimates (one per row of a `[NUM, n]` batch)."""
  batch = torch.tensor(np.tile(logits, [NUM, 1]), requires_grad=True)
  z = sample_gradients.outcome_sample(batch, temperature, OUTCOMES, gradient,
                                      seed=seed, backend='torch', **kw)
  torch.sum((z - TARGET)**2).backward()
  return batch.grad.numpy()


def test_torch_sampler_laws():
  """ReinMax exact at tau = 1, Gumbel-Rao with straight-through's mean, and
  hard samples with the law of pi (5 standard errors)."""
  torch = pytest.importorskip('torch')
  mean, stderr = _mean_stderr(_torch_gradient_estimates(torch, 'reinmax', 1.,
                                                        1))
  np.testing.assert_array_less(np.abs(mean - _exact_gradient()),
                               5 * stderr + 1e-9)
  rao = _torch_gradient_estimates(torch, 'gumbel_rao', .5, 2, num_samples=10)
  st = _torch_gradient_estimates(torch, 'straight_through', .5, 3)
  (rao_mean, rao_se), (st_mean, st_se) = _mean_stderr(rao), _mean_stderr(st)
  np.testing.assert_array_less(np.abs(rao_mean - st_mean),
                               5 * np.hypot(rao_se, st_se))
  logits = np.array([0.3, -np.inf, 1.0, -1.0])
  z = sample_gradients.outcome_sample(
      torch.tensor(logits), 1., OUTCOMES, 'straight_through',
      sample_shape=[NUM], seed=4, backend='torch').numpy()
  pi = scipy.special.softmax(logits)
  freq = np.array([(z == c).mean() for c in OUTCOMES])
  np.testing.assert_array_less(np.abs(freq - pi),
                               5 * np.sqrt(pi * (1 - pi) / NUM) + 1e-12)


# ----------------------------------------------------------------------------
# The layer contract, one fresh process per backend
# ----------------------------------------------------------------------------


def _run_contract(backend, out_dir, load_dir=None):
  env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL='3',
             PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get(
                 'PYTHONPATH', ''))
  command = [sys.executable, str(HERE / 'backend_contract.py'), str(out_dir)]
  if load_dir is not None:
    command.append(str(load_dir))
  done = subprocess.run(command, env=env, capture_output=True, text=True,
                        timeout=900, check=False)
  assert done.returncode == 0, done.stderr[-4000:]
  return json.loads((pathlib.Path(out_dir) / 'results.json').read_text())


@pytest.fixture(scope='module')
def contract_root(tmp_path_factory):
  return tmp_path_factory.mktemp('backends')


@pytest.fixture(scope='module')
def contract_runs(contract_root):
  on_tf = _run_contract('tensorflow', contract_root / 'tensorflow')
  on_jax = _run_contract('jax', contract_root / 'jax',
                         load_dir=contract_root / 'tensorflow')
  return on_tf, on_jax


def test_layer_contract_passes_on_both_backends(contract_runs):
  on_tf, on_jax = contract_runs
  assert (on_tf['backend'], on_jax['backend']) == ('tensorflow', 'jax')
  assert set(on_tf['configs']) == set(on_jax['configs'])
  # What JAX does not offer is refused by name.
  assert 'TensorFlow backend only' in on_jax['errors']['eat']
  assert 'posterior_log_probs' in on_jax['errors']['posterior']


@pytest.mark.parametrize('key', ['mean_output', 'latent_mean', 'kl_loss',
                                 'log_pi'])
def test_same_deterministic_numbers_on_both_backends(contract_runs, key):
  """Same weights and inputs: the same numbers up to float32 rounding."""
  on_tf, on_jax = contract_runs
  for name, tf_result in on_tf['configs'].items():
    a = np.asarray(tf_result[key], np.float64)
    b = np.asarray(on_jax['configs'][name][key], np.float64)
    np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b), name)
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4, err_msg=name)


def test_model_saved_on_tensorflow_loads_on_jax(contract_runs):
  on_tf, on_jax = contract_runs
  for name, tf_result in on_tf['configs'].items():
    np.testing.assert_allclose(on_jax['loaded'][name],
                               tf_result['saved_mean_output'], rtol=1e-4,
                               atol=1e-4, err_msg=name)


def test_layer_contract_on_torch(contract_runs, contract_root):
  """Where torch is installed: the same contract, the same numbers for the
  configurations it supports, the others refused naming `betainc`."""
  pytest.importorskip('torch')
  on_tf, _ = contract_runs
  on_torch = _run_contract('torch', contract_root / 'torch',
                           load_dir=contract_root / 'tensorflow')
  refused = {'binomial_explicit_reinmax', 'negative_binomial_explicit'}
  assert set(on_torch['configs']) == set(on_tf['configs']) - refused
  for name in refused:
    assert 'betainc' in on_torch['errors'][name]
  for name, result in on_torch['configs'].items():
    for key in ('mean_output', 'latent_mean', 'kl_loss', 'log_pi'):
      a = np.asarray(on_tf['configs'][name][key], np.float64)
      b = np.asarray(result[key], np.float64)
      np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b), name)
      np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4, err_msg=name)
    np.testing.assert_allclose(on_torch['loaded'][name],
                               on_tf['configs'][name]['saved_mean_output'],
                               rtol=1e-4, atol=1e-4, err_msg=name)
