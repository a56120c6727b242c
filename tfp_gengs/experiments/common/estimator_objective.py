"""The training loss of a latent-variable model trained by an estimator.

For a batch with posterior `q` (the encoder's `TruncatedDiscrete`, batch
`[B, d]`), reconstruction `f(z) = -log p(x | z)` and the exact KL:

```none
objective = mean_B surrogate + beta KL_s + aux,
KL_s      = s KL + (1 - s) stop(KL)
reported  = mean_B f(z) + KL          (the -ELBO estimate)
```

`surrogate` comes from a `gengs.estimators` estimator (its gradient
estimates `grad E_q[f]` for the encoder and the decoder), `aux` is the
estimator's own loss (its control variates), and `s` its `gradient_scale`
(1 except NVIL, which normalises its learning signal; scaling only the
reconstruction would let the KL's full gradient swamp it). The VAE study's
baselines and the studies' fine-tuning with an estimator share it.
"""

import tensorflow.compat.v2 as tf

__all__ = ['elbo_loss']


def elbo_loss(estimator, q, reconstruction_fn, kl, seed, kl_weight,
              context=None):
  """`(objective, reported, aux)`, scalars, for one batch.

  Args:
    estimator: a `gengs.estimators` estimator built with `latent_ndims=1`.
    q: the posterior, a `TruncatedDiscrete` of batch shape `[B, d]`.
    reconstruction_fn: `z [..., B, d] -> -log p(x | z) [..., B]`.
    kl: `[B]`, the exact `KL(q || p)` of each example (summed over `d`).
    seed: the step's stateless seed.
    kl_weight: `beta`, the KL's weight in the objective.
    context: what the estimator's networks may read (e.g. `x`), or `None`.
  """
  result = estimator(q, reconstruction_fn, seed, context=context)
  kl = tf.reduce_mean(kl)
  scale = result.gradient_scale
  scaled_kl = scale * kl + (1. - scale) * tf.stop_gradient(kl)
  aux = tf.convert_to_tensor(result.aux_loss)
  objective = tf.reduce_mean(result.surrogate) + kl_weight * scaled_kl
  return objective + aux, tf.reduce_mean(result.loss) + kl, aux
