"""The shared interface of the gradient estimators.

Every estimator answers one question: for a discrete distribution over
outcome values `c_1..c_n` with probabilities `pi = softmax(logits)`, where
the logits depend on parameters `theta`, and a differentiable loss `f` of the
outcome value, estimate

```none
grad_theta E_{z ~ pi(theta)}[f(z)] = J^T grad_logits E[f(z)],
grad_logits E[f(z)]_k = pi_k (f(c_k) - E[f(z)]),        J = d logits / d theta.
```

Each estimator computes a random estimate `g_hat` of `grad_logits E[f]` from
the *stopped* logits (so nothing it does leaks into `theta`'s gradient other
than through `g_hat`) and returns the surrogate

```none
surrogate = value + sum_k stop(s * g_hat_k) * (logits_k - stop(logits_k))
```

whose value is the estimate `value` of `E[f(z)]` (it also carries the
gradient of `f`'s own parameters) and whose gradient with respect to `theta`
is `s * J^T g_hat` by the chain rule. `s` is the `gradient_scale` (1 except
for NVIL's variance normalisation). Estimators that learn a control variate
return an `aux_loss` to minimise over their own `trainable_variables`. The
returned `aux_loss` has the value of the estimator's variance (or regression)
loss but its gradient reaches *only* the estimator's own variables: it is
rebuilt as `stop(aux) + sum_v stop(d aux / d v) (v - stop(v))` over
`estimator.trainable_variables`. So `surrogate + aux_loss` can be
differentiated in one call with respect to `theta`, `f`'s parameters and the
estimator's variables together, and the auxiliary loss never leaks into `f`'s
parameters (a decoder) or `theta` (an encoder).

Shapes: the logits are `batch_shape + [n]` and the outcomes `[n]` (scalar
outcomes) or `[n, d]` (vector outcomes). The last `latent_ndims` batch
dimensions are latent variables that `f` looks at jointly; the leading ones
(`model_shape`) index independent problems, e.g. data points of a minibatch,
each with its own learning signal (as in a VAE). `loss_fn` maps values of
shape `[m] + batch_shape + event_shape` to losses `[m] + model_shape`: every
estimator stacks the points where it evaluates `f` on one leading axis and
calls `loss_fn` once.
"""

import collections
import math

import tensorflow.compat.v2 as tf
from tensorflow_probability.python.internal import samplers

__all__ = ['EstimatorResult', 'GradientEstimator', 'Problem']


class EstimatorResult(collections.namedtuple(
    'EstimatorResult', ['surrogate', 'loss', 'aux_loss', 'logits_gradient',
                        'gradient_scale'])):
  """What an estimator returns.

  Fields:
    surrogate: `model_shape` tensor; `tf.reduce_sum(surrogate)` is the thing
      to differentiate (its gradient is the estimate).
    loss: `model_shape` tensor, the estimate of `E[f(z)]` (no gradient path
      to `theta`).
    aux_loss: scalar loss of the estimator's learned control variate (0 when
      there is none); minimise it over `estimator.trainable_variables`.
    logits_gradient: `batch_shape + [n]`, the estimate of
      `grad_logits E[f(z)]` before `gradient_scale`.
    gradient_scale: scalar factor the surrogate applies to
      `logits_gradient` (NVIL's variance normalisation, else 1).

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs

  dist = gengs.TruncatedDiscrete([0., 1., 2., 5.],
                                 logits=tf.zeros([100, 4]))  # 100 problems
  result = gengs.estimators.make('RF*')(dist, lambda z: (z - 1.5)**2,
                                       seed=(1, 2))
  float(result.gradient_scale)    # ==> 1.
  ```
  """
  __slots__ = ()


