"""Resumable experiment state: a TensorFlow checkpoint plus a JSON record.

A run is resumable when everything that decides its future is either in the
checkpoint or a function of things that are:

* variables (model weights, optimizer slots and step counters, learned
  control variates, temperatures): the `tf.train.Checkpoint` of the
  trackables given here;
* Python state (epoch counter, per-epoch history, elapsed time, the best
  validation score): the JSON record, which names the checkpoint it belongs
  to and is written last, so it is the commit point of a save;
* randomness: the experiments draw it from stateless seeds that are a
  function of `(seed, epoch, step)`, so nothing random needs saving.

```none
DIR/checkpoints/ckpt-<epoch>.{index,data-*}   the last `keep` epoch saves
DIR/checkpoints/state.json                    {settings, state, checkpoint}
DIR/checkpoints/best.{index,data-*}           the best-so-far weights
```

A run killed at any point resumes from the last completed save; one killed
between writing a checkpoint and its record resumes from the save before,
and recomputes that epoch with the same random draws (the same numbers up to
float32 rounding: multi-threaded CPU reductions are not bitwise reproducible
unless TensorFlow's op determinism is on).
"""

import glob
import os

import numpy as np
import tensorflow.compat.v2 as tf

from tfp_gengs.experiments.common import output

__all__ = ['EpochCheckpoint', 'SettingsMismatchError', 'changed_settings',
           'stateless_seed']


def stateless_seed(*parts):
  """A stateless int32 seed pair from integers (`SeedSequence` hashing).

  Every random stream of a resumable run is such a function of (seed,
  epoch, step), so a resumed run repeats an uninterrupted one.
  """
  state = np.random.SeedSequence([int(p) for p in parts]).generate_state(2)
  return tuple(int(s) & 0x7fffffff for s in state)


class SettingsMismatchError(ValueError):
  """Resuming a run whose saved settings differ from the current ones."""


def changed_settings(saved, current, ignore=(), defaults=None):
  """The keys whose values differ between a saved run and now, sorted.

  Keys in `ignore` are skipped; so are settings that no longer exist (in
  `saved` only). A setting added since the run was saved (in `current`
  only) counts as unchanged when it has its default value (`defaults`), so
  a run started by older code resumes under newer code that only added
  options.
  """
  saved = output.to_jsonable(saved)
  current = output.to_jsonable(current)
  defaults = output.to_jsonable(defaults or {})
  missing = object()
  changed = []
  for key in current:
    if key in ignore:
      continue
    before = saved.get(key, defaults.get(key, missing))
    if before != current[key]:
      changed.append(key)
  return sorted(changed)


class EpochCheckpoint:
  """Saves and restores a run at epoch boundaries.

  Args:
    directory: the checkpoint folder (created).
    settings: JSON-able dict of the run's settings; a resume with other
      settings (outside `ignore`; see `changed_settings`) is refused.
    trackables: dict name -> trackable (Keras models, optimizers,
      `tf.Module`s, `tf.Variable`s), checkpointed together.
    best: dict name -> trackable of what `save_best` keeps (default: all).
    keep: how many epoch checkpoints to keep on disk.
    ignore: settings keys that may change on resume (e.g. the number of
      epochs, to extend a finished run).
    defaults: the default of each setting (for settings added since a run
      was saved).
  """

  STATE = 'state.json'

  def __init__(self, directory, settings, trackables, best=None, keep=2,
               ignore=(), defaults=None):
    self.folder = output.OutputFolder(directory)
    self.settings = output.to_jsonable(settings)
    self.checkpoint = tf.train.Checkpoint(**trackables)
    self.best = tf.train.Checkpoint(**(best or trackables))
    self.keep = int(keep)
    self.ignore = tuple(ignore)
    self.defaults = dict(defaults or {})

  def restore(self):
    """Restores the last save; returns its state dict, or `None` if none.

    Raises:
      SettingsMismatchError: the saved run had other settings.
    """
    record = self.folder.read_json(self.STATE)
    if record is None:
      return None
    saved, current = record['settings'], self.settings
    changed = changed_settings(saved, current, self.ignore, self.defaults)
    if changed:
      raise SettingsMismatchError(
          f'Cannot resume from {self.folder.root}: its run had other '
          'settings (' + ', '.join(
              f'{k}: saved {saved.get(k)!r}, now {current.get(k)!r}'
              for k in changed) + '). Use another output folder, or the '
          'same settings.')
    prefix = os.path.join(self.folder.root, record['checkpoint'])
    self.checkpoint.read(prefix).assert_existing_objects_matched()
    return record['state']

  def save(self, epoch, state):
    """Checkpoints the trackables and `state` (JSON-able) after `epoch`."""
    name = f'ckpt-{int(epoch)}'
    self.checkpoint.write(os.path.join(self.folder.root, name))
    self.folder.write_json(self.STATE, dict(settings=self.settings,
                                            checkpoint=name, state=state))
    self._prune()

  def _prune(self):
    names = {os.path.basename(p).split('.')[0] for p in glob.glob(
        os.path.join(self.folder.root, 'ckpt-*'))}
    names = sorted(names, key=lambda n: int(n.split('-')[1]))
    for name in names[:-self.keep]:
      for path in glob.glob(os.path.join(self.folder.root, name + '.*')):
        os.remove(path)

  def save_best(self):
    """Keeps the current values of the `best` trackables."""
    self.best.write(os.path.join(self.folder.root, 'best'))

  def restore_best(self):
    """Loads the values kept by `save_best` (raises if there are none)."""
    prefix = os.path.join(self.folder.root, 'best')
    if not glob.glob(prefix + '.index'):
      raise FileNotFoundError(f'No best checkpoint in {self.folder.root}.')
    self.best.read(prefix).assert_existing_objects_matched()
