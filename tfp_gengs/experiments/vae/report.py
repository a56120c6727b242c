"""The VAE study's report: the paper's Table 1, figures, summary and tables.

* `PAPER_TABLE1`: the paper's test negative ELBOs (mean ± std), by dataset,
  prior and estimator, to print beside ours.
* `explained(...)`: every setting of a run with the reason it was chosen.
* `figures(...)`: training curves, Figure-4-style reconstructions and
  latent-count histograms of one run.
* `summary(...)`: `summary.md` of one run: every setting beside every
  number, the machine, the paper's value for the same cell.
* `grid_table(...)`, `table(...)`: the tables of a grid of runs (mean ±
  std over seeds), `table.md`; `run_folder_name(...)`: a run's folder.

Methods are named, ordered and given their posterior by their rows in
`methods.METHODS`.
"""

import dataclasses
import math

import numpy as np

from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import report as common_report
from tfp_gengs.experiments.vae import methods

__all__ = ['PAPER_TABLE1', 'column', 'display', 'explained', 'figures',
           'grid_table', 'paper_value', 'protocol', 'run_folder_name',
           'summary', 'table']

# The paper's Table 1 columns, in its order (the methods with `paper`).
_PAPER_COLUMNS = tuple(m.name for m in methods.METHODS.values() if m.paper)


def _row(*cells):
  return {c: v for c, v in zip(_PAPER_COLUMNS, cells) if v is not None}


# Paper Table 1 (test negative ELBO, mean ± std over runs). None: "—" (no
# convergence). The OMNIGLOT NegBin rows are not legible in our copy.
PAPER_TABLE1 = {
    'mnist': {
        'poisson2': _row((122.81, 2.41), (129.34, 4.72), (125.43, 2.27),
                         (122.55, 3.28), (123.44, 2.54), (122.71, 1.92),
                         (124.02, 4.91), (103.18, 0.92), (96.04, 1.44)),
        'poisson3': _row((123.12, 2.21), (130.24, 3.32), (125.92, 1.81),
                         (121.15, 2.57), (120.62, 2.31), (119.84, 2.18),
                         (124.41, 5.96), (105.15, 1.71), (96.01, 1.27)),
        'geometric.25': _row((127.90, 1.97), (135.90, 2.38), (137.90, 2.14),
                             (127.21, 2.55), (135.12, 2.74), (136.80, 3.06),
                             (131.09, 4.95), (98.43, 0.81), (92.52, 1.62)),
        'geometric.5': _row((129.20, 2.03), (138.47, 2.30), (136.40, 1.78),
                            (129.91, 2.90), (138.37, 2.98), (139.41, 3.59),
                            (139.67, 2.42), (100.92, 1.24), (93.81, 1.60)),
        'negbin3.5': _row((116.67, 5.97), (119.28, 7.80), (131.96, 6.49),
                          (112.69, 4.30), None, None, (114.36, 4.12),
                          (98.58, 1.27), (94.52, 1.52)),
        'negbin5.3': _row((130.03, 3.99), (133.44, 4.27), (144.05, 8.15),
                          (124.48, 2.72), None, None, (128.02, 2.60),
                          (100.88, 2.35), (95.37, 1.43)),
    },
    'omniglot': {
        'poisson2': _row((139.47, 3.29), (148.01, 4.19), (142.95, 1.32),
                         (138.73, 3.42), (138.12, 3.26), (137.56, 2.94),
                         (139.61, 5.87), (127.89, 1.44), (118.17, 2.22)),
        'poisson3': _row((140.54, 2.36), (148.13, 3.98), (143.85, 1.54),
                         (139.37, 3.10), (137.92, 3.07), (137.42, 2.96),
                         (140.05, 3.68), (131.53, 1.76), (119.15, 1.92)),
        'geometric.25': _row((142.68, 2.96), (153.69, 2.52), (152.17, 1.77),
                             (142.94, 3.96), (146.78, 3.62), (148.91, 4.03),
                             (143.10, 3.91), (115.23, 2.00), (107.79, 2.84)),
        'geometric.5': _row((142.70, 1.77), (153.20, 1.49), (149.76, 2.19),
                            (142.05, 3.56), (149.63, 3.49), (151.97, 3.90),
                            (142.56, 2.97), (115.14, 2.43), (108.48, 2.78)),
    },
}


