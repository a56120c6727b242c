"""Sampling pieces shared by the estimators (all driven by Gumbel noise).

* Gumbel-Max: `argmax(log pi + g)` is a draw from `pi` (Gumbel 1954;
  Maddison et al. 2014), and `softmax((log pi + g) / tau)` is its
  Gumbel-Softmax / Concrete relaxation (Jang et al. 2017; Maddison et al.
  2017); `T(.)` of it is the GenGS sample (Joo et al., Theorem 4).
* Gumbel-top-k: the indices of the `k` largest `log pi + g` are an ordered
  sample without replacement (Vieira 2014; Kool et al. 2019), used by the
  sum-and-sample and unordered-set estimators.
* Conditional Gumbel: noisy logits distributed as `log pi + g` given that
  their argmax is `b` (Tucker et al. 2017, REBAR; Grathwohl et al. 2018).
"""

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import samplers

from tfp_gengs.distributions import gumbel_softmax

__all__ = [
    'uniform', 'gumbel', 'gumbel_max', 'top_two', 'masked', 'second_given',
    'conditional_gumbel', 'relaxed',
]

# A finite "minus infinity" for masked logits: exp() of it is 0 and it keeps
# gradients (including those with respect to a learned temperature) finite.
MASKED_LOGIT = -1e9


def uniform(shape, dtype, seed):
  """`Uniform(tiny, 1)` noise (Philox, as in `gumbel_softmax.gumbel_noise`)."""
  return tf.random.stateless_uniform(
      shape, seed=samplers.sanitize_seed(seed),
      minval=np.finfo(dtype.as_numpy_dtype).tiny, maxval=1., dtype=dtype,
      alg='philox')


def gumbel(log_pi, num_samples, seed):
  """Standard Gumbel noise of shape `[num_samples] + log_pi.shape`."""
  shape = tf.concat([[num_samples], tf.shape(log_pi)], 0)
  return gumbel_softmax.gumbel_noise(shape, log_pi.dtype, seed)


def gumbel_max(log_pi, num_samples, seed):
  """`(index, noisy_logits)`: `num_samples` draws from `pi` (with replacement).

  Returns indices `[num_samples] + batch` and `log_pi + g`.
  """
  noisy = log_pi + gumbel(log_pi, num_samples, seed)
  return tf.argmax(noisy, axis=-1, output_type=tf.int32), noisy


def masked(log_pi, index):
  """`log_pi` with category `index` removed (set to `MASKED_LOGIT`)."""
  hit = tf.equal(tf.range(tf.shape(log_pi)[-1]), index[..., tf.newaxis])
  return tf.where(hit, tf.constant(MASKED_LOGIT, log_pi.dtype), log_pi)


def second_given(noisy_logits, first):
  """Argmax of `noisy_logits` with category `first` removed.

  If `first` is the argmax of the same noisy logits this is the second draw
  of a sample without replacement; if `first` does not depend on the noise it
  is a draw from `pi` restricted to the other categories.
  """
  return tf.argmax(masked(noisy_logits, first), axis=-1, output_type=tf.int32)


def top_two(log_pi, seed):
  """Ordered sample without replacement `(s1, s2)` of size 2, `[1] + batch`."""
  index, noisy = gumbel_max(log_pi, 1, seed)
  return index, second_given(noisy, index)


def conditional_gumbel(log_pi, index, u):
  """Noisy logits `v ~ log pi + g | argmax(v) = index` from uniforms `u`.

  With normalised `log_pi` (Tucker et al. 2017, Appendix):

  ```none
  v_b = -log(-log u_b)
  v_i = -log(-log(u_i) / pi_i - log(u_b))         for i != b
  ```

  Differentiable in `log_pi` (the reparameterisation REBAR and RELAX use).
  """
  b_hot = tf.one_hot(index, tf.shape(log_pi)[-1], dtype=log_pi.dtype)
  log_u = tf.math.log(u)
  log_ub = tf.reduce_sum(b_hot * log_u, axis=-1, keepdims=True)
  top = -tf.math.log(-log_ub)
  others = -tf.math.log(-log_u * tf.exp(-log_pi) - log_ub)
  return tf.where(b_hot > 0, tf.broadcast_to(top, tf.shape(others)), others)


def relaxed(noisy_logits, temperature):
  """Gumbel-Softmax relaxation `softmax(noisy_logits / tau)`."""
  return tf.math.softmax(noisy_logits / temperature)
