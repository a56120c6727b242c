r"""Perplexity of a document model, and the top words of its topics.

Perplexity as in NVDM (Miao et al., 2016, and its code's "per doc ppx"):

```none
-ELBO_d  ~= (1/S) sum_s [-log p(x_d | z_s) + KL_s],   z_s ~ q(z | x_d)
ppx       = exp( (1/D) sum_d  -ELBO_d / N_d )
```

`D` documents, `N_d` words in document `d`, `S` posterior samples per
document (independent across documents and samples). `KL_s` is the exact KL
of the model (constant in `s`), except in the multi-stacked NVPDEF, where
the lower layer's KL depends on the upper sample `z1_s`. The mean over the
`S` samples estimates the ELBO without bias (it is not an importance-
weighted bound), so the perplexity is an upper bound up to the sampling
noise of the mean. The per-document normalisation weighs every document
equally; the corpus perplexity `exp(sum_d -ELBO_d / sum_d N_d)` (NVDM's
"corpus ppx") weighs long documents more and is reported beside it.

For NVPDEF both estimates share the Gumbel noise: `relaxed` decodes the
GenGS sample at the evaluation temperature (what training optimises; not a
bound of the discrete model), `hard` decodes its straight-through forward
value, an exact outcome of the truncated posterior (the ELBO of the
discrete model).

`evaluate` scores a run's best-validation model this way on the test set
(`--eval_samples` samples per document, the first `--test_documents`
documents, 0: all) and writes its topics (`topics.txt`) and `curves.png`.
"""

import time

import numpy as np
import tensorflow.compat.v2 as tf

from tfp_gengs.experiments.common import epoch_loop
from tfp_gengs.experiments.common import runner
from tfp_gengs.experiments.topic_model import report

__all__ = ['perplexity', 'corpus_perplexity', 'Evaluator', 'evaluate',
           'top_words', 'format_topics']


def perplexity(neg_elbo, lengths):
  """`exp(mean_d(neg_elbo_d / N_d))` (float64), NVDM's per-document value.

  Args:
    neg_elbo: `[D]` per-document `-ELBO` estimates (nats).
    lengths: `[D]` words per document (all `>= 1`).
  """
  neg_elbo = np.asarray(neg_elbo, np.float64)
  lengths = np.asarray(lengths, np.float64)
  if np.any(lengths < 1):
    raise ValueError('Every document needs at least one word for perplexity.')
  return float(np.exp(np.mean(neg_elbo / lengths)))


def corpus_perplexity(neg_elbo, lengths):
  """`exp(sum_d neg_elbo_d / sum_d N_d)` (float64)."""
  return float(np.exp(np.sum(np.asarray(neg_elbo, np.float64)) /
                      np.sum(np.asarray(lengths, np.float64))))


class Evaluator:
  """Per-document `-ELBO` estimates of a `TopicModel`, batched and traced.

  Args:
    model: a `models.TopicModel`.
    batch_size: documents per traced call.
  """

  def __init__(self, model, batch_size=500):
    self.model = model
    self.batch_size = int(batch_size)
    self._batch = tf.function(self._neg_elbo_batch, reduce_retracing=True)

  def _neg_elbo_batch(self, x, temperature, num_samples, seed):
    out = self.model.neg_elbo(x, temperature, num_samples, seed)
    return {k: tf.reduce_mean(v, axis=0) for k, v in out.items()}

  def neg_elbo(self, x, temperature, num_samples, seed):
    """`{variant: [D]}`: the mean of `S` one-sample `-ELBO`s per document.

    Args:
      x: float `[D, V]` counts (numpy).
      temperature: `tau` of the relaxed NVPDEF sample (ignored by NVDM).
      num_samples: `S`.
      seed: a pair of ints; batch `i` uses `(seed[0], seed[1] + i)`.
    """
    parts = []
    for i, start in enumerate(range(0, len(x), self.batch_size)):
      out = self._batch(
          tf.constant(x[start:start + self.batch_size], tf.float32),
          tf.constant(temperature, tf.float32),
          tf.constant(num_samples, tf.int32),
          tf.constant([seed[0], seed[1] + i], tf.int32))
      parts.append({k: v.numpy() for k, v in out.items()})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

  def perplexities(self, x, temperature, num_samples, seed):
    """`({variant: ppx}, {variant: corpus ppx}, {variant: [D] -ELBO})`."""
    lengths = x.sum(-1)
    neg_elbo = self.neg_elbo(x, temperature, num_samples, seed)
    return ({k: perplexity(v, lengths) for k, v in neg_elbo.items()},
            {k: corpus_perplexity(v, lengths) for k, v in neg_elbo.items()},
            neg_elbo)


def top_words(topics, vocabulary, count=10):
  """The `count` words of largest decoder weight in each row of `topics`.

  Args:
    topics: `[d, V]` decoder weights `R`.
    vocabulary: `V` words.
    count: words per topic.

  Returns:
    list of `d` lists of words, heaviest first.
  """
  order = np.argsort(-np.asarray(topics), axis=-1, kind='stable')[:, :count]
  return [[vocabulary[j] for j in row] for row in order]


def format_topics(words, label, notes=None):
  """Text of a topic table: one line per topic, `notes[k]` after its index."""
  lines = [f'# {label}: top {len(words[0])} words of each topic '
           '(largest decoder weights R[k, :])', '']
  for k, row in enumerate(words):
    note = f' ({notes[k]})' if notes is not None else ''
    lines.append(f'topic {k:2d}{note}: {" ".join(row)}')
  return '\n'.join(lines) + '\n'


def evaluate(trial, out, tau, state):
  """The test perplexities, topics and figures of a run's selected model.

  Args:
    trial: the run's `train.Trial`, its weights the best validation ones.
    out: the run's `output.OutputFolder` (`topics.txt`, `curves.png`).
    tau: the temperature of the selected epoch (`None` for NVDM).
    state: the epoch loop's state (`best_epoch`, `best_valid`, `history`).

  Returns:
    A `runner.Evaluation`.
  """
  config, model, corpus = trial.config, trial.network, trial.corpus
  test = corpus.test
  if config.test_documents:
    test = test[:config.test_documents]
  start = time.time()
  ppx, corpus_ppx, neg_elbo = trial.evaluator.perplexities(
      test, tau or 1., config.eval_samples,
      epoch_loop.seed(epoch_loop.TEST, config.seed, 0))
  test_seconds = time.time() - start
  words = top_words(model.topics(), corpus.vocabulary, config.topic_words)
  topics_text = format_topics(words, trial.label)
  if config.model == 'nvpdef_stacked':
    topics_text += report.super_topics_text(model.super_topics(), words)
  out.write_text('topics.txt', topics_text)
  curves = report.curves(out.path('curves.png'), state['history'],
                         model.variants, trial.label, config.is_gengs)
  return runner.Evaluation(dict(
      settings_explained=report.explained(config, trial.window, corpus),
      paper=report.PAPER.get(config.model),
      data=dict(source=corpus.source, train_documents=len(corpus.train),
                valid_documents=len(corpus.valid),
                test_documents=len(test), vocab_size=len(corpus.vocabulary)),
      best_epoch=state['best_epoch'],
      best_valid_perplexity=state['best_valid'],
      test=dict(
          temperature=tau, samples=config.eval_samples,
          perplexity=ppx, corpus_perplexity=corpus_ppx,
          neg_elbo_mean={k: float(v.mean()) for k, v in neg_elbo.items()},
          primary=model.primary),
      topics=words), test_seconds,
      # Names in the run folder (as the VAE's figures), not this machine's
      # paths.
      dict(curves=curves, topics='topics.txt'))
