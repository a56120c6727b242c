"""Report helpers of the benchmarks: the machine, and writing the table."""

import os
import platform


def describe():
  """CPU model, core count, memory, Python/TF/TFP versions."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  cpu = platform.processor() or 'unknown CPU'
  try:
    with open('/proc/cpuinfo') as f:
      for line in f:
        if line.startswith('model name'):
          cpu = line.split(':', 1)[1].strip()
          break
  except OSError:
    pass
  memory = ''
  try:
    with open('/proc/meminfo') as f:
      kb = int(f.readline().split()[1])
      memory = f', {kb / 2**20:.0f} GiB RAM'
  except (OSError, ValueError, IndexError):
    pass
  gpus = tf.config.list_physical_devices('GPU')
  return (f'{cpu}, {os.cpu_count()} cores{memory}, '
          f'{"GPU: " + str(len(gpus)) if gpus else "no GPU"}; '
          f'Python {platform.python_version()}, TensorFlow {tf.__version__}, '
          f'TFP {tfp.__version__}')


def print_and_write(text, path):
  """Prints a report and, if `path` is non-empty, writes it there."""
  print(text)
  if path:
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'w') as f:
      f.write(text)
    print(f'Wrote {path}')