def paper_value(dataset, prior, estimator):
  """`(mean, std)` of the paper's cell, or `None`."""
  return PAPER_TABLE1.get(dataset, {}).get(prior, {}).get(estimator)


_DATASET_NOTES = {
    'omniglot': ' (our 28×28 derivation, not Burda\'s split)',
    'mnist_dynamic': (' (grey MNIST binarized anew at every step; test '
                      'images binarized once, seed 0: not the paper\'s '
                      'static split)'),
}


def explained(config, window, data_dim):
  """`(setting, value, why)` rows for the report."""
  c = config
  validation = {'mnist': 'the canonical 10,000 images',
                'mnist_dynamic': '10,000 grey images held out of train '
                                 '(seeded), binarized once (seed 0)',
                'omniglot': f'{c.valid_size} images held out of train '
                            '(seeded)'}.get(c.dataset, 'given')
  return [
      ('dataset', c.dataset + _DATASET_NOTES.get(c.dataset, ''),
       'paper §6.2'),
      ('prior', f'{window["prior"]} per latent dimension', 'paper §6.2'),
      ('estimator', f'{c.estimator} ({c.method.display})',
       'Table 1 column'),
      ('posterior', c.inference, 'paper §4.1; baselines use the same '
       'family as GenGS (Im.) by default'),
      ('truncation', f'{{{window["low"]}..{window["high"]}}}, tail on the '
       f'ends', f'prior tail P(X > high) <= {c.tail_mass:g}'),
      ('latent dimensions d', c.latent_dims, 'not stated; as in '
       'categorical-VAE work and the earlier probe'),
      ('encoder / decoder', f'{data_dim}-{"-".join(map(str, c.hidden))}-'
       f'(d·n or d), d-{"-".join(map(str, reversed(c.hidden)))}-{data_dim}, '
       f'{c.activation}; Bernoulli likelihood', 'not stated'),
      ('temperature', f'max({c.tau_min:g}, {c.tau_initial:g}·exp(-'
       f'{c.tau_rate:g}·step)), every {c.tau_update_every} step(s)',
       'not stated; Jang et al. schedule'),
      ('optimiser', ('AdamW (weight decay %g)' % c.weight_decay
                     if c.weight_decay else 'Adam') +
       f' lr {c.learning_rate:g}, batch {c.batch_size}, '
       f'{c.epochs} epochs; the same Adam trains the control variates',
       'not stated'),
      ('KL weight', 'warm-up over %d epochs' % c.kl_warmup_epochs
       if c.kl_warmup_epochs else '1', 'the ELBO'),
      ('straight-through fine-tuning', f'last {c.st_finetune_epochs} '
       'epochs' if c.st_finetune_epochs else 'off', 'GenGS Ex./Im. and EAT; '
       'closes the relaxed/hard gap'),
      ('hard-sample fine-tuning', f'{c.finetune_estimator}, last '
       f'{c.finetune_epochs} epochs' if c.finetune_epochs else 'off',
       'GenGS Ex./Im.: exact outcomes forward in the last epochs'),
      ('learning-rate decay', f'x{c.lr_decay_rate:g} every '
       f'{c.lr_decay_steps} steps' if c.lr_decay_rate < 1. else 'off',
       'Jang et al.\'s reference decays it'),
      ('encoder output', f'bias {c.encoder_init}, rate link {c.rate_link}',
       '\'prior\': starts q at the prior'),
      ('RF* / VIMCO samples', f'{c.rf_samples} / {c.vimco_samples} '
       '(VIMCO on the k-sample bound)', 'paper: VIMCO(5)'),
      ('model selection', f'lowest validation -ELBO, hard samples, S = '
       f'{c.valid_samples}', 'the honest metric; never the test set'),
      ('validation', validation, 'model selection only'),
      ('training examples', c.train_examples or 'all', ''),
      ('test evaluation', f'S = {c.eval_samples} samples (relaxed and hard, '
       f'common noise); IWAE k = {c.iw_samples} on '
       f'{c.iw_examples or "all"} test examples', ''),
      ('seed', c.seed, 'data order and noise: functions of (seed, epoch, '
       'step)'),
  ]



