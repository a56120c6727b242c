"""Evaluation of a discrete-latent VAE: relaxed, hard and importance-weighted.

For a test set, with `S` posterior samples per example and the same Gumbel
noise `g` for the relaxed and the hard value of each sample:

```none
(a) relaxed:  -ELBO~ = mean_S -log p(x | T(softmax((log pi + g) / tau)))
                       + KL(q || p)
(b) hard:     -ELBO  = mean_S -log p(x | c_argmax(log pi + g)) + KL(q || p)
(c) IWAE(k):  -log p(x) <= -log (1/k) sum_j p(x | z_j) p(z_j) / q(z_j | x),
              z_j ~ q exactly (every latent an outcome of the window)
```

`KL(q || p)` is the exact categorical KL of the truncated posterior to the
truncated prior. (a) is what relaxation papers usually report: the decoder
sees relaxed values that a discrete model never produces. (b) is the honest
ELBO of the discrete-latent model (the straight-through forward value is an
exact sample of `q`). (c) is a bound on the test log-likelihood of the model
with the truncated prior, exact in `q` and `p` (their log-PMFs over the
window are exact), tighter than (b) and converging to `log p(x)` as `k`
grows. All are reported as positive numbers in nats (lower is better).

A model trained with the EAT relaxation (the Poisson layer's
`relaxation='eat_*'`) is evaluated with its own relaxation in (a): the EAT
count `sum_k s((1 - t_k) / tau)`, with (b)'s hard value `min(N, K)` from the
same arrival times; `min(N, K)` is an exact sample of `q`, the Poisson
truncated to the layer's window `{0..K}`, so (b), (c) and the KL are as
above.

`evaluate` scores a run's best-validation model this way on the test set:
(a) and (b) over `--eval_samples` posterior samples, (c) with
`--iw_samples` on the first `--iw_examples` test examples (0: all); plus
the exact KL, the collapsed latent dimensions (mean KL <
`COLLAPSE_THRESHOLD` nats), reconstructions and latent-count histograms.
"""

import time

import numpy as np
import tensorflow.compat.v2 as tf

import tfp_gengs
from tfp_gengs.experiments.common import epoch_loop
from tfp_gengs.experiments.common import runner
from tfp_gengs.experiments.vae import report

__all__ = ['COLLAPSE_THRESHOLD', 'Evaluator', 'evaluate', 'layer_latents',
           'mean_and_se', 'test_seed',
           'sample_latents']

COLLAPSE_THRESHOLD = 0.01   # nats of mean KL: a collapsed dimension


def sample_latents(q, temperature, num_samples, seed):
  """`(relaxed, hard)` samples `[S] + q.batch_shape` from the same noise.

  Both are draws of `RelaxedTruncatedDiscrete.from_truncated(q, tau)` with
  the same seed; the hard one is its straight-through forward value, an
  exact sample of `q` (every value an outcome).
  """
  rel = tfp_gengs.RelaxedTruncatedDiscrete
  relaxed = rel.from_truncated(q, temperature).sample(num_samples, seed=seed)
  hard = rel.from_truncated(q, temperature, straight_through=True).sample(
      num_samples, seed=seed)
  return relaxed, hard


def layer_latents(latent, h, temperature, num_samples, seed):
  """`(q, relaxed, hard)` for the latent layer's input `h`, common noise.

  The layer's `sample_posterior`: `q = latent.posterior(h)` and samples
  `[S] + q.batch_shape` of the relaxation the layer trains with (GenGS, or
  for an EAT layer the relaxed count and `min(N, K)` from the same
  arrivals); the hard one is an exact sample of `q`.
  """
  return tuple(latent.sample_posterior(h, temperature, num_samples, seed))


