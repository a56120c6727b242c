r"""The generalization gap of finished VAE runs: -ELBO on train, valid, test.

Reloads each run's selected weights (`DIR/checkpoints/best`, the epoch of
lowest validation hard -ELBO) at its selected temperature and evaluates the
relaxed and hard negative ELBOs on the first `--examples` images of each
split with the run's own test protocol (`--eval_samples` posterior samples
per image, the test evaluation's seed). On the test split with every image
this repeats the run's reported test numbers (a check that the reload is
the evaluated model); the train rows say how much of a test -ELBO is the
model fitting its training images better than new ones:

```none
gap = hard -ELBO(test) - hard -ELBO(train)
```

```
python -m tfp_gengs.experiments.vae.generalization \
    --runs=runs/vae200/mnist-poisson2-gengs_implicit-s0 \
    --data_dir=$TFP_GENGS_DATA --examples=10000 \
    --output=results/vae/generalization.md
```

`--dataset=mnist_dynamic` runs: their training images are grey levels,
binarized here once with the test evaluation's seed.
"""

import dataclasses
import json
import os

from absl import app
from absl import flags
import tensorflow as tf

from tfp_gengs.experiments.common import data_folder
from tfp_gengs.experiments.common import distribute
from tfp_gengs.experiments.vae import configs
from tfp_gengs.experiments.vae import evaluation
from tfp_gengs.experiments.vae import input_pipeline
from tfp_gengs.experiments.vae import report
from tfp_gengs.experiments.vae import train

__all__ = ['SPLITS', 'gap_table', 'reload', 'split_scores']

SPLITS = ('train', 'valid', 'test')


def _quiet(line):
  del line


def reload(run_dir, data=None, data_dir=None):
  """The run in `run_dir` rebuilt with its selected weights and temperature.

  Args:
    run_dir: a finished run's folder (`results.json`, `checkpoints/best`).
    data: optional `(train, valid, test)` arrays (else the run's data, read
      from `data_dir` or the folder its settings record).
    data_dir: optional data folder replacing the recorded one.

  Returns:
    `(trial, results)`: a `train.Trial` holding the selected model, and the
    run's `results.json`.

  Raises:
    FileNotFoundError: `run_dir` has no `results.json` (the run is not
      finished) or no best checkpoint.
  """
  path = os.path.join(run_dir, 'results.json')
  if not os.path.exists(path):
    raise FileNotFoundError(f'Argument `run_dir`={run_dir!r} holds no '
                            'results.json: not a finished VAE run.')
  with open(path, encoding='utf-8') as f:
    results = json.load(f)
  fields = {f.name for f in dataclasses.fields(configs.Config)}
  config = configs.Config(**{k: v for k, v in results['settings'].items()
                             if k in fields})
  if data_dir is not None:
    config = dataclasses.replace(config, data_dir=data_dir)
  elif config.data_dir == f'${data_folder.ENV}':
    # Recorded as `$TFP_GENGS_DATA`: the loaders' default order reads it.
    config = dataclasses.replace(config, data_dir=None)
  config = config.resolved()
  if data is None:
    data = input_pipeline.load_data(config)
  trial = train.Trial(config, data, distribute.make_strategy('default'),
                      _quiet)
  best = os.path.join(run_dir, 'checkpoints', 'best')
  if not tf.io.gfile.exists(best + '.index'):
    raise FileNotFoundError(f'No best checkpoint in {run_dir}/checkpoints.')
  tf.train.Checkpoint(model=trial.model).read(
      best).assert_existing_objects_matched()
  trial.vae.latent.temperature.assign(results['test']['temperature'])
  return trial, results


