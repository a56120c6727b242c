r"""The synthetic study's outputs: `summary.md`, Figure-3 plots, TensorBoard.

`summary.md` has

* the settings, each problem's parameter, start and window read from its
  `problems.Problem` (what differs from the paper is marked †);
* one table per problem, estimators ordered by mean log-variance, with

  ```none
  final loss      exact L(lambda) over the last log_every steps, mean ± CI
  log-var         mean over steps of log tr Cov of one estimate, mean ± CI
  log-var/eval    log-var + log(evaluations of f per estimate)
  bias            sqrt(mean(|mean - g|^2 - tr Cov_hat / R)) over steps, seeds
    [raw, floor]  mean |mean - g| and its noise floor mean sqrt(tr Cov_hat/R)
  error           sqrt(E|g_hat - g|^2), the RMS error of one estimate
  ms/grad         median wall time of one traced estimate
  ```

  (CI: mean ± 1.96 standard errors over seeds);
* the paper's claims as measured: which estimator has the lowest variance,
  GenGS's rank, the best unbiased estimator's log-variance minus GenGS's,
  the biased estimators ordered by bias and the lowest errors of one
  estimate.

The plots (`figure3_smoothed.png`, cumulative averages over steps, and
`figure3_raw.png`) show log-loss, log-variance and bias against steps, one
row per problem, with the seeds' confidence bands; TensorBoard gets the same
series averaged over seeds (`tensorboard/<problem>/<estimator>`, tags
`log_loss`, `log_variance`, `bias`).
"""

import numpy as np

from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import tensorboard
from tfp_gengs.experiments.synthetic import runner as synthetic_runner

__all__ = ['PLOT_NAMES', 'plot_figure3', 'summary', 'write_tensorboard']

PLOT_NAMES = {True: 'figure3_smoothed.png', False: 'figure3_raw.png'}

# GenGS and its variants (any temperature) count as relaxed GenGS.
_RELAXED = ('GenGS', 'GenGS-RB', 'GenGS-RB(detached)')


def write_tensorboard(folder, problem_name, rec):
  """One record's series, averaged over seeds, as TensorBoard scalars."""
  writer = tensorboard.ScalarWriter(folder.path(
      'tensorboard', problem_name, rec['estimator'].replace('*', 'star')))
  series = rec['series']
  for i, step in enumerate(rec['steps']):
    loss = np.mean([s[i] for s in series['loss']])
    var = np.mean([s[i] for s in series['variance']])
    bias = np.mean([s[i] for s in series['bias_sq']])
    writer.write(step, log_loss=np.log(loss), log_variance=np.log(var),
                 bias=np.sqrt(bias))
  writer.close()


def _colors(plt, names):
  """GenGS variants in strong colours, the others from tab20."""
  cmap = plt.get_cmap('tab20')
  others = [n for n in names if not n.startswith('GenGS')]
  colors = {n: cmap(i % 20) for i, n in enumerate(others)}
  strong = ['black', 'crimson', 'darkviolet', 'dimgray', 'darkorange']
  colors.update({n: strong[i % len(strong)] for i, n in enumerate(
      n for n in names if n.startswith('GenGS'))})
  return colors


def plot_figure3(folder, results, settings, problems):
  """Figure-3-style plots: cumulative-average and raw, with seed CIs.

  Args:
    folder: the `output.OutputFolder`.
    results: `{problem: {estimator: record}}`.
    settings: the study's settings (order of problems and estimators).
    problems: `{name: Problem}`.

  Returns:
    The PNG names written, smoothed first.
  """
  plt = plots.require_matplotlib()
  dists = [d for d in settings['distributions'] if d in results]
  names = settings['estimators']
  colors = _colors(plt, names)
  metrics = [('loss', 'log-loss', np.log),
             ('variance', 'log-variance of gradients', np.log),
             ('bias_sq', 'bias |mean - exact| (log)',
              lambda x: 0.5 * np.log(np.maximum(x, 1e-30)))]
  paths = []
  for smooth in (True, False):
    fig, axes = plt.subplots(len(dists), 3, figsize=(15, 3.6 * len(dists)),
                             squeeze=False)
    for row, dist in enumerate(dists):
      for col, (key, title, transform) in enumerate(metrics):
        ax = axes[row, col]
        for name in names:
          rec = results[dist].get(name)
          if rec is None:
            continue
          values = np.asarray(rec['series'][key])          # [seeds, points]
          if smooth:
            values = np.cumsum(values, 1) / np.arange(1, values.shape[1] + 1)
          mean, half = synthetic_runner.confidence_interval(transform(values))
          steps = rec['steps']
          gengs_like = name.startswith('GenGS')
          ax.plot(steps, mean, color=colors[name], label=rec['display_name'],
                  lw=2.2 if gengs_like else 1.1,
                  ls='-' if gengs_like or rec['unbiased'] else '--')
          ax.fill_between(steps, mean - half, mean + half,
                          color=colors[name], alpha=.15, lw=0)
        ax.set_title(f'{problems[dist].label}: {title}', fontsize=9)
        ax.set_xlabel('step')
        ax.grid(alpha=.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='upper center', ncol=min(8, len(labels)),
               fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (3.6 * len(dists))))
    fig.savefig(folder.path(PLOT_NAMES[smooth]), dpi=110)
    plt.close(fig)
    paths.append(PLOT_NAMES[smooth])
  return paths


