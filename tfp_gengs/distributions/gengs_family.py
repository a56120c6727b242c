"""GenGSFamily: the base of the named GenGS families (Poisson, ...)."""

from typing import Any, Optional

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import tensor_util
from tensorflow_probability.python.util import deferred_tensor

from tfp_gengs.distributions import families
from tfp_gengs.distributions import relaxed_discrete
from tfp_gengs.distributions import truncated_log_pmf
from tfp_gengs.distributions import windows
from tfp_gengs.internal import checks
from tfp_gengs.internal import outcomes as outcomes_lib

__all__ = ['GenGSFamily', 'SUCCESS_LOGITS', 'SUCCESS_PROBS', 'TrialsFamily']


def parameter(name: str, doc: str) -> property:
  """A read-only property: the family parameter `name` as given (or `None`).

  The named classes declare their parameters with it (`probs = parameter(
  'probs', ...)`), one line each instead of a property body per family.
  """
  return property(lambda self: self._params[name], doc=doc)  # pylint: disable=protected-access


# The success probability of the binomial, negative binomial and geometric.
SUCCESS_PROBS = parameter(
    'probs', 'The success probability, as given (or `None`).')
SUCCESS_LOGITS = parameter(
    'logits', 'The log-odds of success, as given (or `None`).')


class GenGSFamily(relaxed_discrete.RelaxedDiscrete):
  """A relaxed distribution whose `pi` is a family's truncated PMF.

  A sibling of `RelaxedTruncatedDiscrete` under `RelaxedDiscrete`.
  Subclasses name their family (`_FAMILY`, an entry of the registry
  `families.FAMILIES`) and keep its parameter names and meanings (as in
  `tfd.Poisson`, `tfd.Binomial`, ...); this class reads everything else
  from the registry: the rules the parameters must satisfy, the truncated
  log-PMF, the window rules and the TFP distribution being relaxed. `pi` is
  recomputed from the parameters at each use (`DeferredTensor`), so a
  distribution built from variables outside a `GradientTape` still
  differentiates.

  #### Windows

  Pass `high` (and `low`, default 0), or `tail_mass` to choose the window
  from parameters known in Python with `gengs.window` (its default rule: the
  smaller of the one-sided window and the two-sided one with `tail_mass / 2`
  on each side, leaving at most `tail_mass` of the mass outside). The
  binomial's default
  is its whole support. A window of 1024 or more outcomes that is more than
  8 times wider than the mass needs (`tail_mass = 1e-12`) warns once
  (`WideWindowWarning`): each sample costs `batch x n` floats.
  """

  _FAMILY: families.Family = None

  def __init__(self,
               params: dict,
               temperature: Any,
               high: Any,
               low: Any,
               tail_mass: Optional[float],
               straight_through: bool,
               validate_args: bool,
               allow_nan_stats: bool,
               parameters: dict,
               name: str):
    """Validates the parameters, resolves the window, builds the base.

    Args:
      params: the family's parameters by name, as passed (`None` for the
        ones not given).
      temperature: the Gumbel-Softmax temperature.
      high, low, tail_mass: the window, or the tail mass choosing it (see
        the class docstring); ignored for a family without a window.
      straight_through, validate_args, allow_nan_stats, name: as in
        `RelaxedTruncatedDiscrete`.
      parameters: the subclass's `dict(locals())`; the resolved window is
        written back into it, so copies and slices keep the same outcomes.
    """
    family = self._FAMILY
    family.check_given(params)
    family.check_static(params)
    with tf.name_scope(name) as name:
      tensors = [v for k, v in params.items()
                 if not family.parameter(k).static]
      dtype = dtype_util.common_dtype(tensors + [temperature],
                                      dtype_hint=tf.float32)
      self._params = {}
      for key, value in params.items():
        parameter = family.parameter(key)
        if parameter.static:
          # A constant tensor is only known here: check it as a Python value.
          value = checks.as_python_int(value, key)
          checks.check_static(value, key, parameter.constraint,
                              parameter.what)
        else:
          value = tensor_util.convert_nonref_to_tensor(value, dtype=dtype,
                                                       name=key)
        self._params[key] = value
      if family.min_low is None:  # no window (the multinomial)
        self._low = self._high = None
        outcomes = self._outcome_values(dtype)
      else:
        self._low, self._high = self._resolve_window(params, high, low,
                                                     tail_mass)
        parameters.update(low=self._low, high=self._high, tail_mass=None)
        windows.warn_if_wide(family, params, self._low, self._high,
                             type(self).__name__)
        outcomes = outcomes_lib.convert_outcomes(
            truncated_log_pmf.window_outcomes(self._low, self._high, dtype),
            dtype, assume_valid=True)
      num = tf.compat.dimension_value(outcomes.shape[0])
      given = [(key, v) for key, v in self._params.items()
               if v is not None and not family.parameter(key).static]
      batch_shape = tf.TensorShape([])
      for key, value in given:
        event_ndims = family.parameter(key).event_ndims
        shape = tf.TensorShape(value.shape)
        batch_shape = tf.broadcast_static_shape(
            batch_shape, shape[:shape.rank - event_ndims])
      base_logits = deferred_tensor.DeferredTensor(
          given[0][1], lambda _: self._pi_logits(), dtype=dtype,
          shape=batch_shape.concatenate([num]),
          also_track=[v for _, v in given[1:]])
      super().__init__(
          temperature=temperature, outcomes=outcomes, base_logits=base_logits,
          base_probs=None, dtype=dtype, straight_through=straight_through,
          validate_args=validate_args, allow_nan_stats=allow_nan_stats,
          parameters=parameters, name=name)

  def _resolve_window(self, params, high, low, tail_mass):
    """`(low, high)` from the arguments, the tail mass or the default."""
    return windows.resolve(self._FAMILY, params, high, low, tail_mass)

  def _outcome_values(self, dtype):
    """Outcomes of a family without a window (overridden by it)."""
    raise NotImplementedError

  @classmethod
  def _family_parameter_properties(cls, dtype):
    """`temperature` and the family's parameters (from the registry).

    Each subclass defines `_parameter_properties` as a call of this: TFP
    requires a class that redefines `__init__` to define it too.
    """
    return dict(temperature=relaxed_discrete.temperature_properties(dtype),
                **cls._FAMILY.parameter_properties(dtype))

  @property
  def low(self) -> Optional[int]:
    """Lowest outcome of the truncation window."""
    return self._low

  @property
  def high(self) -> Optional[int]:
    """Highest outcome of the truncation window."""
    return self._high

  @property
  def family(self) -> families.Family:
    """The registry entry of this family."""
    return self._FAMILY

  def untruncated(self) -> Any:
    """The TFP distribution `D(lambda)` that this family truncates."""
    return self._FAMILY.make_tfd(self._params,
                                 validate_args=self.validate_args)

  def _pi_logits(self):
    params = {k: v if isinstance(v, int) else tf.convert_to_tensor(v)
              for k, v in self._params.items() if v is not None}
    return self._FAMILY.log_pmf(self._low, self._high, **params)

  def _pi_assertions(self, is_init):
    return self._FAMILY.assertions(self._params, is_init)


