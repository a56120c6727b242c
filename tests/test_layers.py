"""Tests of the Keras 3 GenGS latent layers (`tfp_gengs.layers`).

Small models on small generated data: the whole file runs in a few minutes
on two CPU cores.
"""

import json
import os
import pathlib
import re
import runpy
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from scipy import special
from scipy import stats
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_gengs as gengs
from tfp_gengs import layers as gengs_layers

tfd = tfp.distributions
REPO = pathlib.Path(__file__).resolve().parents[1]
DIM, LATENT, HIGH = 12, 3, 10  # data width, latent dims d, window 0..HIGH


# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------


def binary_data(num=256, dim=DIM, seed=0):
  """Binary data from 4 prototypes with 10% bit flips (learnable structure)."""
  rng = np.random.default_rng(seed)
  prototypes = rng.random([4, dim]) < 0.4
  data = prototypes[rng.integers(0, 4, num)]
  flips = rng.random([num, dim]) < 0.1
  return (data ^ flips).astype('float32')


def make_vae(latent_layer, encoder_width, dim=DIM, seed=0, jit_compile=False):
  """Functional VAE: encoder -> latent_layer -> decoder (Bernoulli logits)."""
  keras.utils.set_random_seed(seed)
  x = keras.Input((dim,))
  h = keras.layers.Dense(16, activation='relu', name='enc_hidden')(x)
  params = keras.layers.Dense(encoder_width, name='enc_out')(h)
  z = latent_layer(params)
  h = keras.layers.Dense(16, activation='relu', name='dec_hidden')(z)
  model = keras.Model(x, keras.layers.Dense(dim, name='dec_out')(h))
  model.compile(keras.optimizers.Adam(1e-2),
                keras.losses.BinaryCrossentropy(from_logits=True),
                jit_compile=jit_compile)
  return model


def poisson_layer(**kwargs):
  kwargs.setdefault('seed', 1)
  kwargs.setdefault('name', 'z')
  return gengs.layers.GenGSPoissonLayer(prior_rate=2., high=HIGH, **kwargs)


def truncated_pmf(dist, low, high):
  """float64 truncated PMF of a scipy distribution, tails on the ends."""
  k = np.arange(low, high + 1)
  pmf = dist.pmf(k)
  pmf[..., :1] = dist.cdf(low)
  pmf[..., -1:] = dist.sf(high - 1)
  return pmf


def categorical_kl(q, p):
  return np.sum(np.where(q > 0, q * (np.log(q) - np.log(p)), 0.), axis=-1)


# ----------------------------------------------------------------------------
# Training: model.fit, gradients, custom loops, jit_compile
# ----------------------------------------------------------------------------


def test_functional_vae_loss_falls_and_logs_kl():
  data = binary_data()
  model = make_vae(poisson_layer(), LATENT)
  history = model.fit(data, data, batch_size=32, epochs=8, shuffle=False,
                      verbose=0).history
  assert set(history) == {'loss', 'z_kl'}
  losses = history['loss']
  assert np.all(np.isfinite(losses))
  assert losses[-1] < 0.85 * losses[0], losses
  # The logged KL is the KL part of the loss: the loss exceeds it.
  assert np.all(np.array(history['z_kl']) > 0.)
  assert np.all(np.array(losses) > np.array(history['z_kl']))


@pytest.mark.parametrize('inference,straight_through', [
    ('explicit', False), ('implicit', False), ('explicit', True)])
def test_gradients_reach_encoder(inference, straight_through):
  layer = poisson_layer(inference=inference, straight_through=straight_through)
  width = LATENT if inference == 'explicit' else LATENT * (HIGH + 1)
  model = make_vae(layer, width)
  data = binary_data(32)
  encoder = model.get_layer('enc_out').kernel
  with tf.GradientTape(persistent=True) as tape:
    recon = keras.losses.binary_crossentropy(data, model(data, training=True),
                                             from_logits=True)
    recon = tf.reduce_mean(recon)
    kl = tf.add_n(model.losses)
  for term in (recon, kl):  # both the sample and the KL reach the encoder
    grad = tape.gradient(term, encoder)
    assert grad is not None
    assert np.all(np.isfinite(grad.numpy()))
    assert np.max(np.abs(grad.numpy())) > 1e-6


