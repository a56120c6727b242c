"""The latent layers' `gradient` option: relaxed, straight-through, ReinMax,
Gumbel-Rao.

References: exact enumeration of the window (float64 numpy) for ReinMax's
mean gradient through the layer; exact outcomes for the forward values.
"""

import json
import os
import pathlib
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
from scipy import special
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_gengs as gengs

tfd = tfp.distributions
REPO = pathlib.Path(__file__).resolve().parents[1]
HARD = ('straight_through', 'reinmax', 'gumbel_rao')
FAMILY_LAYERS = {
    'poisson': lambda **kw: gengs.layers.GenGSPoissonLayer(2., high=9, **kw),
    'geometric': lambda **kw: gengs.layers.GenGSGeometricLayer(.3, high=12,
                                                               **kw),
    'binomial': lambda **kw: gengs.layers.GenGSBinomialLayer(8, .4, **kw),
    'negative_binomial': lambda **kw: gengs.layers.GenGSNegativeBinomialLayer(
        3., .4, high=15, **kw),
}


def _env():
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3',
              PYTHONPATH=str(REPO) + os.pathsep +
              os.environ.get('PYTHONPATH', ''))


@pytest.mark.parametrize('inference', ['explicit', 'implicit'])
@pytest.mark.parametrize('family', list(FAMILY_LAYERS))
@pytest.mark.parametrize('gradient', HARD)
def test_hard_gradients_forward_outcomes_and_reach_the_encoder(
    gradient, family, inference):
  layer = FAMILY_LAYERS[family](gradient=gradient, inference=inference,
                                temperature=.7, seed=3)
  n, d = layer.num_outcomes, 4
  width = d if inference == 'explicit' else d * n
  # Ordinary and extreme inputs (rates/probabilities near the edges).
  x = tf.Variable(tf.concat([
      tf.random.stateless_normal([6, width], (1, 2)),
      tf.fill([1, width], 30.), tf.fill([1, width], -30.)], 0))
  weights = tf.constant(np.linspace(-1., 1., 8 * d).reshape(8, d),
                        tf.float32)
  with tf.GradientTape() as tape:
    z = layer(x, training=True)
    objective = tf.reduce_sum(weights * z)
  assert np.all(np.isin(z.numpy(), layer.outcomes))
  grad = tape.gradient(objective, x).numpy()
  assert np.all(np.isfinite(grad)) and np.any(grad[:6] != 0.)


def test_reinmax_through_the_layer_has_the_exact_mean_gradient():
  """Implicit logits, `f = sum (z - w)^2` quadratic in the one-hot sample:
  at tau = 1 the mean of ReinMax's gradient is `grad E f` (enumeration)."""
  layer = gengs.layers.GenGSPoissonLayer(2., high=4, inference='implicit',
                                         gradient='reinmax', seed=11)
  logits = np.array([0.2, -0.5, 1.0, 0.3, -1.5])
  num = 20000
  x = tf.Variable(np.broadcast_to(logits, [num, 1, 5]).astype('float32'))
  w = 1.3
  with tf.GradientTape() as tape:
    z = layer(x, training=True)
    objective = tf.reduce_sum((z - w)**2)
  per_draw = tape.gradient(objective, x).numpy()[:, 0].astype(np.float64)
  pi = special.softmax(logits)
  f = (np.arange(5.) - w)**2
  exact = pi * (f - pi @ f)
  mean = per_draw.mean(0)
  stderr = per_draw.std(0, ddof=1) / np.sqrt(num)
  np.testing.assert_array_less(np.abs(mean - exact), 5 * stderr + 1e-6)


