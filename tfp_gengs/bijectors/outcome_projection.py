"""OutcomeProjection bijector: the linear map `T(x) = sum_k c_k x_k`."""

from typing import Any

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.bijectors import bijector
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import tensorshape_util

from tfp_gengs.internal import outcomes as outcomes_lib

__all__ = ['OutcomeProjection']


class OutcomeProjection(bijector.AutoCompositeTensorBijector):
  """Maps a (relaxed) one-hot vector to the outcome value it selects.

  GenGS step 2 (paper Theorem 3): with outcome values `c_1, ..., c_n`,

  ```none
  T(x) = sum_k c_k x_k
  ```

  For scalar outcomes (`outcomes` of shape `[n]`) `T: [..., n] -> [...]`; for
  vector outcomes (`outcomes` of shape `[n, d]`, e.g. every count vector of a
  multinomial) `T: [..., n] -> [..., d]`. On a one-hot `x` it returns the
  selected outcome exactly; on a Gumbel-Softmax sample it returns the relaxed
  value.

  #### Mathematical Details

  `T` is linear, so its Jacobian is constant. It is injective on the
  probability simplex only for two scalar outcomes: then
  `x = (1 - u, u)` with `u = (y - c_1) / (c_2 - c_1)` and the log-determinant
  of the map from the free coordinate `u` is `log|c_2 - c_1|` (the density
  convention of `tfd.RelaxedOneHotCategorical`). For more outcomes the
  inverse image of a value is an `(n - 2)`-dimensional polytope, so `inverse`
  raises `NotImplementedError`.

  #### Examples

  ```python
  import tfp_gengs as gengs
  t = gengs.bijectors.OutcomeProjection([0., 1., 2., 3.])
  t.forward([0., 0., 1., 0.])        # ==> 2.
  t.forward([0.1, 0.2, 0.3, 0.4])    # ==> 2.
  ```
  """

  def __init__(self,
               outcomes: Any,
               validate_args: bool = False,
               name: str = 'outcome_projection'):
    """Creates the projection.

    Args:
      outcomes: float `Tensor` of shape `[n]` (scalar outcomes) or `[n, d]`
        (vector outcomes), `n >= 2`, distinct and finite (checked at once
        when known, at run time under `validate_args` otherwise). It has no
        batch dimensions.
      validate_args: Python `bool`, check arguments at run time.
      name: Python `str` name prefixed to ops created by this class.

    Raises:
      ValueError: if `outcomes` does not have rank 1 or 2, has fewer than 2
        rows, or (when known) repeats a row or is not finite.
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype([outcomes], dtype_hint=tf.float32)
      self._outcomes = outcomes_lib.convert_outcomes(outcomes, dtype)
      rank = tensorshape_util.rank(self._outcomes.shape)
      super().__init__(
          forward_min_event_ndims=1,
          inverse_min_event_ndims=rank - 1,
          is_constant_jacobian=True,
          validate_args=validate_args,
          dtype=dtype,
          parameters=parameters,
          name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        outcomes=parameter_properties.ParameterProperties(
            event_ndims=lambda self: tensorshape_util.rank(
                self.outcomes.shape),
            default_constraining_bijector_fn=(
                parameter_properties.BIJECTOR_NOT_IMPLEMENTED),
            is_preferred=False))

  @property
  def outcomes(self):
    """Outcome values `c`, shape `[n]` or `[n, d]`."""
    return self._outcomes

  @property
  def num_outcomes(self):
    """Static number of outcomes `n` (or `None` if unknown)."""
    return tf.compat.dimension_value(self._outcomes.shape[0])

  @property
  def outcome_shape(self):
    """Event shape of one outcome: `[]` or `[d]`."""
    return self._outcomes.shape[1:]

  @property
  def _is_scalar_pair(self):
    return self._outcomes.shape.rank == 1 and self.num_outcomes == 2

  @property
  def _is_injective(self):
    return self._is_scalar_pair

  def _forward(self, x):
    return outcomes_lib.project(x, self._outcomes)

  def _inverse(self, y):
    if not self._is_scalar_pair:
      raise NotImplementedError(
          'OutcomeProjection is not injective for more than 2 outcomes (or for '
          'vector outcomes): T(x) = sum_k c_k x_k maps the (n-1)-simplex onto '
          'a set of lower dimension, so a value has infinitely many preimages '
          'and no inverse.')
    c0, c1 = self._outcomes[0], self._outcomes[1]
    u = (y - c0) / (c1 - c0)
    return tf.stack([1. - u, u], axis=-1)

  def _forward_log_det_jacobian(self, x):
    if not self._is_scalar_pair:
      raise NotImplementedError(
          'OutcomeProjection has a log-det-Jacobian only for 2 scalar '
          'outcomes: it changes the dimension of its input otherwise.')
    return tf.math.log(tf.abs(self._outcomes[1] - self._outcomes[0]))

  def _forward_event_shape(self, input_shape):
    return input_shape[:-1].concatenate(self.outcome_shape)

  def _forward_event_shape_tensor(self, input_shape):
    return ps.concat([input_shape[:-1], ps.shape(self._outcomes)[1:]], 0)

  def _inverse_event_shape(self, output_shape):
    rank = self._outcomes.shape.rank
    batch = output_shape if rank == 1 else output_shape[:-1]
    return batch.concatenate([self.num_outcomes])

  def _inverse_event_shape_tensor(self, output_shape):
    rank = self._outcomes.shape.rank
    batch = output_shape if rank == 1 else output_shape[:-1]
    return ps.concat([batch, ps.shape(self._outcomes)[:1]], 0)

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args or not is_init:
      return []
    return outcomes_lib.outcome_assertions(self._outcomes)
