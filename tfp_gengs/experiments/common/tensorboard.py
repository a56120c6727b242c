"""TensorBoard scalars written with core TensorFlow only.

`tf.summary.scalar` needs the `tensorboard` package; `tf.summary.write` with
the scalar plugin's metadata writes the same event records without it, so
`tensorboard --logdir DIR/tensorboard` shows them wherever TensorBoard is
installed.

```python
writer = ScalarWriter('/tmp/run/tensorboard/train')
writer.write(step=3, loss=1.5, temperature=0.9)
writer.close()
```
"""

import tensorflow.compat.v2 as tf
from tensorflow.core.framework import summary_pb2

__all__ = ['ScalarWriter']

_SCALAR_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name='scalars'),
    data_class=summary_pb2.DATA_CLASS_SCALAR).SerializeToString()


class ScalarWriter:
  """Writes named scalars against a step into one TensorBoard run folder."""

  def __init__(self, logdir):
    self.logdir = logdir
    self._writer = tf.summary.create_file_writer(logdir)

  def write(self, step, **scalars):
    """Writes each `name=value` (Python or numpy numbers) at `step`."""
    with self._writer.as_default():
      for tag, value in scalars.items():
        if value is None:
          continue
        tf.summary.write(tag, tf.constant(float(value), tf.float32),
                         step=int(step), metadata=_SCALAR_METADATA)
    self._writer.flush()

  def close(self):
    self._writer.close()