def split_scores(trial, examples=0):
  """Mean relaxed and hard -ELBO (and standard errors) of each split.

  Args:
    trial: from `reload`.
    examples: the first N images of each split (0: all).

  Returns:
    dict split -> dict of `neg_elbo_relaxed`, `neg_elbo_hard`, `kl`, each
    `[mean, standard error]`, and `examples`.
  """
  config = trial.config
  seed = evaluation.test_seed(config, 0)
  tau = float(trial.vae.latent.temperature.numpy())
  scores = {}
  for split in SPLITS:
    x = getattr(trial, split)
    x = x[:examples] if examples else x
    if split == 'train' and config.dataset in input_pipeline.DYNAMIC_DATASETS:
      x = input_pipeline.binarize_batch(x, seed)
    e = trial.evaluator.elbo(x, tau, config.eval_samples, seed)
    scores[split] = dict(examples=len(x), **{
        k: evaluation.mean_and_se(e[k])
        for k in ('neg_elbo_relaxed', 'neg_elbo_hard', 'kl')})
  return scores


def gap_table(rows):
  """Markdown table of `[(run name, results, split_scores)]`.

  Each run is named by its folder, its label (dataset, prior, method,
  seed) and its protocol (`report.protocol`: epochs, temperature, every
  setting that is not the study's default).
  """
  defaults = dataclasses.asdict(configs.Config())
  lines = [
      '| run | selected epoch | images per split | train relaxed | train '
      'hard | valid hard | test relaxed | test hard | gap (test - train, '
      'hard) |',
      '|---|---|---|---|---|---|---|---|---|']
  for name, results, s in rows:
    def cell(split, key):
      mean, se = s[split][key]
      return f'{mean:.2f} ± {se:.2f}'
    gap = s['test']['neg_elbo_hard'][0] - s['train']['neg_elbo_hard'][0]
    lines.append(
        f'| `{name}`: {results["label"]}, '
        f'{report.protocol(results["settings"], defaults)} | '
        f'{results["best_epoch"]}/'
        f'{results["settings"]["epochs"]} | {s["test"]["examples"]} | '
        f'{cell("train", "neg_elbo_relaxed")} | '
        f'{cell("train", "neg_elbo_hard")} | {cell("valid", "neg_elbo_hard")} '
        f'| {cell("test", "neg_elbo_relaxed")} | '
        f'{cell("test", "neg_elbo_hard")} | **{gap:.2f}** |')
  return '\n'.join(lines) + '\n'


FLAGS = flags.FLAGS
flags.DEFINE_list('runs', None, 'Finished run folders.')
flags.DEFINE_string('data_dir', None, 'Data folder (default: the one each '
                    'run recorded).')
flags.DEFINE_integer('examples', 10000, 'Images per split (0: all).')
flags.DEFINE_string('output', None, 'Markdown file for the table.')


def main(argv):
  del argv
  if not FLAGS.runs:
    raise app.UsageError('--runs names at least one finished run folder.')
  if FLAGS.examples < 0:
    raise app.UsageError(f'--examples must be >= 0; got {FLAGS.examples}.')
  rows = []
  for i, run_dir in enumerate(FLAGS.runs):
    print(f'[{i + 1}/{len(FLAGS.runs)}] {run_dir}', flush=True)
    with data_folder.exit_if_missing():
      trial, results = reload(run_dir, data_dir=FLAGS.data_dir)
    rows.append((os.path.basename(os.path.normpath(run_dir)), results,
                 split_scores(trial, FLAGS.examples)))
  table = gap_table(rows)
  print(table)
  if FLAGS.output:
    command = ('python -m tfp_gengs.experiments.vae.generalization '
               f'--runs={",".join(FLAGS.runs)} --examples={FLAGS.examples}')
    with open(FLAGS.output, 'w', encoding='utf-8') as f:
      f.write(f'# Generalization gap of finished VAE runs\n\n'
              f'Hard and relaxed test-protocol -ELBOs (nats, mean ± '
              f'standard error over the images) of each run\'s selected '
              f'model on the first {FLAGS.examples or "all"} images of each '
              f'split, from\n\n```\n{command}\n```\n\n'
              f'(data folder: each run\'s, `$TFP_GENGS_DATA`).\n\n{table}')
    print(f'wrote {FLAGS.output}')


if __name__ == '__main__':
  app.run(main)
