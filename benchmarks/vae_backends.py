r"""The MNIST Poisson(2) GenGS (Im.) VAE trained with Keras `fit` on each
Keras backend (issue 20): seconds per epoch, relaxed and hard test -ELBO.

One script, the same model and protocol on every backend, each backend in
its own process (`KERAS_BACKEND` is fixed at import), one after the other:

* model: the VAE study's network (`experiments.vae.models.build_vae`:
  784-512-256 encoder, `d = 50`, implicit posterior over the Poisson(2)
  window {0..12}, decoder 256-512-784, output bias at the pixel means'
  logits), its `keras.Model` compiled with Adam(1e-3) and the per-image
  Bernoulli negative log-likelihood summed over pixels (the layer adds the
  KL), `jit_compile=True` (XLA on TensorFlow, jit on JAX);
* data: binarized MNIST (the paper's static split, 50,000 training images,
  batch 100, reshuffled each epoch from the seed);
* temperature: `TemperatureAnnealing(initial=1, minimum=0.3, rate=1e-4)`,
  per step: the committed 25-epoch cell's `--tau_min=0.3 --tau_rate=1e-4`;
* evaluation after the last epoch (no epoch selection, unlike the
  committed cell, which picks the epoch by validation hard ELBO): the test
  -ELBO averaged over `--eval_samples` posterior samples per image, relaxed
  (`inference_output='sample'`, at the final tau) and hard
  (`'straight_through'`: exact samples), by `model.evaluate`.

The committed cell trains with the study's own `tf.function` loop
(`python -m tfp_gengs.experiments.vae`), not `fit`; this script compares the
backends with each other first, and both with that cell.

Usage:
  python -m benchmarks.vae_backends --data_dir=../shared/data \
      [--backends=tensorflow,jax] [--epochs=25] [--seeds=0,1,2]
"""

import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
import numpy as np  # noqa: E402

flags.DEFINE_list('backends', ['tensorflow', 'jax'], 'Keras backends.')
flags.DEFINE_string('data_dir', None, 'The data folder (binarized_mnist/).')
flags.DEFINE_integer('epochs', 25, 'Training epochs.')
flags.DEFINE_list('seeds', ['0'], 'Seeds (weights, data order, noise); '
                  'each backend runs each.')
flags.DEFINE_integer('seed', 0, 'Internal: this child\'s seed.')
flags.DEFINE_integer('eval_samples', 10, 'Posterior samples per test image.')
flags.DEFINE_integer('train_examples', 0, 'First N training images (0: all).')
flags.DEFINE_string('result_json', None, 'Internal: one backend\'s result.')
flags.DEFINE_string('output', 'benchmarks/results/vae_backends.md',
                    'Markdown report written here.')
FLAGS = flags.FLAGS

BATCH = 100
TAU = dict(initial=1., minimum=0.3, rate=1e-4)


def train_and_evaluate():
  """One backend (this process's): `dict` of settings, times and ELBOs."""
  import keras  # pylint: disable=g-import-not-at-top
  import tfp_gengs as gengs  # pylint: disable=g-import-not-at-top
  from tfp_gengs.experiments.vae import models  # pylint: disable=g-import-not-at-top

  splits = gengs.datasets.binarized_mnist(FLAGS.data_dir)
  train, test = splits.train, splits.test
  if FLAGS.train_examples:
    train = train[:FLAGS.train_examples]
  vae, info = models.build_vae('poisson2', 'implicit', seed=FLAGS.seed,
                               pixel_mean=train.mean(0))
  model = vae.model

  def negative_log_likelihood(x, logits):
    return keras.ops.sum(keras.ops.binary_crossentropy(
        x, logits, from_logits=True), axis=-1)

  model.compile(keras.optimizers.Adam(1e-3), negative_log_likelihood,
                jit_compile=True)
  epoch_seconds = []

  class Clock(keras.callbacks.Callback):

    def on_epoch_begin(self, epoch, logs=None):
      self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
      epoch_seconds.append(time.perf_counter() - self.start)
      print(f'[{keras.backend.backend()} epoch {epoch + 1}/{FLAGS.epochs}] '
            f'train {logs["loss"]:.2f}  {epoch_seconds[-1]:.1f} s',
            flush=True)

  keras.utils.set_random_seed(FLAGS.seed)
  anneal = gengs.layers.TemperatureAnnealing(**TAU)
  history = model.fit(train, train, batch_size=BATCH, epochs=FLAGS.epochs,
                      shuffle=True, callbacks=[anneal, Clock()], verbose=0)
  tau = float(keras.ops.convert_to_numpy(vae.latent.temperature.value))

  def test_elbo(output):
    vae.latent.inference_output = output
    values = [model.evaluate(test, test, batch_size=500, verbose=0,
                             return_dict=True)['loss']
              for _ in range(FLAGS.eval_samples)]
    return float(np.mean(values))

  return dict(
      backend=keras.backend.backend(), keras=keras.__version__,
      seed=FLAGS.seed,
      window=f'{{{info["low"]}..{info["high"]}}}', final_tau=tau,
      train_loss=float(history.history['loss'][-1]),
      seconds_per_epoch=float(np.median(epoch_seconds[1:] or epoch_seconds)),
      first_epoch_seconds=float(epoch_seconds[0]),
      relaxed=test_elbo('sample'), hard=test_elbo('straight_through'))


