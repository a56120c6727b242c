"""TemperatureAnnealing: a Keras callback that anneals GenGS temperatures."""

from typing import Any, Callable, Optional, Sequence

import keras
import tensorflow.compat.v2 as tf
from tensorflow.core.framework import summary_pb2

from tfp_gengs.layers import gengs_layer
from tfp_gengs.layers import temperature_schedule

__all__ = ['TemperatureAnnealing', 'gengs_layers']

# TensorBoard's scalar plugin metadata, so that `tf.summary.write` (core
# TensorFlow, no `tensorboard` package needed) gives a TensorBoard scalar.
_SCALAR_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name='scalars'),
    data_class=summary_pb2.DATA_CLASS_SCALAR)


def gengs_layers(model: Any) -> list:
  """Every `GenGSLayer` inside `model` (nested models and layers included)."""
  # `_flatten_layers` is Keras 3's own recursive walk (also used by
  # `Model.metrics`); it reaches layers nested in custom layers too.
  return [layer for layer in model._flatten_layers(include_self=True,  # pylint: disable=protected-access
                                                   recursive=True)
          if isinstance(layer, gengs_layer.GenGSLayer)]


@keras.saving.register_keras_serializable(package='tfp_gengs')
class TemperatureAnnealing(keras.callbacks.Callback):
  """Anneals the `temperature` weight of a model's GenGS layers.

  The standard schedule of Jang et al. (2017) (a `TemperatureSchedule`,
  which custom training loops can use directly), updated every
  `update_every` training steps:

  ```none
  s   = update_every * floor(step / update_every)
  tau = max(minimum, initial * exp(-rate * s))
  ```

  or any `schedule(step) -> tau` you give. `step` is the optimizer's
  iteration count (`model.optimizer.iterations`), so annealing resumes where
  it stopped after `keras.models.load_model` or a second `fit`. The value is
  written with `assign` into each layer's non-trainable `temperature` weight
  before the step runs: compiled train functions read it without retracing,
  and a saved model keeps the annealed value.

  `tau` is added to the batch and epoch logs as `'temperature'`, so it shows
  in the progress bar and `History.history['temperature']`, and in
  `keras.callbacks.TensorBoard`'s epoch scalars when that callback comes
  after this one in the `callbacks` list. With `log_dir`, every change of
  `tau` is also written there as a TensorBoard scalar against the step (this
  needs no `tensorboard` package).

  #### Examples

  ```python
  import keras
  import numpy as np
  import tfp_gengs as gengs

  x = keras.Input((6,))
  z = gengs.layers.GenGSPoissonLayer(prior_rate=2., high=8)(
      keras.layers.Dense(3)(x))
  model = keras.Model(x, keras.layers.Dense(6)(z))
  model.compile('adam', 'mse')
  anneal = gengs.layers.TemperatureAnnealing(initial=1., minimum=0.5,
                                             rate=0.01)
  history = model.fit(np.ones([32, 6]), np.ones([32, 6]), batch_size=8,
                      epochs=2, callbacks=[anneal], verbose=0)
  history.history['temperature']   # ==> [exp(-0.03), exp(-0.07)]
  ```
  """

  def __init__(self,
               initial: Optional[float] = None,
               minimum: Optional[float] = None,
               rate: Optional[float] = None,
               update_every: int = 1,
               schedule: Optional[Callable[[int], float]] = None,
               layers: Optional[Sequence[Any]] = None,
               log_name: Optional[str] = 'temperature',
               log_dir: Any = None):
    """Creates the callback.

    Args:
      initial, minimum, rate, update_every, schedule: the schedule, as in
        `TemperatureSchedule` (`schedule`: a callable `step -> tau`
        replacing the standard one, with the other three `None`).
      layers: optional list of the GenGS layers to anneal (default: all the
        GenGS layers of the model).
      log_name: the key of `tau` in the logs and the TensorBoard tag
        (`None`: not logged).
      log_dir: optional directory for a TensorBoard event file of `tau`
        against the training step.

    Raises:
      ValueError: a missing or out-of-range argument.
    """
    super().__init__()
    self._schedule = temperature_schedule.TemperatureSchedule(
        initial, minimum, rate, update_every, schedule)
    self.initial, self.minimum, self.rate = (
        self._schedule.initial, self._schedule.minimum, self._schedule.rate)
    self.update_every = self._schedule.update_every
    self.schedule = schedule
    self.log_name = log_name
    self.log_dir = None if log_dir is None else str(log_dir)
    self._writer = None
    self._layers = None if layers is None else list(layers)
    self._targets = []
    self._current = None

  def value_at(self, step: int) -> float:
    """`tau` for training step `step` (the `TemperatureSchedule`'s)."""
    return self._schedule.value_at(step)

  def _step(self):
    optimizer = getattr(self.model, 'optimizer', None)
    if optimizer is None:
      raise ValueError('TemperatureAnnealing needs a compiled model with an '
                       'optimizer (it counts steps with its `iterations`).')
    return int(optimizer.iterations.numpy())

  def _set(self, tau, step):
    if tau != self._current:
      for layer in self._targets:
        layer.temperature.assign(tau)
      self._current = tau
      if self._writer is not None:
        with self._writer.as_default():
          tf.summary.write(self.log_name, tf.constant(tau, tf.float32),
                           step=step, metadata=_SCALAR_METADATA)

  def on_train_begin(self, logs=None):
    targets = self._layers if self._layers is not None else gengs_layers(
        self.model)
    if not targets:
      raise ValueError('TemperatureAnnealing found no GenGS layer in the '
                       'model.')
    self._targets = targets
    self._current = None
    if self.log_dir is not None and self.log_name and self._writer is None:
      self._writer = tf.summary.create_file_writer(str(self.log_dir))
    step = self._step()
    self._set(self.value_at(step), step)

  def on_train_batch_begin(self, batch, logs=None):
    step = self._step()
    self._set(self.value_at(step), step)

  def on_train_end(self, logs=None):
    if self._writer is not None:
      self._writer.flush()

  def on_train_batch_end(self, batch, logs=None):
    if logs is not None and self.log_name:
      logs[self.log_name] = self._current

  def on_epoch_end(self, epoch, logs=None):
    if logs is not None and self.log_name:
      logs[self.log_name] = self._current

  def get_config(self):
    schedule = self.schedule
    if schedule is not None:
      schedule = keras.saving.serialize_keras_object(schedule)
    return dict(initial=self.initial, minimum=self.minimum, rate=self.rate,
                update_every=self.update_every, schedule=schedule,
                log_name=self.log_name, log_dir=self.log_dir)

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    if config.get('schedule') is not None:
      config['schedule'] = keras.saving.deserialize_keras_object(
          config['schedule'])
    return cls(**config)
