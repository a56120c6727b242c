r"""One run, a grid of runs, resume and the report: the same for each study.

A training study (the VAE, the topic model) is a `Study`: its `Config`,
how it loads its data, how it builds one run (a `Trial`: the model, the
train step, validation, the test evaluation) and its reports, each a
module of its package. The rest is here:

```none
run(study, config):  config.resolved(); with --resume a finished run with
                     the same settings is returned (Config.UNCHANGED);
                     the data; train.Trial -> trial; the checkpoint; the
                     epoch loop (temperature schedule, KL warm-up, noise,
                     TensorBoard); the best-validation weights at their
                     temperature; trial.evaluate; results.json, summary.md
main(study):         one Config per combination of the GRID flags (a run
                     folder each with several or --grid), run each, then
                     table.md (--report_only: only the table)
cli(study):          the flags from the Config (`configs.define_flags`)
                     and --quick, --grid, --report_only; then main
```
"""

import dataclasses
import functools
import inspect
import os

from absl import app
from absl import flags
from absl import logging
import numpy as np
import tensorflow.compat.v2 as tf

from tfp_gengs.experiments.common import checkpointing
from tfp_gengs.experiments.common import configs as common_configs
from tfp_gengs.experiments.common import data_folder
from tfp_gengs.experiments.common import distribute
from tfp_gengs.experiments.common import epoch_loop
from tfp_gengs.experiments.common import output
from tfp_gengs.experiments.common import plots
from tfp_gengs.experiments.common import report as common_report
from tfp_gengs.experiments.common import tensorboard

__all__ = ['Evaluation', 'Interrupted', 'Study', 'Trial', 'cli',
           'configs_from_flags', 'main', 'run', 'same_settings']

Interrupted = epoch_loop.Interrupted   # `--stop_after_steps` (tests)
FLAGS = flags.FLAGS


class Study:
  """A training study: the modules of its package that the runner uses.

  A study package holds, by name (the layout of the Flax examples):

  ```none
  configs.Config                   its settings, each a flag
                                   (a `common.configs.TrainingConfig`)
  configs.quick(config)            --quick: shortened to minutes (the first
                                   paragraph of its docstring: the help)
  input_pipeline.load_data(config) its data (`data_folder.missing` when a
                                   file is not there)
  train.Trial(config, data, strategy, log)   one run, built (`Trial`)
  report.run_folder_name(config)   a run's folder in a grid
  report.summary(results)          `summary.md` of one run
  report.table(records, defaults)  `table.md` of runs (`defaults`: the
                                   settings of `Config()`)
  ```

  Args:
    configs: its `configs` module.
    input_pipeline: its `input_pipeline` module.
    train: its `train` module.
    report: its `report` module.
    distributed: whether it trains under `--strategy` (and records its
      replicas); else on one device.
    tabulates_folder: whether `table.md` holds every run under
      `--output_dir` (else the runs of this invocation).
  """

  def __init__(self, configs, input_pipeline, train, report,
               distributed=False, tabulates_folder=False):
    self.config_class = configs.Config
    self.quick = configs.quick
    self.load_data = input_pipeline.load_data
    self.trial = train.Trial
    self.folder_name = report.run_folder_name
    self.summary = report.summary
    self.table = report.table
    self.distributed = distributed
    self.tabulates_folder = tabulates_folder

  def run(self, config, data=None, log=None):
    """One run of `config` (see `run`); its results dict."""
    return run(self, config, data, log)

  def cli(self):
    """The study's command (see `cli`)."""
    cli(self)


@dataclasses.dataclass
class Evaluation:
  """A trial's test evaluation (`Trial.evaluate`).

  Attributes:
    results: the study's keys of `results.json`, in order (after `label`
      and `settings`, before the costs, the machine and the history).
    test_seconds: time of the test evaluation.
    figures: what `results.json` records of the figures written.
  """

  results: dict
  test_seconds: float
  figures: object