class Problem:
  """One call's view of the distribution and the loss, shared helpers.

  Attributes:
    logits: stopped logits `batch_shape + [n]`.
    log_pi: `log_softmax(logits)`.
    pi: `softmax(logits)`.
    outcomes: `[n]` or `[n, d]`.
  """

  def __init__(self, logits, outcomes, loss_fn, latent_ndims, context):
    self.logits = logits
    self.outcomes = tf.cast(outcomes, logits.dtype)
    self.loss_fn = loss_fn
    self.latent_ndims = latent_ndims
    self.context = context
    self.log_pi = tf.math.log_softmax(logits)
    self.pi = tf.math.softmax(logits)
    self.num_outcomes = tf.compat.dimension_value(logits.shape[-1])
    self.event_ndims = self.outcomes.shape.rank - 1
    batch_rank = logits.shape.rank - 1
    if latent_ndims > batch_rank:
      raise ValueError(f'`latent_ndims={latent_ndims}` exceeds the batch rank '
                       f'{batch_rank} of the logits.')
    self.model_rank = batch_rank - latent_ndims
    self.latent_shape = logits.shape[self.model_rank:-1].as_list()
    if None in self.latent_shape:
      raise ValueError('The latent dimensions (the last `latent_ndims` batch '
                       'dimensions of the logits) must be statically known; '
                       f'got {logits.shape}.')
    self.num_latents = math.prod(self.latent_shape)

  def with_logits(self, logits):
    """A copy whose `log_pi`/`pi` are recomputed from `logits` (for tapes)."""
    other = Problem.__new__(Problem)
    other.__dict__.update(self.__dict__)
    other.log_pi = tf.math.log_softmax(logits)
    other.pi = tf.math.exp(other.log_pi)
    return other

  # -- values and losses ------------------------------------------------------

  def values(self, index):
    """Outcome values at category `index` (`[...]` -> `[...] + event`)."""
    return tf.gather(self.outcomes, index)

  def project(self, x):
    """`T(x) = sum_k c_k x_k` of relaxed one-hot vectors `[..., n]`."""
    return tf.tensordot(x, self.outcomes, axes=[[-1], [0]])

  def evaluate(self, values):
    """`f` at `[m] + batch + event` values -> `[m] + model_shape`."""
    return self.loss_fn(values)

  # -- scores -----------------------------------------------------------------

  def score(self, index):
    """`grad_logits log pi(index) = one_hot(index) - pi`, `[...] + [n]`."""
    return tf.one_hot(index, self.num_outcomes, dtype=self.pi.dtype) - self.pi

  def score_gradient(self, index, weight):
    """`sum_s weight_s grad_logits log pi(index_s)`, `batch + [n]`.

    Args:
      index: `[m] + batch_shape` sampled categories.
      weight: `[m] + model_shape` learning signals (stopped by the caller's
        construction: they multiply a score, never get differentiated).
    """
    return tf.reduce_sum(self.expand(weight) * self.score(index), axis=0)

  def score_gradient_per_latent(self, index, weight):
    """As `score_gradient`, with a signal per latent: `weight [m] + batch`."""
    return tf.reduce_sum(weight[..., tf.newaxis] * self.score(index), axis=0)

  def _pick(self, table, index):
    """`table[..., index]` for `index` `[...] + batch_shape`.

    A `where`, not a one-hot product: `0 * log(0)` would be NaN where an
    outcome has probability 0 (`log pi = -inf`).
    """
    hit = tf.equal(tf.range(self.num_outcomes), index[..., tf.newaxis])
    return tf.reduce_sum(tf.where(hit, table, tf.zeros_like(table)), axis=-1)

  def prob_of(self, index):
    """`pi[index]` for `index` of shape `[...] + batch_shape`."""
    return self._pick(self.pi, index)

  def log_prob_of(self, index):
    """`log pi[index]` (finite wherever `index` has positive probability)."""
    return self._pick(self.log_pi, index)

  # -- one latent at a time (sum-over-categories estimators with latents) ----

  def one_at_a_time(self, base, new, event_ndims=0):
    """`[D] + batch (+ event)`: point `j` is `base` with latent `j` at `new`.

    With `D` latents per learning signal, the Rao-Blackwellised estimators
    treat each latent `j` conditionally on the others, `z_{-j} = base_{-j}`
    (a sample from `pi_{-j}`, independent of latent `j`'s noise), which
    costs one evaluation of `f` per latent (paper §6.1: otherwise `m^D`
    joint combinations). With `latent_ndims=0` (`D = 1`) this is `new`.
    `base` and `new` are category indices (`event_ndims=0`) or outcome
    values with the outcomes' `event_ndims`.
    """
    eye = tf.reshape(tf.eye(self.num_latents, dtype=tf.bool),
                     [self.num_latents] + [1] * self.model_rank +
                     self.latent_shape + [1] * event_ndims)
    return tf.where(eye, new[tf.newaxis], base[tf.newaxis])

  def per_latent(self, losses):
    """`[D] + model_shape` losses of `one_at_a_time` -> `batch_shape`."""
    rank = losses.shape.rank
    moved = tf.transpose(losses, list(range(1, rank)) + [0])
    return tf.reshape(moved, tf.concat(
        [tf.shape(moved)[:-1], tf.constant(self.latent_shape, tf.int32)], 0))

  def broadcast_to_latents(self, x):
    """`[...] + model_shape` -> `[...] + batch_shape` (repeat per latent)."""
    for _ in range(self.latent_ndims):
      x = x[..., tf.newaxis]
    return tf.broadcast_to(x, tf.concat(
        [tf.shape(x)[:x.shape.rank - self.latent_ndims],
         tf.constant(self.latent_shape, tf.int32)], 0))

  def expand(self, signal):
    """`[...] + model_shape` -> `[...] + model_shape + [1]*(latent + 1)`."""
    for _ in range(self.latent_ndims + 1):
      signal = signal[..., tf.newaxis]
    return signal

  def reduce_latent(self, x):
    """Sums the latent dimensions of a `[...] + batch_shape` tensor."""
    if self.latent_ndims == 0:
      return x
    return tf.reduce_sum(x, axis=list(range(-self.latent_ndims, 0)))