@pytest.mark.parametrize('gradient', ['relaxed'] + list(HARD))
def test_fit_under_xla_lowers_the_loss(gradient):
  rng = np.random.default_rng(0)
  prototypes = rng.random([4, 12]) < .4
  data = (prototypes[rng.integers(0, 4, 256)] ^
          (rng.random([256, 12]) < .1)).astype('float32')
  keras.utils.set_random_seed(0)
  x = keras.Input((12,))
  h = keras.layers.Dense(16, activation='relu')(x)
  z = gengs.layers.GenGSPoissonLayer(
      2., high=9, gradient=gradient, gumbel_rao_samples=4, seed=1,
      name='z')(keras.layers.Dense(3)(h))
  model = keras.Model(x, keras.layers.Dense(12)(
      keras.layers.Dense(16, activation='relu')(z)))
  model.compile(keras.optimizers.Adam(1e-2),
                keras.losses.BinaryCrossentropy(from_logits=True),
                jit_compile=True)
  history = model.fit(data, data, batch_size=64, epochs=6, verbose=0).history
  assert np.all(np.isfinite(history['loss']))
  assert history['loss'][-1] < 0.8 * history['loss'][0]


_LOAD_SCRIPT = textwrap.dedent('''
    import sys
    import keras
    import numpy as np
    import tfp_gengs  # noqa: F401  (registers the layers)
    model = keras.models.load_model(sys.argv[1])
    layer = model.get_layer('z')
    z = layer(np.zeros([5, 3], 'float32'), training=True).numpy()
    print(layer.gradient, layer.gumbel_rao_samples,
          bool(np.all(z == np.round(z))))
''')


