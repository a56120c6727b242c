"""Report pieces the training studies share: runs of a folder, summary parts.

* `collect(folder)`: every run's `results.json` under a folder (a grid).
* `cost_and_settings(results, ...)`: the `## Cost and machine` and
  `## Settings` sections of a run's `summary.md`.
"""

import json
import os

from tfp_gengs.experiments.common import output
from tfp_gengs.experiments.common import progress

__all__ = ['collect', 'cost_and_settings']


def collect(folder):
  """Every run's `results.json` under `folder` (worker copies skipped).

  Each record gets `folder`: its folder relative to `folder`.
  """
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


def cost_and_settings(results, median='median', more_costs=()):
  """Lines of a summary: the run's cost and machine, then its settings.

  Args:
    results: the run's `results.json` dict (`settings_explained` holds the
      `(setting, value, why)` rows).
    median: how the seconds per epoch are summarised, in words.
    more_costs: further lines of the cost section.
  """
  lines = [
      '## Cost and machine', '',
      f'* Seconds per epoch (training steps only; {median}): '
      f'{results["seconds_per_epoch"]:.1f} s; validation '
      f'{results["valid_seconds_per_epoch"]:.1f} s per epoch; test '
      f'evaluation {results["test_seconds"]:.1f} s.',
      f'* Total: {progress.format_duration(results["elapsed_seconds"])} '
      f'over {results["sessions"]} session(s).',
      f'* Machine: {output.describe_machine(results["machine"])}.',
      *more_costs, '',
      '## Settings', '', '| setting | value | why |', '|---|---|---|']
  return lines + [f'| {key} | {value} | {why} |'
                  for key, value, why in results['settings_explained']]