def _fmt(mean_std, digits=2):
  if mean_std is None:
    return '—'
  mean, std = mean_std
  if std is None or (isinstance(std, float) and math.isnan(std)):
    return f'{mean:.{digits}f}'
  return f'{mean:.{digits}f} ± {std:.{digits}f}'


def figures(out, history, label, test_images, reconstructions, outcomes,
            count_pmf, prior_pmf, per_dim_pmfs):
  """Writes the run's PNGs into `out` (an `OutputFolder`); returns names.

  Args:
    out: the output folder.
    history: per-epoch records.
    label: the run's title.
    test_images: `[k, 784]` test images.
    reconstructions: list of `(row label, [k, 784] Bernoulli means)`.
    outcomes: `[n]` window outcomes.
    count_pmf: `[n]` frequency of each outcome among all hard test latents.
    prior_pmf: `[n]` truncated prior PMF.
    per_dim_pmfs: list of `(title, [n] pmf)` for a few latent dimensions.
  """
  names = []
  plots.curves(
      out.path('curves.png'), history,
      [('negative ELBO (nats)',
        [('train_loss', 'train (estimate)'),
         ('valid_neg_elbo_relaxed', 'valid, relaxed'),
         ('valid_neg_elbo_hard', 'valid, hard')], False),
       ('KL(q || p) (nats, valid)', [('valid_kl', 'KL')], False),
       ('temperature', [('temperature', 'tau')], False),
       ('seconds per epoch', [('train_seconds', 'train'),
                              ('valid_seconds', 'validation')], False)],
      title=label)
  names.append('curves.png')
  rows = [test_images] + [r for _, r in reconstructions]
  titles = ['test'] + [t for t, _ in reconstructions]
  side = math.isqrt(test_images.shape[1])
  shape = ((side, side) if side * side == test_images.shape[1] else
           (1, test_images.shape[1]))
  plots.image_grid(out.path('reconstructions.png'), rows, titles,
                   image_shape=shape,
                   title=f'{label}: test images and reconstructions')
  names.append('reconstructions.png')
  panels = [('all dimensions, hard test samples', count_pmf, prior_pmf)]
  panels += [(t, p, prior_pmf) for t, p in per_dim_pmfs]
  plots.count_histograms(out.path('latent_histograms.png'), outcomes, panels,
                         reference_label='truncated prior',
                         title=f'{label}: latent counts vs the prior')
  names.append('latent_histograms.png')
  return names


