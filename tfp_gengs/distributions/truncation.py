"""`truncate`: an integer TFP distribution -> a `TruncatedDiscrete` (step 1)."""

from typing import Any, Optional

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.distributions import (
    distribution as distribution_lib)
from tensorflow_probability.python.internal import tensor_util
from tensorflow_probability.python.util import deferred_tensor

from tfp_gengs.distributions import families
from tfp_gengs.distributions import truncated_discrete
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.distributions import windows
from tfp_gengs.internal import checks
from tfp_gengs.internal import outcomes as outcomes_lib

__all__ = ['truncate', 'truncated_log_probs', 'check_truncatable']


def truncated_log_probs(distribution: Any, low: int, high: int) -> tf.Tensor:
  """Log-PMF of `distribution` truncated to `{low, ..., high}`: `[..., n]`.

  A registered family (`families.for_distribution`: Poisson, binomial,
  geometric, negative binomial) uses its closed-form log-space tails; any
  other scalar integer-valued distribution uses its `log_prob`, `log_cdf`
  and `log_survival_function`.
  """
  family = families.for_distribution(distribution)
  if family is None:
    return truncated_log_pmf.from_distribution(distribution, low, high)
  params = {k: None if v is None else tf.convert_to_tensor(v)
            for k, v in family.values_of(distribution).items()}
  return family.log_pmf(low, high, **params)


def _has_ref_parameters(distribution):
  return any(tensor_util.is_ref(v) for v in distribution.parameters.values()
             if v is not None and not isinstance(v, (str, bool)))


def check_truncatable(distribution: Any, arg_name: str = 'distribution'
                      ) -> Optional[families.Family]:
  """Raises unless `distribution` is a scalar, integer-valued TFP distribution.

  Returns:
    Its registered family, or `None` for another integer distribution.

  Raises:
    TypeError: not a TFP distribution (e.g. a family's name as a string).
    ValueError: vector events, or a continuous distribution.
  """
  if not isinstance(distribution, distribution_lib.Distribution):
    hint = ''
    if isinstance(distribution, str):
      hint = (' To truncate a named family, pass the distribution itself, '
              'e.g. `tfd.Poisson(rate)`, or use `gengs.GenGSPoisson`.')
    raise TypeError(
        f'Argument `{arg_name}` must be a TFP distribution over the integers '
        f'(e.g. `tfd.Poisson(3.)`); got {type(distribution).__name__} '
        f'{distribution!r}.{hint}')
  if distribution.event_shape.rank != 0:
    raise ValueError(
        f'Argument `{arg_name}` must have scalar events to be truncated; got '
        f'event shape {distribution.event_shape}. For multinomials use '
        '`gengs.GenGSMultinomial`.')
  family = families.for_distribution(distribution)
  if family is not None:
    return family
  # TFP's convention: a discrete distribution has no event-space bijector
  # (`None`); a continuous one maps the reals onto its support.
  try:
    bijector = distribution.experimental_default_event_space_bijector()
  except NotImplementedError:
    bijector = None
  if bijector is not None:
    raise ValueError(
        f'Argument `{arg_name}` must be integer-valued (discrete); '
        f'{type(distribution).__name__} is continuous. Truncation puts the '
        'mass of each integer on it; discretize first, e.g. with '
        '`tfd.QuantizedDistribution(...)`.')
  return None


def truncate(distribution: Any,
             high: Optional[int] = None,
             low: int = 0,
             validate_args: bool = False,
             name: Optional[str] = None,
             tail_mass: Optional[float] = None
             ) -> truncated_discrete.TruncatedDiscrete:
  """Truncates an integer-valued distribution to `{low, ..., high}`.

  GenGS step 1 (paper Definition 1, two-sided as in its Appendix A): the mass
  below `low` goes on `low`, the mass above `high` on `high`, so the result
  sums to one. Computed in log space; outcomes outside the support get
  probability 0.

  Args:
    distribution: a scalar, integer-valued TFP distribution with `log_prob`
      (`tfd.Poisson`, `tfd.Binomial`, `tfd.Geometric`,
      `tfd.NegativeBinomial` use closed-form tails and their family's rules,
      `families`; others need `log_cdf` or `log_survival_function`).
    high: Python int, highest outcome. Optional for a binomial (default: the
      largest `total_count`) or with `tail_mass`.
    low: Python int, lowest outcome (default 0; `>= 0` for the families).
    validate_args: Python `bool` for the returned distribution, and run-time
      checks of a family's tensor parameters.
    name: optional name.
    tail_mass: optional float in `(0, 1)`: instead of `high`/`low`, the
      window `gengs.window(distribution, tail_mass)` (a family with
      parameters known in Python).

  Returns:
    A `TruncatedDiscrete` over outcomes `low, ..., high`. If the distribution
    holds variables, its logits are a `DeferredTensor`, recomputed at each
    use (so gradients reach the variables).

  Raises:
    TypeError: `distribution` is not a TFP distribution.
    ValueError: a continuous or non-scalar distribution, a bound that is not
      an integer, `high < low + 1`, a family's `low < 0`, or (known) family
      parameters out of range.

  #### Examples

  ```python
  import tensorflow_probability as tfp
  import tfp_gengs as gengs
  td = gengs.truncate(tfp.distributions.Poisson(100.), high=150, low=50)
  td.probs_parameter()   # [101] probabilities, tails on 50 and 150
  td = gengs.truncate(tfp.distributions.Poisson(100.), tail_mass=1e-6)
  ```
  """
  family = check_truncatable(distribution)
  if family is not None:
    values = family.values_of(distribution)
    # What the user typed is in `parameters`, before TFP's conversion.
    family.check_static({k: distribution.parameters.get(k)
                         for k in values})
    low, high = windows.resolve(family, values, high, low, tail_mass)
    windows.warn_if_wide(family, {k: distribution.parameters.get(k)
                                  for k in values}, low, high, 'truncate')
  else:
    if tail_mass is not None:
      raise ValueError(
          '`tail_mass` chooses a window only for tfd.Poisson, tfd.Binomial, '
          f'tfd.Geometric and tfd.NegativeBinomial; got '
          f'{type(distribution).__name__}: pass `high` (and `low`).')
    if high is None:
      raise ValueError('Argument `high` is required.')
    low, high = checks.check_window(low, high)
  with tf.name_scope(name or 'truncate'):
    dtype = (distribution.dtype if distribution.dtype.is_floating
             else tf.float32)
    outcomes = outcomes_lib.convert_outcomes(
        truncated_log_pmf.window_outcomes(low, high, dtype), dtype,
        assume_valid=True)

    def log_probs():
      checked = []
      if validate_args and family is not None:
        # Plain tensors and variables alike (`maybe_assert` picks by kind).
        checked = (family.assertions(values, is_init=True) +
                   family.assertions(values, is_init=False))
      with tf.control_dependencies(checked):
        return truncated_log_probs(distribution, low, high)

    if _has_ref_parameters(distribution):
      logits = deferred_tensor.DeferredTensor(
          tf.zeros([], outcomes.dtype), lambda _: log_probs(),
          dtype=outcomes.dtype,
          shape=distribution.batch_shape.concatenate([high - low + 1]),
          also_track=distribution)
    else:
      logits = log_probs()
    return truncated_discrete.TruncatedDiscrete(
        outcomes, logits=logits, validate_args=validate_args,
        name=name or 'TruncatedDiscrete')