class Evaluator:
  """Traced evaluation functions of one `VAE`, batched over a dataset.

  Args:
    vae: a `models.VAE`.
    batch_size: examples per traced call (ELBOs).
    iw_batch_size: examples per traced call of the IWAE bound (each takes
      `k` decoder evaluations).
  """

  def __init__(self, vae, batch_size=500, iw_batch_size=100):
    self.vae = vae
    self.batch_size = batch_size
    self.iw_batch_size = iw_batch_size
    self._elbo = tf.function(self._elbo_batch, reduce_retracing=True)
    self._iwae = tf.function(self._iwae_batch, reduce_retracing=True)

  def _elbo_batch(self, x, temperature, num_samples, seed):
    vae = self.vae
    q, relaxed, hard = layer_latents(
        vae.latent, vae.encoder(x, training=False), temperature, num_samples,
        seed)
    kl = vae.kl(q)                                           # [B, d]
    nll_relaxed = tf.reduce_mean(vae.negative_log_likelihood(x, relaxed), 0)
    nll_hard = tf.reduce_mean(vae.negative_log_likelihood(x, hard), 0)
    return dict(kl=kl, nll_relaxed=nll_relaxed, nll_hard=nll_hard,
                first_hard=hard[0])

  def _iwae_batch(self, x, num_samples, seed):
    vae = self.vae
    q = vae.posterior(x)
    prior = vae.prior()
    z = q.sample(num_samples, seed=seed)                     # [k, B, d]
    log_w = (-vae.negative_log_likelihood(x, z) +
             tf.reduce_sum(prior.log_prob(z) - q.log_prob(z), axis=-1))
    k = tf.cast(num_samples, log_w.dtype)
    return tf.reduce_logsumexp(log_w, axis=0) - tf.math.log(k)

  def elbo(self, x, temperature, num_samples, seed):
    """Per-example relaxed and hard negative ELBOs and KLs over `x`.

    Args:
      x: float `[N, D]` numpy data.
      temperature: `tau` of the relaxed samples.
      num_samples: `S`, samples per example.
      seed: a pair of ints; batch `i` uses `(seed[0], seed[1] + i)`.

    Returns:
      dict of numpy arrays: `neg_elbo_relaxed [N]`, `neg_elbo_hard [N]`,
      `kl [N]`, `kl_per_dim [d]` (mean over examples), `nll_relaxed`,
      `nll_hard` `[N]`, and `hard_sample [N, d]` (the first hard sample).
    """
    parts = []
    for i, start in enumerate(range(0, len(x), self.batch_size)):
      batch = tf.constant(x[start:start + self.batch_size], tf.float32)
      out = self._elbo(batch, tf.constant(temperature, tf.float32),
                       tf.constant(num_samples, tf.int32),
                       tf.constant([seed[0], seed[1] + i], tf.int32))
      parts.append({k: v.numpy() for k, v in out.items()})
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    kl = cat['kl'].sum(-1)
    return dict(neg_elbo_relaxed=cat['nll_relaxed'] + kl,
                neg_elbo_hard=cat['nll_hard'] + kl, kl=kl,
                kl_per_dim=cat['kl'].mean(0), nll_relaxed=cat['nll_relaxed'],
                nll_hard=cat['nll_hard'], hard_sample=cat['first_hard'])

  def importance_weighted(self, x, num_samples, seed):
    """Per-example `log (1/k) sum_j w_j` (a lower bound on `log p(x)`)."""
    parts = []
    for i, start in enumerate(range(0, len(x), self.iw_batch_size)):
      batch = tf.constant(x[start:start + self.iw_batch_size], tf.float32)
      parts.append(self._iwae(batch, tf.constant(num_samples, tf.int32),
                              tf.constant([seed[0], seed[1] + i],
                                          tf.int32)).numpy())
    return np.concatenate(parts)

  def reconstructions(self, x, temperature, seed):
    """`(hard, relaxed)` Bernoulli means of one posterior sample each."""
    vae = self.vae
    _, relaxed, hard = layer_latents(
        vae.latent, vae.encoder(tf.constant(x, tf.float32), training=False),
        temperature, 1, seed)
    return (self.vae.reconstruction(hard[0]).numpy(),
            self.vae.reconstruction(relaxed[0]).numpy())