class Trial:
  """One configuration of a study, built: what `run` trains and evaluates.

  Attributes:
    label: the run's title, e.g. `'mnist Poisson(2) GenGS (Im.) seed 0'`.
    window: the latent window as `results.json` records it.
    train: the training examples (the loop draws the minibatches).
    model: the Keras model whose best-validation weights are kept.
    trackables: dict name -> trackable: what each epoch's checkpoint holds.
    latent_layers: the GenGS layers whose temperature follows the schedule
      and whose noise is reseeded at every epoch.
  """

  label = None
  window = None
  train = None
  model = None
  trackables = None
  latent_layers = ()

  def shape_text(self, steps_per_epoch):
    """The start line after the label (epochs, steps, window)."""
    raise NotImplementedError

  def start_epoch(self, epoch):
    """Called before the epoch's steps (after the noise is reseeded)."""

  def train_step(self, batch, seed, kl_weight):
    """One step; `{name: float}` (the loop averages them per epoch)."""
    raise NotImplementedError

  def validate(self, epoch, tau, kl_weight, train_means):
    """`(record, score to minimise, log text)` of the epoch."""
    raise NotImplementedError

  def evaluate(self, out, tau, state):
    """An `Evaluation` of the best-validation model at temperature `tau`.

    `out` is the run's `output.OutputFolder`, `state` the loop's state
    (`best_epoch`, `best_valid`, `history`).
    """
    raise NotImplementedError

  def outcome_text(self, results):
    """The last log line after the label (the test numbers)."""
    raise NotImplementedError


def same_settings(saved, config):
  """Whether a saved run's settings are `config`'s (up to its UNCHANGED)."""
  return not checkpointing.changed_settings(
      saved, dataclasses.asdict(config), config.UNCHANGED,
      dataclasses.asdict(type(config)()))


def _set_temperature(layers, tau):
  for layer in layers:
    layer.temperature.assign(tau)


def _start_epoch(trial, seed, epoch):
  """Reseeds each GenGS layer's noise from `(seed, epoch)` and its index."""
  pair = epoch_loop.seed(epoch_loop.LAYER, seed, epoch)
  for i, layer in enumerate(trial.latent_layers):
    state = layer.seed_generator.state
    state.assign(tf.constant([pair[0], pair[1] + i], state.dtype))
  trial.start_epoch(epoch)


def _validate(trial, epoch, step, tau, kl_weight, means):
  del step
  return trial.validate(epoch, tau, kl_weight, means)


def _print(line):
  print(line, flush=True)


