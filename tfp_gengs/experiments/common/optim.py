r"""Adam written out on `tf.Variable`s, resettable between runs.

Adam (Kingma & Ba 2015) with step `t`, gradient `g_t` and, per variable,

```none
m_t = beta1 m_{t-1} + (1 - beta1) g_t
v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
theta_t = theta_{t-1} - lr (m_t / (1 - beta1^t)) /
                           (sqrt(v_t / (1 - beta2^t)) + epsilon)
```

Its slots are plain variables created once, so one optimiser serves many runs
of a traced step (`reset` zeroes them) without retracing, and a `None`
gradient leaves its variable (and slots) untouched. The synthetic study uses
it for the parameter and for the estimators' learned control variates; the
estimator tests use it to train those control variates.
"""

import tensorflow.compat.v2 as tf

__all__ = ['Adam']


class Adam(tf.Module):
  """Adam (Kingma & Ba 2015) on a list of variables, resettable per run."""

  def __init__(self, variables, learning_rate, beta1=.9, beta2=.999,
               epsilon=1e-8):
    super().__init__()
    self.params = list(variables)
    self.learning_rate = learning_rate
    self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
    self.step = tf.Variable(0., trainable=False)
    self.m = [tf.Variable(tf.zeros_like(v), trainable=False)
              for v in self.params]
    self.v = [tf.Variable(tf.zeros_like(v), trainable=False)
              for v in self.params]

  def reset(self):
    """Step counter and moments back to zero (a fresh optimiser)."""
    self.step.assign(0.)
    for slot in self.m + self.v:
      slot.assign(tf.zeros_like(slot))

  def apply(self, grads):
    """One update of every variable whose gradient is not `None`."""
    self.step.assign_add(1.)
    t = self.step
    for var, g, m, v in zip(self.params, grads, self.m, self.v):
      if g is None:
        continue
      g = tf.cast(g, var.dtype)
      m.assign(self.beta1 * m + (1. - self.beta1) * g)
      v.assign(self.beta2 * v + (1. - self.beta2) * tf.square(g))
      m_hat = m / (1. - self.beta1 ** t)
      v_hat = v / (1. - self.beta2 ** t)
      var.assign_sub(self.learning_rate * m_hat /
                     (tf.sqrt(v_hat) + self.epsilon))
