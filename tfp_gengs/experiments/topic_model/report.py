"""The topic-model study's report: the paper's Table 2, figures, tables.

* `PAPER`: the paper's Table 2 on 20 Newsgroups (test perplexity, mean ±
  std, latent dimensions), to print beside ours.
* `explained(...)`: every setting of a run with the reason it was chosen.
* `curves(...)`, `summary(...)`, `super_topics_text(...)`: one run's
  `curves.png`, `summary.md` and the multi-stacked model's super-topics.
* `table(...)`: `table.md` of a grid of runs (mean ± std over seeds);
  `run_folder_name(...)`: a run's folder.

Models are named by their rows in `models.MODELS`.
"""

import numpy as np

from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import report as common_report
from tfp_gengs.experiments.topic_model import models

__all__ = ['PAPER', 'curves', 'explained', 'run_folder_name', 'summary',
           'super_topics_text', 'table']

# Paper Table 2, 20 Newsgroups column: (mean, std, dimensions).
PAPER = {
    'lda': (1082., 12.9, '50'),
    'nvdm': (803., 9.3, '50'),
    'gsm': (854., 7.1, '50'),
    'nvlda': (1155., 16.5, '50'),
    'prodlda': (1145., 13.3, '50'),
    'nvpdef': (759., 13.1, '50'),
    'nvpdef_stacked': (783., 17.6, '20-50'),
}

_VARIANT_TEXT = {
    'hard': 'hard samples (straight-through forward values: every latent '
            'an outcome)',
    'relaxed': 'relaxed samples at the evaluation temperature',
    'gaussian': 'Gaussian samples',
}


def explained(config, window, corpus):
  """`(setting, value, why)` rows for the report."""
  c = config
  rows = [
      ('data', f'{corpus.source}; {len(corpus.valid)} training documents '
       'held out for validation (seed 0)', 'paper §6.3; model selection '
       'never sees the test set'),
      ('model', models.MODELS[c.model].display + (
          f' ({c.upper_dims}-{c.latent_dims} counts)'
          if c.model == 'nvpdef_stacked' else f' ({c.latent_dims} dims)'),
       'paper Table 2'),
      ('encoder', f'{"-".join(map(str, c.hidden))} {c.activation} MLP on '
       'raw counts', 'NVDM\'s code (one hidden layer of 500 tanh units); '
       'the same for every model'),
      ('decoder', f'softmax(z R + b), bias start {c.decoder_bias}',
       'NVDM; the log unigram start only shortens the first epoch'),
      ('likelihood', 'multinomial over the words, without the '
       'multinomial coefficient', 'as NVDM: perplexity is per word'),
      ('optimiser', f'Adam lr {c.learning_rate:g}, batch {c.batch_size}, '
       f'{c.epochs} epochs', 'batch as NVDM; lr chosen on validation '
       '(see results/topic_model/README.md)'),
      ('KL weight', f'linear warm-up over {c.kl_warmup_epochs} epochs'
       if c.kl_warmup_epochs else '1', 'the ELBO'),
      ('model selection', 'lowest validation perplexity, S = '
       f'{c.valid_samples}' + (', hard samples' if c.is_gengs else ''),
       'the honest metric; never the test set'),
      ('test evaluation', f'exp(mean_d -ELBO_d / N_d), S = '
       f'{c.eval_samples} posterior samples per document', 'NVDM\'s '
       'per-document perplexity'),
      ('seed', c.seed, 'data order and noise: functions of (seed, epoch, '
       'step)'),
  ]
  if c.is_gengs:
    rows[2:2] = [
        ('posterior', c.inference + (', straight-through'
                                     if c.straight_through else '') + (
                                         f', {c.finetune_gradient} for the '
                                         f'last {c.finetune_epochs} epochs'
                                         if c.finetune_epochs else ''),
         'paper §4.1 (implicit: Table 1\'s best rows)'),
        ('prior', f'Poisson({c.prior_rate:g}) per count' + (
            '; lower layer Poisson(softplus(z1 W + c)), W = 0 and '
            'softplus(c) = lambda0 at the start'
            if c.model == 'nvpdef_stacked' else ''),
         'sparse topic counts (a document uses few topics)'),
        ('truncation', f'{{{window[0]}..{window[1]}}}, tails on the ends',
         f'prior tail P(X > high) <= {c.tail_mass:g}'),
        ('temperature', f'max({c.tau_min:g}, {c.tau_initial:g} exp(-'
         f'{c.tau_rate:g} step))', 'Jang et al.\'s schedule; evaluation '
         'at the selected epoch\'s tau'),
    ]
  return rows