def _fmt(pair, digits=2):
  return f'{pair[0]:.{digits}f} ± {pair[1]:.{digits}f}'


def _per_problem(ran, value):
  """`'label: value; ...'` over the problems that ran."""
  return '; '.join(f'{p.label}: {value(p)}' for p in ran)


def _settings_rows(settings, ran):
  return [
      ('distributions', ', '.join(p.label for p in ran)),
      ('targets k †', f'{settings["num_targets"]} (paper: not stated), drawn '
       f'once from D(theta) with seed {settings["target_seed"]}; one latent '
       'per target'),
      ('parameters †', _per_problem(ran, lambda p: p.parameter)),
      ('start †', _per_problem(ran, lambda p: p.start)),
      ('truncation', _per_problem(ran, lambda p: p.truncation)),
      ('optimiser †', f'Adam, lr {settings["learning_rate"]}, '
       f'{settings["steps"]} steps (paper: not stated); update with one '
       'estimate per step'),
      ('seeds', f'{settings["seeds"]} (CI: mean ± 1.96 s.e. over seeds)'),
      ('gradient estimates per step', f'{settings["replicates"]} '
       '(variance = trace of their covariance)'),
      ('temperature †', f'{settings["temperature"]} for GenGS, GenGS-ST, '
       'GenGS-RB; initial value for REBAR/RELAX (learned); no annealing '
       '(paper: not stated)'),
      ('learned control variates', f'Adam lr {settings["aux_learning_rate"]}'
       ', trained on all replicates of a step †'),
      ('multi-sample', f'RF* k={settings["rf_star_samples"]}, VIMCO '
       f'k={settings["vimco_samples"]} (mean objective, = RF*(k)); DetRB, '
       'StoRB, UNORD: m=1 summed + 1 sampled'),
      ('GenGS-RB', 'm = 1: the mode summed exactly, the rest by GenGS on pi '
       'restricted to the other categories (GenGS-RB); or two unconditional '
       'relaxed samples weighted by the stopped pi(mode), as in the '
       'Rao-Blackwellisation code of Liu et al. (GenGS-RB(detached))'),
      ('NVIL(unnormalised)', 'NVIL without the 1/max(1, sqrt(v)) variance '
       'normalisation (ablation)'),
  ]


def _columns(settings):
  return ['', 'Columns: final loss = exact loss over the last '
          f'{settings["log_every"]} steps (mean ± CI over seeds); '
          'log-var = mean over steps of log tr Cov of one estimate; '
          'bias = debiased RMS bias over steps and seeds (raw '
          '|mean - exact| and its Monte Carlo noise floor sqrt(tr Cov/R) in '
          'brackets); error = RMS error of one estimate, '
          'sqrt(E|g_hat - g|^2); log-var/eval = log-var + log(evals); '
          'time = median wall time of one gradient estimate '
          '(traced, 2 CPU cores shared); evals = evaluations of f per '
          'estimate.', '']