@pytest.mark.parametrize('gradient', ['reinmax', 'gumbel_rao'])
def test_saved_model_reloads_its_gradient_in_a_fresh_process(tmp_path,
                                                             gradient):
  x = keras.Input((5,))
  z = gengs.layers.GenGSPoissonLayer(
      2., high=9, gradient=gradient, gumbel_rao_samples=7, name='z')(
          keras.layers.Dense(3)(x))
  model = keras.Model(x, z)
  path = str(tmp_path / 'model.keras')
  model.save(path)
  result = subprocess.run([sys.executable, '-c', _LOAD_SCRIPT, path],
                          env=_env(), cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.split()[-3:] == [gradient, '7', 'True']


_MIRRORED_SCRIPT = textwrap.dedent('''
    import json
    import tensorflow as tf
    cpu = tf.config.list_physical_devices('CPU')[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    import tfp_gengs as gengs

    rng = np.random.default_rng(0)
    data = (rng.random([256, 12]) < 0.3).astype('float32')
    out = {}
    strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
    for gradient in ('reinmax', 'gumbel_rao'):
      with strategy.scope():
        keras.utils.set_random_seed(0)
        x = keras.Input((12,))
        z = gengs.layers.GenGSPoissonLayer(
            2., high=10, seed=7, gradient=gradient, name='z')(
                keras.layers.Dense(3)(x))
        model = keras.Model(x, keras.layers.Dense(12)(z))
        model.compile(keras.optimizers.Adam(1e-2),
                      keras.losses.BinaryCrossentropy(from_logits=True))
      out[gradient] = model.fit(data, data, batch_size=64, epochs=4,
                                verbose=0).history['loss']
    print(json.dumps(dict(out, replicas=strategy.num_replicas_in_sync)))
''')


def test_mirrored_strategy_trains_with_hard_gradients():
  result = subprocess.run([sys.executable, '-c', _MIRRORED_SCRIPT],
                          env=_env(), capture_output=True, text=True,
                          timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  out = json.loads(result.stdout.strip().splitlines()[-1])
  assert out['replicas'] == 2
  for gradient in ('reinmax', 'gumbel_rao'):
    loss = np.array(out[gradient])
    assert np.all(np.isfinite(loss)) and loss[-1] < loss[0], gradient


def test_straight_through_flag_is_deprecated_and_maps_to_gradient():
  with pytest.warns(DeprecationWarning, match='gradient='):
    layer = gengs.layers.GenGSPoissonLayer(2., high=9, straight_through=True)
  assert layer.gradient == 'straight_through' and layer.straight_through
  config = layer.get_config()
  assert config['gradient'] == 'straight_through'
  assert 'straight_through' not in config
  with warnings.catch_warnings():
    warnings.simplefilter('error', DeprecationWarning)
    # A config written before `gradient` existed loads, without a warning
    # (the user did not write it).
    old = dict(config)
    del old['gradient']
    for flag, gradient in ((True, 'straight_through'), (False, 'relaxed')):
      old['straight_through'] = flag
      again = gengs.layers.GenGSPoissonLayer.from_config(old)
      assert again.gradient == gradient
    fresh = gengs.layers.GenGSPoissonLayer(2., high=9, gradient='reinmax')
  assert fresh.straight_through        # a hard sample
  fresh.straight_through = False       # the former flag's setter
  assert fresh.gradient == 'relaxed'


@pytest.mark.parametrize('kwargs,match', [
    (dict(gradient='rein_max'), '`gradient`.*relaxed.*gumbel_rao'),
    (dict(gradient='reinmax', straight_through=True), 'disagree'),
    (dict(gumbel_rao_samples=0), '`gumbel_rao_samples`'),
    (dict(gumbel_rao_samples=2.5), '`gumbel_rao_samples`'),
    (dict(gradient='gumbel_rao', relaxation='eat_cubic'), '`gradient`'),
])
def test_bad_gradient_settings_are_named(kwargs, match):
  with warnings.catch_warnings():
    warnings.simplefilter('ignore', DeprecationWarning)
    with pytest.raises(ValueError, match=match):
      gengs.layers.GenGSPoissonLayer(2., high=9, **kwargs)


# ----------------------------------------------------------------------------
# layer.sample_posterior: what evaluations ask the layer for
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('inference', ['explicit', 'implicit'])
def test_sample_posterior_gives_common_noise_relaxed_and_exact_samples(
    inference):
  layer = gengs.layers.GenGSPoissonLayer(2., high=9, inference=inference,
                                         temperature=.6, seed=2)
  width = 3 if inference == 'explicit' else 3 * 10
  h = tf.random.stateless_normal([5, width], (3, 3))
  q, relaxed, hard = layer.sample_posterior(h, num_samples=4, seed=(7, 8))
  np.testing.assert_allclose(q.probs_parameter(),
                             layer.posterior(h).probs_parameter(), rtol=1e-6)
  assert relaxed.shape == hard.shape == [4, 5, 3]
  assert np.all(np.isin(hard.numpy(), np.arange(10.)))
  # The relaxed distribution's own draws for the seed, at the layer's tau.
  rel = gengs.RelaxedTruncatedDiscrete.from_truncated(q, 0.6)
  np.testing.assert_allclose(relaxed, rel.sample(4, seed=(7, 8)), rtol=1e-5,
                             atol=1e-6)
  st = gengs.RelaxedTruncatedDiscrete.from_truncated(q, 0.6,
                                                     straight_through=True)
  np.testing.assert_array_equal(hard, st.sample(4, seed=(7, 8)))
  assert not layer.losses       # an evaluation adds no KL loss


def test_sample_posterior_of_an_eat_layer_uses_its_arrivals():
  layer = gengs.layers.GenGSPoissonLayer(2., tail_mass=1e-6,
                                         relaxation='eat_cubic',
                                         temperature=.3, seed=1)
  h = tf.math.log(tf.constant([[0.5, 2., 6.]]))
  q, relaxed, hard = layer.sample_posterior(h, num_samples=4000,
                                            seed=(1, 2))
  k = layer.num_arrivals
  assert np.all(np.isin(hard.numpy(), np.arange(k + 1.)))
  assert np.all(relaxed.numpy() >= 0.) and np.all(relaxed.numpy() <= k)
  # min(N, K) has the law of q: its mean is q's mean (5 standard errors).
  mean, std = hard.numpy().mean(0)[0], hard.numpy().std(0)[0]
  np.testing.assert_array_less(np.abs(mean - q.mean().numpy()[0]),
                               5 * std / np.sqrt(4000))
