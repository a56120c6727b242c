"""The Keras layer contract, run in a fresh process on one Keras backend.

`python tests/backend_contract.py OUT_DIR [LOAD_DIR]` with `KERAS_BACKEND`
set: builds one model per layer configuration with fixed weights, checks the
contract with the same assertions on every backend, and writes to `OUT_DIR`:

* `results.json`: per configuration, the deterministic numbers (the `'mean'`
  output, the KL loss, `posterior_log_probs`) for fixed inputs, so that
  `tests/test_backends.py` compares the backends;
* `<name>.keras`: each model, saved.

With `LOAD_DIR` (the output of a run on another backend) it also loads
those `.keras` files and records their `'mean'` outputs (`loaded`).
"""

import json
import os
import pathlib
import sys

import keras
import numpy as np
import tensorflow_probability as tfp

import tfp_gengs as gengs

BACKEND = keras.backend.backend()
D = 3  # latent dimensions
# Configurations a backend refuses by name (torch.special has no betainc).
REFUSED = {'torch': ('binomial_explicit_reinmax',
                     'negative_binomial_explicit')}
# XLA on TensorFlow, jit on JAX; PyTorch runs eagerly (torch.compile is
# not what this contract tests).
JIT = BACKEND != 'torch'
LAYERS = gengs.layers

CONFIGS = {
    'poisson_explicit': lambda: LAYERS.GenGSPoissonLayer(
        prior_rate=2., high=12, temperature=0.5, seed=1),
    'poisson_implicit_gumbel_rao': lambda: LAYERS.GenGSPoissonLayer(
        prior_rate=2., high=12, inference='implicit', seed=1,
        gradient='gumbel_rao', gumbel_rao_samples=4),
    'geometric_explicit_st': lambda: LAYERS.GenGSGeometricLayer(
        prior_probs=0.4, high=15, seed=2, gradient='straight_through'),
    'binomial_explicit_reinmax': lambda: LAYERS.GenGSBinomialLayer(
        prior_total_count=6, prior_probs=0.3, seed=3, gradient='reinmax',
        temperature=1.),
    'negative_binomial_explicit': lambda: LAYERS.GenGSNegativeBinomialLayer(
        prior_total_count=3.5, prior_probs=0.4, high=15, low=1, seed=4),
    'generic_implicit_per_dimension': lambda: LAYERS.GenGSLayer(
        gengs.truncate(tfp.distributions.Poisson([1., 3., 6.]), high=14),
        inference='implicit', seed=5, kl_weight=0.5),
}


def build(name):
  """A small functional model `x -> Dense -> latent -> Dense`, fixed weights."""
  layer = CONFIGS[name]()
  width = D * (layer.num_outcomes if layer.inference == 'implicit' else 1)
  x = keras.Input((5,))
  h = keras.layers.Dense(width, name='encoder')(x)
  z = layer(h)
  y = keras.layers.Dense(5, name='decoder')(z)
  model = keras.Model(x, y, name=name)
  rng = np.random.RandomState(0)
  for dense in (model.get_layer('encoder'), model.get_layer('decoder')):
    dense.set_weights([(0.3 * rng.randn(*w.shape)).astype('float32')
                       for w in dense.get_weights()])
  return model, layer


