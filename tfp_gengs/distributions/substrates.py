"""Array substrates: one formula, TensorFlow tensors or JAX arrays.

The truncated log-PMFs (`distributions.truncated_log_pmf`), the sample
gradients (`distributions.sample_gradients`) and the categorical KL are
written once against a small namespace of array operations, `o`, and run on
either substrate:

```none
'tensorflow'   tf ops (the TFP distributions, the estimators, the Keras
               layers on Keras's TensorFlow backend)
'jax'          jax.numpy / jax.scipy.special / jax.random (the Keras layers
               on Keras's JAX backend)
```

The TensorFlow substrate is the identity on the code that existed before
(the same ops, the same numbers for the same seed). The JAX one is imported
lazily, so the package does not need JAX; its random ops take a raw
`uint32[2]` key (what `keras.random.SeedGenerator.next()` gives on JAX) and
draw a different (equally distributed) stream than TensorFlow's Philox.

Only what the formulas need is here: elementwise math with the special
functions `lgamma`, `igamma` / `igammac` (regularized lower / upper
incomplete gamma) and `betainc`, a few shape helpers, `custom_gradient`,
and the uniform draws the Gumbel noise derives from.
"""

import functools
import types

import numpy as np

__all__ = ['BACKENDS', 'get', 'for_keras_backend']

BACKENDS = ('tensorflow', 'jax', 'torch')


def _tensorflow():
  import tensorflow.compat.v2 as tf  # pylint: disable=g-import-not-at-top
  from tensorflow_probability.python.internal import prefer_static as ps  # pylint: disable=g-import-not-at-top
  from tensorflow_probability.python.internal import samplers  # pylint: disable=g-import-not-at-top
  from tfp_gengs.distributions import gumbel_softmax  # pylint: disable=g-import-not-at-top

  def broadcast_all(*xs):
    shape = functools.reduce(ps.broadcast_shape, [ps.shape(x) for x in xs])
    return [tf.broadcast_to(x, shape) for x in xs]

  def sample_shape_of(sample_shape, like):
    """`sample_shape + shape(like)` as a shape (tensor or static)."""
    sample_shape = ps.reshape(
        ps.convert_to_shape_tensor(ps.cast(sample_shape, tf.int32)), [-1])
    return ps.concat([sample_shape, ps.shape(like)], 0)

  return types.SimpleNamespace(
      name='tensorflow',
      convert=lambda x, dtype=None, dtype_hint=None: tf.convert_to_tensor(
          x, dtype=dtype, dtype_hint=dtype_hint),
      constant=tf.constant,
      dtype_of=lambda x: x.dtype,
      tiny=lambda x: np.finfo(x.dtype.as_numpy_dtype).tiny,
      where=tf.where, equal=tf.equal, maximum=tf.maximum,
      log=tf.math.log, exp=tf.exp, expm1=tf.math.expm1, log1p=tf.math.log1p,
      reciprocal=tf.math.reciprocal, is_finite=tf.math.is_finite,
      sigmoid=tf.math.sigmoid, log_sigmoid=tf.math.log_sigmoid,
      softmax=tf.math.softmax, log_softmax=tf.math.log_softmax,
      logsumexp=tf.math.reduce_logsumexp,
      lgamma=tf.math.lgamma, igamma=tf.math.igamma, igammac=tf.math.igammac,
      betainc=tf.math.betainc,
      zeros_like=tf.zeros_like, ones_like=tf.ones_like,
      full_like=lambda x, v: tf.fill(ps.shape(x), tf.constant(v, x.dtype)),
      concat=lambda xs, axis: tf.concat(xs, axis=axis),
      broadcast_to=tf.broadcast_to, shape=ps.shape,
      broadcast_all=broadcast_all, sample_shape_of=sample_shape_of,
      reduce_sum=tf.reduce_sum, reduce_mean=tf.reduce_mean,
      argmax=lambda x: tf.argmax(x, axis=-1, output_type=tf.int32),
      one_hot=lambda i, n, dtype: tf.one_hot(i, n, dtype=dtype),
      one_hot_mask=lambda i, n: tf.one_hot(i, n, on_value=True,
                                           off_value=False),
      gather=tf.gather, tensordot_last=lambda x, c: tf.tensordot(
          x, c, axes=[[-1], [0]]),
      stop_gradient=tf.stop_gradient, identity=tf.identity,
      custom_gradient=tf.custom_gradient,
      sanitize_seed=samplers.sanitize_seed,
      split_seed=lambda seed: samplers.split_seed(seed)[1],
      uniform=gumbel_softmax.uniform,
      perturbed_logits=gumbel_softmax.perturbed_logits,
      switch_case=lambda index, branches: tf.switch_case(
          tf.convert_to_tensor(index), branches),
      split_last=lambda x, d, n: tf.reshape(
          x, tf.concat([tf.shape(x)[:-1], [d, n]], axis=0)),
  )


