"""The output folder of an experiment: JSON, text and the machine it ran on.

Every experiment writes into one folder (`--output_dir`):

```none
DIR/results.json     every setting and every number (`OutputFolder.write_json`)
DIR/summary.md       the human-readable report     (`OutputFolder.write_text`)
DIR/*.png            plots                         (`common.plots`)
DIR/tensorboard/     scalars                       (`common.tensorboard`)
DIR/checkpoints/     resumable state               (`common.checkpointing`)
```

Files are written atomically (a temporary file renamed into place), so a run
killed while writing never leaves a truncated `results.json` behind.
"""

import json
import math
import os
import platform
import socket
import tempfile

import numpy as np

__all__ = ['OutputFolder', 'describe_machine', 'machine', 'to_jsonable']


def to_jsonable(value):
  """`value` with numpy scalars/arrays and tuples made JSON-friendly.

  Non-finite floats become `None` (JSON has no NaN), so the file is strict
  JSON that any reader accepts.
  """
  if isinstance(value, dict):
    return {str(k): to_jsonable(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [to_jsonable(v) for v in value]
  if isinstance(value, np.ndarray):
    return to_jsonable(value.tolist())
  if isinstance(value, np.generic):
    return to_jsonable(value.item())
  if isinstance(value, float) and not math.isfinite(value):
    return None
  return value


def _cpu_model():
  try:
    with open('/proc/cpuinfo') as f:
      for line in f:
        if line.startswith('model name'):
          return line.split(':', 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def machine():
  """The machine and software a run used, for the report."""
  import keras  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  try:
    cores = len(os.sched_getaffinity(0))
  except AttributeError:
    cores = os.cpu_count()
  try:
    with open('/proc/meminfo') as f:
      memory_gib = int(f.readline().split()[1]) / 2**20
  except (OSError, ValueError, IndexError):
    memory_gib = None
  devices = [d.device_type + ':' + d.name.split(':')[-1]
             for d in tf.config.list_logical_devices()]
  return dict(
      host=socket.gethostname(),
      cpu=_cpu_model(),
      cores_available=cores,
      memory_gib=None if memory_gib is None else round(memory_gib, 1),
      devices=devices,
      python=platform.python_version(),
      tensorflow=tf.__version__,
      tensorflow_probability=tfp.__version__,
      keras=keras.__version__,
      platform=platform.platform())


def describe_machine(info):
  """One line for a report: `cpu, N cores, M GiB; TF x, TFP y, Keras z`."""
  memory = (f', {info["memory_gib"]:g} GiB' if info.get('memory_gib')
            else '')
  return (f'{info["cpu"]}, {info["cores_available"]} cores available'
          f'{memory}; devices {", ".join(info["devices"])}; TensorFlow '
          f'{info["tensorflow"]}, TFP {info["tensorflow_probability"]}, '
          f'Keras {info["keras"]}, Python {info["python"]}')


class OutputFolder:
  """A run's output folder (created on construction)."""

  def __init__(self, path):
    self.root = os.path.abspath(path)
    os.makedirs(self.root, exist_ok=True)

  def path(self, *names):
    """`root/names...`, its parent folder created."""
    full = os.path.join(self.root, *names)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full

  def exists(self, *names):
    return os.path.exists(os.path.join(self.root, *names))

  def write_text(self, name, text):
    """Writes `text` to `root/name` atomically; returns the path."""
    target = self.path(name)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target),
                               prefix='.' + os.path.basename(target))
    try:
      with os.fdopen(fd, 'w') as f:
        f.write(text)
      os.replace(tmp, target)
    except BaseException:
      if os.path.exists(tmp):
        os.remove(tmp)
      raise
    return target

  def write_json(self, name, obj):
    """Writes `obj` (numpy allowed) as indented strict JSON, atomically."""
    return self.write_text(
        name, json.dumps(to_jsonable(obj), indent=1, allow_nan=False) + '\n')

  def read_json(self, name, default=None):
    """The JSON in `root/name`, or `default` when there is none."""
    full = os.path.join(self.root, name)
    if not os.path.exists(full):
      return default
    with open(full) as f:
      return json.load(f)
