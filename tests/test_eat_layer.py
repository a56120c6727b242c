"""Tests of the EAT option of `GenGSPoissonLayer` (`relaxation='eat_*'`).

Small functional models on small generated data (seconds each on two CPU
cores); references are scipy's Poisson PMF and the library's own
`eat_poisson.relaxed_count` for the same seed.
"""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from scipy import stats
import tensorflow as tf

import tfp_gengs as gengs
from tfp_gengs.distributions import eat_poisson
from tfp_gengs.distributions import windows

REPO = pathlib.Path(__file__).resolve().parents[1]
DIM, LATENT, HIGH = 12, 3, 10  # data width, latent dims d, window end
EAT_RELAXATIONS = ('eat_cubic', 'eat_sigmoid')


def binary_data(num=256, seed=0):
  """Binary data from 4 prototypes with 10% bit flips (learnable structure)."""
  rng = np.random.default_rng(seed)
  prototypes = rng.random([4, DIM]) < 0.4
  data = prototypes[rng.integers(0, 4, num)]
  return (data ^ (rng.random([num, DIM]) < 0.1)).astype('float32')


def eat_layer(relaxation='eat_cubic', **kwargs):
  kwargs.setdefault('seed', 1)
  kwargs.setdefault('name', 'z')
  kwargs.setdefault('high', HIGH)
  return gengs.layers.GenGSPoissonLayer(prior_rate=2., relaxation=relaxation,
                                        **kwargs)


def make_vae(latent_layer, seed=0):
  """Functional VAE: encoder -> log-rates [B, d] -> EAT layer -> decoder."""
  keras.utils.set_random_seed(seed)
  x = keras.Input((DIM,))
  h = keras.layers.Dense(16, activation='relu')(x)
  z = latent_layer(keras.layers.Dense(LATENT, name='enc_out')(h))
  h = keras.layers.Dense(16, activation='relu')(z)
  model = keras.Model(x, keras.layers.Dense(DIM)(h))
  model.compile(keras.optimizers.Adam(1e-2),
                keras.losses.BinaryCrossentropy(from_logits=True),
                jit_compile=False)
  return model


def truncated_poisson(rate, high):
  """float64 PMF of `min(N, high)`, `N ~ Poisson(rate)`: `[..., high + 1]`."""
  rate = np.asarray(rate, np.float64)[..., None]
  k = np.arange(high + 1)
  pmf = stats.poisson.pmf(k, rate)
  pmf[..., -1] = stats.poisson.sf(high - 1, rate)[..., 0]
  return pmf


def layer_seed(layer, state):
  """Sets the layer's seed state; returns the stateless seed it will use."""
  layer.seed_generator.state.assign(state)
  return tf.constant(state, tf.int32)


# ----------------------------------------------------------------------------
# Construction: number of arrivals, window, errors
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('relaxation', EAT_RELAXATIONS)
def test_num_arrivals_cover_prior_window_and_initial_temperature(relaxation):
  smoothing = relaxation[4:]
  for tau in (0.1, 1.):
    layer = eat_layer(relaxation, temperature=tau)
    expected = max(HIGH, eat_poisson.default_num_arrivals(2., tau, smoothing))
    assert layer.num_arrivals == expected
    # The window is {0, ..., K}: the law of min(N, K).
    np.testing.assert_array_equal(layer.outcomes,
                                  np.arange(layer.num_arrivals + 1))
  # From the tail mass: the larger of the GenGS window and EAT's K, for the
  # largest rate of a per-dimension prior.
  layer = gengs.layers.GenGSPoissonLayer([1., 6.], tail_mass=1e-4,
                                         relaxation=relaxation,
                                         temperature=0.5)
  high = windows.window_of(gengs.distributions.families.get('poisson'),
                           {'rate': np.array([1., 6.])}, 1e-4)[1]
  assert layer.num_arrivals == max(high, eat_poisson.default_num_arrivals(
      6., 0.5, smoothing, 1e-4))
  assert eat_layer(relaxation, num_arrivals=25).num_outcomes == 26
  # `high` with `tail_mass`: K reaches `high` and covers the tail mass.
  layer = eat_layer(relaxation, tail_mass=1e-3, temperature=0.5)
  assert layer.num_arrivals == max(HIGH, eat_poisson.default_num_arrivals(
      2., 0.5, smoothing, 1e-3))


