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

from tfp_gengs.internal import checks
from tfp_gengs.distributions import substrates

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


def _softmax_vjp(o, p, v):
  """`J(p)^T v` for the softmax Jacobian at probabilities `p`."""
  pv = p * v
  return pv - p * o.reduce_sum(pv, axis=-1, keepdims=True)


def _reinmax_one_hot(o, logits, one_hot, temperature):
  """`one_hot` forward; ReinMax's gradient for `logits` backward."""

  @o.custom_gradient
  def reinmax(logits, one_hot, inverse_tau):
    def grad(upstream):
      pi = o.softmax(logits)
      pi_half = .5 * (o.softmax(logits * inverse_tau) + one_hot)
      return (2. * _softmax_vjp(o, pi_half, upstream) -
              .5 * _softmax_vjp(o, pi, upstream),
              o.zeros_like(one_hot), o.zeros_like(inverse_tau))

    return o.identity(one_hot), grad

  # Broadcast outside: its gradient sums over the sample dimensions.
  return reinmax(o.broadcast_to(logits, o.shape(one_hot)), one_hot,
                 o.stop_gradient(o.reciprocal(temperature)[..., None]))


def _conditional_gumbel_logits(logits, index, shape, seed, o=None):
  """`log pi + g` given `argmax = index`: `shape` draws (stopped).

  In the normalized form `log pi = logits - log Z` (module docstring, with
  `E / pi = E exp(-log pi)`): `-log E_k*` at the chosen category and
  `-log(E_k / pi_k + E_k*)` elsewhere, plus `log Z`. Two logarithms per
  draw; `exp(-log pi)` is computed once for all `K` draws. `o`: the array
  substrate (default TensorFlow).
  """
  o = o or substrates.get('tensorflow')
  logits = o.stop_gradient(logits)
  log_z = o.logsumexp(logits, axis=-1, keepdims=True)
  inverse_pi = o.exp(log_z - logits)                    # inf where pi = 0
  exponential = -o.log(o.uniform(shape, o.dtype_of(logits), seed))  # Exp(1)
  chosen = o.one_hot_mask(index, logits.shape[-1])
  e_top = o.reduce_sum(o.where(chosen, exponential,
                               o.zeros_like(exponential)),
                       axis=-1, keepdims=True)
  return log_z - o.log(o.where(chosen, e_top,
                               exponential * inverse_pi + e_top))


def one_hot_sample(logits: Any, temperature: Any, gradient: str = 'relaxed',
                   sample_shape: Any = (), seed: Any = None,
                   num_samples: Any = None,
                   backend: str = 'tensorflow') -> Any:
  """A one-hot (or relaxed one-hot) sample with the chosen gradient.

  Args:
    logits: `[..., n]` logits of `pi` (need not be normalized).
    temperature: positive tensor broadcastable to `logits.shape[:-1]`.
    gradient: one of `GRADIENTS` (see the module docstring).
    sample_shape: independent draws prepended to the batch shape.
    seed: int or stateless seed (a `uint32[2]` key for `backend='jax'`).
    num_samples: Gumbel-Rao's `K` (default `DEFAULT_GUMBEL_RAO_SAMPLES`);
      ignored by the other choices.
    backend: the array substrate, `'tensorflow'` (default) or `'jax'`
      (`tfp_gengs.distributions.substrates`).

  Returns:
    `sample_shape + batch_shape + [n]`: exactly one-hot for every choice
    but `'relaxed'`.
  """
  check_gradient(gradient, num_samples)
  o = substrates.get(backend)
  logits = o.convert(logits)
  temperature = o.convert(temperature, dtype=o.dtype_of(logits))
  seed = o.sanitize_seed(seed)
  # The same Gumbel noise (hence the same category) for every choice, and
  # the same as `gumbel_softmax.relaxed_outcomes` draws for this seed.
  noisy_logits = o.perturbed_logits(logits, temperature, sample_shape, seed)
  inverse_tau = o.reciprocal(temperature)[..., None]
  if gradient in ('relaxed', 'straight_through'):
    soft = o.softmax(noisy_logits * inverse_tau)
    if gradient == 'relaxed':
      return soft
  index = o.argmax(noisy_logits)
  hard = o.one_hot(index, logits.shape[-1], o.dtype_of(logits))
  if gradient == 'straight_through':
    return hard + (soft - o.stop_gradient(soft))
  if gradient == 'reinmax':
    return _reinmax_one_hot(o, logits, hard, temperature)
  k = DEFAULT_GUMBEL_RAO_SAMPLES if num_samples is None else num_samples
  shape = o.sample_shape_of([k], noisy_logits)
  conditional = _conditional_gumbel_logits(logits, index, shape,
                                           o.split_seed(seed), o)
  # The Gumbel noise given k*, with probability-0 outcomes left at -inf.
  noise = o.where(o.is_finite(conditional), conditional -
                  o.stop_gradient(logits), o.zeros_like(conditional))
  rao = o.reduce_mean(o.softmax((logits + noise) * inverse_tau), 0)
  return hard + (rao - o.stop_gradient(rao))


def outcome_sample(logits: Any, temperature: Any, outcomes: Any,
                   gradient: str = 'relaxed', sample_shape: Any = (),
                   seed: Any = None, num_samples: Any = None,
                   backend: str = 'tensorflow') -> Any:
  """`T(one_hot_sample(...))`: an outcome value with the chosen gradient.

  For `gradient='relaxed'` and `'straight_through'` this is
  `gumbel_softmax.relaxed_outcomes` with `straight_through` set alike: the
  same values and gradients for the same seed.

  Returns:
    `sample_shape + batch_shape + outcome_shape`; an exact outcome value
    for every choice but `'relaxed'`.
  """
  o = substrates.get(backend)
  x = one_hot_sample(logits, temperature, gradient, sample_shape, seed,
                     num_samples, backend)
  outcomes = o.convert(outcomes, dtype=o.dtype_of(x))
  value = o.tensordot_last(x, outcomes)
  if gradient == 'relaxed':
    return value
  # The forward value exactly `c_k*` (the projection of a one-hot vector
  # can round for large outcomes); the gradient is the projection's.
  exact = o.gather(outcomes, o.argmax(x))
  return exact + (value - o.stop_gradient(value))
