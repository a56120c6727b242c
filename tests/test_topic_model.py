"""Tests of the topic-model study (`tfp_gengs.experiments.topic_model`).

A tiny corpus in NVDM's format is written to `tmp_path` (40 words, 4
well-separated topics, documents of 20-80 words; one blank line and one
empty document, which the loader skips). Tiny runs (one hidden layer of 24
units, 5 latent counts, 3 upper counts) train for 3 epochs of 12 steps.
The evaluation is checked against a numpy hand computation of the same
model. Nothing here reads the real data sets.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfp_gengs.experiments.common import data_folder
from tfp_gengs.experiments import topic_model
from tfp_gengs.experiments.topic_model import evaluation
from tfp_gengs.experiments.topic_model import models as networks
from float_tolerance import RESUME_RTOL  # noqa: E402  (tests/float_tolerance.py)

VOCAB, TOPICS = 40, 4
TINY = dict(epochs=3, batch_size=20, valid_size=50, hidden=(24,),
            latent_dims=5, upper_dims=3, learning_rate=1e-2, eval_samples=4,
            valid_samples=2, log_every_seconds=1e9, tau_rate=1e-2)
FILES = ('results.json', 'summary.md', 'curves.png', 'topics.txt',
         os.path.join('checkpoints', 'state.json'),
         os.path.join('checkpoints', 'best.index'))
RUNS = [('nvpdef', 'explicit'), ('nvpdef', 'implicit'),
        ('nvpdef_stacked', 'explicit'), ('nvpdef_stacked', 'implicit'),
        ('nvdm', 'implicit')]


def _write_corpus(folder, seed=0):
  """`train.feat`, `test.feat`, `vocab.new` of a 4-topic toy corpus."""
  rng = np.random.default_rng(seed)
  topics = rng.dirichlet(np.full(VOCAB, .05), TOPICS)
  os.makedirs(folder, exist_ok=True)
  with open(os.path.join(folder, 'vocab.new'), 'w') as f:
    f.writelines(f'word{v} {v}\n' for v in range(VOCAB))
  for part, n in (('train', 300), ('test', 60)):
    with open(os.path.join(folder, f'{part}.feat'), 'w') as f:
      for i in range(n):
        theta = rng.dirichlet(np.full(TOPICS, .1))
        counts = rng.multinomial(rng.integers(20, 80), theta @ topics)
        f.write('1 ' + ' '.join(f'{w + 1}:{counts[w]}'
                                for w in np.nonzero(counts)[0]) + '\n')
        if i == 5:
          f.write('\n1\n')       # a blank line and an empty document
  return folder


@pytest.fixture(scope='module')
def corpus_dir(tmp_path_factory):
  return _write_corpus(str(tmp_path_factory.mktemp('corpus')))


@pytest.fixture(scope='module')
def corpus(corpus_dir):
  return topic_model.load_corpus(topic_model.Config(corpus_dir=corpus_dir,
                                                    valid_size=50))


def _quiet(line):
  del line


def _config(folder, model, inference, corpus_dir, **overrides):
  return topic_model.Config(output_dir=str(folder), model=model,
                            inference=inference, corpus_dir=corpus_dir,
                            **dict(TINY, **overrides))


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory, corpus, corpus_dir):
  """`tiny_run(model, inference)`: `(folder, results)` of an uninterrupted
  tiny run, cached for the tests of this module."""
  cache = {}

  def get(model, inference):
    key = (model, inference)
    if key not in cache:
      folder = tmp_path_factory.mktemp(f'{model}-{inference}')
      config = _config(folder, model, inference, corpus_dir)
      cache[key] = (folder, topic_model.run(config, corpus=corpus,
                                            log=_quiet))
    return cache[key]

  return get


# ----------------------------------------------------------------------------
# Perplexity against a hand computation
# ----------------------------------------------------------------------------


def test_perplexity_is_the_per_document_mean_of_nvdm():
  neg_elbo = np.array([30., 10., 400.])
  lengths = np.array([10, 2, 100])
  # exp((3 + 5 + 4) / 3) = exp(4); the corpus value is exp(440 / 112).
  assert evaluation.perplexity(neg_elbo, lengths) == pytest.approx(
      math.exp(4.), rel=1e-12)
  assert evaluation.corpus_perplexity(neg_elbo, lengths) == pytest.approx(
      math.exp(440. / 112.), rel=1e-12)
  with pytest.raises(ValueError, match='at least one word'):
    evaluation.perplexity(neg_elbo, [10, 0, 100])


def _dense(layer, h):
  return h @ np.asarray(layer.kernel, np.float64) + np.asarray(
      layer.bias, np.float64)


def _log_softmax(a):
  a = a - a.max(-1, keepdims=True)
  return a - np.log(np.exp(a).sum(-1, keepdims=True))


def _truncated_poisson_log_pmf(rate, high):
  """`log TD(Poisson(rate))` over `0..high` (tail on `high`), float64."""
  k = np.arange(high)
  log_pmf = (k * np.log(rate)[..., None] - rate[..., None] -
             np.array([math.lgamma(x + 1.) for x in k]))
  tail = 1. - np.exp(log_pmf).sum(-1, keepdims=True)
  return np.concatenate([log_pmf, np.log(tail)], -1)


def _categorical_kl(log_q, log_p):
  return np.sum(np.exp(log_q) * (log_q - log_p), -1)


def _hand_neg_elbo(model, x, samples):
  """`-ELBO` per sample `[S, B]` of `model` in numpy, for given samples."""
  h = np.tanh(_dense(model.encoder.layers[0], x))

  def nll(z):
    return -np.sum(x * _log_softmax(_dense(model.decoder, z)), -1)

  if model.name == 'nvdm':
    mu, log_sigma = _dense(model.mean, h), _dense(model.log_sigma, h)
    kl = -.5 * np.sum(1. + 2. * log_sigma - mu**2 - np.exp(2. * log_sigma),
                      -1)
    return dict(gaussian=nll(np.asarray(samples['z_gaussian'], np.float64))
                + kl)

  def posterior(head, d):
    out = _dense(head, h)
    if model.inference == 'explicit':
      return _truncated_poisson_log_pmf(np.exp(out), model.high)
    return _log_softmax(out.reshape(len(x), d, model.num_outcomes))

  prior = _truncated_poisson_log_pmf(np.array(model.prior_rate), model.high)
  log_q = posterior(model.head, model.latent_dims)
  out = {}
  for variant in ('relaxed', 'hard'):
    z = np.asarray(samples[f'z_{variant}'], np.float64)
    if model.name == 'nvpdef':
      kl = _categorical_kl(log_q, prior).sum(-1)
    else:
      log_q1 = posterior(model.upper_head, model.upper_dims)
      a = _dense(model.prior_map, np.asarray(samples[f'z1_{variant}'],
                                             np.float64))
      conditional = _truncated_poisson_log_pmf(np.log1p(np.exp(a)),
                                               model.high)
      kl = (_categorical_kl(log_q1, prior).sum(-1) +
            _categorical_kl(log_q, conditional).sum(-1))
    out[variant] = nll(z) + kl
  return out


@pytest.mark.parametrize('name,inference', RUNS)
def test_evaluation_equals_a_hand_computation(name, inference):
  rng = np.random.default_rng(1)
  model = networks.build(name, 7, latent_dims=3, upper_dims=2, hidden=(5,),
                         inference=inference, prior_rate=1.5,
                         window=(0, 6), temperature=.7, seed=3)
  if name == 'nvpdef_stacked':   # a prior map that depends on z1
    model.prior_map.kernel.assign(rng.normal(size=(2, 3)) * .5)
  if name == 'nvdm':             # a sigma that depends on the document
    model.log_sigma.kernel.assign(rng.normal(size=(5, 3)) * .3)
  x = rng.poisson(2., size=(4, 7)).astype(np.float32)
  x[:, 0] += 1.                  # every document has a word
  seed, samples_per_doc = (11, 22), 3
  samples = model.neg_elbo(tf.constant(x), .7, samples_per_doc,
                           tf.constant(seed, tf.int32), keep_samples=True)
  hand = _hand_neg_elbo(model, x.astype(np.float64), samples)
  ppx, _, per_doc = evaluation.Evaluator(model).perplexities(
      x, .7, samples_per_doc, seed)
  lengths = x.sum(-1)
  for variant in model.variants:
    np.testing.assert_allclose(samples[variant], hand[variant], rtol=2e-5)
    expected = np.exp(np.mean(hand[variant].mean(0) / lengths))
    assert ppx[variant] == pytest.approx(expected, rel=2e-5), variant
    np.testing.assert_allclose(per_doc[variant], hand[variant].mean(0),
                               rtol=2e-5)
  if model.name != 'nvdm':
    hard = np.asarray(samples['z_hard'])
    relaxed = np.asarray(samples['z_relaxed'])
    # Hard samples: every latent an outcome of the window {0..6}.
    assert np.all(hard == np.round(hard)) and hard.min() >= 0
    assert hard.max() <= 6
    assert not np.all(relaxed == np.round(relaxed))
    assert hand['hard'].mean() != pytest.approx(hand['relaxed'].mean())


def test_hard_samples_are_exact_draws_of_the_posterior():
  """Mean and spread of many hard samples match the truncated PMF."""
  model = networks.build('nvpdef', 7, latent_dims=3, hidden=(5,),
                         inference='explicit', prior_rate=2., window=(0, 8),
                         temperature=.5, seed=0)
  x = np.arange(1., 8.)[None].astype(np.float32)
  out = model.neg_elbo(tf.constant(x), .5, 4000, tf.constant([5, 6]),
                       keep_samples=True)
  hard = np.asarray(out['z_hard'])[:, 0]                  # [S, d]
  q = model.posteriors(tf.constant(x))['latent']
  pi = np.asarray(q.probs_parameter())[0]                 # [d, n]
  mean = pi @ np.arange(9.)
  sd = np.sqrt(pi @ np.arange(9.)**2 - mean**2)
  np.testing.assert_array_less(np.abs(hard.mean(0) - mean),
                               5. * sd / np.sqrt(4000))
  assert set(np.unique(hard)) <= set(range(9))


# ----------------------------------------------------------------------------
# Tiny training runs
# ----------------------------------------------------------------------------


def _unigram_perplexity(corpus):
  """Validation perplexity of the training unigram model (no latents)."""
  log_p = networks.word_log_frequencies(corpus.train).astype(np.float64)
  x = corpus.valid.astype(np.float64)
  return evaluation.perplexity(-(x @ log_p), x.sum(-1))


def test_corpus_folder_is_read_with_its_blank_line_and_empty_document(
    corpus):
  assert corpus.train.shape == (250, VOCAB)   # 300 documents, 50 held out
  assert corpus.valid.shape == (50, VOCAB)
  assert corpus.test.shape == (60, VOCAB)
  assert corpus.vocabulary[:2] == ['word0', 'word1']
  assert corpus.train.sum(-1).min() >= 20


@pytest.mark.parametrize('name,inference', RUNS)
def test_tiny_run_learns_and_writes_its_files(tiny_run, corpus, name,
                                              inference):
  folder, results = tiny_run(name, inference)
  for file in FILES:
    assert os.path.exists(folder / file), file
  assert os.listdir(folder / 'tensorboard' / 'train')
  with open(folder / 'results.json') as f:
    saved = json.load(f)
  history = saved['history']
  assert [h['epoch'] for h in history] == [1, 2, 3]
  losses = [h['train_neg_elbo'] for h in history]
  assert losses[-1] < .95 * losses[0], losses
  variants = ('gaussian',) if name == 'nvdm' else ('relaxed', 'hard')
  primary = history[-1][f'valid_perplexity_{variants[-1]}']
  # The latents carry information: below the best model without them.
  assert primary < _unigram_perplexity(corpus) - 1., (primary, history)
  assert set(saved['test']['perplexity']) == set(variants)
  for value in saved['test']['perplexity'].values():
    assert 1. < value < VOCAB
  assert saved['settings']['model'] == name
  assert saved['settings']['inference'] == (None if name == 'nvdm'
                                            else inference)
  with open(folder / 'topics.txt') as f:
    lines = [line for line in f if line.startswith('topic ')]
  assert len(lines) == 5
  assert all(len(line.split(':', 1)[1].split()) == 10 for line in lines)
  with open(folder / 'summary.md') as f:
    summary = f.read()
  for value in saved['test']['perplexity'].values():
    assert f'{value:.1f}' in summary
  assert results['test']['perplexity'] == saved['test']['perplexity']


@pytest.mark.parametrize('name,inference', [
    ('nvpdef', 'explicit'), ('nvpdef_stacked', 'implicit'),
    ('nvdm', 'implicit')])
def test_resume_after_interruption_reproduces_the_run(
    tmp_path, tiny_run, corpus, corpus_dir, name, inference):
  _, full = tiny_run(name, inference)
  config = _config(tmp_path, name, inference, corpus_dir,
                   stop_after_steps=30)           # 12 steps per epoch
  with pytest.raises(topic_model.Interrupted):
    topic_model.run(config, corpus=corpus, log=_quiet)
  with open(tmp_path / 'checkpoints' / 'state.json') as f:
    assert len(json.load(f)['state']['history']) == 2
  with pytest.raises(ValueError, match='--resume'):
    topic_model.run(_config(tmp_path, name, inference, corpus_dir),
                    corpus=corpus, log=_quiet)
  resumed = topic_model.run(
      _config(tmp_path, name, inference, corpus_dir, resume=True),
      corpus=corpus, log=_quiet)
  assert resumed['sessions'] == 2
  # The same computation, not the same bits (see tests/float_tolerance.py).
  np.testing.assert_allclose(
      [h['train_neg_elbo'] for h in resumed['history']],
      [h['train_neg_elbo'] for h in full['history']], rtol=RESUME_RTOL)
  assert resumed['best_epoch'] == full['best_epoch']
  for key, value in full['test']['perplexity'].items():
    assert resumed['test']['perplexity'][key] == pytest.approx(
        value, rel=RESUME_RTOL)


def test_command_line_grid_writes_runs_and_table(tmp_path, corpus_dir):
  cmd = [sys.executable, '-m', 'tfp_gengs.experiments.topic_model',
         f'--output_dir={tmp_path}', f'--corpus_dir={corpus_dir}',
         '--model=nvpdef,nvdm', '--inference=implicit', '--seed=0,1',
         '--epochs=1', '--batch_size=50', '--valid_size=50', '--hidden=16',
         '--latent_dims=4', '--eval_samples=2', '--valid_samples=1',
         '--log_every_seconds=1000']
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
  done = subprocess.run(cmd, capture_output=True, text=True, env=env,
                        timeout=300, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  for run in ('nvpdef-implicit-s0', 'nvpdef-implicit-s1', 'nvdm-s0',
              'nvdm-s1'):
    assert os.path.exists(tmp_path / run / 'results.json'), run
  with open(tmp_path / 'table.md') as f:
    table = f.read()
  seeds = []
  for run in ('nvpdef-implicit-s0', 'nvpdef-implicit-s1'):
    with open(tmp_path / run / 'results.json') as f:
      seeds.append(json.load(f)['test']['perplexity']['hard'])
  expected = f'{np.mean(seeds):.1f} ± {np.std(seeds, ddof=1):.1f}'
  assert f'| NVPDEF | implicit | hard | {expected} | 2 |' in table
  assert '| NVDM | — | gaussian |' in table


# ----------------------------------------------------------------------------
# The data folder: recorded without the machine's path; a clear exit without
# ----------------------------------------------------------------------------


def test_results_record_the_data_folder_as_given_or_as_the_variable(
    tmp_path, corpus, corpus_dir, monkeypatch):
  monkeypatch.setenv('TFP_GENGS_DATA', str(tmp_path / 'data'))
  config = _config(tmp_path / 'run', 'nvdm', 'implicit', corpus_dir,
                   epochs=2, data_dir=str(tmp_path / 'data'),
                   stop_after_steps=15)           # 12 steps per epoch
  with pytest.raises(topic_model.Interrupted):
    topic_model.run(config, corpus=corpus, log=_quiet)
  with open(tmp_path / 'run' / 'checkpoints' / 'state.json') as f:
    assert json.load(f)['settings']['data_dir'] == '$TFP_GENGS_DATA'
  # Resuming with the folder spelled otherwise (relative) still resumes,
  # and records it the same way.
  monkeypatch.chdir(tmp_path)
  results = topic_model.run(
      _config(tmp_path / 'run', 'nvdm', 'implicit', corpus_dir, epochs=2,
              data_dir='data', resume=True), corpus=corpus, log=_quiet)
  assert results['sessions'] == 2
  with open(tmp_path / 'run' / 'results.json') as f:
    assert json.load(f)['settings']['data_dir'] == '$TFP_GENGS_DATA'
  monkeypatch.delenv('TFP_GENGS_DATA')
  assert data_folder.setting('data') == 'data'
  assert data_folder.setting(None) == '~/.cache/tfp_gengs'
  assert data_folder.setting(str(tmp_path / 'data')) == 'data'
  assert data_folder.setting('~/data') == '~/data'


def test_command_line_without_data_says_where_and_exits_2(tmp_path):
  missing = tmp_path / 'nonexistent'
  (tmp_path / 'home').mkdir()
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', HOME=str(tmp_path / 'home'),
             TFP_GENGS_DATA=str(missing))
  done = subprocess.run(
      [sys.executable, '-m', 'tfp_gengs.experiments.topic_model', '--quick',
       f'--output_dir={tmp_path / "out"}'],
      capture_output=True, text=True, env=env, timeout=300, check=False)
  assert done.returncode == 2, done.stderr[-3000:]
  assert 'Traceback' not in done.stderr, done.stderr[-3000:]
  assert f'The data folder {missing} ($TFP_GENGS_DATA)' in done.stderr
  assert '--data_dir=DIR' in done.stderr
  assert 'export TFP_GENGS_DATA=DIR' in done.stderr


def test_finetune_gradient_trains_the_last_epochs_on_exact_counts(
    tmp_path, corpus, corpus_dir):
  config = _config(tmp_path, 'nvpdef', 'implicit', corpus_dir,
                   finetune_gradient='gumbel_rao', finetune_epochs=1)
  results = topic_model.run(config, corpus=corpus, log=_quiet)
  assert len(results['history']) == config.epochs
  assert np.all(np.isfinite([h['train_neg_elbo']
                             for h in results['history']]))
  with open(tmp_path / 'summary.md') as f:
    assert 'gumbel_rao for the last 1 epochs' in f.read()


def test_storb_fine_tuning_is_unbiased_for_the_exact_elbo_gradient():
  # A tiny NVPDEF: d = 2 counts on {0..3}, 4**2 = 16 joint outcomes, so
  # the ELBO E_q[-log p(x | z)] + KL is exact by enumeration; the mean of
  # the StoRB* objective's gradient over seeds must match its gradient.
  from tfp_gengs import estimators  # pylint: disable=g-import-not-at-top
  network = networks.build('nvpdef', 6, latent_dims=2, hidden=(5,),
                           inference='implicit', window=(0, 3), seed=3)
  x = tf.constant([[3., 0., 1., 0., 2., 0.], [0., 4., 0., 1., 0., 1.]])
  grid = np.stack(np.meshgrid(np.arange(4.), np.arange(4.), indexing='ij'),
                  -1).reshape(-1, 1, 2).astype(np.float32)     # [16, 1, 2]
  z = tf.constant(np.broadcast_to(grid, (16, 2, 2)))
  variables = network.network_variables

  def exact():
    q = network.posteriors(x)['latent']
    log_q = tf.reduce_sum(q.log_prob(z), -1)                   # [16, B]
    nll = network.negative_log_likelihood(x, z)
    kl = tf.reduce_sum(q.kl_divergence(network.latent.prior()), -1)
    return tf.reduce_mean(tf.reduce_sum(tf.exp(log_q) * nll, 0) + kl)

  with tf.GradientTape() as tape:
    value = exact()
  want = tape.gradient(value, variables)
  estimator = estimators.make('StoRB*', latent_ndims=1, seed=0)

  @tf.function
  def estimate(seed):
    with tf.GradientTape() as tape:
      objective, reported = network.estimator_loss(estimator, x, seed, 1.)
    return tape.gradient(objective, variables), reported

  draws = [estimate(tf.constant([7, i])) for i in range(300)]
  for k, g in enumerate(want):
    got = np.stack([d[0][k].numpy() for d in draws])
    stderr = got.std(0) / np.sqrt(len(got))
    np.testing.assert_array_less(np.abs(got.mean(0) - g.numpy()),
                                 5 * stderr + 1e-5, err_msg=variables[k].name)
  reported = np.array([float(d[1]) for d in draws])
  assert abs(reported.mean() - float(value)) < 5 * reported.std() / np.sqrt(
      len(reported))


def test_storb_fine_tuning_trains_the_last_epochs(tmp_path, corpus,
                                                  corpus_dir):
  config = _config(tmp_path, 'nvpdef', 'implicit', corpus_dir,
                   finetune_gradient='StoRB*', finetune_epochs=1)
  results = topic_model.run(config, corpus=corpus, log=_quiet)
  losses = [h['train_neg_elbo'] for h in results['history']]
  assert len(losses) == config.epochs and np.all(np.isfinite(losses))
  with open(tmp_path / 'summary.md') as f:
    assert 'StoRB* for the last 1 epochs' in f.read()


@pytest.mark.parametrize('changes,match', [
    (dict(finetune_gradient='StoRB*', finetune_epochs=1,
          model='nvpdef_stacked'), 'one-layer NVPDEF'),
    (dict(finetune_gradient='gumbel_rao'), '--finetune_epochs'),
    (dict(finetune_epochs=2), '--finetune_gradient'),
    (dict(finetune_gradient='gumbel_rao', finetune_epochs=2, model='nvdm'),
     'needs a GenGS model'),
    (dict(finetune_gradient='rein_max', finetune_epochs=1),
     'finetune_gradient'),
])
def test_finetune_settings_are_checked(tmp_path, corpus_dir, changes, match):
  settings = dict(dict(model='nvpdef', inference='implicit'), **changes)
  model, inference = settings.pop('model'), settings.pop('inference')
  with pytest.raises(ValueError, match=match):
    _config(tmp_path, model, inference, corpus_dir, **settings).resolved()