@pytest.mark.parametrize('make,match', [
    (lambda: eat_layer(inference='implicit'),
     r"`relaxation`='eat_cubic' needs `inference`='explicit' \(got "
     r"`inference`='implicit'\).*implicit inference gives logits of pi"),
    (lambda: eat_layer('eat_sigmoid', inference='implicit'),
     r"`relaxation`='eat_sigmoid' needs `inference`='explicit'"),
    (lambda: eat_layer('eat'),
     r"`relaxation` must be one of 'gengs', 'eat_sigmoid', 'eat_cubic'"),
    (lambda: eat_layer(low=2), r'`low` must be 0 with an EAT relaxation'),
    (lambda: eat_layer(num_arrivals=5),
     r'`high` \(10\) must be <= `num_arrivals` \(5\)'),
    (lambda: eat_layer(high=None, num_arrivals=20, tail_mass=1e-6),
     r'either `num_arrivals` or `tail_mass`'),
    (lambda: eat_layer('gengs', num_arrivals=20),
     r'`num_arrivals` is for an EAT relaxation'),
    (lambda: eat_layer(num_arrivals=0), r'`num_arrivals` must be a Python '
     r'int >= 1'),
    (lambda: eat_layer(temperature=0.), r'`temperature` must be finite and '
     r'> 0'),
    (lambda: gengs.layers.GenGSPoissonLayer(-1., relaxation='eat_cubic'),
     r'`prior_rate` \(the Poisson rate\) must be finite and > 0'),
])
def test_bad_configuration_raises(make, match):
  with pytest.raises(ValueError, match=match):
    make()


# ----------------------------------------------------------------------------
# Forward pass: sample, straight-through, KL, temperature
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('relaxation', EAT_RELAXATIONS)
def test_sample_is_the_eat_relaxed_count_at_the_layer_temperature(relaxation):
  layer = eat_layer(relaxation, temperature=0.3)
  x = np.log(np.random.default_rng(0).uniform(0.2, 6., [5, LATENT]))
  x = x.astype('float32')
  layer.temperature.assign(0.7)  # what annealing does
  seed = layer_seed(layer, [5, 0])
  z = layer(x, training=True)
  expected = eat_poisson.relaxed_count(x, 0.7, layer.num_arrivals,
                                       relaxation[4:], seed=seed)
  np.testing.assert_array_equal(z, expected)
  seed = layer_seed(layer, [5, 0])
  at_initial = eat_poisson.relaxed_count(x, 0.3, layer.num_arrivals,
                                         relaxation[4:], seed=seed)
  assert np.any(np.abs(layer(x, training=True) - at_initial) > 1e-3)
  assert np.all((z.numpy() >= 0.) & (z.numpy() <= layer.num_arrivals))


@pytest.mark.parametrize('relaxation', EAT_RELAXATIONS)
def test_kl_is_the_truncated_categorical_kl_near_the_poisson_kl(relaxation):
  layer = eat_layer(relaxation, temperature=0.5)
  k = layer.num_arrivals
  rate = np.random.default_rng(1).uniform(0.3, 4., [6, LATENT])
  layer(np.log(rate).astype('float32'))
  q, p = truncated_poisson(rate, k), truncated_poisson(2., k)
  kl = np.sum(q * (np.log(q) - np.log(p)), axis=-1)       # [6, d]
  np.testing.assert_allclose(layer.losses[0], kl.sum(-1).mean(), rtol=2e-5)
  np.testing.assert_allclose(layer.kl_metric.result(), kl.sum(-1).mean(),
                             rtol=2e-5)
  # K covers these rates: the analytic Poisson KL up to the mass above K.
  poisson_kl = rate * np.log(rate / 2.) - rate + 2.
  np.testing.assert_allclose(kl, poisson_kl, atol=1e-4)
  # posterior() is that truncated Poisson over {0, ..., K}.
  pi = layer.posterior(np.log(rate).astype('float32')).probs_parameter()
  np.testing.assert_allclose(pi, q, atol=1e-6)


