"""`as_dataset`: a seeded `tf.data` pipeline over a numpy array."""

import numpy as np
import tensorflow.compat.v2 as tf

__all__ = ['as_dataset']

_BINARIZE = (None, 'dynamic', 'threshold')


def as_dataset(x, batch_size, shuffle=True, seed=0, binarize=None,
               repeat=False, drop_remainder=False):
  """A `tf.data.Dataset` of float32 batches of the rows of `x`.

  The pipeline is: slices of `x` -> shuffle (buffer = all of `x`, `seed`,
  a new order each epoch) -> repeat (if asked) -> batch -> binarize (if
  asked) -> prefetch. Everything random is seeded, so two datasets built
  with the same arguments give the same batches, epoch by epoch.

  * `binarize='dynamic'`: each batch is resampled as `Bernoulli(x)` every
    time it is produced, so each epoch sees a new binarization (dynamic
    binarization of grey MNIST). The uniforms come from stateless random ops
    whose seeds come from `tf.data.Dataset.random(seed,
    rerandomize_each_iteration=True)`: deterministic given `seed`, different
    in every epoch (every new iterator, and every pass of `repeat=True`).
    `x` must lie in `[0, 1]`.
  * `binarize='threshold'`: `x > 0.5`, as float32.

  Args:
    x: array-like `[N, ...]` (converted to float32).
    batch_size: examples per batch.
    shuffle: shuffle the examples, anew each epoch.
    seed: integer seed of the shuffle and of the dynamic binarization.
    binarize: `None`, `'dynamic'` or `'threshold'`.
    repeat: repeat indefinitely (the shuffle order changes each pass).
    drop_remainder: drop the last, smaller batch (of each epoch, or of the
      endless stream when `repeat`).

  Returns:
    A `tf.data.Dataset` of float32 tensors `[batch_size, ...]`.

  Raises:
    ValueError: unknown `binarize`, `batch_size < 1`, or `x` outside
      `[0, 1]` with `binarize='dynamic'`.
  """
  if binarize not in _BINARIZE:
    raise ValueError(f'binarize must be one of {_BINARIZE}; got {binarize!r}.')
  if int(batch_size) != batch_size or batch_size < 1:
    raise ValueError(f'batch_size must be a positive integer; got '
                     f'{batch_size!r}.')
  x = np.asarray(x, dtype=np.float32)
  if binarize == 'dynamic' and x.size and (x.min() < 0. or x.max() > 1.):
    raise ValueError('Dynamic binarization needs values in [0, 1]; got '
                     f'[{x.min()}, {x.max()}].')
  ds = tf.data.Dataset.from_tensor_slices(x)
  if shuffle:
    ds = ds.shuffle(max(len(x), 1), seed=seed, reshuffle_each_iteration=True)
  if repeat:
    ds = ds.repeat()
  ds = ds.batch(int(batch_size), drop_remainder=drop_remainder)
  if binarize == 'dynamic':
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    ds = tf.data.Dataset.zip((ds, seeds)).map(
        _bernoulli, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  elif binarize == 'threshold':
    ds = ds.map(lambda b: tf.cast(b > 0.5, tf.float32),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  return ds.prefetch(tf.data.AUTOTUNE)


def _bernoulli(batch, seed):
  uniform = tf.random.stateless_uniform(
      tf.shape(batch), seed=tf.stack([seed, tf.constant(0, tf.int64)]),
      dtype=tf.float32)
  return tf.cast(uniform < batch, tf.float32)
