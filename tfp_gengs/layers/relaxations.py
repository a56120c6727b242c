"""What a latent layer samples: one small strategy object per relaxation.

A layer turns its input into the truncated posterior `pi` (its job) and
hands the sampling to its relaxation (this module's job), so every user of
the layer's samples — training, evaluation, the experiments — asks the
layer and never re-decides which relaxation it has:

```none
GumbelSoftmaxRelaxation         GenGS over log pi, with any gradient of
                                `sample_gradients` (relaxed, ST, ReinMax,
                                Gumbel-Rao)
ExponentialArrivalRelaxation    EAT: K arrival times of a Poisson process of
                                rate exp(x) (the explicit input), relaxed or
                                straight-through
```

Both give, for one seed, a relaxed value and its hard counterpart from the
same noise: the hard value (`gradient='straight_through'`'s forward value)
is an exact sample of `pi`.
"""

from typing import Any

from tfp_gengs.distributions import eat_arrivals
from tfp_gengs.distributions import sample_gradients

__all__ = ['GumbelSoftmaxRelaxation', 'ExponentialArrivalRelaxation']


class GumbelSoftmaxRelaxation:
  """GenGS: `T(softmax((log pi + g) / tau))`, with the chosen gradient.

  Args:
    gradient: one of `sample_gradients.GRADIENTS`, the training sample.
    gumbel_rao_samples: `K` of `gradient='gumbel_rao'`.
  """

  name = 'gengs'
  gradients = sample_gradients.GRADIENTS

  def __init__(self, gradient: str = 'relaxed', gumbel_rao_samples: int = (
      sample_gradients.DEFAULT_GUMBEL_RAO_SAMPLES)):
    self.gradient = gradient
    self.gumbel_rao_samples = gumbel_rao_samples

  def sample(self, x: Any, log_pi: Any, outcomes: Any, temperature: Any,
             seed: Any, gradient: str = None, sample_shape: Any = (),
             backend: str = 'tensorflow'):
    """`sample_shape + [..., d]` values of `pi` (`x`, the input, unused),
    on the array substrate `backend` (`'tensorflow'` or `'jax'`)."""
    del x
    return sample_gradients.outcome_sample(
        log_pi, temperature, outcomes, gradient or self.gradient,
        sample_shape=sample_shape, seed=seed,
        num_samples=self.gumbel_rao_samples, backend=backend)


class ExponentialArrivalRelaxation:
  """EAT: `sum_k s((1 - t_k) / tau)` over `K` arrivals of rate `exp(x)`.

  Only `'relaxed'` and `'straight_through'` (forward `min(N, K)`) exist.
  """

  gradients = ('relaxed', 'straight_through')

  def __init__(self, smoothing: str, num_arrivals: int,
               gradient: str = 'relaxed'):
    self.smoothing = smoothing
    self.num_arrivals = num_arrivals
    self.gradient = gradient
    self.name = f'eat_{smoothing}'

  def sample(self, x: Any, log_pi: Any, outcomes: Any, temperature: Any,
             seed: Any, gradient: str = None, sample_shape: Any = (),
             backend: str = 'tensorflow'):
    """`sample_shape + [..., d]` counts from the log-rates `x` (TensorFlow
    only: the layer refuses EAT on another Keras backend)."""
    del log_pi, outcomes, backend  # the arrivals read the rate itself
    gradient = gradient or self.gradient
    return eat_arrivals.relaxed_count(
        x, temperature, self.num_arrivals, self.smoothing,
        sample_shape=sample_shape, seed=seed,
        straight_through=gradient == 'straight_through')