def report(results, elapsed):
  from benchmarks import machine  # pylint: disable=g-import-not-at-top
  command = (f'python -m benchmarks.vae_backends --data_dir=<data folder> '
             f'--backends={",".join(FLAGS.backends)} --epochs={FLAGS.epochs} '
             f'--seeds={",".join(FLAGS.seeds)} '
             f'--eval_samples={FLAGS.eval_samples}' + (
                 f' --train_examples={FLAGS.train_examples}'
                 if FLAGS.train_examples else ''))
  lines = [
      '# The MNIST Poisson(2) GenGS (Im.) VAE on the TensorFlow and JAX '
      'Keras backends',
      '',
      f'Machine: {machine.describe()}. `{command}` ({elapsed:.0f} s; load '
      f'average {os.getloadavg()[0]:.1f} at the end).',
      '',
      f'Settings: binarized MNIST (static, 50,000 training / 10,000 test '
      f'images), 784-512-256 encoder, d = 50, implicit posterior over the '
      f'window {results[0]["window"]}, Adam 1e-3, batch {BATCH}, '
      f'{FLAGS.epochs} epochs, tau = max(0.3, '
      'exp(-1e-4 step)) per step; Keras `fit` with `jit_compile=True`; test '
      f'-ELBO (nats) over {FLAGS.eval_samples} posterior samples per image '
      'after the last epoch (no epoch selection). The committed cell '
      '(`results/vae/`, same network, data and schedule, the study\'s own '
      'training loop, epoch selected on validation) spans 108.68-109.35 '
      'hard over seeds 0-2.',
      '',
      '| backend | seed | Keras | s / epoch (median; first epoch) | train '
      'loss | relaxed test -ELBO | hard test -ELBO |',
      '|---|---|---|---|---|---|---|',
  ]
  for r in results:
    lines.append(
        f'| {r["backend"]} | {r["seed"]} | {r["keras"]} | '
        f'{r["seconds_per_epoch"]:.1f} ({r["first_epoch_seconds"]:.1f}) | '
        f'{r["train_loss"]:.2f} | {r["relaxed"]:.2f} | **{r["hard"]:.2f}** |')
  lines += ['', '| backend | seeds | s / epoch | relaxed test -ELBO | hard '
            'test -ELBO |', '|---|---|---|---|---|']
  for backend in FLAGS.backends:
    mine = [r for r in results if r['backend'] == backend]
    cells = []
    for key in ('seconds_per_epoch', 'relaxed', 'hard'):
      values = np.array([r[key] for r in mine])
      spread = f' ± {values.std(ddof=1):.2f}' if len(values) > 1 else ''
      cells.append(f'{values.mean():.2f}{spread}')
    lines.append(f'| {backend} | {len(mine)} | ' + ' | '.join(cells) + ' |')
  lines += ['', '(mean ± standard deviation over seeds.)']
  return '\n'.join(lines) + '\n'


def main(argv):
  del argv
  if FLAGS.result_json:  # a child: this process's backend
    with open(FLAGS.result_json, 'w') as f:
      json.dump(train_and_evaluate(), f)
    return
  start = time.perf_counter()
  results = []
  for seed, backend in [(s, b) for s in FLAGS.seeds for b in FLAGS.backends]:
    with tempfile.TemporaryDirectory() as tmp:
      out = os.path.join(tmp, 'result.json')
      command = [sys.executable, '-m', 'benchmarks.vae_backends',
                 f'--data_dir={FLAGS.data_dir}', f'--epochs={FLAGS.epochs}',
                 f'--seed={seed}',
                 f'--eval_samples={FLAGS.eval_samples}',
                 f'--train_examples={FLAGS.train_examples}',
                 f'--result_json={out}']
      subprocess.run(command, check=True,
                     env=dict(os.environ, KERAS_BACKEND=backend))
      with open(out) as f:
        results.append(json.load(f))
  from benchmarks import machine  # pylint: disable=g-import-not-at-top
  machine.print_and_write(report(results, time.perf_counter() - start),
                          FLAGS.output)


if __name__ == '__main__':
  app.run(main)
