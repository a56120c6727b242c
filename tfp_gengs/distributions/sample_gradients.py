"""Exact or relaxed samples of a window categorical, and their gradients.

One function, `outcome_sample`, draws a sample of the truncated distribution
`pi` over outcome values `c` and says which gradient it carries. The four
choices share the Gumbel noise: for the same seed they select the same
category `k* = argmax(log pi + g)`, so they differ only in what the forward
value is and in the backward pass.

```none
'relaxed'           z = T(x_tau),  x_tau = softmax((log pi + g) / tau)
                    grad: pathwise through x_tau          (GenGS, paper §3)
'straight_through'  z = T(D),      D = one_hot(k*)
                    grad: that of T(x_tau)                (Bengio et al. 2013)
'reinmax'           z = T(D)
                    grad_logits = 2 J(pi_half)^T dL/dD - 1/2 J(pi)^T dL/dD,
                    pi_half = (softmax(log pi / tau) + D) / 2,
                    J(p)^T v = p * v - p <p, v>           (Liu et al. 2023)
'gumbel_rao'        z = T(D)
                    grad: that of (1/K) sum_j T(softmax((log pi + g_j) / tau))
                    with g_j ~ Gumbel | argmax(log pi + g_j) = k*
                                                          (Paulus et al. 2021)
```

`T(x) = sum_k c_k x_k` is linear, so a gradient defined on the one-hot
sample reaches the outcome value unchanged in form: every choice works for
any family, explicit or implicit posteriors, scalar or vector outcomes.

ReinMax is the second-order (Heun) counterpart of straight-through: for a
loss that is quadratic in `D` (e.g. `(T(D) - w)^2`) its mean at `tau = 1` is
the exact gradient of `E[f]`, where straight-through's is not. Its forward
sample uses no temperature; `tau` only shapes the backward pass, and the
authors recommend `tau >= 1`. Gumbel-Rao is straight-through Gumbel-Softmax
Rao-Blackwellised over `K` Gumbel draws given the selected category: the
same mean as `'straight_through'` at the same `tau`, lower variance, one
evaluation of the loss.

The conditional Gumbels (Paulus et al., Appendix): with `pi` normalized
(`log pi = logits - log Z`) and `E_k ~ Exponential(1)`,

```none
l_k* = log Z - log E_k*                           (the maximum)
l_k  = log Z - log(E_k / pi_k + E_k*)             (k != k*)
```

are distributed as `logits + g` given `argmax = k*`. Outcomes of probability
0 (`log pi = -inf`) keep `l_k = -inf` and never carry a gradient.
"""

from typing import Any

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import samplers

from tfp_gengs.distributions import gumbel_softmax
from tfp_gengs.internal import checks
from tfp_gengs.internal import outcomes as outcomes_lib

__all__ = [
    'GRADIENTS',
    'DEFAULT_GUMBEL_RAO_SAMPLES',
    'check_gradient',
    'outcome_sample',
    'one_hot_sample',
]

GRADIENTS = ('relaxed', 'straight_through', 'reinmax', 'gumbel_rao')
HARD_GRADIENTS = GRADIENTS[1:]          # forward value is an exact outcome
DEFAULT_GUMBEL_RAO_SAMPLES = 10


def check_gradient(gradient: str, num_samples: Any = None) -> None:
  """Raises a `ValueError` naming the argument for an unknown choice."""
  checks.check_choice(gradient, 'gradient', GRADIENTS)
  if num_samples is not None:
    checks.python_int(num_samples, 'num_samples')


def _shape(logits, sample_shape):
  sample_shape = ps.reshape(
      ps.convert_to_shape_tensor(ps.cast(sample_shape, tf.int32)), [-1])
  return ps.concat([sample_shape, ps.shape(logits)], 0)


def _softmax_vjp(p, v):
  """`J(p)^T v` for the softmax Jacobian at probabilities `p`."""
  pv = p * v
  return pv - p * tf.reduce_sum(pv, axis=-1, keepdims=True)


def _reinmax_one_hot(logits, one_hot, temperature):
  """`one_hot` forward; ReinMax's gradient for `logits` backward."""

  @tf.custom_gradient
  def reinmax(logits):
    def grad(upstream):
      inverse_tau = tf.math.reciprocal(temperature)[..., tf.newaxis]
      pi = tf.math.softmax(logits)
      pi_half = .5 * (tf.math.softmax(logits * inverse_tau) + one_hot)
      return (2. * _softmax_vjp(pi_half, upstream) -
              .5 * _softmax_vjp(pi, upstream))

    return tf.identity(one_hot), grad

  # Broadcast outside: its gradient sums over the sample dimensions.
  return reinmax(tf.broadcast_to(logits, tf.shape(one_hot)))