def _jax():
  try:
    import jax  # pylint: disable=g-import-not-at-top
    import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
    from jax.scipy import special  # pylint: disable=g-import-not-at-top
  except ImportError as e:  # pragma: no cover
    raise ImportError(
        'The JAX substrate (the Keras layers on KERAS_BACKEND=jax) needs '
        'JAX: pip install "tfp_gengs[jax]".') from e

  def convert(x, dtype=None, dtype_hint=None):
    if dtype is None and dtype_hint is not None and not hasattr(x, 'dtype'):
      dtype = dtype_hint
    return jnp.asarray(x, dtype=None if dtype is None else jnp.dtype(dtype))

  def uniform(shape, dtype, seed):
    tiny = np.finfo(dtype).tiny
    return jax.random.uniform(seed, tuple(shape), dtype=dtype, minval=tiny,
                              maxval=1.)

  def perturbed_logits(logits, temperature, sample_shape=(), seed=None):
    batch = np.broadcast_shapes(jnp.shape(temperature), logits.shape[:-1])
    shape = tuple(np.reshape(sample_shape, [-1]).astype(int)) + batch + (
        logits.shape[-1],)
    return logits - jnp.log(-jnp.log(uniform(shape, logits.dtype, seed)))

  @jax.custom_jvp
  def betainc(a, b, x):
    """`I_x(a, b)`, differentiable in `x` only, as TensorFlow's."""
    return special.betainc(a, b, x)

  @betainc.defjvp
  def _betainc_jvp(primals, tangents):
    # d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b), with 0 log 0 = 0 (JAX's
    # own rule gives NaN at x = 1 for b = 1).
    a, b, x = primals
    dx = tangents[2]
    # log B(a, b) from gammaln: `special.betaln` is off by ~1e-6 in float64.
    log_beta = special.gammaln(a) + special.gammaln(b) - special.gammaln(a + b)
    density = jnp.exp(special.xlogy(a - 1., x) +
                      special.xlog1py(b - 1., -x) - log_beta)
    return special.betainc(a, b, x), density * dx

  def sanitize_seed(seed):
    if isinstance(seed, (int, np.integer)):
      return jax.random.PRNGKey(int(seed))
    return jnp.asarray(seed).astype(jnp.uint32)

  return types.SimpleNamespace(
      name='jax',
      convert=convert,
      constant=lambda v, dtype=None: jnp.asarray(
          v, dtype=None if dtype is None else jnp.dtype(dtype)),
      dtype_of=lambda x: x.dtype,
      tiny=lambda x: np.finfo(x.dtype).tiny,
      where=jnp.where, equal=jnp.equal, maximum=jnp.maximum,
      log=jnp.log, exp=jnp.exp, expm1=jnp.expm1, log1p=jnp.log1p,
      reciprocal=jnp.reciprocal, is_finite=jnp.isfinite,
      sigmoid=jax.nn.sigmoid, log_sigmoid=jax.nn.log_sigmoid,
      softmax=jax.nn.softmax, log_softmax=jax.nn.log_softmax,
      logsumexp=lambda x, axis, keepdims=False: special.logsumexp(
          x, axis=axis, keepdims=keepdims),
      lgamma=special.gammaln, igamma=special.gammainc,
      igammac=special.gammaincc, betainc=betainc,
      zeros_like=jnp.zeros_like, ones_like=jnp.ones_like,
      full_like=jnp.full_like,
      concat=lambda xs, axis: jnp.concatenate(xs, axis=axis),
      broadcast_to=jnp.broadcast_to, shape=jnp.shape,
      broadcast_all=lambda *xs: list(jnp.broadcast_arrays(*xs)),
      sample_shape_of=lambda sample_shape, like: tuple(
          np.reshape(sample_shape, [-1]).astype(int)) + tuple(like.shape),
      reduce_sum=lambda x, axis=None, keepdims=False: jnp.sum(
          x, axis=axis, keepdims=keepdims),
      reduce_mean=lambda x, axis=None, keepdims=False: jnp.mean(
          x, axis=axis, keepdims=keepdims),
      argmax=lambda x: jnp.argmax(x, axis=-1).astype(jnp.int32),
      one_hot=lambda i, n, dtype: jax.nn.one_hot(i, n, dtype=dtype),
      one_hot_mask=lambda i, n: jax.nn.one_hot(i, n, dtype=jnp.int32) > 0,
      gather=lambda c, i: jnp.take(c, i, axis=0),
      tensordot_last=lambda x, c: jnp.tensordot(x, c, axes=[[-1], [0]]),
      stop_gradient=jax.lax.stop_gradient, identity=lambda x: x,
      custom_gradient=jax.custom_gradient,
      sanitize_seed=sanitize_seed,
      split_seed=lambda seed: jax.random.split(seed)[1],
      uniform=uniform,
      perturbed_logits=perturbed_logits,
      switch_case=lambda index, branches: jax.lax.switch(index, branches),
      split_last=lambda x, d, n: jnp.reshape(x, x.shape[:-1] + (d, n)),
  )