def test_straight_through_values_are_integers_with_relaxed_gradients():
  layer = eat_layer(straight_through=True, temperature=0.5)
  x = tf.constant(np.full([2000, LATENT], np.log(3.), np.float32))
  with tf.GradientTape() as tape:
    tape.watch(x)
    z = layer(x, training=True)
    loss = tf.reduce_sum(z**2)
  grad = tape.gradient(loss, x).numpy()
  z = z.numpy()
  np.testing.assert_array_equal(z, np.round(z))
  assert z.min() >= 0 and z.max() <= layer.num_arrivals
  assert np.all(np.isfinite(grad)) and np.mean(np.abs(grad)) > 0.1
  # min(N, K) with N ~ Poisson(3): mean 3 within 5 standard errors.
  assert abs(z.mean() - 3.) < 5. * np.sqrt(3. / z.size)
  # At inference, the 'straight_through' output: exact counts too.
  layer = eat_layer(inference_output='straight_through')
  out = layer(x[:50], training=False).numpy()
  np.testing.assert_array_equal(out, np.round(out))
  # 'mean': E min(N, K), the rate up to the mass above K.
  layer.inference_output = 'mean'
  np.testing.assert_allclose(layer(x[:2]), np.full([2, LATENT], 3.),
                             rtol=1e-5)


def test_rate_beyond_num_arrivals_is_capped_with_finite_gradients():
  layer = eat_layer(temperature=0.5)                    # K = 17 for rate 2
  x = tf.constant(np.log([[100., 1e6, 1e-30]]), tf.float32)
  with tf.GradientTape() as tape:
    tape.watch(x)
    z = layer(x, training=True)
    total = tf.reduce_sum(z)
  grad = tape.gradient(total, x).numpy()
  np.testing.assert_array_equal(z[0, :2], [layer.num_arrivals] * 2)
  assert z[0, 2] == 0.
  np.testing.assert_array_equal(grad, 0.)  # all arrivals before 1 - tau


# ----------------------------------------------------------------------------
# Training: fit, gradients, annealing, XLA
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('relaxation', EAT_RELAXATIONS)
def test_functional_vae_fits_and_loss_falls(relaxation):
  data = binary_data()
  model = make_vae(eat_layer(relaxation))
  history = model.fit(data, data, batch_size=32, epochs=8, shuffle=False,
                      verbose=0).history
  assert set(history) == {'loss', 'z_kl'}
  losses = history['loss']
  assert np.all(np.isfinite(losses))
  assert losses[-1] < 0.85 * losses[0], losses
  assert np.all(np.array(history['z_kl']) > 0.)


@pytest.mark.parametrize('relaxation,straight_through', [
    ('eat_cubic', False), ('eat_cubic', True), ('eat_sigmoid', False)])
def test_gradients_reach_encoder(relaxation, straight_through):
  model = make_vae(eat_layer(relaxation, straight_through=straight_through))
  data = binary_data(32)
  encoder = model.get_layer('enc_out').kernel
  with tf.GradientTape(persistent=True) as tape:
    recon = tf.reduce_mean(keras.losses.binary_crossentropy(
        data, model(data, training=True), from_logits=True))
    kl = tf.add_n(model.losses)
  for term in (recon, kl):  # both the sample and the KL reach the encoder
    grad = tape.gradient(term, encoder).numpy()
    assert np.all(np.isfinite(grad)) and np.max(np.abs(grad)) > 1e-6


