r"""One benchmark implementation in its own process (driven by `peers.py`).

Task, identical for every implementation: relaxed Poisson samples from rates
`[batch, dims]` over outcomes `0..n-1` at temperature 0.5, then the gradient
of `sum((z - 2)^2)` with respect to the rates.

The worker reads JSON commands on stdin, one per line, and answers one JSON
line on stdout:
  {"cmd": "setup", "batch": B, "dims": D, "n": N}   -> {"ok": true}
  {"cmd": "time", "calls": K}                     -> {"ms": median-free mean}
  {"cmd": "moments", "rate": r, "n": N, "num": M} -> sample mean/var at r
  {"cmd": "quit"}

Only the imports of the chosen implementation are loaded, so the peers'
environment (`benchmarks/requirements-peers.txt`) needs no TensorFlow and
ours needs no PyTorch or JAX.
"""

import json
import os
import sys
import time

TEMPERATURE = 0.5


# ----------------------------------------------------------------------------
# Implementations: make(batch, dims, n) -> step() returning the gradient, and
# sampler(rate, n, num) -> numpy samples for the distribution check.
# ----------------------------------------------------------------------------


def tf_sample(kind, rate, n, seed, straight_through=False):
  """One relaxed Poisson sample per rate, with TensorFlow.

  `kind='gengs'`: `GenGSPoisson(rate, 0.5, high=n-1)` (tail mass on n-1).
  `kind='plain'`: the Poisson log-PMF on 0..n-1 (renormalised), plain
  `tfd.RelaxedOneHotCategorical(0.5, logits).sample()`, a matvec with the
  outcomes.
  `kind='eat_cubic'` / `'eat_sigmoid'`: `ExponentialArrivalPoisson(rate,
  0.5, num_arrivals=n)`, the same effective window (its counts are at most
  `n`; GenGS's `n` outcomes are `0..n-1`).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  import tfp_gengs as gengs  # pylint: disable=g-import-not-at-top
  if kind == 'gengs':
    return gengs.GenGSPoisson(rate=rate, temperature=TEMPERATURE, high=n - 1,
                              straight_through=straight_through).sample(
                                  seed=seed)
  if kind in ('eat_cubic', 'eat_sigmoid'):
    return gengs.ExponentialArrivalPoisson(
        rate=rate, temperature=TEMPERATURE, num_arrivals=n,
        smoothing=kind[len('eat_'):],
        straight_through=straight_through).sample(seed=seed)
  k = tf.range(n, dtype=rate.dtype)
  logits = (k * tf.math.log(rate)[..., None] - rate[..., None] -
            tf.math.lgamma(k + 1.))
  x = tfp.distributions.RelaxedOneHotCategorical(
      TEMPERATURE, logits=logits).sample(seed=seed)
  return tf.linalg.matvec(x, k)


def tf_gradient(kind, rate, n, seed, straight_through=False):
  """Gradient of `sum((z - 2)^2)` w.r.t. `rate`, `z = tf_sample(...)`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tf.GradientTape() as tape:
    tape.watch(rate)
    z = tf_sample(kind, rate, n, seed, straight_through)
    loss = tf.reduce_sum((z - 2.)**2)
  return tape.gradient(loss, rate)


def _tf_impl(kind, jit):
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  def sample(rate, n, seed):
    return tf_sample(kind, rate, n, seed)

  def make(batch, dims, n):
    rate = tf.constant(np.random.RandomState(0).uniform(
        1., 5., size=[batch, dims]), tf.float32)

    grad = tf.function(lambda rate, seed: tf_gradient(kind, rate, n, seed),
                       jit_compile=jit)

    counter = [0]

    def step():
      counter[0] += 1
      return grad(rate, tf.constant([counter[0], 0])).numpy()
    return step

  def sampler(rate, n, num):
    return tf.function(sample, jit_compile=jit)(
        tf.fill([num], tf.constant(rate, tf.float32)), n,
        tf.constant([7, 7])).numpy()
  return make, sampler


def _torch_threads():
  """PyTorch with `PEERS_TORCH_THREADS` threads (default: every core)."""
  import torch  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(int(os.environ.get('PEERS_TORCH_THREADS',
                                           os.cpu_count() or 1)))
  return torch


