r"""The synthetic gradient study of the GenGS paper (§6.1, Figure 3).

Targets `t_1..t_k` are drawn once from `D(theta)`; each target is a data
point with its own latent `z_i ~ D(lambda)` (a shared parameter), and

```none
minimise over lambda   L(lambda) = E_{z ~ D(lambda)} [ sum_i (z_i - t_i)^2 ]
```

for Poisson(20), Binomial(20, .3), Multinomial(3, [.7, .2, .1]) and
NegativeBinomial(3, .4), with every estimator of `tfp_gengs.estimators`
(the exponential-arrival-time relaxations, EAT, on the Poisson only). At
every step, at the current `lambda`, `replicates` independent gradient
estimates are drawn in one batched call; they give the gradient variance
(trace of the covariance) and the bias against the exact gradient (closed
form for the Poisson, enumeration of the truncated support otherwise). The
parameter is then updated with the first replicate's estimate only, so every
optimisation run uses a single-sample estimator, as in the paper.

Usage:

```
python -m tfp_gengs.experiments.synthetic --quick \
    --output_dir=runs/synthetic_quick
python -m tfp_gengs.experiments.synthetic --output_dir=runs/synthetic  # full
```

This module is the entry point: flags, settings per mode, the loop over
(problem, estimator) runs and resuming. The pieces:

* `problems`: the four problems (windows, parameters, starts,
  targets, exact and closed-form gradients);
* `runner`: the traced step, its statistics and their aggregation
  over seeds (`optim.Adam` is the optimiser);
* `report`: `summary.md`, the Figure-3 plots and TensorBoard.

Output (`--output_dir`): `results.json` (settings, targets, every record),
`summary.md`, `figure3_smoothed.png`, `figure3_raw.png`,
`tensorboard/<problem>/<estimator>/` and `checkpoint.json`, rewritten after
every (problem, estimator) run; a rerun with the same settings (`--resume`,
the default) skips the runs it holds and keeps the run time of the earlier
sessions.

The settings and the reasons for the choices the paper leaves open:
`configs` (every field of `configs.Config` is a flag).
"""

import json
import time

from absl import app
from absl import flags

from tfp_gengs import estimators
from tfp_gengs.experiments.common import configs
from tfp_gengs.experiments.common import output
from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import progress
from tfp_gengs.experiments.synthetic import configs as synthetic_configs
from tfp_gengs.experiments.synthetic import problems as synthetic_problems
from tfp_gengs.experiments.synthetic import report as synthetic_report
from tfp_gengs.experiments.synthetic import runner as synthetic_runner

FLAGS = flags.FLAGS
configs.define_flags(synthetic_configs.Config)

PAPER = {
    'steps': 'not stated (Appendix J)',
    'k': 'not stated',
    'temperature': 'not stated (Figure 3 shows GenGS "keeping the '
                   'continuous relaxation")',
}

# (steps, seeds, replicates, log_every, timing calls) per mode.
MODES = {
    'full': (600, 5, 100, 10, 20),
    'quick': (60, 2, 32, 3, 5),
    'ci': (8, 2, 16, 2, 3),
}
# The full run adds GenGS at a lower temperature to show the trade-off.
FULL_EXTRA_ESTIMATORS = ('GenGS@0.5',)
CI_ESTIMATORS = ('REINFORCE', 'NVIL', 'RELAX', 'GenGS')
CI_DISTRIBUTIONS = ('poisson', 'multinomial')

CHECKPOINT = 'checkpoint.json'


def _settings(config):
  """The settings of `config` (what `checkpoint.json` must match)."""
  mode = 'ci' if config.ci else ('quick' if config.quick else 'full')
  steps, seeds, replicates, log_every, timing_calls = MODES[mode]
  names = list(estimators.NAMES)
  dists = list(synthetic_problems.problems())
  if mode == 'full':
    names += list(FULL_EXTRA_ESTIMATORS) + list(estimators.POISSON_NAMES)
  if mode == 'ci':
    names, dists = list(CI_ESTIMATORS), list(CI_DISTRIBUTIONS)
  settings = dict(
      mode=mode,
      steps=config.steps or steps,
      seeds=config.seeds or seeds,
      replicates=config.replicates or replicates,
      log_every=config.log_every or log_every,
      timing_calls=timing_calls,
      num_targets=config.num_targets,
      temperature=config.temperature,
      learning_rate=config.learning_rate,
      aux_learning_rate=config.aux_learning_rate,
      target_seed=config.target_seed,
      optimizer='Adam',
      rf_star_samples=2,
      vimco_samples=5,
      rb_summed_categories=1,
      estimators=list(config.estimators or names),
      distributions=list(config.distributions or dists),
  )
  unknown = {n.split('@')[0] for n in settings['estimators']} - set(
      estimators.NAMES + estimators.POISSON_NAMES)
  if unknown:
    raise app.UsageError(f'Unknown estimators {sorted(unknown)}.')
  unknown = set(settings['distributions']) - set(
      synthetic_problems.problems())
  if unknown:
    raise app.UsageError(f'Unknown distributions {sorted(unknown)}.')
  return settings


