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

import tensorflow.compat.v2 as tf

from tfp_gengs.distributions import gumbel_softmax

__all__ = [
    'uniform', 'gumbel', 'gumbel_max', 'top_two', 'masked', 'second_given',
    'conditional_gumbel', 'relaxed',
]

# A finite "minus infinity" for masked logits: exp() of it is 0 and it keeps
# gradients (including those with respect to a learned temperature) finite.
MASKED_LOGIT = -1e9


def uniform(shape, dtype, seed):
  """`Uniform(tiny, 1)` noise: the library's one sampler
  (`gumbel_softmax.uniform`, the same stream as the Gumbel noise)."""
  return gumbel_softmax.uniform(shape, dtype, seed)


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


def _logaddexp(a, b):
  """`log(exp(a) + exp(b))`, exact for infinite `a` with finite gradients."""
  larger = tf.maximum(a, b)
  return larger + tf.math.log1p(tf.exp(-tf.abs(a - b)))


def conditional_gumbel(log_pi, index, u):
  """Noisy logits `v ~ log pi + g | argmax(v) = index` from uniforms `u`.

  With normalised `log_pi` (Tucker et al. 2017, Appendix):

  ```none
  v_b = -log(-log u_b)
  v_i = -log(-log(u_i) / pi_i - log(u_b))                        for i != b
      = -logaddexp(log(-log u_i) - log pi_i, log(-log u_b))
  ```

  Computed in the second, log-space form: `1 / pi_i` overflows float32 once
  `log pi_i < -88.7`, and is infinite for outcomes of probability 0 (whose
  conditional noisy logit is then `-inf`, with finite gradients).
  Differentiable in `log_pi` (the reparameterisation REBAR and RELAX use).
  """
  hit = tf.equal(tf.range(tf.shape(log_pi)[-1]), index[..., tf.newaxis])
  log_exponential = tf.math.log(-tf.math.log(u))          # log(-log u)
  at_b = tf.reduce_sum(
      tf.where(hit, log_exponential, tf.zeros_like(log_exponential)),
      axis=-1, keepdims=True)
  others = -_logaddexp(log_exponential - log_pi, at_b)
  return tf.where(hit, tf.broadcast_to(-at_b, tf.shape(others)), others)


def relaxed(noisy_logits, temperature):
  """Gumbel-Softmax relaxation `softmax(noisy_logits / tau)`.

  Noisy logits of probability-0 outcomes (`-inf`) are raised to
  `MASKED_LOGIT` first: the value is the same (`exp` of either is 0), but
  `d(v / tau) / d tau = -v / tau^2` would be infinite there and turn a learned
  temperature's gradient into `0 * inf = NaN`.
  """
  finite = tf.maximum(noisy_logits,
                      tf.constant(MASKED_LOGIT, noisy_logits.dtype))
  return tf.math.softmax(finite / temperature)