def _torch_log_pmf(torch, rate, n):
  k = torch.arange(n, dtype=rate.dtype)
  return k * torch.log(rate)[..., None] - rate[..., None] - torch.lgamma(k + 1)


def _torch_impl(kind):
  torch = _torch_threads()
  import numpy as np  # pylint: disable=g-import-not-at-top
  import torch.nn.functional as F  # pylint: disable=g-import-not-at-top,invalid-name

  def sample(rate, n):
    logits = _torch_log_pmf(torch, rate, n)
    if kind == 'relaxit':
      from relaxit.distributions import GeneralizedGumbelSoftmax  # pylint: disable=g-import-not-at-top
      values = torch.arange(n, dtype=rate.dtype)
      return GeneralizedGumbelSoftmax(
          values, logits=logits, tau=torch.tensor(TEMPERATURE)).rsample_value()
    x = F.gumbel_softmax(logits, tau=TEMPERATURE)
    return x @ torch.arange(n, dtype=rate.dtype)

  def make(batch, dims, n):
    rate = torch.tensor(np.random.RandomState(0).uniform(
        1., 5., size=[batch, dims]), dtype=torch.float32, requires_grad=True)

    def step():
      rate.grad = None
      loss = ((sample(rate, n) - 2.)**2).sum()
      loss.backward()
      return rate.grad.numpy()
    return step

  def sampler(rate, n, num):
    torch.manual_seed(7)
    with torch.no_grad():
      return sample(torch.full([num], float(rate)), n).numpy()
  return make, sampler


def _jax_impl():
  os.environ.setdefault('XLA_FLAGS', '')
  import types  # pylint: disable=g-import-not-at-top
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  from pyRDDLGym_jax.core.logic import GumbelSoftmaxPoisson  # pylint: disable=g-import-not-at-top

  def sample(key, rate, n):
    # pyRDDLGym-jax's own relaxation (softmax weight w = 1 / temperature);
    # the method only reads `poisson_nbins` from its compiler instance.
    config = types.SimpleNamespace(poisson_nbins=n)
    return GumbelSoftmaxPoisson.gumbel_softmax_poisson(
        config, key, rate, 1. / TEMPERATURE, 1e-14)

  def make(batch, dims, n):
    rate = jnp.asarray(np.random.RandomState(0).uniform(
        1., 5., size=[batch, dims]), jnp.float32)
    grad = jax.jit(jax.grad(
        lambda r, key: jnp.sum((sample(key, r, n) - 2.)**2)))
    counter = [0]

    def step():
      counter[0] += 1
      return np.asarray(grad(rate, jax.random.PRNGKey(counter[0])))
    return step

  def sampler(rate, n, num):
    return np.asarray(jax.jit(sample, static_argnums=2)(
        jax.random.PRNGKey(7), jnp.full([num], rate, jnp.float32), n))
  return make, sampler


IMPLEMENTATIONS = {
    'tfp_gengs (tf.function)': lambda: _tf_impl('gengs', jit=False),
    'tfp_gengs (XLA)': lambda: _tf_impl('gengs', jit=True),
    'plain TFP GS + matvec (tf.function)': lambda: _tf_impl('plain', False),
    'torch F.gumbel_softmax + matmul': lambda: _torch_impl('torch'),
    'relaxit GeneralizedGumbelSoftmax': lambda: _torch_impl('relaxit'),
    'pyRDDLGym-jax GumbelSoftmaxPoisson (jit)': _jax_impl,
}


def main():
  name = sys.argv[1]
  make, sampler = IMPLEMENTATIONS[name]()
  step = None
  for line in sys.stdin:
    command = json.loads(line)
    if command['cmd'] == 'quit':
      break
    if command['cmd'] == 'setup':
      step = make(command['batch'], command['dims'], command['n'])
      step()  # compile / warm up
      step()
      answer = {'ok': True}
    elif command['cmd'] == 'time':
      start = time.perf_counter()
      for _ in range(command['calls']):
        step()
      answer = {'ms': (time.perf_counter() - start) / command['calls'] * 1e3}
    elif command['cmd'] == 'moments':
      samples = sampler(command['rate'], command['n'], command['num'])
      answer = {'mean': float(samples.mean()), 'var': float(samples.var()),
                'num': int(samples.size)}
    else:
      answer = {'error': f'unknown command {command}'}
    print(json.dumps(answer), flush=True)


if __name__ == '__main__':
  main()
