r"""Keras training-step cost of a GenGS latent layer (issue 9).

The issue's model: an MLP VAE on binarized-MNIST-shaped data (784-512-256
encoder, `Dense(50 * 12)` logits, decoder 256-512-784, Bernoulli
cross-entropy, Adam, batch 100), with three bottlenecks of the same width:

- `deterministic`: the softmax of each latent's 12 logits projected on the
  outcomes 0..11 (the same `[100, 50, 12] -> [100, 50]` map, no noise, no
  KL): what the network costs without a stochastic latent;
- `gengs`: `gengs.layers.GenGSLayer` (implicit inference, prior
  `Poisson(2)` truncated to 0..11, tau = 0.5): Gumbel noise, relaxed
  sample, categorical KL added with `add_loss` and tracked by a metric;
- `gaussian`: a Gaussian latent of the same width (`Dense(2 * 50)`: mean
  and log-variance, reparameterized sample, closed-form KL to N(0, I)).

Each is trained with `model.fit` in graph mode (`jit_compile=False`) and
under XLA (`jit_compile=True`); the timed fits are interleaved round by
round after a warm-up fit, and the table gives the fastest round's seconds
per 100 steps (the least disturbed by other processes on a shared machine;
the median beside it) and the ratios of the fastest rounds to
`deterministic` in the same mode.

`--ablations` also times each bottleneck layer alone (forward and backward
of `[100, 600] -> [100, 50]`, many calls per round), and the GenGS layer's
pieces one at a time (the deterministic map plus only the KL, plus only
the noise, ...), to show where the extra time goes: on a shared machine a
whole training step is too noisy to resolve a millisecond.

The data are random Bernoulli(0.13) pixels of MNIST's shape: the cost of a
step does not depend on the pixel values, and the benchmark needs no
download.

`--backends=tensorflow,jax` times the models on each Keras backend, each
in its own process (`KERAS_BACKEND` is fixed at import), the processes
alternated `--backend_repeats` times: graph and XLA on TensorFlow, `jit`
(Keras's default on JAX) on JAX. The table gives each backend's fastest
round and the ratio of JAX's GenGS step to TensorFlow's best mode.

Usage:
  python -m benchmarks.keras_step [--steps=100] [--rounds=5] [--ablations]
  python -m benchmarks.keras_step --backends=tensorflow,jax
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402

import tfp_gengs as gengs  # noqa: E402
from benchmarks import machine  # noqa: E402
from tfp_gengs.distributions import gumbel_softmax  # noqa: E402
from tfp_gengs.distributions import kullback_leibler  # noqa: E402

flags.DEFINE_integer('steps', 100, 'Training steps per timed fit.')
flags.DEFINE_integer('rounds', 5, 'Interleaved timing rounds.')
flags.DEFINE_integer('batch', 100, 'Batch size.')
flags.DEFINE_integer('latent', 50, 'Latent dimensions d.')
flags.DEFINE_integer('outcomes', 12, 'Outcomes per latent dimension n.')
flags.DEFINE_list('modes', ['graph', 'xla'], 'Execution modes.')
flags.DEFINE_bool('ablations', False, 'Also time the GenGS layer\'s pieces.')
flags.DEFINE_integer('calls', 50, 'Calls per round of the layer ablation.')
flags.DEFINE_bool('models', True, 'Time the whole models (the main table).')
flags.DEFINE_list('gradients', [], 'Also time GenGSLayer(gradient=G) for '
                  'each G (straight_through, reinmax, gumbel_rao): the '
                  'hard-sample gradients of issue 18, as gengs_<G>.')
flags.DEFINE_list('backends', [], 'Time the models on these Keras '
                  'backends side by side (tensorflow, jax), one process '
                  'each; see the module docstring.')
flags.DEFINE_integer('backend_repeats', 2, 'Alternations of the backend '
                     'processes (--backends).')
flags.DEFINE_string('times_json', None, 'Internal (--backends): write the '
                    'raw times here as JSON instead of a report.')
flags.DEFINE_string('output', 'benchmarks/results/keras_step.md',
                    'Markdown report written here.')
FLAGS = flags.FLAGS

PIXELS = 784
TEMPERATURE = 0.5


# ----------------------------------------------------------------------------
# Bottlenecks
# ----------------------------------------------------------------------------


class Deterministic(keras.layers.Layer):
  """`[..., d * n]` logits -> `[..., d]` mean of softmax over `0..n-1`."""

  def __init__(self, latent, outcomes, **kwargs):
    super().__init__(**kwargs)
    self.latent, self.outcomes = latent, outcomes

  def call(self, x):
    x = keras.ops.reshape(x, [-1, self.latent, self.outcomes])
    return keras.ops.matmul(keras.ops.softmax(x),
                            keras.ops.arange(self.outcomes, dtype=x.dtype))


class GaussianLatent(keras.layers.Layer):
  """`[..., 2 d]` -> reparameterized `N(mu, sigma^2)` sample, KL to N(0, I)."""

  def __init__(self, latent, seed=0, **kwargs):
    super().__init__(**kwargs)
    self.latent = latent
    self.seed_generator = keras.random.SeedGenerator(seed)

  def call(self, x):
    ops = keras.ops
    mean, log_var = ops.split(x, 2, axis=-1)
    kl = 0.5 * ops.sum(ops.exp(log_var) + mean**2 - 1. - log_var, -1)
    self.add_loss(ops.mean(kl))
    noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
    return mean + ops.exp(0.5 * log_var) * noise


class GenGSPiece(keras.layers.Layer):
  """The GenGS layer's computation with pieces switched on one at a time.

  `kl`: the categorical KL to the prior with `add_loss`; `metric`: the KL
  metric; `noise`: Gumbel noise and the relaxed sample (else the softmax
  mean); `seed`: a `SeedGenerator` draw per call (else a constant seed);
  `vartemp`: tau read from a weight, as the layer does (else the constant
  0.5); `divide`: divide by that tau (the code before this benchmark)
  instead of multiplying by its inverse; `default_rng`: TensorFlow's default
  stateless generator instead of Philox.
  """

  def __init__(self, prior_logits, kl=False, metric=False, noise=False,
               seed=False, vartemp=False, divide=False, default_rng=False,
               **kwargs):
    super().__init__(**kwargs)
    self.prior_logits = np.asarray(prior_logits, np.float32)
    self.kl, self.metric, self.noise, self.seed = kl, metric, noise, seed
    self.vartemp, self.divide = vartemp, divide
    self.default_rng = default_rng
    self.temperature = self.add_weight(
        shape=(), trainable=False,
        initializer=keras.initializers.Constant(TEMPERATURE))
    self.seed_generator = keras.random.SeedGenerator(0)
    self.kl_metric = keras.metrics.Mean(name=f'{self.name}_kl')
    n = self.prior_logits.shape[-1]
    self.outcome_values = np.arange(n, dtype=np.float32)

  def call(self, x):
    n = self.prior_logits.shape[-1]
    log_pi = tf.reshape(x, [-1, FLAGS.latent, n])
    outcomes = tf.constant(self.outcome_values)
    if self.kl:
      kl = kullback_leibler.categorical_kl(log_pi,
                                           tf.constant(self.prior_logits))
      kl = tf.reduce_mean(tf.reduce_sum(kl, -1))
      self.add_loss(kl)
      if self.metric:
        self.kl_metric.update_state(kl)
    if not self.noise:
      return tf.linalg.matvec(tf.math.softmax(log_pi), outcomes)
    seed = (tf.cast(self.seed_generator.next(), tf.int32) if self.seed
            else tf.constant([1, 2], tf.int32))
    tau = (tf.convert_to_tensor(self.temperature.value) if self.vartemp
           else tf.constant(TEMPERATURE))
    if self.default_rng:  # what tfd.RelaxedOneHotCategorical draws
      u = tf.random.stateless_uniform(tf.shape(log_pi), seed,
                                      minval=np.finfo(np.float32).tiny,
                                      maxval=1.)
    else:
      u = gumbel_softmax.uniform(tf.shape(log_pi), tf.float32, seed)
    noisy = log_pi - tf.math.log(-tf.math.log(u))
    if self.divide:
      x = tf.math.softmax(noisy / tau)
    else:
      x = tf.math.softmax(noisy * tf.math.reciprocal(tau))
    return tf.linalg.matvec(x, outcomes)


def prior_logits():
  n = FLAGS.outcomes
  prior = gengs.truncate(tfp.distributions.Poisson(2.), high=n - 1)
  return prior.logits_parameter().numpy()


def bottleneck(kind):
  """`(width of the encoder's last Dense, layer)` for a bottleneck kind."""
  d, n = FLAGS.latent, FLAGS.outcomes
  if kind == 'deterministic':
    return d * n, Deterministic(d, n)
  if kind == 'gaussian':
    return 2 * d, GaussianLatent(d)
  if kind == 'gengs' or kind.startswith('gengs_'):
    prior = gengs.TruncatedDiscrete(np.arange(n, dtype=np.float32),
                                    logits=prior_logits())
    gradient = kind[len('gengs_'):] or 'relaxed'
    return d * n, gengs.layers.GenGSLayer(
        prior, temperature=TEMPERATURE, inference='implicit', seed=0,
        gradient=gradient)
  pieces = dict(kl='kl' in kind, metric='metric' in kind,
                noise='noise' in kind, seed='seed' in kind,
                vartemp='vartemp' in kind, divide='divide' in kind,
                default_rng='default_rng' in kind)
  return d * n, GenGSPiece(prior_logits(), **pieces)


def make_model(kind, jit_compile):
  keras.utils.set_random_seed(0)
  width, latent = bottleneck(kind)
  x = keras.Input((PIXELS,))
  h = keras.layers.Dense(512, activation='relu')(x)
  h = keras.layers.Dense(256, activation='relu')(h)
  z = latent(keras.layers.Dense(width)(h))
  h = keras.layers.Dense(256, activation='relu')(z)
  h = keras.layers.Dense(512, activation='relu')(h)
  model = keras.Model(x, keras.layers.Dense(PIXELS)(h))
  model.compile(keras.optimizers.Adam(1e-3),
                keras.losses.BinaryCrossentropy(from_logits=True),
                jit_compile=jit_compile)
  return model


# ----------------------------------------------------------------------------
# Timing
# ----------------------------------------------------------------------------


def _jit(mode):
  """`jit_compile` of a mode: XLA on TensorFlow, jit on JAX."""
  return mode in ('xla', 'jit')


def time_all(kinds, modes):
  """`{(kind, mode): [seconds per fit]}`, interleaved over rounds."""
  rng = np.random.default_rng(0)
  data = (rng.random([FLAGS.steps * FLAGS.batch, PIXELS]) < 0.13).astype(
      np.float32)
  fit = dict(batch_size=FLAGS.batch, epochs=1, shuffle=False, verbose=0)
  models = {}
  for kind in kinds:
    for mode in modes:
      model = make_model(kind, jit_compile=_jit(mode))
      model.fit(data[:4 * FLAGS.batch], data[:4 * FLAGS.batch], **fit)
      models[kind, mode] = model
  times = {key: [] for key in models}
  for _ in range(FLAGS.rounds):
    for key, model in models.items():
      start = time.perf_counter()
      model.fit(data, data, **fit)
      times[key].append(time.perf_counter() - start)
  return times


ABLATIONS = ('deterministic', 'kl_metric', 'noise_seed',
             'kl_metric_noise_seed', 'kl_metric_noise_seed_vartemp',
             'kl_metric_noise_seed_vartemp_divide',
             'noise_seed_tf_default_rng', 'gengs', 'gaussian')


def time_layers(kinds, modes):
  """`{(kind, mode): ms per call}` of each bottleneck layer alone."""
  steps = {}
  for kind in kinds:
    for mode in modes:
      width, layer = bottleneck(kind)
      x = tf.random.stateless_normal([FLAGS.batch, width], [0, 0])

      def step(x, layer=layer):
        with tf.GradientTape() as tape:
          tape.watch(x)
          z = layer(x, training=True)
          loss = tf.reduce_sum(tf.square(z)) + tf.add_n(
              [tf.zeros([])] + list(layer.losses))
        return tape.gradient(loss, x)

      step = tf.function(step, jit_compile=(mode == 'xla'))
      step(x).numpy()  # trace, compile, build
      steps[kind, mode] = (step, x)
  times = {key: [] for key in steps}
  for _ in range(FLAGS.rounds):
    for key, (step, x) in steps.items():
      start = time.perf_counter()
      for _ in range(FLAGS.calls):
        grad = step(x)
      grad.numpy()
      times[key].append((time.perf_counter() - start) / FLAGS.calls * 1e3)
  return {key: min(values) for key, values in times.items()}


def report(times, ablation_times, elapsed):
  command = (f'python -m benchmarks.keras_step --steps={FLAGS.steps} '
             f'--rounds={FLAGS.rounds} --modes={",".join(FLAGS.modes)}' +
             (f' --ablations --calls={FLAGS.calls}' if ablation_times else '')
             + ('' if times else ' --nomodels') +
             (f' --gradients={",".join(FLAGS.gradients)}'
              if FLAGS.gradients else ''))
  lines = [
      '# Keras training step: GenGS layer vs deterministic and Gaussian',
      '',
      f'Machine: {machine.describe()}.',
      '',
      f'`{command}` ({elapsed:.0f} s; load average {LOAD[0]:.1f} at the '
      f'start, {os.getloadavg()[0]:.1f} at the end' + (
          ': above the core count, other processes shared the CPU and the '
          'times are noisy).' if max(LOAD[0], os.getloadavg()[0]) >
          os.cpu_count() else '; below the core count).'),
  ]
  if times:
    per_100 = 100. / FLAGS.steps
    best = {k: min(v) * per_100 for k, v in times.items()}
    median = {k: statistics.median(v) * per_100 for k, v in times.items()}
    lines += [
        '',
        f'MLP VAE 784-512-256, bottleneck of {FLAGS.latent} latents x '
        f'{FLAGS.outcomes} outcomes, batch {FLAGS.batch}, Adam; `model.fit` '
        f'of {FLAGS.steps} steps, {FLAGS.rounds} interleaved rounds after a '
        'warm-up fit, seconds per 100 steps of the fastest round (median in '
        'brackets); ratio of the fastest rounds to `deterministic` in the '
        'same mode. Target of issue 9: GenGS at most 1.10x; `gengs_<G>` '
        'is the layer with `gradient=G`, and its ratio to `gengs` (the '
        'relaxed layer) is the hard-sample gradient\'s extra cost (issue '
        '18: at most 1.10x).',
        '',
        '| bottleneck | mode | s / 100 steps | ratio | ratio to gengs |',
        '|---|---|---|---|---|',
    ]
    for kind in _model_kinds():
      for mode in FLAGS.modes:
        ratio = best[kind, mode] / best['deterministic', mode]
        to_gengs = best[kind, mode] / best['gengs', mode]
        lines.append(f'| {kind} | {mode} | {best[kind, mode]:.3f} '
                     f'[{median[kind, mode]:.3f}] | {ratio:.3f} | '
                     f'{to_gengs:.3f} |')
  if ablation_times:
    lines += [
        '',
        '## Where the time goes: each bottleneck layer alone',
        '',
        f'Forward and backward of the bottleneck alone on a [{FLAGS.batch}, '
        f'{FLAGS.latent * FLAGS.outcomes}] input (`tf.function`, with '
        f'`jit_compile=True` for xla), mean of {FLAGS.calls} calls, fastest '
        f'of {FLAGS.rounds} interleaved rounds, in milliseconds per call. '
        'The GenGS pieces: `kl` the categorical KL to the prior with '
        '`add_loss`, `metric` the KL metric, `noise` the Gumbel noise and '
        'relaxed sample, `seed` a `SeedGenerator` draw per call, `vartemp` '
        'tau read from a weight (else the constant 0.5), `divide` dividing '
        'by that tau (the sampler before this benchmark) instead of '
        'multiplying by 1 / tau (the sampler now), `tf_default_rng` '
        'TensorFlow\'s default stateless generator instead of Philox (what '
        '`tfd.RelaxedOneHotCategorical` and `keras.random` draw with). '
        '`gengs` is the library\'s `GenGSLayer`, `gaussian` the Gaussian '
        'latent above.',
        '',
        '| layer | ' + ' | '.join(f'{m} ms' for m in FLAGS.modes) +
        ' | ' + ' | '.join(f'{m} extra ms' for m in FLAGS.modes) + ' |',
        '|---|' + '---|' * (2 * len(FLAGS.modes)),
    ]
    for kind in ABLATIONS:
      base = {m: ablation_times['deterministic', m] for m in FLAGS.modes}
      cells = [f'{ablation_times[kind, m]:.3f}' for m in FLAGS.modes]
      cells += [f'{ablation_times[kind, m] - base[m]:+.3f}'
                for m in FLAGS.modes]
      lines.append(f'| {kind} | ' + ' | '.join(cells) + ' |')
  return '\n'.join(lines) + '\n'


LOAD = [0.]

BACKEND_MODES = {'tensorflow': ('graph', 'xla'), 'jax': ('jit',)}


def time_backends():
  """`{(backend, kind, mode): [seconds per fit]}`, one child process per
  backend, alternated `--backend_repeats` times."""
  times = {}
  for _ in range(FLAGS.backend_repeats):
    for backend in FLAGS.backends:
      if backend not in BACKEND_MODES:
        raise app.UsageError(f'--backends: {backend!r} is not one of '
                             f'{sorted(BACKEND_MODES)}.')
      with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'times.json')
        command = [
            sys.executable, '-m', 'benchmarks.keras_step',
            f'--steps={FLAGS.steps}', f'--rounds={FLAGS.rounds}',
            f'--batch={FLAGS.batch}', f'--latent={FLAGS.latent}',
            f'--outcomes={FLAGS.outcomes}',
            f'--modes={",".join(BACKEND_MODES[backend])}',
            f'--gradients={",".join(FLAGS.gradients)}',
            f'--times_json={out}']
        print(f'timing on {backend} ...', flush=True)
        subprocess.run(command, check=True,
                       env=dict(os.environ, KERAS_BACKEND=backend))
        with open(out) as f:
          for key, values in json.load(f).items():
            kind, mode = key.split('|')
            times.setdefault((backend, kind, mode), []).extend(values)
  return times


def report_backends(times, elapsed):
  """The side-by-side table of `time_backends`."""
  per_100 = 100. / FLAGS.steps
  best = {k: min(v) * per_100 for k, v in times.items()}
  median = {k: statistics.median(v) * per_100 for k, v in times.items()}
  command = (f'python -m benchmarks.keras_step --backends='
             f'{",".join(FLAGS.backends)} --backend_repeats='
             f'{FLAGS.backend_repeats} --steps={FLAGS.steps} '
             f'--rounds={FLAGS.rounds}' + (
                 f' --gradients={",".join(FLAGS.gradients)}'
                 if FLAGS.gradients else ''))
  versions = backend_versions()
  lines = [
      '# Keras training step on the TensorFlow and JAX backends',
      '',
      f'Machine: {machine.describe()}. {versions}.',
      '',
      f'`{command}` ({elapsed:.0f} s; load average {LOAD[0]:.1f} at the '
      f'start, {os.getloadavg()[0]:.1f} at the end).',
      '',
      f'The model of `keras_step.md` (MLP VAE 784-512-256, {FLAGS.latent} '
      f'latents x {FLAGS.outcomes} outcomes, batch {FLAGS.batch}, Adam, '
      f'`model.fit` of {FLAGS.steps} steps), the same code on each Keras '
      'backend, one process per backend alternated '
      f'{FLAGS.backend_repeats} times x {FLAGS.rounds} rounds: seconds per '
      '100 steps of the fastest round (median in brackets). "ratio to TF '
      'best" divides by the same bottleneck on TensorFlow in its faster '
      'mode (issue 20 target for `gengs`: JAX at most 1.0x).',
      '',
      '| bottleneck | backend | mode | s / 100 steps | ratio to '
      'deterministic | ratio to TF best |',
      '|---|---|---|---|---|---|',
  ]
  for kind in _model_kinds():
    tf_best = min(best[b, k, m] for b, k, m in best
                  if b == 'tensorflow' and k == kind) if (
                      'tensorflow' in FLAGS.backends) else None
    for backend in FLAGS.backends:
      for mode in BACKEND_MODES[backend]:
        key = (backend, kind, mode)
        to_det = best[key] / best[backend, 'deterministic', mode]
        to_tf = f'{best[key] / tf_best:.3f}' if tf_best else '-'
        lines.append(f'| {kind} | {backend} | {mode} | {best[key]:.3f} '
                     f'[{median[key]:.3f}] | {to_det:.3f} | {to_tf} |')
  return '\n'.join(lines) + '\n'


def backend_versions():
  import importlib.metadata  # pylint: disable=g-import-not-at-top
  names = ('keras', 'jax')
  found = []
  for name in names:
    try:
      found.append(f'{name} {importlib.metadata.version(name)}')
    except importlib.metadata.PackageNotFoundError:
      pass
  return ', '.join(found)


def _model_kinds():
  return (['deterministic', 'gengs'] +
          [f'gengs_{g}' for g in FLAGS.gradients] + ['gaussian'])


def main(argv):
  del argv
  LOAD[0] = os.getloadavg()[0]
  tf.get_logger().setLevel('ERROR')  # one tf.function per variant, by design
  start = time.perf_counter()
  if FLAGS.times_json:  # a child of --backends
    times = time_all(_model_kinds(), FLAGS.modes)
    with open(FLAGS.times_json, 'w') as f:
      json.dump({f'{k}|{m}': v for (k, m), v in times.items()}, f)
    return
  if FLAGS.backends:
    times = time_backends()
    text = report_backends(times, time.perf_counter() - start)
    machine.print_and_write(text, FLAGS.output)
    return
  times = None
  if FLAGS.models:
    times = time_all(_model_kinds(), FLAGS.modes)
  ablation_times = None
  if FLAGS.ablations:
    ablation_times = time_layers(ABLATIONS, FLAGS.modes)
  text = report(times, ablation_times, time.perf_counter() - start)
  machine.print_and_write(text, FLAGS.output)


if __name__ == '__main__':
  app.run(main)