def summary(results):
  """`summary.md` of one run from its `results.json` dict."""
  s = results['settings']
  t = results['test']
  w = results['window']
  label = results['label']
  paper = results.get('paper')
  lines = [f'# VAE: {label}', '']
  if s['dataset'] == 'omniglot':
    lines += ['**OMNIGLOT: our 28×28 derivation, not Burda\'s split.**', '']
  lines += [
      '## Test results (best validation epoch)', '',
      f'Model selected by the lowest validation negative ELBO with hard '
      f'samples (S = {s["valid_samples"]}) over {len(results["history"])} '
      f'epochs: epoch {results["best_epoch"]}. Never the test set.', '',
      '| metric | value (nats, mean ± s.e. over test examples) |',
      '|---|---|',
      f'| (a) negative ELBO, relaxed samples at tau = '
      f'{t["temperature"]:.4g}, S = {s["eval_samples"]} | '
      f'{_fmt(t["neg_elbo_relaxed"])} |',
      f'| (b) negative ELBO, hard samples (every latent an outcome), S = '
      f'{s["eval_samples"]} | {_fmt(t["neg_elbo_hard"])} |',
      f'| (c) IWAE bound of -log p(x), k = {s["iw_samples"]} hard samples, '
      f'{t["iw_examples"]} test examples | '
      f'{_fmt(t["neg_log_likelihood_iw"])} (hard -ELBO on the same '
      f'examples: {_fmt(t["neg_elbo_hard_iw_examples"])}) |',
      f'| KL(q ‖ p), exact | {_fmt(t["kl"])} |',
      f'| reconstruction -log p(x\\|z), hard | {_fmt(t["nll_hard"])} |',
      f'| collapsed latent dimensions (KL < {t["collapse_threshold"]} nats) '
      f'| {t["collapsed_dims"]} of {s["latent_dims"]} |',
      f'| paper (Table 1, test negative ELBO) | {_fmt(paper)} |', '',
  ]
  lines += common_report.cost_and_settings(
      results, 'median over epochs',
      [f'* Strategy `{s["strategy"]}`, {results["replicas"]} replica(s).'])
  lines += ['', f'Window: {{{w["low"]}..{w["high"]}}} (n = '
            f'{w["num_outcomes"]}), prior upper tail P(X > {w["high"]}) = '
            f'{w["prior_upper_tail"]:.2g} (tail mass bound '
            f'{w["tail_mass"]:g}).', '',
            '## Figures', ''] + [f'![{p}]({p})' for p in results['figures']]
  lines.append('')
  return '\n'.join(lines)


# Settings that either name the cell (dataset, prior, estimator, posterior,
# seed), are written out by `protocol` itself, or change only the output,
# the evaluation or the logging; any other setting that differs from its
# default makes another protocol.
_NOT_PROTOCOL = ('output_dir', 'data_dir', 'data_path', 'dataset', 'prior',
                 'estimator', 'inference', 'seed', 'epochs', 'tau_min',
                 'tau_rate', 'st_finetune_epochs', 'kl_warmup_epochs',
                 'eval_samples', 'iw_samples', 'iw_examples',
                 'figure_examples', 'resume', 'log_every_seconds',
                 'stop_after_steps')


def _differs(value, default):
  if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
    return list(value) != list(default)
  if isinstance(value, float) or isinstance(default, float):
    try:
      return not math.isclose(float(value), float(default), rel_tol=1e-9)
    except (TypeError, ValueError):
      return True
  return value != default


def protocol(settings, defaults=None):
  """The training protocol in words: epochs, temperature schedule, extras.

  Runs are only averaged together (as seeds) within one protocol.

  Args:
    settings: a run's `results.json` settings.
    defaults: the experiment's default settings; every training setting
      that differs from them (a smaller window, another network, ...) is
      written out too.
  """
  text = (f'{settings["epochs"]} epochs, tau -> {settings["tau_min"]:g} '
          f'(rate {settings["tau_rate"]:g})')
  if settings.get('st_finetune_epochs'):
    text += f', ST last {settings["st_finetune_epochs"]}'
  if settings.get('kl_warmup_epochs'):
    text += f', KL warm-up {settings["kl_warmup_epochs"]}'
  for key, default in sorted((defaults or {}).items()):
    if key in _NOT_PROTOCOL or key not in settings:
      continue
    if _differs(settings[key], default):
      value = settings[key]
      value = f'{value:g}' if isinstance(value, float) else value
      text += f', {key} {value}'
  return text


_EXPLICIT = '@explicit'


def column(settings):
  """The table column of a run: its estimator, `+ '@explicit'` for a
  baseline (or GenGS-ST) trained with the explicit posterior."""
  estimator = settings['estimator']
  method = methods.METHODS.get(estimator)
  if ((method is None or method.posterior is None) and
      settings.get('inference', 'implicit') == 'explicit'):
    return estimator + _EXPLICIT
  return estimator


