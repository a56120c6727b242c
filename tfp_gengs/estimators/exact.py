"""Exact expectations and gradients by enumerating the finite support.

For a `TruncatedDiscrete` the objective is a finite sum,

```none
E[f(z)] = sum_k pi_k f(c_k),   grad_logits E[f]_k = pi_k (f(c_k) - E[f]),
```

the reference every estimator is compared with in the tests and the
synthetic study (the paper's "exact gradient"; for the Poisson the study also
uses the untruncated closed form).
"""

import tensorflow.compat.v2 as tf

__all__ = ['expectation', 'logits_gradient']


def _expectation(logits, outcomes, loss_fn):
  outcomes = tf.cast(outcomes, logits.dtype)
  batch = tf.shape(logits)[:-1]
  n = tf.shape(outcomes)[:1]
  event = tf.shape(outcomes)[1:]
  expanded = tf.reshape(outcomes, tf.concat(
      [n, tf.ones_like(batch), event], 0))
  values = tf.broadcast_to(expanded, tf.concat([n, batch, event], 0))
  losses = loss_fn(values)                                  # [n] + batch
  pi = tf.math.softmax(logits)
  perm = [logits.shape.rank - 1] + list(range(logits.shape.rank - 1))
  return tf.reduce_sum(tf.transpose(pi, perm) * losses, axis=0)


def expectation(distribution, loss_fn):
  """`E[f(z)]`, `batch_shape` (independent latents: `f` elementwise).

  `loss_fn` is called once on every outcome, broadcast to
  `[n] + batch_shape + event_shape`, and must return `[n] + batch_shape`.
  Differentiable in the distribution's parameters.
  """
  return _expectation(tf.convert_to_tensor(distribution.logits_parameter()),
                      tf.convert_to_tensor(distribution.outcomes), loss_fn)


def logits_gradient(distribution, loss_fn):
  """`grad_logits E[f(z)]`, `batch_shape + [n]`."""
  logits = tf.stop_gradient(
      tf.convert_to_tensor(distribution.logits_parameter()))
  outcomes = tf.convert_to_tensor(distribution.outcomes)
  with tf.GradientTape() as tape:
    tape.watch(logits)
    total = tf.reduce_sum(_expectation(logits, outcomes, loss_fn))
  return tape.gradient(total, logits)