def test_custom_training_loop_in_tf_function_lowers_loss():
  layer = poisson_layer(inference='implicit')
  model = make_vae(layer, LATENT * (HIGH + 1))
  optimizer = keras.optimizers.Adam(1e-2)
  data = tf.constant(binary_data(64))

  @tf.function(jit_compile=True)
  def step(x):
    with tf.GradientTape() as tape:
      logits = model(x, training=True)
      loss = tf.reduce_mean(keras.losses.binary_crossentropy(
          x, logits, from_logits=True)) + tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss

  losses = [float(step(data)) for _ in range(40)]
  assert np.all(np.isfinite(losses))
  assert np.mean(losses[-5:]) < 0.85 * np.mean(losses[:5])


def test_jit_compile_fit_with_annealing():
  data = binary_data(128)
  model = make_vae(poisson_layer(), LATENT, jit_compile=True)
  assert model.jit_compile
  anneal = gengs.layers.TemperatureAnnealing(initial=1., minimum=0.3,
                                             rate=0.05)
  history = model.fit(data, data, batch_size=32, epochs=3, shuffle=False,
                      callbacks=[anneal], verbose=0).history
  assert np.all(np.isfinite(history['loss']))
  assert history['loss'][-1] < history['loss'][0]
  # 12 steps: the last one ran at step 11; the weight holds that value.
  np.testing.assert_allclose(history['temperature'],
                             [np.exp(-0.05 * s) for s in (3, 7, 11)])
  np.testing.assert_allclose(model.get_layer('z').temperature.numpy(),
                             np.exp(-0.55), rtol=1e-6)


# ----------------------------------------------------------------------------
# KL against scipy
# ----------------------------------------------------------------------------


def test_explicit_poisson_kl_matches_scipy():
  rates = np.array([1.5, 4., 7.])
  layer = gengs.layers.GenGSPoissonLayer(prior_rate=rates, high=12, low=1,
                                         kl_weight=0.7, seed=0)
  log_rate = np.array([[0., 1., 2.], [-1., 1.5, 3.], [0.5, 0.2, 1.9]])
  layer(log_rate.astype('float32'))
  q = truncated_pmf(stats.poisson(np.exp(log_rate)[..., None]), 1, 12)
  p = truncated_pmf(stats.poisson(rates[:, None]), 1, 12)
  expected = np.mean(np.sum(categorical_kl(q, p), axis=-1))
  assert len(layer.losses) == 1
  np.testing.assert_allclose(layer.losses[0].numpy(), 0.7 * expected,
                             rtol=1e-5)
  np.testing.assert_allclose(layer.kl_metric.result().numpy(), expected,
                             rtol=1e-5)


@pytest.mark.parametrize('family', ['geometric', 'binomial',
                                    'negative_binomial'])
def test_kl_in_model_losses_matches_scipy(family):
  low, high = 0, 9
  if family == 'geometric':
    layer = gengs.layers.GenGSGeometricLayer(prior_probs=0.3, high=high,
                                             inference='implicit')
    prior = stats.geom(0.3, loc=-1)  # failures before the first success
  elif family == 'binomial':
    layer = gengs.layers.GenGSBinomialLayer(prior_total_count=9,
                                            prior_probs=0.4,
                                            inference='implicit')
    prior = stats.binom(9, 0.4)
  else:
    layer = gengs.layers.GenGSNegativeBinomialLayer(
        prior_total_count=3., prior_probs=0.6, high=high,
        inference='implicit')
    prior = stats.nbinom(3., 1. - 0.6)  # TFP's probs = scipy's 1 - p
  x = keras.Input((LATENT * (high - low + 1),))
  model = keras.Model(x, layer(x))
  logits = np.random.default_rng(1).normal(
      size=[5, LATENT * (high - low + 1)]).astype('float32')
  model(logits)
  q = special.softmax(logits.astype(np.float64).reshape(5, LATENT, -1), -1)
  p = truncated_pmf(prior, low, high)
  expected = np.mean(np.sum(categorical_kl(q, p), axis=-1))
  assert len(model.losses) == 1
  np.testing.assert_allclose(model.losses[0].numpy(), expected, rtol=1e-5)


def test_explicit_families_kl_against_scipy():
  x = np.array([[-0.5, 0.3], [1.2, -2.]], np.float32)  # logits of probs
  probs = special.expit(x.astype(np.float64))[..., None]
  cases = [
      (gengs.layers.GenGSGeometricLayer(prior_probs=[0.3, 0.5], high=8),
       stats.geom(probs, loc=-1), stats.geom(np.array([[0.3], [0.5]]),
                                             loc=-1), 8),
      (gengs.layers.GenGSBinomialLayer(prior_total_count=6, prior_probs=0.5),
       stats.binom(6, probs), stats.binom(6, 0.5), 6),
      (gengs.layers.GenGSNegativeBinomialLayer(
          prior_total_count=[2., 5.], prior_probs=0.5, high=15),
       stats.nbinom(np.array([[2.], [5.]]), 1. - probs),
       stats.nbinom(np.array([[2.], [5.]]), 0.5), 15),
  ]
  for layer, q_dist, p_dist, high in cases:
    layer(x)
    q = truncated_pmf(q_dist, 0, high)
    p = truncated_pmf(p_dist, 0, high)
    expected = np.mean(np.sum(categorical_kl(q, p), axis=-1))
    np.testing.assert_allclose(layer.losses[0].numpy(), expected, rtol=1e-4,
                               err_msg=layer.name)


