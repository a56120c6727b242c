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

  `i = 0..N-1`; worker 0 (the chief) writes the output folder, worker `i`
  its own copy in `DIR/worker-<i>` (each worker checkpoints, as TensorFlow
  asks, and evaluates; their numbers agree). Every worker needs the data
  (`--data_dir`); each takes its replicas' slices of every global batch.

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


# One strategy per kind and process: a second `MirroredStrategy` over the
# same devices restarts the collective instance keys and its all-reduces
# collide with the first one's (a shape mismatch at run time), and
# `MultiWorkerMirroredStrategy` must be created once, at start.
_CACHE = {}


def make_strategy(name):
  """The `tf.distribute.Strategy` called `name` (one of `STRATEGIES`).

  The same object is returned for the same name within a process (see
  `_CACHE`), so a grid of runs shares it.
  """
  if name == 'default':
    return tf.distribute.get_strategy()
  if name not in STRATEGIES:
    raise ValueError(f'Unknown strategy {name!r}; choose from {STRATEGIES}.')
  if name not in _CACHE:
    if name == 'mirrored':
      _CACHE[name] = tf.distribute.MirroredStrategy()
    else:
      if 'TF_CONFIG' not in os.environ:
        raise ValueError(
            '--strategy=multi_worker needs the TF_CONFIG environment '
            'variable (cluster and task); see '
            'tfp_gengs/experiments/common/distribute.py.')
      _CACHE[name] = tf.distribute.MultiWorkerMirroredStrategy()
  return _CACHE[name]


def task_index():
  """This worker's index in `TF_CONFIG` (0 without one)."""
  config = json.loads(os.environ.get('TF_CONFIG', '{}') or '{}')
  return int(config.get('task', {}).get('index', 0))


def is_chief():
  """Whether this process writes the shared outputs (worker 0)."""
  return task_index() == 0
