"""`--strategy`: TensorFlow's own engines for data-parallel training.

* `default`: one device, no distribution (`tf.distribute.get_strategy()`).
* `mirrored`: `tf.distribute.MirroredStrategy` over the local devices (GPUs,
  or the logical CPU devices a test configures), synchronous all-reduce.
* `multi_worker`: `tf.distribute.MultiWorkerMirroredStrategy` across
  processes and machines, configured by the `TF_CONFIG` environment
  variable. On each of `N` machines run the same command with

  ```none
  TF_CONFIG='{"cluster": {"worker": ["host0:port", "host1:port", ...]},
              "task": {"type": "worker", "index": i}}'
  ```

  `i = 0..N-1`; worker 0 (the chief) writes the output folder, the others
  write theirs to `DIR/worker-<i>` (checkpoints must be written by every
  worker; TensorFlow requires it).

The global batch is split across replicas; with a per-replica batch
`B / R`, one synchronous step computes the same mean gradient as a single
device with batch `B` (up to floating-point summation order and the
per-replica random streams).
"""

import json
import os

import tensorflow.compat.v2 as tf

__all__ = ['STRATEGIES', 'make_strategy', 'is_chief', 'task_index']

STRATEGIES = ('default', 'mirrored', 'multi_worker')


def make_strategy(name):
  """The `tf.distribute.Strategy` called `name` (one of `STRATEGIES`)."""
  if name == 'default':
    return tf.distribute.get_strategy()
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy()
  if name == 'multi_worker':
    if 'TF_CONFIG' not in os.environ:
      raise ValueError(
          '--strategy=multi_worker needs the TF_CONFIG environment variable '
          '(cluster and task); see tfp_gengs/experiments/distribute.py.')
    return tf.distribute.MultiWorkerMirroredStrategy()
  raise ValueError(f'Unknown strategy {name!r}; choose from {STRATEGIES}.')


def task_index():
  """This worker's index in `TF_CONFIG` (0 without one)."""
  config = json.loads(os.environ.get('TF_CONFIG', '{}') or '{}')
  return int(config.get('task', {}).get('index', 0))


def is_chief():
  """Whether this process writes the shared outputs (worker 0)."""
  return task_index() == 0