def curves(path, history, variants, label, gengs):
  """`curves.png`: training -ELBO, validation perplexity, temperature."""
  panels = [
      ('train -ELBO per document (nats)',
       [('train_neg_elbo', 'train (one-sample estimate)')], False),
      ('validation perplexity',
       [(f'valid_perplexity_{v}', v) for v in variants], False),
      ('seconds per epoch', [('train_seconds', 'train'),
                             ('valid_seconds', 'validation')], False)]
  if gengs:
    panels.insert(2, ('temperature', [('temperature', 'tau')], False))
  plots.curves(path, history, panels, title=label)
  return 'curves.png'


def super_topics_text(weights, words, count=3):
  """The lower topics each upper count raises most (rows of `W`)."""
  lines = ['', '# Super-topics: for each upper count j, the lower topics k '
           f'with the largest W[j, k] (top {count})', '']
  for j, row in enumerate(np.asarray(weights)):
    best = np.argsort(-row, kind='stable')[:count]
    parts = [f'topic {k} (W {row[k]:+.2f}: {" ".join(words[k][:4])})'
             for k in best]
    lines.append(f'super-topic {j:2d}: ' + '; '.join(parts))
  return '\n'.join(lines) + '\n'


def _paper_text(model):
  paper = PAPER.get(model)
  return '—' if paper is None else f'{paper[0]:g} ± {paper[1]:g} ({paper[2]})'


def summary(results):
  """`summary.md` of one run from its `results.json` dict."""
  s = results['settings']
  t = results['test']
  d = results['data']
  lines = [f'# Topic model: {results["label"]}', '',
           '## Test perplexity (best validation epoch)', '',
           f'Model selected by the lowest validation perplexity '
           f'({t["primary"]}, S = {s["valid_samples"]}) over '
           f'{len(results["history"])} epochs: epoch '
           f'{results["best_epoch"]}. Test: {d["test_documents"]} documents, '
           f'S = {t["samples"]} posterior samples each.', '',
           '| estimate | perplexity exp(mean_d -ELBO_d/N_d) | corpus '
           'exp(sum -ELBO / sum N) | mean -ELBO per document (nats) |',
           '|---|---|---|---|']
  for k, v in t['perplexity'].items():
    text = _VARIANT_TEXT.get(k, k)
    if k == 'relaxed':
      text += f' (tau = {t["temperature"]:.3g})'
    lines.append(f'| {text} | {v:.1f} | {t["corpus_perplexity"][k]:.1f} | '
                 f'{t["neg_elbo_mean"][k]:.2f} |')
  lines += [f'| paper (Table 2, 20 Newsgroups) | {_paper_text(s["model"])} '
            '| | |', '']
  lines += common_report.cost_and_settings(results)
  lines += ['', '## Topics (first 10; all in topics.txt)', '']
  lines += [f'* topic {k}: {" ".join(w)}'
            for k, w in enumerate(results['topics'][:10])]
  lines += ['', '![curves](curves.png)', '']
  return '\n'.join(lines)


def run_folder_name(config):
  """`<model>-<inference>-s<seed>`; NVDM (no inference): `nvdm-s<seed>`."""
  resolved = config.resolved()
  return '-'.join(p for p in (resolved.model, resolved.inference,
                              f's{resolved.seed}') if p)


def table(records, defaults=None):
  """Markdown: one row per model (and inference), mean ± std over seeds.

  The standard deviation is the sample one (ddof = 1) over seeds;
  `defaults` is not used (every run of a row has the same protocol).
  """
  del defaults
  cells = {}
  for r in records:
    s = r['settings']
    tune = (f', {s["finetune_gradient"]} last {s["finetune_epochs"]}'
            if s.get('finetune_epochs') else '')
    key = (s['model'], s['inference'],
           ('ST' if s['straight_through'] else '') + tune)
    for variant, value in r['test']['perplexity'].items():
      cells.setdefault(key, {}).setdefault(variant, []).append(value)
  lines = ['# Topic models: test perplexity (mean ± std over seeds)', '',
           '| model | posterior | estimate | ours | seeds | paper |',
           '|---|---|---|---|---|---|']
  for (model, inference, st), variants in sorted(
      cells.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
    for variant, values in variants.items():
      mean = float(np.mean(values))
      text = (f'{mean:.1f} ± {float(np.std(values, ddof=1)):.1f}'
              if len(values) > 1 else f'{mean:.1f}')
      posterior = (inference or '—') + (f', {st}'.replace(', , ', ', ')
                                        if st else '')
      lines.append(f'| {models.MODELS[model].display} | {posterior} | '
                   f'{variant} | {text} | {len(values)} | '
                   f'{_paper_text(model)} |')
  return '\n'.join(lines) + '\n'
