"""RelaxedTruncatedDiscrete: the Generalized Gumbel-Softmax distribution."""

from typing import Any, Optional

import tensorflow.compat.v2 as tf

from tfp_gengs.distributions import relaxed_discrete
from tfp_gengs.distributions import truncated_discrete

__all__ = ['RelaxedTruncatedDiscrete']


class RelaxedTruncatedDiscrete(relaxed_discrete.RelaxedDiscrete):
  """Generalized Gumbel-Softmax: a relaxed, reparameterized discrete value.

  `T(GS(pi, tau))`: a `tfd.RelaxedOneHotCategorical(temperature, logits)`
  pushed through `OutcomeProjection(outcomes)` (paper §3.2), with `pi`
  given directly by its `logits` or `probs` (implicit inference). Samples
  are differentiable in `logits`/`probs` and `temperature`; as `tau -> 0`
  they tend to samples of `truncated()`, the exact `TruncatedDiscrete` with
  the same `pi` (paper Theorem 4). The `GenGS<Family>` distributions are
  its siblings (same base, `RelaxedDiscrete`) with `pi` a family's
  truncated PMF.

  #### Mathematical Details

  ```none
  x = softmax((log pi + g) / tau),   g_k ~ Gumbel(0, 1) iid
  z = T(x) = sum_k c_k x_k
  ```

  With `straight_through=True`, samples are the exact outcomes
  `T(one_hot(argmax(log pi + g)))` and gradients are those of the relaxed
  `z` (Bengio et al., 2013; Jang et al., 2017).

  `T` is not injective for `n > 2` outcomes, so the density of `z` is not
  available: `log_prob` raises `NotImplementedError` (use `truncated()` for
  the exact discrete probabilities, and `tfd.kl_divergence`, registered as
  the categorical KL of `pi`, for ELBOs). For two scalar outcomes `log_prob`
  is the binary Concrete density. `mean()`, `stddev()`, `mode()` and
  `entropy()` have no closed form for `tau > 0` and raise, pointing to
  `truncated()`.

  #### Examples

  ```python
  import tfp_gengs as gengs
  d = gengs.RelaxedTruncatedDiscrete(
      temperature=0.5, outcomes=[0., 1., 2., 3.], logits=[0., 1., 1., 0.])
  z = d.sample(5, seed=1)            # five relaxed values in [0, 3]
  d.probs_parameter()                # pi
  d.truncated().mean()               # the tau -> 0 mean, sum_k pi_k c_k
  ```
  """

  def __init__(self,
               temperature: Any,
               outcomes: Any,
               logits: Any = None,
               probs: Any = None,
               straight_through: bool = False,
               validate_args: bool = False,
               allow_nan_stats: bool = True,
               name: str = 'RelaxedTruncatedDiscrete'):
    """Creates the distribution.

    Args:
      temperature: positive float `Tensor` (or variable) broadcastable to the
        batch shape: the Gumbel-Softmax temperature `tau`.
      outcomes: float `Tensor` `[n]` or `[n, d]`, the outcome values `c`
        (distinct).
      logits: float `Tensor` `[..., n]`, logits of `pi` (implicit inference).
      probs: float `Tensor` `[..., n]`, `pi` itself. Exactly one of `logits`,
        `probs` must be given.
      straight_through: Python `bool`: sample exact outcomes forward and
        relaxed gradients backward.
      validate_args: Python `bool`, check tensor parameters at run time.
        Values given as Python numbers, lists or numpy arrays are checked at
        construction regardless.
      allow_nan_stats: Python `bool`, TFP's convention for undefined stats.
      name: Python `str` name prefixed to ops created by this class.

    Raises:
      ValueError: if both or none of `logits` and `probs` are given, if the
        outcomes are not `n >= 2` distinct values matching the last
        dimension of `logits`/`probs`, or if known values are out of range
        (`temperature <= 0`, NaN logits, probs outside `[0, 1]`).
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      dtype, self._logits, self._probs, outcomes = (
          truncated_discrete.convert_pi(outcomes, logits, probs,
                                        dtype_of=(temperature,)))
      super().__init__(
          temperature=temperature, outcomes=outcomes,
          base_logits=self._logits, base_probs=self._probs, dtype=dtype,
          straight_through=straight_through, validate_args=validate_args,
          allow_nan_stats=allow_nan_stats, parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(temperature=relaxed_discrete.temperature_properties(dtype),
                **truncated_discrete.pi_parameter_properties())

  @classmethod
  def from_truncated(cls,
                     truncated: truncated_discrete.TruncatedDiscrete,
                     temperature: Any,
                     straight_through: bool = False,
                     validate_args: Optional[bool] = None,
                     name: Optional[str] = None) -> 'RelaxedTruncatedDiscrete':
    """Relaxes a `TruncatedDiscrete` at `temperature` (same `pi`, outcomes).

    Returns an instance of `cls` (a subclass calling this gets its own
    class).
    """
    return cls(
        temperature=temperature, outcomes=truncated.outcomes,
        logits=truncated.logits, probs=truncated.probs,
        straight_through=straight_through,
        validate_args=(truncated.validate_args if validate_args is None
                       else validate_args),
        allow_nan_stats=truncated.allow_nan_stats,
        name=name or cls.__name__)

  logits = truncated_discrete.GIVEN_LOGITS
  probs = truncated_discrete.GIVEN_PROBS

  def _pi_logits(self):
    if self._logits is None:
      return tf.math.log(tf.convert_to_tensor(self._probs))
    return tf.convert_to_tensor(self._logits)

  def _pi_assertions(self, is_init):
    return truncated_discrete.pi_assertions(
        self._logits, self._probs, self._outcomes, is_init, True)