def _conditional_gumbel_logits(logits, index, shape, seed):
  """`log pi + g` given `argmax = index`: `shape` draws (stopped).

  In the normalized form `log pi = logits - log Z` (module docstring, with
  `E / pi = E exp(-log pi)`): `-log E_k*` at the chosen category and
  `-log(E_k / pi_k + E_k*)` elsewhere, plus `log Z`. Two logarithms per
  draw; `exp(-log pi)` is computed once for all `K` draws.
  """
  logits = tf.stop_gradient(logits)
  log_z = tf.math.reduce_logsumexp(logits, axis=-1, keepdims=True)
  inverse_pi = tf.math.exp(log_z - logits)              # inf where pi = 0
  exponential = -tf.math.log(gumbel_softmax.uniform(shape, logits.dtype,
                                                    seed))   # E ~ Exp(1)
  chosen = tf.one_hot(index, ps.shape(logits)[-1], on_value=True,
                      off_value=False)
  e_top = tf.reduce_sum(tf.where(chosen, exponential,
                                 tf.zeros_like(exponential)),
                        axis=-1, keepdims=True)
  return log_z - tf.math.log(tf.where(chosen, e_top,
                                      exponential * inverse_pi + e_top))


def one_hot_sample(logits: Any, temperature: Any, gradient: str = 'relaxed',
                   sample_shape: Any = (), seed: Any = None,
                   num_samples: Any = None) -> tf.Tensor:
  """A one-hot (or relaxed one-hot) sample with the chosen gradient.

  Args:
    logits: `[..., n]` logits of `pi` (need not be normalized).
    temperature: positive tensor broadcastable to `logits.shape[:-1]`.
    gradient: one of `GRADIENTS` (see the module docstring).
    sample_shape: independent draws prepended to the batch shape.
    seed: int or stateless seed.
    num_samples: Gumbel-Rao's `K` (default `DEFAULT_GUMBEL_RAO_SAMPLES`);
      ignored by the other choices.

  Returns:
    `sample_shape + batch_shape + [n]`: exactly one-hot for every choice
    but `'relaxed'`.
  """
  check_gradient(gradient, num_samples)
  logits = tf.convert_to_tensor(logits)
  temperature = tf.convert_to_tensor(temperature, dtype=logits.dtype)
  seed = samplers.sanitize_seed(seed)
  # The same Gumbel noise (hence the same category) for every choice, and
  # the same as `gumbel_softmax.relaxed_outcomes` draws for this seed.
  if gradient in ('relaxed', 'straight_through'):
    soft, noisy_logits = gumbel_softmax.relaxed_one_hot(
        logits, temperature, sample_shape, seed)
    if gradient == 'relaxed':
      return soft
  else:  # ReinMax and Gumbel-Rao never use the relaxed sample itself
    noisy_logits = gumbel_softmax.perturbed_logits(logits, temperature,
                                                   sample_shape, seed)
  index = tf.argmax(noisy_logits, axis=-1, output_type=tf.int32)
  hard = tf.one_hot(index, ps.shape(logits)[-1], dtype=logits.dtype)
  if gradient == 'straight_through':
    return hard + (soft - tf.stop_gradient(soft))
  if gradient == 'reinmax':
    return _reinmax_one_hot(logits, hard, temperature)
  k = DEFAULT_GUMBEL_RAO_SAMPLES if num_samples is None else num_samples
  shape = ps.concat([[k], ps.shape(noisy_logits)], 0)
  rao_seed = samplers.split_seed(seed)[1]
  conditional = _conditional_gumbel_logits(logits, index, shape, rao_seed)
  # The Gumbel noise given k*, with probability-0 outcomes left at -inf.
  noise = tf.where(tf.math.is_finite(conditional), conditional -
                   tf.stop_gradient(logits), tf.zeros_like(conditional))
  inverse_tau = tf.math.reciprocal(temperature)[..., tf.newaxis]
  rao = tf.reduce_mean(tf.math.softmax((logits + noise) * inverse_tau), 0)
  return hard + (rao - tf.stop_gradient(rao))


def outcome_sample(logits: Any, temperature: Any, outcomes: Any,
                   gradient: str = 'relaxed', sample_shape: Any = (),
                   seed: Any = None, num_samples: Any = None) -> tf.Tensor:
  """`T(one_hot_sample(...))`: an outcome value with the chosen gradient.

  For `gradient='relaxed'` and `'straight_through'` this is
  `gumbel_softmax.relaxed_outcomes` with `straight_through` set alike: the
  same values and gradients for the same seed.

  Returns:
    `sample_shape + batch_shape + outcome_shape`; an exact outcome value
    for every choice but `'relaxed'`.
  """
  x = one_hot_sample(logits, temperature, gradient, sample_shape, seed,
                     num_samples)
  outcomes = tf.cast(outcomes, x.dtype)
  value = outcomes_lib.project(x, outcomes)
  if gradient == 'relaxed':
    return value
  # The forward value exactly `c_k*` (the projection of a one-hot vector
  # can round for large outcomes); the gradient is the projection's.
  exact = tf.gather(outcomes, tf.argmax(x, axis=-1))
  return exact + (value - tf.stop_gradient(value))