def run(study, config, data=None, log=None):
  """Trains and evaluates one configuration; returns the results dict.

  Args:
    study: the `Study`.
    config: its `Config`.
    data: optional data (else `study.load_data(config)`).
    log: callable taking a line (default: print, flushed).

  Raises:
    Interrupted: after `config.stop_after_steps` steps of this session.
  """
  log = log or _print
  config = config.resolved()
  plots.require_matplotlib()
  strategy = distribute.make_strategy(
      config.strategy if study.distributed else 'default')
  replicas = strategy.num_replicas_in_sync
  if config.batch_size % replicas:
    raise ValueError(f'--batch_size={config.batch_size} must be a multiple '
                     f'of the {replicas} replicas.')
  out_dir = config.output_dir
  if not distribute.is_chief():
    out_dir = os.path.join(out_dir, f'worker-{distribute.task_index()}')
  out = output.OutputFolder(out_dir)
  done = (out.read_json('results.json')
          if config.resume and config.UNCHANGED is not None else None)
  if done is not None and same_settings(done['settings'], config):
    log(f'{out.root}: finished with these settings; not run again.')
    return done
  trial = study.trial(config, study.load_data(config) if data is None
                      else data, strategy, log)
  # The data folder as `data_folder.setting` records it ($TFP_GENGS_DATA,
  # or the folder as given), never this machine's absolute path.
  settings = dict(dataclasses.asdict(config), window=trial.window,
                  data_dir=data_folder.setting(config.data_dir))
  ckpt = checkpointing.EpochCheckpoint(
      os.path.join(out.root, 'checkpoints'), settings, trial.trackables,
      best=dict(model=trial.model), ignore=config.RESUMABLE,
      defaults=dataclasses.asdict(type(config)()))
  loop = epoch_loop.EpochLoop(ckpt, out, config.resume, log)
  writer = tensorboard.ScalarWriter(out.path('tensorboard', 'train'))
  log(f'{trial.label}: ' + trial.shape_text(
      len(trial.train) // config.batch_size))
  loop.run(
      epoch_loop.Hooks(
          trial.train_step, functools.partial(_validate, trial),
          functools.partial(_set_temperature, trial.latent_layers),
          functools.partial(_start_epoch, trial, config.seed),
          show_temperature=bool(trial.latent_layers)),
      trial.train, batch_size=config.batch_size, epochs=config.epochs,
      run_seed=config.seed, schedule=config.temperature_schedule(),
      kl_warmup_epochs=config.kl_warmup_epochs, writer=writer,
      log_every_seconds=config.log_every_seconds,
      stop_after_steps=config.stop_after_steps,
      valid_smoothing=config.valid_smoothing)
  writer.close()
  ckpt.restore_best()
  history = loop.history
  tau = history[loop.state['best_epoch'] - 1]['temperature']
  _set_temperature(trial.latent_layers, tau)
  evaluation = trial.evaluate(out, tau, loop.state)
  results = dict(
      label=trial.label, settings=settings, **evaluation.results,
      seconds_per_epoch=float(np.median([h['train_seconds']
                                         for h in history])),
      valid_seconds_per_epoch=float(np.median([h['valid_seconds']
                                               for h in history])),
      test_seconds=evaluation.test_seconds,
      **(dict(replicas=replicas) if study.distributed else {}),
      machine=output.machine(), figures=evaluation.figures,
      history=history, elapsed_seconds=loop.elapsed_seconds(),
      sessions=loop.sessions())
  out.write_json('results.json', results)
  summary = out.write_text('summary.md', study.summary(results))
  log(f'{trial.label}: {trial.outcome_text(results)}; report {summary}')
  return results


def configs_from_flags(study):
  """The runs of the flags: one `Config` per combination of GRID values.

  With several (or `--grid`), each writes into `--output_dir/<its folder>`
  (runs that are the same run, e.g. a model without the varied setting,
  once); `--quick` shortens each.
  """
  runs = {}
  for config in common_configs.configs_from_flags(study.config_class):
    runs.setdefault(study.folder_name(config), config)
  several = FLAGS.grid or len(runs) > 1
  chosen = []
  for name, config in runs.items():
    if several:
      config = dataclasses.replace(
          config, output_dir=os.path.join(FLAGS.output_dir, name))
    chosen.append(study.quick(config) if FLAGS.quick else config)
  return chosen

def main(study):
  """Runs the flags' configurations, then writes `table.md` (see above)."""
  if not FLAGS['verbosity'].present:     # TF's per-checkpoint INFO lines
    logging.set_verbosity(logging.WARNING)
  records = None
  if not FLAGS.report_only:
    runs = configs_from_flags(study)
    with data_folder.exit_if_missing():  # no data: a message and status 2
      records = [run(study, config) for config in runs]
    if len(runs) == 1 and not FLAGS.grid:
      return
  if records is None or study.tabulates_folder:
    records = common_report.collect(FLAGS.output_dir)
  path = output.OutputFolder(FLAGS.output_dir).write_text(
      'table.md', study.table(records, dataclasses.asdict(
          study.config_class())))
  print(f'{len(records)} runs tabulated in {path}.', flush=True)


def cli(study):
  """The study's command: its flags, then `main` (with absl's `app.run`)."""
  common_configs.define_flags(study.config_class)
  quick_help = ' '.join(inspect.getdoc(study.quick).split('\n\n')[0].split())
  flags.DEFINE_bool('quick', False, quick_help)
  flags.DEFINE_bool('grid', False, 'Write each run into output_dir/<its '
                    'folder> (also for one run; always with several) and '
                    'tabulate the runs in output_dir/table.md.')
  flags.DEFINE_bool('report_only', False, 'Train nothing: tabulate every '
                    'results.json under output_dir into output_dir/table.md.')
  app.run(lambda argv: main(study))