class TrialsFamily(GenGSFamily):
  """The base of the families of `total_count` and `probs` or `logits`.

  `GenGSBinomial` and `GenGSNegativeBinomial` share this constructor and
  differ only in their registry entry (`_FAMILY`): what `total_count`
  counts, its constraint, the PMF and the default window.
  """

  def __init__(self,
               total_count: Any,
               probs: Any = None,
               logits: Any = None,
               temperature: Any = None,
               high: Optional[int] = None,
               low: int = 0,
               straight_through: bool = False,
               validate_args: bool = False,
               allow_nan_stats: bool = True,
               tail_mass: Optional[float] = None,
               name: Optional[str] = None):
    """Creates the distribution.

    Args:
      total_count: float `Tensor`: the binomial's number of trials
        (integers `>= 1`) or the negative binomial's number of failures `r`
        (finite, `> 0`).
      probs: float `Tensor` in the open interval `(0, 1)`, success
        probability.
      logits: float `Tensor`, finite, log-odds of success. Exactly one of
        `probs`, `logits`.
      temperature: as in `GenGSPoisson`.
      high: Python int, highest outcome. The binomial's default is the
        largest `total_count` (which must then be statically known).
      low, straight_through, validate_args, allow_nan_stats, tail_mass: as
        in `GenGSPoisson`.
      name: Python `str`; default the class name.

    Raises:
      ValueError: as `GenGSPoisson`; `total_count` outside its range.
    """
    name = name or type(self).__name__
    parameters = dict(locals())
    super().__init__(
        dict(total_count=total_count, probs=probs, logits=logits),
        temperature, high, low, tail_mass, straight_through=straight_through,
        validate_args=validate_args, allow_nan_stats=allow_nan_stats,
        parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return cls._family_parameter_properties(dtype)

  total_count = parameter('total_count', 'The family\'s `total_count`.')
  probs = SUCCESS_PROBS
  logits = SUCCESS_LOGITS