# ----------------------------------------------------------------------------
# Shapes, inference outputs, priors
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('d,high', [(1, 1), (3, 7), (5, 20)])
def test_shapes_explicit_and_implicit(d, high):
  n = high + 1
  rng = np.random.default_rng(0)
  explicit = gengs.layers.GenGSPoissonLayer(2., high=high, seed=0)
  implicit = gengs.layers.GenGSPoissonLayer(2., high=high, seed=0,
                                            inference='implicit')
  cases = [(explicit, [4, d]), (explicit, [4, 2, d]), (implicit, [4, d, n]),
           (implicit, [4, d * n]), (implicit, [4, 2, d, n])]
  for layer, shape in cases:
    inputs = rng.normal(size=shape).astype('float32')
    symbolic = layer.compute_output_shape((None,) + tuple(shape[1:]))
    out = layer(inputs).numpy()
    expected = shape if layer is explicit else (
        shape[:-1] if len(shape) >= 3 and shape[-1] == n else
        shape[:-1] + [d])
    assert list(out.shape) == list(expected), (layer.inference, shape)
    assert symbolic == (None,) + tuple(expected[1:])
    assert np.all((out >= -1e-5) & (out <= high + 1e-5))
  assert explicit.posterior(np.zeros([4, d], 'float32')).batch_shape == [4, d]


def test_wrong_input_width_names_expected_shape():
  per_dim = gengs.layers.GenGSPoissonLayer([1., 2., 3.], high=9)
  with pytest.raises(ValueError, match=r'\[\.\.\., 3\] \(log-rates? .*'
                     r'got input shape \(None, 4\)'):
    per_dim(keras.Input((4,)))
  implicit = gengs.layers.GenGSPoissonLayer(2., high=9, inference='implicit')
  with pytest.raises(ValueError, match=r'\[\.\.\., d, 10\] or \[\.\.\., '
                     r'd\*10\].*\(None, 25\).*not a multiple of n=10'):
    implicit(keras.Input((25,)))
  per_dim_implicit = gengs.layers.GenGSPoissonLayer(
      [1., 2., 3.], high=9, inference='implicit')
  with pytest.raises(ValueError, match=r'\[\.\.\., 3, 10\] or \[\.\.\., 30\]'):
    per_dim_implicit(keras.Input((2, 10)))
  with pytest.raises(ValueError, match=r'\[\.\.\., 3, 10\] or \[\.\.\., 30\]'):
    per_dim_implicit(np.zeros([2, 40], 'float32'))


def test_inference_outputs():
  x = np.random.default_rng(0).normal(size=[64, 4]).astype('float32')
  make = lambda **kw: gengs.layers.GenGSPoissonLayer(2., high=9, seed=3, **kw)
  # 'sample' (default): inference returns the training estimator, same seed
  # same numbers; training=False changes nothing.
  np.testing.assert_array_equal(make()(x, training=True),
                                make()(x, training=False))
  np.testing.assert_array_equal(
      make(straight_through=True)(x, training=True),
      make(straight_through=True)(x, training=False))
  relaxed = make()(x, training=False).numpy()
  assert np.any(relaxed != np.round(relaxed))
  # 'straight_through': exact outcomes at inference, relaxed in training.
  layer = make(inference_output='straight_through')
  hard = layer(x, training=False).numpy()
  np.testing.assert_array_equal(hard, np.round(hard))
  assert set(np.unique(hard)) <= set(range(10))
  soft = layer(x, training=True).numpy()
  assert np.any(soft != np.round(soft))
  # 'mean': the truncated posterior mean, deterministic.
  layer = make(inference_output='mean')
  mean = layer(x, training=False).numpy()
  np.testing.assert_array_equal(mean, layer(x, training=False).numpy())
  q = truncated_pmf(stats.poisson(np.exp(x.astype(np.float64))[..., None]), 0,
                    9)
  np.testing.assert_allclose(mean, q @ np.arange(10.), rtol=1e-5)
  assert len(layer.losses) == 1  # the KL is added at inference too