def _table(problem, recs):
  """The problem's section; returns (lines, estimators by log-variance)."""
  lines = [f'## {problem.label}', '',
           '| estimator | unbiased | evals | final loss | log-var | '
           'log-var/eval | bias [raw, floor] | error | ms/grad |',
           '|---|---|---|---|---|---|---|---|---|']
  order = sorted(recs.values(), key=lambda r: r['mean_log_variance'][0])
  for r in order:
    lines.append(
        f'| {r["display_name"]} | {"yes" if r["unbiased"] else "no"} | '
        f'{r["evaluations"]} | {_fmt(r["final_loss"])} | '
        f'{_fmt(r["mean_log_variance"])} | '
        f'{r["log_variance_per_evaluation"]:.2f} | {r["bias_rms"]:.3g} '
        f'[{r["bias_raw"]:.3g}, {r["bias_noise_floor"]:.3g}] | '
        f'{r["rms_error"]:.3g} | {r["time_per_gradient_ms"]:.2f} |')
  if problem.closed_form_gradient is not None and recs:
    err = max(r['max_truncation_error'] for r in recs.values())
    lines += ['', f'Bias is against the closed-form (untruncated) gradient;'
              f' the largest |closed form - truncated enumeration| along '
              f'all runs was {err:.2g}.']
  lines.append('')
  return lines, order


def _claims_row(problem, recs, order):
  """One row of the claims table (the problem must have a GenGS run)."""
  relaxed = [r for r in order if r['estimator'].split('@')[0] in _RELAXED]
  rank = [r['estimator'] for r in order].index('GenGS') + 1
  biased = sorted((r for r in recs.values() if not r['unbiased']),
                  key=lambda r: r['bias_rms'])
  unbiased_best = next((r for r in order if r['unbiased']), None)
  if unbiased_best is None:         # e.g. `--estimators=GenGS`
    best = 'none run'
  else:
    delta = (unbiased_best['mean_log_variance'][0] -
             recs['GenGS']['mean_log_variance'][0])
    best = f'{unbiased_best["display_name"]} ({delta:+.2f})'
  by_error = sorted(recs.values(), key=lambda r: r['rms_error'])
  return (
      f'| {problem.label} | {order[0]["display_name"]} | '
      f'{"yes" if order[0] in relaxed else "no"} | {rank} of {len(order)}'
      f' | {best} | '
      f'{" < ".join(r["display_name"] for r in biased)} | '
      f'{", ".join(r["display_name"] for r in by_error[:3])} |')


_CLAIMS_HEAD = [
    '## The paper\'s claims, as measured', '',
    'Lowest variance: which estimator has the lowest mean '
    'log-variance, whether it is a relaxed GenGS (GenGS or GenGS-RB '
    'in either construction, any temperature), GenGS (tau = 1)\'s '
    'rank, and the best unbiased estimator with its log-variance '
    'minus GenGS\'s. Bias: '
    'the biased estimators ordered by debiased RMS bias; and the '
    'other reading of "bias", the RMS error of one estimate '
    '(lowest three).', '',
    '| distribution | lowest log-var | relaxed GenGS? | GenGS rank | '
    'best unbiased (Δ log-var) | bias order (biased estimators) | '
    'lowest error of one estimate |',
    '|---|---|---|---|---|---|---|']


def summary(results, settings, problems, plot_names, elapsed):
  """The text of `summary.md`.

  Args:
    results: `{problem: {estimator: record}}` (`runner.run_one`).
    settings: the study's settings, with `sessions`.
    problems: `{name: Problem}`, at least those in `results`.
    plot_names: PNG names to embed.
    elapsed: run time of all sessions, seconds.

  Returns:
    Markdown.
  """
  ran = [problems[d] for d in results]
  lines = ['# Synthetic gradient study (paper §6.1, Figure 3)', '',
           f'Mode `{settings["mode"]}`, total run time {elapsed / 60:.1f} '
           'min on this machine'
           + (f' ({settings["sessions"]} sessions, resumed from the '
              'checkpoint)' if settings.get('sessions', 1) > 1 else '')
           + '.', '',
           '## Settings (what differs from the paper is marked †)', '',
           '| setting | value |', '|---|---|']
  lines += [f'| {a} | {b} |' for a, b in _settings_rows(settings, ran)]
  lines += _columns(settings)
  checks = []
  for problem in ran:
    recs = results[problem.name]
    table, order = _table(problem, recs)
    lines += table
    if 'GenGS' in recs:
      checks.append(_claims_row(problem, recs, order))
  if checks:
    lines += _CLAIMS_HEAD + checks + ['']
  lines += ['## Figures', ''] + [f'![{p}]({p})' for p in plot_names] + ['']
  return '\n'.join(lines)