def test_annealing_sets_the_temperature_the_layer_samples_with():
  data = binary_data(64)
  layer = eat_layer(temperature=1.)
  model = make_vae(layer)
  anneal = gengs.layers.TemperatureAnnealing(initial=1., minimum=0.1,
                                             rate=0.1)
  history = model.fit(data, data, batch_size=16, epochs=2, verbose=0,
                      callbacks=[anneal]).history
  np.testing.assert_allclose(history['temperature'], np.exp([-0.3, -0.7]))
  tau = float(layer.temperature.numpy())
  assert tau == pytest.approx(np.exp(-0.7))
  x = np.log(np.full([4, LATENT], 2., np.float32))
  seed = layer_seed(layer, [3, 0])
  np.testing.assert_array_equal(
      layer(x, training=True),
      eat_poisson.relaxed_count(x, tau, layer.num_arrivals, 'cubic',
                                seed=seed))


def test_xla_and_config_round_trip():
  layer = eat_layer('eat_sigmoid', temperature=0.4, kl_weight=0.5,
                    straight_through=True, inference_output='mean')
  config = layer.get_config()
  json.dumps(config)
  assert config['relaxation'] == 'eat_sigmoid'
  assert config['num_arrivals'] == config['high'] == layer.num_arrivals
  clone = gengs.layers.GenGSPoissonLayer.from_config(config)
  assert clone.get_config() == config
  again = keras.saving.deserialize_keras_object(
      keras.saving.serialize_keras_object(layer))
  assert again.get_config() == config
  x = tf.constant(np.log([[0.5, 2., 9.]]), tf.float32)
  out = tf.function(lambda x: layer(x, training=True), jit_compile=True)(x)
  assert out.shape == (1, 3) and np.all(np.isfinite(out))
  np.testing.assert_array_equal(out, np.round(out))  # straight-through


# ----------------------------------------------------------------------------
# Saving: a fresh process with `import tfp_gengs` alone
# ----------------------------------------------------------------------------

_LOAD_SCRIPT = textwrap.dedent('''
    import sys
    import numpy as np
    import tfp_gengs, keras
    model = keras.models.load_model(sys.argv[1])
    layer = model.get_layer('z')
    layer.seed_generator.state.assign([11, 0])
    data = np.load(sys.argv[2])
    np.save(sys.argv[3], model(data, training=True).numpy())
    print(type(layer).__name__, layer.relaxation, layer.num_arrivals,
          float(layer.temperature.numpy()))
''')


def test_save_load_in_fresh_process_gives_same_outputs(tmp_path):
  data = binary_data(64)
  model = make_vae(eat_layer('eat_cubic', temperature=0.8))
  model.fit(data, data, batch_size=32, epochs=1, verbose=0)
  layer = model.get_layer('z')
  layer.temperature.assign(0.37)
  path = str(tmp_path / 'eat.keras')
  model.save(path)
  np.save(tmp_path / 'data.npy', data)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3',
             PYTHONPATH=str(REPO) + os.pathsep +
             os.environ.get('PYTHONPATH', ''))
  result = subprocess.run(
      [sys.executable, '-c', _LOAD_SCRIPT, path, str(tmp_path / 'data.npy'),
       str(tmp_path / 'out.npy')], env=env, cwd=tmp_path,
      capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  name, relaxation, arrivals, tau = result.stdout.split()[-4:]
  assert (name, relaxation) == ('GenGSPoissonLayer', 'eat_cubic')
  assert int(arrivals) == layer.num_arrivals
  assert float(tau) == pytest.approx(0.37)
  layer.seed_generator.state.assign([11, 0])
  np.testing.assert_allclose(np.load(tmp_path / 'out.npy'),
                             model(data, training=True), rtol=1e-6,
                             atol=1e-6)
