"""The relaxed GenGS sample `T(softmax((log pi + g) / tau))` (steps 2 and 3).

One fused function used by the relaxed distributions, the Keras layers, the
estimators and the benchmarks, so every path draws the same numbers for the
same seed. `uniform` is the package's one uniform sampler (one Philox key
derivation, `samplers.sanitize_seed`): every other noise derives from it.
"""

from typing import Any

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import samplers

from tfp_gengs.internal import outcomes as outcomes_lib

try:  # Private TF API: only used to pick the fastest random generator.
  from tensorflow.python.ops import control_flow_util  # pylint: disable=g-direct-tensorflow-import
except ImportError:  # pragma: no cover
  control_flow_util = None

__all__ = [
    'uniform',
    'gumbel_noise',
    'perturbed_logits',
    'relaxed_one_hot',
    'project',
    'relaxed_outcomes',
]


def _in_xla_context():
  """Whether ops are being built for XLA (`tf.function(jit_compile=True)`)."""
  if control_flow_util is None:
    return True  # Unknown: take the generator that is fast everywhere.
  return control_flow_util.GraphOrParentsInXlaContext(
      tf.compat.v1.get_default_graph())


def uniform(shape: Any, dtype: tf.DType, seed: Any) -> tf.Tensor:
  """`Uniform(tiny, 1)` draws, the way that is fastest in each mode.

  Outside XLA: TensorFlow's default stateless generator (Philox on the CPU),
  the same numbers `tfd.RelaxedOneHotCategorical` draws for the same seed.
  Under XLA: Philox named explicitly, because the default key derivation
  compiles to a generator about 100x slower on the CPU (see
  `benchmarks/results/sampling.md`); outside XLA, naming it would add a
  dozen seed-scrambling ops per call. XLA's Philox stream differs from the
  CPU kernels' (as for every TF sampler): the same seed gives different,
  equally distributed, values there.
  """
  seed = samplers.sanitize_seed(seed)
  tiny = np.finfo(dtype.as_numpy_dtype).tiny
  if _in_xla_context():
    return tf.random.stateless_uniform(shape, seed, minval=tiny, maxval=1.,
                                       dtype=dtype, alg='philox')
  return tf.random.stateless_uniform(shape, seed, minval=tiny, maxval=1.,
                                     dtype=dtype)


_uniform = uniform  # the former private name, still used by some callers


def _log_exponential_noise(shape, dtype, seed):
  """`log(-log(u))`, i.e. minus the Gumbel noise, one negation fewer."""
  return tf.math.log(-tf.math.log(uniform(shape, dtype, seed)))


def gumbel_noise(shape: Any, dtype: tf.DType, seed: Any) -> tf.Tensor:
  """Standard Gumbel noise `g = -log(-log(u))`, `u ~ Uniform(tiny, 1)`."""
  return -_log_exponential_noise(shape, dtype, seed)


def perturbed_logits(logits: Any, temperature: Any, sample_shape: Any = (),
                     seed: Any = None) -> tf.Tensor:
  """`logits + g`, `g` standard Gumbel, `sample_shape + batch_shape + [n]`.

  The batch shape broadcasts `logits.shape[:-1]` with the temperature's;
  its argmax is the Gumbel-Max category, the same one `relaxed_one_hot`
  relaxes for the same seed.
  """
  logits = tf.convert_to_tensor(logits)
  temperature = tf.convert_to_tensor(temperature, dtype=logits.dtype)
  sample_shape = ps.reshape(
      ps.convert_to_shape_tensor(ps.cast(sample_shape, tf.int32)), [-1])
  batch_shape = ps.broadcast_shape(ps.shape(temperature),
                                   ps.shape(logits)[:-1])
  shape = ps.concat([sample_shape, batch_shape, ps.shape(logits)[-1:]], 0)
  return logits - _log_exponential_noise(shape, logits.dtype, seed)


def relaxed_one_hot(logits: Any, temperature: Any, sample_shape: Any = (),
                    seed: Any = None) -> tuple[tf.Tensor, tf.Tensor]:
  """`(x, noisy_logits)`: Gumbel-Softmax samples and `logits + g`.

  Args:
    logits: `[..., n]` logits of `pi` (need not be normalized).
    temperature: positive tensor broadcastable to `logits.shape[:-1]`.
    sample_shape: shape of independent draws prepended to the batch shape.
    seed: int or stateless seed.

  Returns:
    x: `softmax((logits + g) / temperature)`, shape
      `sample_shape + batch_shape + [n]`.
    noisy_logits: `logits + g`; its argmax is the Gumbel-Max category
      (paper Theorem 3).
  """
  logits = tf.convert_to_tensor(logits)
  temperature = tf.convert_to_tensor(temperature, dtype=logits.dtype)
  noisy_logits = perturbed_logits(logits, temperature, sample_shape, seed)
  # Multiply by 1 / tau rather than divide by tau: under XLA on the CPU a
  # division by a run-time tau (the layers' temperature variable) costs as
  # much as the rest of the layer (benchmarks/results/keras_step.md).
  inverse_temperature = tf.math.reciprocal(temperature)[..., tf.newaxis]
  x = tf.math.softmax(noisy_logits * inverse_temperature)
  return x, noisy_logits


project = outcomes_lib.project


def relaxed_outcomes(logits: Any, temperature: Any, outcomes: Any,
                     sample_shape: Any = (), seed: Any = None,
                     straight_through: bool = False) -> tf.Tensor:
  """A GenGS sample: `T(GS(pi, tau))`, optionally straight-through.

  With `straight_through=True` the forward value is the exact outcome
  `T(one_hot(argmax(log pi + g)))` and the gradient is that of the relaxed
  value: `T(hard) + T(soft) - stop_gradient(T(soft))`.

  Returns:
    Samples of shape `sample_shape + batch_shape + outcome_shape`.
  """
  x, noisy_logits = relaxed_one_hot(logits, temperature, sample_shape, seed)
  soft = project(x, outcomes)
  if not straight_through:
    return soft
  hard = tf.gather(outcomes, tf.argmax(noisy_logits, axis=-1))
  return hard + (soft - tf.stop_gradient(soft))