class GradientEstimator(tf.Module):
  """Base class: subclasses implement `_estimate(problem, seed)`.

  `_estimate` returns `(value, logits_gradient, aux_loss, gradient_scale)`
  computed from `problem` (whose logits are stopped); see the module
  docstring for the contract.

  Class attributes:
    unbiased: whether `logits_gradient` is an unbiased estimate of
      `grad_logits E[f]` (for the exact truncated distribution).
    num_evaluations: how many points `f` is evaluated at per estimate.

  #### Examples

  ```python
  import tensorflow as tf
  import tfp_gengs as gengs
  from tfp_gengs.estimators import base
  from tfp_gengs.estimators import sampling


  class Greedy(base.GradientEstimator):
    # Score function at the mode only (biased; an interface example).
    unbiased = False

    def _estimate(self, problem, seed):
      index = tf.argmax(problem.log_pi, -1, output_type=tf.int32)
      losses = problem.evaluate(problem.values(index)[tf.newaxis])
      grad = problem.score_gradient(index[tf.newaxis],
                                    tf.stop_gradient(losses))
      return losses[0], grad, None, None


  dist = gengs.TruncatedDiscrete([0., 1., 2.], logits=tf.zeros([4, 3]))
  Greedy()(dist, lambda z: z**2, seed=(1, 2)).surrogate.shape   # ==> [4]
  ```
  """

  unbiased = True
  num_evaluations = 1
  display_name = None

  def __init__(self, latent_ndims=0, name=None):
    super().__init__(name=name)
    latent_ndims = int(latent_ndims)
    if latent_ndims < 0:
      raise ValueError(f'`latent_ndims` must be >= 0; got {latent_ndims}.')
    self.latent_ndims = latent_ndims

  def __call__(self, distribution, loss_fn, seed, context=None):
    """Estimates `grad E[f(z)]` for `z ~ distribution`.

    Args:
      distribution: a `TruncatedDiscrete` (anything with `outcomes` and
        `logits_parameter()`) whose logits depend on the parameters.
      loss_fn: callable, values `[m] + batch + event` -> `[m] + model_shape`.
      seed: int or stateless seed.
      context: optional `model_shape + [c]` features (e.g. the data point)
        for input-dependent learned control variates (NVIL, RELAX).

    Returns:
      An `EstimatorResult`.
    """
    with tf.name_scope(self.name):
      logits = tf.convert_to_tensor(distribution.logits_parameter())
      outcomes = tf.convert_to_tensor(distribution.outcomes)
      problem = Problem(tf.stop_gradient(logits), outcomes, loss_fn,
                        self.latent_ndims, context)
      # The tape sees the estimator's own variables (built lazily on the
      # first call, so they are collected after `_estimate`).
      with tf.GradientTape() as aux_tape:
        value, grad, aux_loss, scale = self._estimate(
            problem, samplers.sanitize_seed(seed))
      if aux_loss is None:
        aux_loss = tf.zeros([], logits.dtype)
      else:
        aux_loss = _restrict_gradient(aux_loss, aux_tape,
                                      self.trainable_variables)
      if scale is None:
        scale = tf.ones([], logits.dtype)
      # `logits - stop(logits)` is 0 with gradient 1, except at outcomes of
      # probability 0 (`-inf - -inf = NaN`), where the estimate is 0 too.
      finite = tf.where(tf.math.is_finite(logits), logits,
                        tf.zeros_like(logits))
      centered = finite - tf.stop_gradient(finite)
      chain = tf.reduce_sum(tf.stop_gradient(scale * grad) * centered,
                            axis=-1)
      surrogate = value + problem.reduce_latent(chain)
      return EstimatorResult(surrogate, tf.stop_gradient(value), aux_loss,
                             tf.stop_gradient(grad), tf.stop_gradient(scale))

  def _estimate(self, problem, seed):
    raise NotImplementedError