def check(name, inputs):
  model, layer = build(name)
  model.compile('adam', 'mse', jit_compile=JIT)
  encoder = model.get_layer('encoder')
  h = encoder(inputs)
  window = layer.outcomes

  # Training output: exact outcomes for a hard gradient, inside the window.
  sample = keras.ops.convert_to_numpy(layer(h, training=True))
  assert sample.shape == (inputs.shape[0], D), sample.shape
  assert np.all(sample >= window[0] - 1e-4), sample.min()
  assert np.all(sample <= window[-1] + 1e-4), sample.max()
  if layer.gradient != 'relaxed':
    assert np.all(np.isin(sample, window)), sample

  # The KL through add_loss: finite, >= 0, weighted by kl_weight.
  kl_loss = float(keras.ops.convert_to_numpy(layer.losses[-1]))
  assert np.isfinite(kl_loss) and kl_loss >= 0., kl_loss

  # Inference outputs, switched without recompiling `predict`.
  layer.inference_output = 'mean'
  mean = model.predict(inputs, verbose=0)
  assert np.array_equal(mean, model.predict(inputs, verbose=0))
  layer.inference_output = 'straight_through'
  hard = keras.ops.convert_to_numpy(layer(h, training=False))
  assert np.all(np.isin(hard, window)), hard
  layer.inference_output = 'mean'
  latent_mean = keras.ops.convert_to_numpy(layer(h, training=False))
  log_pi = keras.ops.convert_to_numpy(layer.posterior_log_probs(h))
  assert log_pi.shape == (inputs.shape[0], D, layer.num_outcomes)

  # Training with fit (compiled: XLA on TensorFlow, jit on JAX) and
  # temperature annealing.
  anneal = LAYERS.TemperatureAnnealing(initial=1., minimum=0.5, rate=0.05)
  history = model.fit(inputs, inputs[:, :5], batch_size=8, epochs=2,
                      callbacks=[anneal], verbose=0)
  losses = history.history['loss']
  assert all(np.isfinite(losses)), losses
  # tau after 2 epochs of 2 steps, from the schedule (the last step's).
  assert abs(float(keras.ops.convert_to_numpy(layer.temperature.value)) -
             anneal.value_at(3)) < 1e-6

  # Save and reload: the same deterministic outputs and the same config.
  model.save(OUT / f'{name}.keras')
  reloaded = keras.models.load_model(OUT / f'{name}.keras')
  again = reloaded.get_layer(layer.name)
  assert again.get_config() == layer.get_config()
  layer.inference_output = again.inference_output = 'mean'
  saved_mean = model.predict(inputs, verbose=0)
  np.testing.assert_allclose(reloaded.predict(inputs, verbose=0), saved_mean,
                             rtol=1e-6)
  return dict(mean_output=mean.tolist(), latent_mean=latent_mean.tolist(),
              kl_loss=kl_loss, log_pi=log_pi.tolist(),
              saved_mean_output=saved_mean.tolist())


def check_fit_first(inputs):
  """`fit` on a model never called: Keras builds it symbolically first (on
  PyTorch with "meta" tensors that hold no data)."""
  for name in ('poisson_implicit_gumbel_rao', 'geometric_explicit_st'):
    model, _ = build(name)
    model.compile('adam', 'mse', jit_compile=JIT)
    history = model.fit(inputs, inputs[:, :5], batch_size=8, epochs=1,
                        verbose=0)
    assert np.isfinite(history.history['loss'][-1]), name


def check_errors():
  """What a backend does not offer fails at once, naming it."""
  messages = {}
  for name in REFUSED.get(BACKEND, ()):
    try:
      CONFIGS[name]()
      raise AssertionError(f'{name} was accepted on {BACKEND}')
    except ValueError as e:
      messages[name] = str(e)
  if BACKEND != 'tensorflow':
    try:
      LAYERS.GenGSPoissonLayer(prior_rate=2., relaxation='eat_cubic')
      raise AssertionError('EAT was accepted on ' + BACKEND)
    except ValueError as e:
      messages['eat'] = str(e)
    layer = LAYERS.GenGSPoissonLayer(prior_rate=2., high=8)
    try:
      layer.posterior(np.zeros((2, D), 'float32'))
      raise AssertionError('posterior() returned on ' + BACKEND)
    except NotImplementedError as e:
      messages['posterior'] = str(e)
  return messages


def main(out_dir, load_dir=None):
  global OUT
  OUT = pathlib.Path(out_dir)
  OUT.mkdir(parents=True, exist_ok=True)
  keras.utils.set_random_seed(0)
  inputs = np.random.RandomState(1).randn(16, 5).astype('float32')
  results = {'backend': BACKEND, 'configs': {}, 'loaded': {},
             'errors': check_errors()}
  check_fit_first(inputs)
  names = [n for n in CONFIGS if n not in REFUSED.get(BACKEND, ())]
  for name in names:
    results['configs'][name] = check(name, inputs)
  if load_dir is not None:
    for name in names:
      model = keras.models.load_model(pathlib.Path(load_dir) / f'{name}.keras',
                                      compile=False)
      model.compile('adam', 'mse', jit_compile=JIT)
      for layer in model.layers:
        if isinstance(layer, LAYERS.GenGSLayer):
          layer.inference_output = 'mean'
      results['loaded'][name] = model.predict(inputs, verbose=0).tolist()
  (OUT / 'results.json').write_text(json.dumps(results))
  print(f'contract passed on {BACKEND}', file=sys.stderr)


if __name__ == '__main__':
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  main(*sys.argv[1:])
