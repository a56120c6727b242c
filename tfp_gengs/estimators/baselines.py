"""Baselines and learned control-variate pieces shared by the estimators.

* `leave_one_out`: the built-in baseline of `k` samples, each sample's
  baseline the mean loss of the others (Kool et al. 2019, "Buy 4 REINFORCE
  samples, get a baseline for free!"; Mnih & Rezende 2016 for VIMCO).
* `RunningMoments`: exponential moving mean and variance of a learning
  signal, NVIL's centering and variance normalisation (Mnih & Gregor 2014).
* `MLP`: a small network built on its first call, NVIL's input-dependent
  baseline and RELAX's learned surrogate `r_rho` (Grathwohl et al. 2018).
"""

import numpy as np
import tensorflow.compat.v2 as tf

__all__ = ['leave_one_out', 'RunningMoments', 'MLP']


def leave_one_out(losses):
  """`b_s = mean_{j != s} f_j` over the leading sample axis (size >= 2)."""
  k = tf.cast(tf.shape(losses)[0], losses.dtype)
  total = tf.reduce_sum(losses, axis=0, keepdims=True)
  return (total - losses) / (k - 1.)


class RunningMoments(tf.Module):
  """Moving averages `c <- a c + (1 - a) mean(x)`, `v` likewise for `x^2`.

  NVIL (Mnih & Gregor 2014, §3.3) centres the learning signal by `c` and
  divides it by `max(1, sqrt(v))`; `a = 0.8` there.
  """

  def __init__(self, decay=0.8, dtype=tf.float32, name=None):
    super().__init__(name=name)
    self.decay = decay
    self.mean = tf.Variable(tf.zeros([], dtype), trainable=False, name='mean')
    self.variance = tf.Variable(tf.ones([], dtype), trainable=False,
                                name='variance')
    self.initialized = tf.Variable(False, trainable=False, name='initialized')

  def update(self, x):
    """Updates from a batch `x`; returns the ops' new `(mean, variance)`."""
    x = tf.stop_gradient(x)
    batch_mean = tf.reduce_mean(x)
    batch_var = tf.reduce_mean(tf.square(x - batch_mean))
    a = tf.where(self.initialized, tf.constant(self.decay, x.dtype),
                 tf.zeros([], x.dtype))
    self.mean.assign(a * self.mean + (1. - a) * batch_mean)
    self.variance.assign(a * self.variance + (1. - a) * batch_var)
    self.initialized.assign(True)
    return self.mean.read_value(), self.variance.read_value()

  def reset(self):
    self.mean.assign(tf.zeros_like(self.mean))
    self.variance.assign(tf.ones_like(self.variance))
    self.initialized.assign(False)


class MLP(tf.Module):
  """`x [..., d] -> [...]`: one tanh hidden layer, built on first call.

  The output layer starts at zero, so an untrained network is the constant
  0 (no control variate) and training can only improve on that start.
  """

  def __init__(self, hidden_units=32, seed=0, name=None):
    super().__init__(name=name)
    self.hidden_units = hidden_units
    self.seed = seed
    self._layers = None

  def _build(self, input_dim, dtype):
    rng = np.random.default_rng(self.seed)
    np_dtype = dtype.as_numpy_dtype
    self._initial = [
        rng.normal(0., 1. / np.sqrt(input_dim),
                   [input_dim, self.hidden_units]).astype(np_dtype),
        np.zeros([self.hidden_units], np_dtype),
        np.zeros([self.hidden_units], np_dtype),
        np.zeros([], np_dtype)]
    with tf.init_scope():
      self.w1, self.b1, self.w2, self.b2 = [
          tf.Variable(value, name=name) for value, name in
          zip(self._initial, ('w1', 'b1', 'w2', 'b2'))]
    self._layers = (self.w1, self.b1, self.w2, self.b2)

  def __call__(self, x):
    x = tf.convert_to_tensor(x)
    if self._layers is None:
      self._build(tf.compat.dimension_value(x.shape[-1]), x.dtype)
    hidden = tf.tanh(tf.tensordot(x, self.w1, [[-1], [0]]) + self.b1)
    return tf.tensordot(hidden, self.w2, [[-1], [0]]) + self.b2

  def reset(self):
    if self._layers is not None:
      for var, value in zip(self._layers, self._initial):
        var.assign(value)