@pytest.mark.parametrize('jit_compile', [False, True])
def test_inference_output_switch_takes_effect_after_predict(jit_compile):
  # The reproduction: predict once, then ask for the mean; the compiled
  # predict function used to keep returning relaxed samples.
  x = np.random.default_rng(0).normal(size=[32, 4]).astype('float32')
  inputs = keras.Input((4,))
  layer = gengs.layers.GenGSPoissonLayer(2., high=9, seed=3, name='z')
  model = keras.Model(inputs, layer(inputs))
  model.compile(jit_compile=jit_compile)
  relaxed = model.predict(x, batch_size=32, verbose=0)
  assert np.any(relaxed != np.round(relaxed))
  layer.inference_output = 'mean'
  mean = model.predict(x, batch_size=32, verbose=0)
  q = truncated_pmf(stats.poisson(np.exp(x.astype(np.float64))[..., None]), 0,
                    9)
  np.testing.assert_allclose(mean, q @ np.arange(10.), rtol=1e-5)
  np.testing.assert_array_equal(mean, model.predict(x, batch_size=32,
                                                    verbose=0))
  layer.inference_output = 'straight_through'
  hard = model.predict(x, batch_size=32, verbose=0)
  np.testing.assert_array_equal(hard, np.round(hard))
  layer.inference_output = 'sample'
  again = model.predict(x, batch_size=32, verbose=0)
  assert np.any(again != np.round(again))
  assert layer.get_config()['inference_output'] == 'sample'
  with pytest.raises(ValueError, match='`inference_output` must be one of'):
    layer.inference_output = 'mode'


def test_straight_through_forward_is_discrete_with_relaxed_gradient():
  layer = gengs.layers.GenGSPoissonLayer(2., high=9, seed=5,
                                         straight_through=True,
                                         temperature=0.5)
  x = tf.zeros([8, 3])
  weights = tf.constant(np.linspace(-1., 1., 24).reshape(8, 3), tf.float32)
  with tf.GradientTape() as tape:
    tape.watch(x)
    z = layer(x, training=True)
    objective = tf.reduce_sum(weights * z)
  np.testing.assert_array_equal(z.numpy(), np.round(z.numpy()))
  grad = tape.gradient(objective, x)
  assert np.all(np.isfinite(grad.numpy())) and np.any(grad.numpy() != 0.)


def test_general_priors():
  # A per-dimension TruncatedDiscrete prior (implicit only).
  prior = gengs.truncate(tfd.Poisson([2., 5., 9.]), high=20)
  layer = gengs.layers.GenGSLayer(prior, inference='implicit', seed=0)
  assert layer(np.zeros([2, 3 * 21], 'float32')).shape == (2, 3)
  np.testing.assert_allclose(
      layer.prior().probs_parameter().numpy(),
      truncated_pmf(stats.poisson(np.array([[2.], [5.], [9.]])), 0, 20),
      rtol=1e-5)
  # Non-integer outcomes: any finite prior works in implicit mode.
  prior = gengs.TruncatedDiscrete([-1., 0.5, 2.], probs=[0.2, 0.5, 0.3])
  layer = gengs.layers.GenGSLayer(prior, inference='implicit',
                                  inference_output='straight_through')
  out = layer(np.zeros([50, 2, 3], 'float32'), training=False).numpy()
  assert set(np.unique(out)) <= {-1., 0.5, 2.}
  # A TFP distribution plus window: a named family, explicit works; its
  # prior equals the named layer's.
  layer = gengs.layers.GenGSLayer(tfd.NegativeBinomial(4., probs=0.3),
                                  high=12, low=1)
  named = gengs.layers.GenGSNegativeBinomialLayer(4., 0.3, high=12, low=1)
  np.testing.assert_allclose(layer.prior_spec.log_pi,  # float32 probs
                             named.prior_spec.log_pi, rtol=1e-6)
  assert layer(np.zeros([2, 5], 'float32')).shape == (2, 5)


# ----------------------------------------------------------------------------
# Saving, export, serialization
# ----------------------------------------------------------------------------


