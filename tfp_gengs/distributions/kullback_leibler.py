"""KL divergences registered for the truncated and relaxed distributions.

GenGS approximates `KL(q || p)` of two relaxed distributions over the same
outcomes by the categorical KL of their truncated PMFs (paper §6.2):

```none
KL(q || p) = sum_k pi_q(k) (log pi_q(k) - log pi_p(k))
```

Registering it for the relaxed distributions matters: TFP's rule for two
`TransformedDistribution`s with equal bijectors would otherwise silently
return the KL of the base `RelaxedOneHotCategorical`s.
"""

from typing import Any

import numpy as np
import tensorflow.compat.v2 as tf
from tensorflow_probability.python.distributions import kullback_leibler
from tensorflow_probability.python.internal import assert_util

from tfp_gengs.distributions import relaxed_discrete
from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.distributions import substrates

__all__ = ['categorical_kl']

# Every relaxed distribution (the plain one and the families) and the exact
# one: all expose `pi` as `logits_parameter()` and their `outcomes`.
_TYPES = (relaxed_discrete.RelaxedDiscrete,
          truncated_discrete.TruncatedDiscrete)


def categorical_kl(q_logits: Any, p_logits: Any,
                   backend: str = 'tensorflow') -> Any:
  """`sum_k softmax(q)_k (log_softmax(q)_k - log_softmax(p)_k)`.

  Outcomes with `pi_q = 0` contribute 0 (also where `pi_p = 0`), with finite
  gradients; outcomes with `pi_q > 0 = pi_p` give `+inf`. `backend`: the
  array substrate, `'tensorflow'` (default) or `'jax'`.
  """
  o = substrates.get(backend)
  log_q = o.log_softmax(q_logits)
  log_p = o.log_softmax(p_logits)
  q = o.exp(log_q)
  # `where` (not multiply_no_nan): its gradient w.r.t. q would be the NaN of
  # (-inf) - (-inf) where both probabilities are 0.
  log_ratio = o.where(q > 0., log_q - log_p, o.zeros_like(log_q))
  return o.reduce_sum(q * log_ratio, axis=-1)


def _outcome_check(q, p):
  """Raises (statically) or asserts (under validate_args) equal outcomes."""
  cq, cp = q.outcomes, p.outcomes
  if cq.shape.is_fully_defined() and cp.shape.is_fully_defined():
    if cq.shape != cp.shape:
      raise ValueError(
          'KL between truncated distributions needs identical outcomes; got '
          f'outcome shapes {cq.shape} and {cp.shape}.')
    vq, vp = tf.get_static_value(cq), tf.get_static_value(cp)
    if vq is not None and vp is not None:
      if not np.array_equal(vq, vp):
        raise ValueError(
            'KL between truncated distributions needs identical outcomes; '
            'the two outcome tensors differ.')
      return []
  if q.validate_args or p.validate_args:
    return [assert_util.assert_equal(
        cq, tf.cast(cp, cq.dtype),
        message='KL between truncated distributions needs identical outcomes.')]
  return []


def _dtype_check(q, p):
  if q.dtype != p.dtype:
    raise TypeError(
        'KL between truncated distributions needs one dtype; got '
        f'{type(q).__name__} of {q.dtype.name} and {type(p).__name__} of '
        f'{p.dtype.name}. Build both with the same float dtype (for example '
        'cast the parameters of one of them).')


def _kl_truncated(q, p, name=None):
  _dtype_check(q, p)
  with tf.name_scope(name or 'kl_truncated_discrete'):
    with tf.control_dependencies(_outcome_check(q, p)):
      return categorical_kl(q.logits_parameter(), p.logits_parameter())


for _q_type in _TYPES:
  for _p_type in _TYPES:
    kullback_leibler.RegisterKL(_q_type, _p_type)(_kl_truncated)