def mean_and_se(values):
  """`[mean, standard error]` of per-example values (`None` for one)."""
  values = np.asarray(values, np.float64)
  return [float(values.mean()),
          float(values.std(ddof=1) / np.sqrt(len(values)))
          if len(values) > 1 else None]


def test_seed(config, index):
  """The seed of the test evaluation's part `index` of a run."""
  return epoch_loop.seed(epoch_loop.TEST, config.seed, index)


def evaluate(trial, out, tau, state):
  """The test scores, figures and report rows of a run's selected model.

  Args:
    trial: the run's `train.Trial`, its weights the best validation ones.
    out: the run's `output.OutputFolder` (the figures go there).
    tau: the temperature of the selected epoch (the layer holds it).
    state: the epoch loop's state (`best_epoch`, `history`).

  Returns:
    A `runner.Evaluation`.
  """
  config, vae, evaluator, test = (trial.config, trial.vae, trial.evaluator,
                                  trial.test)
  test_start = time.time()
  t = evaluator.elbo(test, tau, config.eval_samples, test_seed(config, 0))
  iw_x = test[:config.iw_examples] if config.iw_examples else test
  iw = evaluator.importance_weighted(iw_x, config.iw_samples,
                                     test_seed(config, 1))
  test_seconds = time.time() - test_start
  outcomes = np.asarray(vae.latent.outcomes)
  hard = t['hard_sample']                                   # [N, d]
  index = np.searchsorted(outcomes, hard)
  counts = np.bincount(index.ravel(), minlength=len(outcomes))
  prior_pmf = np.exp(np.asarray(vae.latent.prior().logits_parameter(),
                                np.float64))
  prior_pmf /= prior_pmf.sum(-1, keepdims=True)
  kl_per_dim = t['kl_per_dim']
  busiest = np.argsort(-kl_per_dim)[:3]
  per_dim = [(f'dimension {j} (KL {kl_per_dim[j]:.2f})',
              np.bincount(index[:, j], minlength=len(outcomes)) /
              len(index)) for j in busiest]
  k = config.figure_examples
  recon_hard, recon_relaxed = evaluator.reconstructions(
      test[:k], tau, test_seed(config, 2))
  figures = report.figures(
      out, state['history'], trial.label, test[:k],
      [('hard z', recon_hard), (f'relaxed z (tau {tau:.2g})', recon_relaxed)],
      outcomes, counts / counts.sum(), prior_pmf, per_dim)
  window = trial.window
  return runner.Evaluation(dict(
      settings_explained=report.explained(config, window, test.shape[1]),
      window=window,
      paper=report.paper_value(config.dataset, config.prior,
                               config.estimator),
      best_epoch=state['best_epoch'],
      test=dict(
          temperature=tau,
          neg_elbo_relaxed=mean_and_se(t['neg_elbo_relaxed']),
          neg_elbo_hard=mean_and_se(t['neg_elbo_hard']),
          neg_log_likelihood_iw=mean_and_se(-iw),
          iw_examples=len(iw_x),
          # (b) on the IWAE's examples, the number (c) must not exceed.
          neg_elbo_hard_iw_examples=mean_and_se(t['neg_elbo_hard'][:len(iw_x)]),
          kl=mean_and_se(t['kl']),
          nll_hard=mean_and_se(t['nll_hard']),
          nll_relaxed=mean_and_se(t['nll_relaxed']),
          kl_per_dim=kl_per_dim,
          collapse_threshold=COLLAPSE_THRESHOLD,
          collapsed_dims=int(np.sum(kl_per_dim < COLLAPSE_THRESHOLD)),
          latent_count_pmf=counts / counts.sum(),
          prior_pmf=prior_pmf,
          all_hard_latents_are_outcomes=bool(np.all(
              np.isin(hard, outcomes))))), test_seconds, figures)