def test_save_load_same_outputs_temperature_and_trains_again(tmp_path):
  data = binary_data(64)
  model = make_vae(poisson_layer(inference='implicit'), LATENT * (HIGH + 1))
  model.fit(data, data, batch_size=32, epochs=1, verbose=0)
  model.get_layer('z').temperature.assign(0.37)
  path = str(tmp_path / 'x.keras')
  model.save(path)
  loaded = keras.models.load_model(path)  # no custom_objects
  layer = loaded.get_layer('z')
  assert isinstance(layer, gengs.layers.GenGSPoissonLayer)
  np.testing.assert_allclose(layer.temperature.numpy(), 0.37)
  # The seed state is saved too: the loaded model continues the stream.
  for _ in range(2):
    np.testing.assert_array_equal(model(data, training=True),
                                  loaded(data, training=True))
  # Same seed state set by hand: same outputs again.
  model.get_layer('z').seed_generator.state.assign([11, 0])
  layer.seed_generator.state.assign([11, 0])
  np.testing.assert_array_equal(model.predict(data, verbose=0),
                                loaded.predict(data, verbose=0))
  # Trains again (compile state restored).
  before = [w.copy() for w in loaded.get_weights()]
  history = loaded.fit(data, data, batch_size=32, epochs=2, verbose=0).history
  assert np.all(np.isfinite(history['loss'])) and 'z_kl' in history
  assert any(np.any(a != b) for a, b in zip(before, loaded.get_weights()))


_LOAD_SCRIPT = textwrap.dedent('''
    import sys
    import numpy as np
    import tfp_gengs, keras
    model = keras.models.load_model(sys.argv[1])
    layer = model.get_layer('z')
    print(type(layer).__name__, float(layer.temperature.numpy()),
          layer.prior_spec.high)
''')


