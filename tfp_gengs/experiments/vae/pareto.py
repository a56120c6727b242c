r"""Pareto plot of the VAE study: hard-sample test -ELBO against training time.

One point per table cell (estimator, posterior and protocol of one dataset
and prior at one training length), the mean over its seeds with the
standard deviation as an error bar, against the mean training seconds of
its runs (`seconds_per_epoch x epochs`, the time spent in training steps,
without validation and test evaluation). The points no other point beats in
both time and -ELBO are joined: the Pareto front.

```
python -m tfp_gengs.experiments.vae.pareto --input=results/vae \
    --output=results/vae/pareto.png --dataset=mnist --prior=poisson2 \
    --epochs=25
```

Seconds come from each run's own `results.json`: runs that shared the
machine with another job are slower than alone, so compare time only
roughly (the study's README says which runs shared the cores).
"""

import collections
import dataclasses

from absl import app
from absl import flags
import numpy as np

from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import report as common_report
from tfp_gengs.experiments.vae import configs
from tfp_gengs.experiments.vae import report

__all__ = ['points', 'plot']


def _short(protocol):
  """`'tau -> 0.3 (rate 0.0001), finetune_epochs 5, ...'` -> `'τ 0.3, ...'`."""
  tau, _, extras = protocol.partition(')')
  parts = [f'τ {tau.split("->")[1].split("(")[0].strip()}']
  for item in extras.strip(', ').split(', '):
    if item:
      parts.append(item.replace('finetune_estimator ', 'then ').replace(
          'finetune_epochs ', 'last ').replace('rate_link ', '').replace(
              'encoder_init ', 'init ').replace('lr_decay_rate ', 'lr x'))
  return ', '.join(parts)


def points(records, dataset, prior, epochs):
  """`[(label, seconds mean, -ELBO mean, -ELBO std, seeds)]` of the cells."""
  defaults = dataclasses.asdict(configs.Config())
  cells = collections.defaultdict(list)
  for r in records:
    s = r['settings']
    if (s['dataset'], s['prior'], s['epochs']) != (dataset, prior, epochs):
      continue
    # The cell's protocol without its length: "tau -> 0.3 (rate 0.0001)...".
    protocol = report.protocol(s, defaults).split(', ', 1)[1]
    label = f'{report.display(report.column(s))} [{_short(protocol)}]'
    cells[label].append(
        (r['seconds_per_epoch'] * s['epochs'], r['test']['neg_elbo_hard'][0]))
  out = []
  for label, runs in sorted(cells.items()):
    seconds, elbo = np.array(runs).T
    out.append((label, float(seconds.mean()), float(elbo.mean()),
                float(elbo.std(ddof=1)) if len(elbo) > 1 else 0.,
                len(elbo)))
  return out


def pareto_front(cells):
  """The cells no other cell beats in both seconds and -ELBO, by time."""
  front, best = [], np.inf
  for cell in sorted(cells, key=lambda c: (c[1], c[2])):
    if cell[2] < best:
      front.append(cell)
      best = cell[2]
  return front


def _explicit(label):
  return 'Ex.' in label.split(' [')[0]


def plot(cells, path, title, worst=200.):
  """Writes the scatter (implicit and explicit posteriors apart) to `path`.

  Cells above `worst` nats (the deterministic bottleneck) are left out of
  the axes and named in the title. Returns the Pareto front of all cells.
  """
  plt = plots.require_matplotlib()
  shown = [c for c in cells if c[2] <= worst]
  hidden = [c[0].split(' [')[0] for c in cells if c[2] > worst]
  fig, axes = plt.subplots(1, 2, figsize=(15, 7))
  for ax, explicit in zip(axes, (False, True)):
    panel = sorted((c for c in shown if _explicit(c[0]) == explicit),
                   key=lambda c: c[2])
    for i, (label, seconds, elbo, std, seeds) in enumerate(panel):
      hard_sample = any(k in label for k in ('ReinMax', 'Gumbel', 'then '))
      ax.errorbar(seconds, elbo, yerr=std, fmt='o', capsize=3,
                  color='tab:green' if hard_sample else (
                      'tab:red' if 'GenGS' in label else 'tab:blue'))
      ax.annotate(f'{label} ({seeds})', (seconds, elbo), fontsize=6.5,
                  xytext=(5, 7 * (i % 3) - 7), textcoords='offset points')
    front = pareto_front(panel)
    ax.plot([c[1] for c in front], [c[2] for c in front], 'k--', lw=0.8,
            label='Pareto front')
    ax.set_xscale('log')
    ax.set_xlabel('training seconds (s/epoch x epochs, 2-core CPU)')
    ax.set_ylabel('test -ELBO, hard samples (nats)')
    ax.set_title('explicit (Poisson) posterior' if explicit else
                 'implicit posterior (logits of pi)')
    ax.legend(loc='upper right', fontsize=8)
  fig.suptitle(title + (f'; not shown (> {worst:g} nats): '
                        f'{", ".join(hidden)}' if hidden else '') +
               '\ngreen: exact outcomes in training (ReinMax, Gumbel-Rao, '
               'hard fine-tuning), red: GenGS, blue: baselines',
               fontsize=10)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return pareto_front(cells)


FLAGS = flags.FLAGS


def main(argv):
  del argv
  records = common_report.collect(FLAGS.input)
  cells = points(records, FLAGS.dataset, FLAGS.prior, FLAGS.epochs)
  if not cells:
    raise app.UsageError(f'No run under {FLAGS.input} for {FLAGS.dataset} '
                         f'{FLAGS.prior} at {FLAGS.epochs} epochs.')
  front = plot(cells, FLAGS.output, f'{FLAGS.dataset} {FLAGS.prior}, '
               f'{FLAGS.epochs} epochs: (seeds) per point, mean ± std')
  for label, seconds, elbo, std, seeds in cells:
    mark = '*' if any(c[0] == label for c in front) else ' '
    print(f'{mark} {label:60s} {seconds:8.0f} s  {elbo:7.2f} ± {std:.2f} '
          f'({seeds})')
  print(f'wrote {FLAGS.output} (* on the Pareto front)')


if __name__ == '__main__':
  flags.DEFINE_string('input', 'results/vae', 'Folder of results.json runs.')
  flags.DEFINE_string('output', 'results/vae/pareto.png', 'PNG written.')
  flags.DEFINE_string('dataset', 'mnist', 'Dataset of the cells.')
  flags.DEFINE_string('prior', 'poisson2', 'Prior of the cells.')
  flags.DEFINE_integer('epochs', 25, 'Training length of the cells.')
  app.run(main)