def _torch():
  import torch  # pylint: disable=g-import-not-at-top
  import torch.nn.functional as F  # pylint: disable=g-import-not-at-top,invalid-name

  def device():
    """Keras's device on its torch backend, else torch's default."""
    import keras  # pylint: disable=g-import-not-at-top
    if keras.backend.backend() == 'torch':
      return keras.ops.convert_to_tensor(0.).device
    return torch.get_default_device()

  def torch_dtype(dtype):
    return dtype if isinstance(dtype, torch.dtype) else getattr(
        torch, str(np.dtype(dtype)))

  def convert(x, dtype=None, dtype_hint=None):
    if dtype is None and dtype_hint is not None and not torch.is_tensor(x):
      dtype = dtype_hint
    if torch.is_tensor(x):
      return x if dtype is None else x.to(torch_dtype(dtype))
    return torch.as_tensor(np.asarray(x), device=device(),
                           dtype=None if dtype is None else torch_dtype(dtype))

  def betainc(a, b, x):
    raise NotImplementedError(
        'The regularized incomplete beta function (the binomial and negative '
        'binomial tails) is missing from torch.special: Keras\'s PyTorch '
        'backend supports the Poisson and geometric layers and implicit '
        'inference.')

  def custom_gradient(f):
    """`f(*inputs) -> (value, grad)`, `grad(upstream) -> input grads`."""

    class Function(torch.autograd.Function):

      @staticmethod
      def forward(ctx, *inputs):  # pylint: disable=arguments-differ
        value, ctx.grad = f(*inputs)
        return value

      @staticmethod
      def backward(ctx, upstream):  # pylint: disable=arguments-differ
        grads = ctx.grad(upstream)
        return grads if isinstance(grads, tuple) else (grads,)

    return Function.apply

  # Keras builds a torch model by running it on "meta" tensors (shapes, no
  # data): there the seed, the draws and the branch index are placeholders.
  def is_meta(x):
    return torch.is_tensor(x) and x.device.type == 'meta'

  def sanitize_seed(seed):
    """A Python int from an int or a Keras seed tensor `[2]`."""
    if isinstance(seed, (int, np.integer)):
      return int(seed) & 0xFFFFFFFF
    if is_meta(seed):
      return 0
    a, b = (int(v) for v in np.asarray(seed.detach().cpu()
                                       if torch.is_tensor(seed) else seed))
    return (a * 0x9E3779B1 + b) & 0xFFFFFFFF

  def uniform(shape, dtype, seed):
    if str(device()) == 'meta':
      return torch.empty(tuple(int(d) for d in shape),
                         dtype=torch_dtype(dtype), device='meta')
    generator = torch.Generator(device=device())
    generator.manual_seed(int(seed))
    dtype = torch_dtype(dtype)
    tiny = torch.finfo(dtype).tiny
    u = torch.rand(tuple(int(d) for d in shape), generator=generator,
                   dtype=dtype, device=device())
    return u * (1. - tiny) + tiny

  def perturbed_logits(logits, temperature, sample_shape=(), seed=None):
    batch = torch.broadcast_shapes(tuple(temperature.shape),
                                   tuple(logits.shape[:-1]))
    shape = tuple(np.reshape(sample_shape, [-1]).astype(int)) + tuple(
        batch) + (logits.shape[-1],)
    return logits - torch.log(-torch.log(uniform(shape, logits.dtype, seed)))

  def logsumexp(x, axis, keepdims=False):
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)

  def reduce(op):
    def fn(x, axis=None, keepdims=False):
      return op(x) if axis is None else op(x, dim=axis, keepdim=keepdims)
    return fn

  return types.SimpleNamespace(
      name='torch',
      convert=convert,
      constant=lambda v, dtype=None: convert(v, dtype),
      dtype_of=lambda x: x.dtype,
      tiny=lambda x: torch.finfo(x.dtype).tiny,
      where=lambda c, x, y: torch.where(
          c, *[v if torch.is_tensor(v) else torch.as_tensor(
              v, dtype=(x if torch.is_tensor(x) else y).dtype,
              device=c.device) for v in (x, y)]),
      equal=lambda x, y: torch.eq(x, y), maximum=lambda x, y: torch.maximum(
          x, y if torch.is_tensor(y) else torch.as_tensor(
              y, dtype=x.dtype, device=x.device)),
      log=torch.log, exp=torch.exp, expm1=torch.expm1, log1p=torch.log1p,
      reciprocal=torch.reciprocal, is_finite=torch.isfinite,
      sigmoid=torch.sigmoid, log_sigmoid=F.logsigmoid,
      softmax=lambda x: torch.softmax(x, dim=-1),
      log_softmax=lambda x: torch.log_softmax(x, dim=-1),
      logsumexp=logsumexp,
      lgamma=torch.special.gammaln, igamma=torch.special.gammainc,
      igammac=torch.special.gammaincc, betainc=betainc,
      zeros_like=torch.zeros_like, ones_like=torch.ones_like,
      full_like=torch.full_like,
      concat=lambda xs, axis: torch.cat(xs, dim=axis),
      broadcast_to=lambda x, shape: torch.broadcast_to(x, tuple(shape)),
      shape=lambda x: tuple(x.shape),
      broadcast_all=lambda *xs: list(torch.broadcast_tensors(*xs)),
      sample_shape_of=lambda sample_shape, like: tuple(
          np.reshape(sample_shape, [-1]).astype(int)) + tuple(like.shape),
      reduce_sum=reduce(torch.sum), reduce_mean=reduce(torch.mean),
      argmax=lambda x: torch.argmax(x, dim=-1),
      one_hot=lambda i, n, dtype: F.one_hot(i.long(), n).to(dtype),
      one_hot_mask=lambda i, n: F.one_hot(i.long(), n) > 0,
      gather=lambda c, i: c[i.long()],
      tensordot_last=lambda x, c: torch.tensordot(x, c, dims=([-1], [0])),
      stop_gradient=lambda x: x.detach(), identity=lambda x: x.clone(),
      custom_gradient=custom_gradient,
      sanitize_seed=sanitize_seed,
      split_seed=lambda seed: (seed * 0x85EBCA6B + 0x27D4EB2F) & 0xFFFFFFFF,
      uniform=uniform,
      perturbed_logits=perturbed_logits,
      switch_case=lambda index, branches: branches[
          0 if is_meta(index) else int(index)](),
      split_last=lambda x, d, n: x.reshape(*x.shape[:-1], d, n),
  )