def _resume(folder, settings, resume, log):
  """`(results, elapsed seconds, sessions)` of earlier sessions, if any.

  A checkpoint resumes only with exactly the same settings; otherwise the
  study starts over (and overwrites it).
  """
  saved = folder.read_json(CHECKPOINT) if resume else None
  if saved is None:
    return {}, 0., 0
  if saved.get('settings') != settings:
    before = saved.get('settings') or {}
    changed = sorted(k for k in set(before) | set(settings)
                     if before.get(k) != settings.get(k))
    log(f'Not resuming from {folder.path(CHECKPOINT)}: other settings '
        f'({", ".join(changed)}); starting over.')
    return {}, 0., 0
  results = saved['results']
  # Run time of the earlier sessions (older checkpoints: the runs' own).
  elapsed = saved.get('elapsed_seconds', sum(
      r['run_seconds'] for recs in results.values() for r in recs.values()))
  log(f'Resuming from {folder.path(CHECKPOINT)}.')
  return results, elapsed, saved.get('sessions', 1)


def main(argv):
  del argv
  plots.require_matplotlib()        # fail before the runs, not after
  config, = configs.configs_from_flags(synthetic_configs.Config)
  settings = _settings(config)
  folder = output.OutputFolder(config.output_dir)

  def log(msg):
    print(msg, flush=True)

  results, previous_seconds, prior_sessions = _resume(folder, settings,
                                                      config.resume, log)
  computed = 0                      # runs computed in this session
  start = time.time()
  problems = synthetic_problems.problems()
  log(f'Synthetic study ({settings["mode"]}): {len(settings["estimators"])} '
      f'estimators x {len(settings["distributions"])} distributions, '
      f'{settings["seeds"]} seeds x {settings["steps"]} steps, '
      f'{settings["replicates"]} estimates per step.')
  total = sum(synthetic_runner.applies(problems[dist], name)
              for dist in settings['distributions']
              for name in settings['estimators'])
  targets_info = {}
  for dist in settings['distributions']:
    problem = problems[dist]
    targets = problem.targets(settings['num_targets'],
                              settings['target_seed'])
    targets_info[dist] = targets.tolist()
    log(f'{problem.label}: targets {targets.tolist()}')
    results.setdefault(dist, {})
    for name in settings['estimators']:
      if name in results[dist]:
        continue
      if not synthetic_runner.applies(problem, name):
        log(f'  {name}: skipped (samples a Poisson; {problem.label} is not '
            'one)')
        continue
      rec = synthetic_runner.run_one(problem, name, targets, settings, log)
      computed += 1
      rec['label'] = problem.label
      rec['truncation'] = problem.truncation
      results[dist][name] = rec
      synthetic_report.write_tensorboard(folder, dist, rec)
      seconds = time.time() - start
      folder.write_text(CHECKPOINT, json.dumps(dict(
          settings=settings, results=results, sessions=prior_sessions + 1,
          elapsed_seconds=previous_seconds + seconds)))
      done = sum(len(r) for r in results.values())
      left = seconds / computed * (total - done)
      log(f'  [{done}/{total}] {progress.format_duration(seconds)} '
          f'elapsed' + (f', about {progress.format_duration(left)} left'
                        if done < total else ''))
  # A resumed session that only rewrites the report adds no run time.
  elapsed = previous_seconds + (time.time() - start if computed else 0.)
  settings_out = dict(settings, sessions=prior_sessions + bool(computed))
  plot_names = synthetic_report.plot_figure3(folder, results, settings,
                                             problems)
  folder.write_text('results.json', json.dumps(dict(
      settings=settings_out, paper=PAPER, targets=targets_info,
      elapsed_seconds=elapsed, results=results)))
  summary_path = folder.write_text('summary.md', synthetic_report.summary(
      results, settings_out, problems, plot_names, elapsed))
  log(f'Done in {elapsed / 60:.1f} min. Report: {summary_path} (plots, '
      f'results.json and TensorBoard logs in {folder.root}).')


def cli():
  """`python -m tfp_gengs.experiments.synthetic`."""
  app.run(main)