def test_saved_model_loads_after_import_tfp_gengs_alone(tmp_path):
  # The reproduction: in a fresh interpreter, `import tfp_gengs, keras`
  # (without `import tfp_gengs.layers`) must be enough to load the model.
  model = make_vae(poisson_layer(temperature=0.6), LATENT)
  path = str(tmp_path / 'model.keras')
  model.save(path)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3',
             PYTHONPATH=str(REPO) + os.pathsep +
             os.environ.get('PYTHONPATH', ''))
  result = subprocess.run([sys.executable, '-c', _LOAD_SCRIPT, path],
                          env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  name, temperature, high = result.stdout.split()[-3:]
  assert name == 'GenGSPoissonLayer'
  assert float(temperature) == pytest.approx(0.6)
  assert int(high) == HIGH


def test_export_saved_model_serves(tmp_path):
  data = binary_data(16)
  model = make_vae(poisson_layer(inference_output='mean'), LATENT)
  path = str(tmp_path / 'served')
  model.export(path, verbose=False)
  served = tf.saved_model.load(path)
  out = served.serve(tf.constant(data))
  np.testing.assert_allclose(out.numpy(), model.predict(data, verbose=0),
                             rtol=1e-5, atol=1e-6)
  # A sampling layer serves too (the random stream lives in the SavedModel).
  model = make_vae(poisson_layer(), LATENT)
  model.export(path + '_sample', verbose=False)
  served = tf.saved_model.load(path + '_sample')
  first, second = served.serve(data).numpy(), served.serve(data).numpy()
  assert first.shape == (16, DIM) and np.all(np.isfinite(first))
  assert np.any(first != second)


@pytest.mark.parametrize('layer', [
    gengs.layers.GenGSPoissonLayer([1., 3.], high=8, low=1, seed=4,
                                   temperature=0.4, kl_weight=0.5,
                                   inference='implicit',
                                   straight_through=True,
                                   inference_output='mean'),
    gengs.layers.GenGSGeometricLayer(0.2, high=12, seed=4),
    gengs.layers.GenGSBinomialLayer(7, [0.2, 0.6], seed=4),
    gengs.layers.GenGSNegativeBinomialLayer(2.5, 0.4, high=11, seed=4),
    gengs.layers.GenGSLayer(
        gengs.TruncatedDiscrete([0., 1., 5.], logits=[0., 1., -1.]),
        inference='implicit', seed=4),
    gengs.layers.GenGSLayer(tfd.Poisson(3.), high=9, seed=4),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
  config = layer.get_config()
  json.dumps(config)  # plain JSON: no TFP objects
  clone = type(layer).from_config(config)
  assert clone.get_config() == config
  np.testing.assert_array_equal(clone.prior_spec.log_pi,
                                layer.prior_spec.log_pi)
  width = 2 if layer.inference == 'explicit' else 2 * layer.num_outcomes
  x = np.random.default_rng(0).normal(size=[3, width]).astype('float32')
  np.testing.assert_array_equal(layer(x), clone(x))
  # Registered: generic deserialization finds the class without arguments.
  again = keras.saving.deserialize_keras_object(
      keras.saving.serialize_keras_object(layer))
  assert type(again) is type(layer)


# ----------------------------------------------------------------------------
# Temperature annealing
# ----------------------------------------------------------------------------


class _Recorder(keras.callbacks.Callback):
  """Records the layer's temperature weight as each train step runs."""

  def __init__(self, layer):
    super().__init__()
    self.layer, self.values = layer, []

  def on_train_batch_begin(self, batch, logs=None):
    self.values.append(float(self.layer.temperature.numpy()))


def test_annealing_schedule_update_every_and_saved(tmp_path):
  data = binary_data(80)
  layer = poisson_layer()
  model = make_vae(layer, LATENT)
  anneal = gengs.layers.TemperatureAnnealing(initial=2., minimum=0.8,
                                             rate=0.1, update_every=3)
  recorder = _Recorder(layer)
  history = model.fit(data, data, batch_size=16, epochs=3, verbose=0,
                      callbacks=[anneal, recorder]).history
  steps = np.arange(15)
  expected = np.maximum(0.8, 2. * np.exp(-0.1 * (steps // 3) * 3))
  np.testing.assert_allclose(recorder.values, expected, rtol=1e-6)
  assert recorder.values[-1] == pytest.approx(0.8)  # reached the floor
  np.testing.assert_allclose(history['temperature'], expected[[4, 9, 14]])
  # Resumes from the optimizer's step count in a second fit.
  recorder.values = []
  model.fit(data[:16], data[:16], batch_size=16, epochs=1, verbose=0,
            callbacks=[anneal, recorder])
  assert recorder.values == [pytest.approx(0.8)]
  # The annealed value is what a saved model holds.
  path = str(tmp_path / 'annealed.keras')
  model.save(path)
  loaded = keras.models.load_model(path)
  np.testing.assert_allclose(loaded.get_layer('z').temperature.numpy(), 0.8)


def test_annealing_custom_schedule_on_several_layers(tmp_path):
  x = keras.Input((DIM,))
  z1 = gengs.layers.GenGSPoissonLayer(2., high=6, name='a')(
      keras.layers.Dense(2)(x))
  z2 = gengs.layers.GenGSGeometricLayer(0.4, high=6, name='b')(
      keras.layers.Dense(2)(x))
  model = keras.Model(x, keras.layers.Dense(DIM)(
      keras.layers.Concatenate()([z1, z2])))
  model.compile('adam', 'mse')
  anneal = gengs.layers.TemperatureAnnealing(
      schedule=lambda step: 1. / (1. + step), log_dir=tmp_path / 'logs')
  data = binary_data(32)
  history = model.fit(data, data, batch_size=8, epochs=2, verbose=0,
                      callbacks=[anneal]).history
  np.testing.assert_allclose(history['temperature'], [1. / 4., 1. / 8.])
  # TensorBoard event file: tau against the step, as a scalar.
  logged = {event.step: float(tf.make_ndarray(value.tensor))
            for events in (tmp_path / 'logs').glob('events.*')
            for event in tf.compat.v1.train.summary_iterator(str(events))
            for value in event.summary.value if value.tag == 'temperature'}
  assert logged == {s: pytest.approx(1. / (1. + s)) for s in range(8)}
  for name in ('a', 'b'):
    np.testing.assert_allclose(model.get_layer(name).temperature.numpy(),
                               1. / 8., rtol=1e-6)
  config = gengs.layers.TemperatureAnnealing(1., 0.5, 0.1, 2).get_config()
  clone = gengs.layers.TemperatureAnnealing.from_config(config)
  assert clone.value_at(5) == pytest.approx(np.exp(-0.4))


# ----------------------------------------------------------------------------
# Mixed precision
# ----------------------------------------------------------------------------


def test_mixed_precision_computes_in_float32():
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy('mixed_float16')
  try:
    default = gengs.layers.GenGSPoissonLayer(2., high=30, seed=0)
    explicit = gengs.layers.GenGSPoissonLayer(2., high=30, seed=0,
                                              dtype='mixed_float16')
    model = make_vae(default, LATENT)
  finally:
    keras.config.set_dtype_policy(previous)
  assert default.compute_dtype == 'float32'
  assert explicit.compute_dtype == 'float16'
  x = np.full([4, LATENT], 3., np.float32)  # rate e^3 ~ 20: tails in float16
  a, b = default(x), explicit(x)
  assert a.dtype == b.dtype == tf.float32
  np.testing.assert_allclose(a, b, rtol=1e-3)  # same float32 relaxation
  np.testing.assert_allclose(default.losses[0], explicit.losses[0], rtol=1e-6)
  data = binary_data(64)
  history = model.fit(data, data, batch_size=32, epochs=2, verbose=0).history
  assert np.all(np.isfinite(history['loss']))


# ----------------------------------------------------------------------------
# Construction errors
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('make,error,match', [
    (lambda: gengs.layers.GenGSPoissonLayer(2., high=9, inference='magic'),
     ValueError, r"`inference` must be one of 'explicit', 'implicit'"),
    (lambda: gengs.layers.GenGSPoissonLayer(2., high=9,
                                            inference_output='mode'),
     ValueError, r"`inference_output` must be one of 'sample', "
     r"'straight_through', 'mean'"),
    (lambda: gengs.layers.GenGSPoissonLayer(2., high=0), ValueError,
     r'1 outcome\(s\); at least 2 are needed'),
    (lambda: gengs.layers.GenGSPoissonLayer(2., high=3, low=3), ValueError,
     r'at least 2 are needed'),
    (lambda: gengs.layers.GenGSPoissonLayer(-1., high=9), ValueError,
     r'`prior_rate` \(the Poisson rate\) must be finite and > 0; got '
     r'-1\.0'),
    (lambda: gengs.layers.GenGSPoissonLayer([1., 0.], high=9), ValueError,
     r'`prior_rate`.* must be finite and > 0'),
    (lambda: gengs.layers.GenGSLayer(tfd.Poisson(-2.), high=9), ValueError,
     r'`prior\.rate` \(the Poisson rate\) must be finite and > 0'),
    (lambda: gengs.layers.GenGSPoissonLayer(2., high=9, temperature=0.),
     ValueError, r'`temperature` must be finite and > 0; got 0\.0'),
    (lambda: gengs.layers.GenGSPoissonLayer(2., high=9, temperature=-1.),
     ValueError, r'`temperature` must be finite and > 0'),
    (lambda: gengs.layers.GenGSPoissonLayer(2., high=9, kl_weight=-1.),
     ValueError, r'`kl_weight` must be finite and >= 0'),
    (lambda: gengs.layers.GenGSGeometricLayer(1.2, high=9), ValueError,
     r'`prior_probs` \(the success probability\) must be in the open '
     r'interval \(0, 1\)'),
    (lambda: gengs.layers.GenGSPoissonLayer(2., high=9, low=-2), ValueError,
     r'`low` must be >= 0'),
    (lambda: gengs.layers.GenGSBinomialLayer(5, 0.5, high=8), ValueError,
     r'probability 0 to the outcomes \[6\.0, 7\.0, 8\.0\].*For a binomial '
     r'prior `high` must be <= the smallest `prior_total_count` \(5\)'),
    (lambda: gengs.layers.GenGSBinomialLayer(5.5, 0.5), ValueError,
     r'`prior_total_count` \(the binomial number of trials\) must be an '
     r'integer >= 1; got 5\.5'),
    (lambda: gengs.layers.GenGSLayer(gengs.truncate(tfd.Poisson(2.), high=9),
                                     high=12), ValueError,
     r'window low=0\.0\.\.high=12 does not match the prior\'s outcomes'),
    (lambda: gengs.layers.GenGSLayer(gengs.truncate(tfd.Poisson(2.), high=9)),
     ValueError, r"`inference`='explicit' needs a prior family"),
    (lambda: gengs.layers.GenGSLayer(tfd.Poisson(2.)), ValueError,
     r'`high` is required with a Poisson prior'),
    (lambda: gengs.layers.GenGSLayer(
        gengs.TruncatedDiscrete([0., 1., 2.], probs=[0.5, 0.5, 0.]),
        inference='implicit'), ValueError,
     r'probability 0 to the outcomes \[2\.0\]'),
    (lambda: gengs.layers.GenGSLayer(
        gengs.TruncatedDiscrete([[0., 1.], [1., 0.]], logits=[0., 0.]),
        inference='implicit'), ValueError, r'must have scalar outcomes'),
    (lambda: gengs.layers.GenGSPoissonLayer([[1., 2.]], high=9), ValueError,
     r'`prior_rate` must be a scalar .* or a vector `\[d\]`'),
    (lambda: gengs.layers.GenGSLayer('poisson'), TypeError,
     r'`prior` must be a `gengs.TruncatedDiscrete`'),
    (lambda: gengs.layers.TemperatureAnnealing(1., 2., 0.1), ValueError,
     r'`minimum` must be in \(0, initial=1\.0\]'),
    (lambda: gengs.layers.TemperatureAnnealing(1., 0.5, 0.1, update_every=0),
     ValueError, r'`update_every` must be an int >= 1'),
    (lambda: gengs.layers.TemperatureAnnealing(0., 0.5, 0.1), ValueError,
     r'`initial` must be finite and > 0'),
    (lambda: gengs.layers.TemperatureAnnealing(1., None, 0.1), ValueError,
     r'`minimum` is required'),
])
def test_bad_configuration_raises_at_construction(make, error, match):
  with pytest.raises(error, match=match):
    make()


# ----------------------------------------------------------------------------
# Distribution strategy (subprocess: logical devices must be set first)
# ----------------------------------------------------------------------------

_MIRRORED_SCRIPT = textwrap.dedent('''
    import json
    import tensorflow as tf
    cpu = tf.config.list_physical_devices('CPU')[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    import tfp_gengs as gengs

    def build():
      keras.utils.set_random_seed(0)
      x = keras.Input((12,))
      h = keras.layers.Dense(16, activation='relu')(x)
      z = gengs.layers.GenGSPoissonLayer(prior_rate=2., high=10, seed=7,
                                         name='z')(keras.layers.Dense(3)(h))
      h = keras.layers.Dense(16, activation='relu')(z)
      model = keras.Model(x, keras.layers.Dense(12)(h))
      model.compile(keras.optimizers.Adam(1e-2),
                    keras.losses.BinaryCrossentropy(from_logits=True))
      return model

    rng = np.random.default_rng(0)
    data = (rng.random([256, 12]) < 0.3).astype('float32')
    single = build()
    weights = single.get_weights()
    fit = dict(batch_size=64, epochs=4, shuffle=False, verbose=0)
    h1 = single.fit(data, data, **fit).history
    strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
    with strategy.scope():
      mirrored = build()
    mirrored.set_weights(weights)
    h2 = mirrored.fit(data, data, **fit).history
    # Each replica draws its own noise: the two halves of a batch differ.
    layer = mirrored.get_layer('z')
    x = tf.zeros([8, 3])
    per_replica = strategy.run(lambda: layer(x, training=True))
    halves = [t.numpy() for t in strategy.experimental_local_results(
        per_replica)]
    print(json.dumps(dict(
        single=h1, mirrored=h2, replicas=strategy.num_replicas_in_sync,
        jit=mirrored.jit_compile,
        replicas_differ=bool(np.any(halves[0] != halves[1])))))
''')


def test_mirrored_strategy_matches_single_device():
  env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep +
             os.environ.get('PYTHONPATH', ''))
  result = subprocess.run([sys.executable, '-c', _MIRRORED_SCRIPT], env=env,
                          capture_output=True, text=True, timeout=300,
                          check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  out = json.loads(result.stdout.strip().splitlines()[-1])
  assert out['replicas'] == 2 and out['jit'] is False
  assert out['replicas_differ']
  for key in ('loss', 'z_kl'):
    single, mirrored = np.array(out['single'][key]), np.array(
        out['mirrored'][key])
    # Same weights and data; the Gumbel noise differs (per-replica streams).
    np.testing.assert_allclose(mirrored, single, rtol=0.03, err_msg=key)
  assert out['mirrored']['loss'][-1] < 0.7 * out['mirrored']['loss'][0]


# ----------------------------------------------------------------------------
# The README example
# ----------------------------------------------------------------------------


def test_readme_example_runs(tmp_path, monkeypatch, capsys):
  monkeypatch.chdir(tmp_path)
  namespace = runpy.run_path(str(REPO / 'examples' / 'keras_poisson_vae.py'))
  history = namespace['history'].history
  assert set(history) == {'loss', 'z_kl', 'temperature'}
  assert history['loss'][-1] < history['loss'][0]
  np.testing.assert_allclose(history['temperature'],
                             np.exp(-1e-2 * np.array([7, 15])))
  assert (tmp_path / 'poisson_vae.keras').exists()
  loaded = keras.models.load_model(tmp_path / 'poisson_vae.keras')
  assert isinstance(loaded.get_layer('z'), gengs_layers.GenGSPoissonLayer)
  assert 'z_kl' in capsys.readouterr().out


def test_docstring_examples_run():
  """The `#### Examples` of the layers package execute as written."""
  namespaces = []
  for path in sorted((REPO / 'tfp_gengs' / 'layers').glob('*.py')):
    for block in re.findall(r'```python\n(.*?)```', path.read_text(), re.S):
      namespace = {}
      exec(compile(textwrap.dedent(block), str(path), 'exec'), namespace)  # pylint: disable=exec-used
      namespaces.append(namespace)
  assert len(namespaces) >= 7
  history = [ns['history'] for ns in namespaces if 'history' in ns]
  np.testing.assert_allclose(history[0].history['temperature'],
                             np.exp([-0.03, -0.07]))
