"""The VAE study's report: the paper's Table 1, figures, summary and tables.

* `PAPER_TABLE1`: the paper's test negative ELBOs (mean ± std), by dataset,
  prior and estimator, to print beside ours.
* `figures(...)`: training curves, Figure-4-style reconstructions and
  latent-count histograms of one run.
* `summary(...)`: `summary.md` of one run: every setting beside every
  number, the machine, the paper's value for the same cell.
* `grid_table(...)`: the table of a grid of runs (mean ± std over seeds).
"""

import json
import math
import os

import numpy as np

from tfp_gengs.experiments.common import output
from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import progress

__all__ = ['PAPER_TABLE1', 'DISPLAY', 'OWN_POSTERIOR', 'paper_value',
           'figures', 'summary', 'protocol', 'column', 'grid_table',
           'grid_report', 'collect']

# Column order and names of Table 1 (our estimator flag -> paper column).
DISPLAY = {
    'RF*': 'RF*', 'NVIL': 'NVIL', 'MuProp': 'MuProp', 'VIMCO': 'VIMCO(5)',
    'REBAR': 'REBAR', 'RELAX': 'RELAX', 'StoRB*': 'StoRB*',
    'gengs_explicit': 'GenGS (Ex.)', 'gengs_implicit': 'GenGS (Im.)',
    'gengs_st': 'GenGS-ST', 'deterministic': 'deterministic bottleneck',
    'reinmax': 'ReinMax', 'gumbel_rao': 'Gumbel-Rao(10)',
    'eat_cubic': 'EAT-cubic (Ex.)', 'eat_sigmoid': 'EAT-sigmoid (Ex.)',
}
_COLUMNS = ('RF*', 'NVIL', 'MuProp', 'VIMCO', 'REBAR', 'RELAX', 'StoRB*',
            'gengs_explicit', 'gengs_implicit')


def _row(*cells):
  return {c: v for c, v in zip(_COLUMNS, cells) if v is not None}


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
      '## Cost and machine', '',
      f'* Seconds per epoch (training steps only; median over epochs): '
      f'{results["seconds_per_epoch"]:.1f} s; validation '
      f'{results["valid_seconds_per_epoch"]:.1f} s per epoch; test '
      f'evaluation {results["test_seconds"]:.1f} s.',
      f'* Total: {progress.format_duration(results["elapsed_seconds"])} '
      f'over {results["sessions"]} session(s).',
      f'* Machine: {output.describe_machine(results["machine"])}.',
      f'* Strategy `{s["strategy"]}`, {results["replicas"]} replica(s).', '',
      '## Settings', '', '| setting | value | why |', '|---|---|---|']
  for key, value, why in results['settings_explained']:
    lines.append(f'| {key} | {value} | {why} |')
  lines += ['', f'Window: {{{w["low"]}..{w["high"]}}} (n = '
            f'{w["num_outcomes"]}), prior upper tail P(X > {w["high"]}) = '
            f'{w["prior_upper_tail"]:.2g} (tail mass bound '
            f'{w["tail_mass"]:g}).', '',
            '## Figures', ''] + [f'![{p}]({p})' for p in results['figures']]
  lines.append('')
  return '\n'.join(lines)


def collect(folder):
  """Every run's `results.json` under `folder` (worker copies skipped)."""
  records = []
  for root, dirs, files in os.walk(folder):
    dirs[:] = sorted(d for d in dirs if not d.startswith('worker-') and
                     d not in ('checkpoints', 'tensorboard'))
    if 'results.json' in files:
      with open(os.path.join(root, 'results.json')) as f:
        record = json.load(f)
      record['folder'] = os.path.relpath(root, folder)
      records.append(record)
  return records


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


# Estimators whose posterior is fixed by their name (the experiment's
# `Config.resolved` reads this too); the others (the baselines, GenGS-ST,
# the bottleneck) take `--inference`, implicit by default, and an explicit
# run is its own column.
OWN_POSTERIOR = {'gengs_implicit': 'implicit', 'gengs_explicit': 'explicit',
                 'eat_cubic': 'explicit', 'eat_sigmoid': 'explicit'}
_EXPLICIT = '@explicit'


def column(settings):
  """The table column of a run: its estimator, `+ '@explicit'` for a
  baseline (or GenGS-ST) trained with the explicit posterior."""
  estimator = settings['estimator']
  if (estimator not in OWN_POSTERIOR and
      settings.get('inference', 'implicit') == 'explicit'):
    return estimator + _EXPLICIT
  return estimator


def _display(column_key):
  estimator, explicit, _ = column_key.partition(_EXPLICIT)
  return DISPLAY[estimator] + (' (Ex. posterior)' if explicit else '')


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
  estimators = [c for e in DISPLAY for c in (e, e + _EXPLICIT)
                if any(k[3] == c for k in cells)]
  rows = sorted({k[:3] for k in cells})
  lines = ['| dataset | prior | protocol | ' + ' | '.join(
      _display(e) for e in estimators) + ' |',
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


def grid_report(records, defaults=None):
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