def run_folder_name(config):
  """A grid run's folder: dataset, prior, table column (the estimator, and
  `explicit` for a baseline with the explicit posterior), seed; e.g.
  `mnist-poisson2-RFstar-explicit-s0`."""
  name = (f'{config.dataset}-{config.prior}-'
          f'{column(dataclasses.asdict(config.resolved()))}-s{config.seed}')
  return name.replace('@', '-').replace('*', 'star')


def display(column_key):
  estimator, explicit, _ = column_key.partition(_EXPLICIT)
  return (methods.METHODS[estimator].display +
          (' (Ex. posterior)' if explicit else ''))


def grid_table(records, metric='neg_elbo_hard', with_paper=True,
               defaults=None):
  """Markdown: rows (dataset, prior, protocol), columns estimators.

  Args:
    records: list of `results.json` dicts.
    metric: the key of `results['test']` to tabulate.
    with_paper: add the paper's Table 1 value to each cell.
    defaults: the default settings (see `protocol`).

  Each cell is the mean ± standard deviation over seeds of the test metric
  (one seed: no ±), with the number of seeds, and `[paper: ...]`. Runs with
  different protocols (`protocol`) or posteriors (`column`) are never
  averaged together.
  """
  cells = {}
  for r in records:
    s = r['settings']
    key = (s['dataset'], s['prior'], protocol(s, defaults), column(s))
    cells.setdefault(key, []).append(r['test'][metric][0])
  estimators = [c for e in methods.METHODS for c in (e, e + _EXPLICIT)
                if any(k[3] == c for k in cells)]
  rows = sorted({k[:3] for k in cells})
  lines = ['| dataset | prior | protocol | ' + ' | '.join(
      display(e) for e in estimators) + ' |',
           '|---|---|---|' + '---|' * len(estimators)]
  for dataset, prior, proto in rows:
    out = []
    for e in estimators:
      values = cells.get((dataset, prior, proto, e))
      text = 'not run'
      if values:
        std = float(np.std(values, ddof=1)) if len(values) > 1 else None
        text = (_fmt((float(np.mean(values)), std)) +
                f' ({len(values)} seed{"s" if len(values) > 1 else ""})')
      paper = paper_value(dataset, prior, e.partition(_EXPLICIT)[0])
      if with_paper and paper is not None:
        text += f' [paper: {_fmt(paper)}]'
      out.append(text)
    lines.append(f'| {dataset} | {prior} | {proto} | ' + ' | '.join(out) +
                 ' |')
  return '\n'.join(lines)


def table(records, defaults=None):
  """`table.md`: the three test metrics of a grid of runs, and the runs.

  `defaults`: the experiment's default settings (see `protocol`).
  """
  lines = ['# VAE runs: test negative ELBO (nats, lower is better)', '',
           'Mean ± std over seeds; the paper\'s Table 1 value in brackets '
           '(the paper does not say how its ELBO was evaluated).', '',
           '## (b) Hard samples: the honest ELBO of the discrete model', '',
           grid_table(records, 'neg_elbo_hard', defaults=defaults), '',
           '## (a) Relaxed samples at the final temperature', '',
           grid_table(records, 'neg_elbo_relaxed', defaults=defaults), '',
           '## (c) IWAE bound of -log p(x), hard samples', '',
           grid_table(records, 'neg_log_likelihood_iw', with_paper=False,
                      defaults=defaults),
           '', '## Runs', '',
           '| folder | protocol | best epoch | s/epoch | collapsed dims | '
           'hard -ELBO |', '|---|---|---|---|---|---|']
  for r in sorted(records, key=lambda r: r['folder']):
    lines.append(
        f'| {r["folder"]} | {protocol(r["settings"], defaults)} | '
        f'{r["best_epoch"]} | '
        f'{r["seconds_per_epoch"]:.1f} | {r["test"]["collapsed_dims"]} | '
        f'{_fmt(r["test"]["neg_elbo_hard"])} |')
  lines.append('')
  return '\n'.join(lines)