_FACTORIES = {'tensorflow': _tensorflow, 'jax': _jax, 'torch': _torch}


@functools.lru_cache(maxsize=None)
def get(backend: str = 'tensorflow') -> types.SimpleNamespace:
  """The substrate namespace `o` for `backend` (`'tensorflow'` or `'jax'`)."""
  if backend not in _FACTORIES:
    raise ValueError(f'Argument `backend` must be one of {BACKENDS}; got '
                     f'{backend!r}.')
  return _FACTORIES[backend]()


def for_keras_backend() -> types.SimpleNamespace:
  """The substrate of the running Keras backend, or a `ValueError` naming it.

  On Keras's PyTorch backend `torch.special` lacks the regularized
  incomplete beta function: there the binomial and negative binomial
  layers in explicit mode are refused at construction
  (`check_family_supported`).
  """
  import keras  # pylint: disable=g-import-not-at-top
  backend = keras.backend.backend()
  if backend not in _FACTORIES:
    raise ValueError(
        f'The tfp_gengs Keras layers run on the Keras backends {BACKENDS}; '
        f'this Keras runs on {backend!r} (KERAS_BACKEND). Set '
        'KERAS_BACKEND=jax or tensorflow before importing Keras.')
  return get(backend)


# The special functions each family's truncated log-PMF needs, and the
# backends whose substrate lacks one of them.
MISSING_FUNCTIONS = {'torch': {'binomial': 'betainc',
                               'negative_binomial': 'betainc'}}


def check_family_supported(backend: str, family: str) -> None:
  """A `ValueError` naming the backend and the missing special function
  when `backend` cannot compute `family`'s truncated log-PMF."""
  missing = MISSING_FUNCTIONS.get(backend, {}).get(family)
  if missing is not None:
    raise ValueError(
        f'The {family} truncated log-PMF (explicit inference) needs the '
        f'regularized incomplete beta function `{missing}`, which Keras\'s '
        f'{backend!r} backend does not have (torch.special lacks it). Use '
        'inference=\'implicit\', or KERAS_BACKEND=tensorflow or jax.')