def _restrict_gradient(loss, tape, variables):
  """`loss` whose gradient reaches only `variables` (and equals theirs).

  `stop(loss) + sum_v <stop(d loss / d v), v - stop(v)>`: the value of
  `loss`, the gradient `d loss / d v` for each of `variables`, and no
  gradient for anything else `loss` depends on (`f`'s own parameters).
  """
  variables = list(variables)
  restricted = tf.stop_gradient(loss)
  if not variables:
    return restricted
  grads = tape.gradient(loss, variables,
                        unconnected_gradients=tf.UnconnectedGradients.ZERO)
  for var, grad in zip(variables, grads):
    value = tf.convert_to_tensor(var)
    restricted += tf.cast(tf.reduce_sum(
        tf.stop_gradient(tf.cast(grad, value.dtype)) *
        (value - tf.stop_gradient(value))), loss.dtype)
  return restricted


def logits_gradient_of(problem, fn):
  """`(outputs, grad_logits outputs[0])` with `fn` evaluated on a tape.

  `fn` receives a `Problem` whose `log_pi`/`pi` are differentiable functions
  of the (stopped) logits and returns a tuple whose first element is a
  `model_shape` tensor; the gradient of its sum with respect to the logits
  is returned (the pathwise part of the relaxation-based estimators). The
  tape is opened inside any outer tape, so the gradient stays differentiable
  in the estimator's own variables (what RELAX's variance loss needs).
  """
  logits = tf.identity(problem.logits)
  with tf.GradientTape() as tape:
    tape.watch(logits)
    outputs = fn(problem.with_logits(logits))
    total = tf.reduce_sum(outputs[0])
  grad = tape.gradient(total, logits)
  if grad is None:
    grad = tf.zeros_like(logits)
  return outputs, grad
