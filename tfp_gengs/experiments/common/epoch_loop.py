r"""The resumable epoch loop that the VAE and the topic model share.

```none
for epoch in the epochs not yet saved:
  start_epoch(epoch)                    # e.g. reseed the latent layer's noise
  for each minibatch of a permutation seeded by (ORDER, seed, epoch):
    tau  = schedule(step)               # set_temperature(tau) when it changes
    beta = min(1, step / warm-up steps) # KL warm-up (1 without one)
    train_step(batch, seed(NOISE, seed, step), beta) -> {name: value}
  validate(epoch, step, tau, beta, train means) -> (record, score, text)
  keep the best-validation weights (lowest score, or lowest mean of the
  last `valid_smoothing` scores), save the epoch,
  TensorBoard scalars, one log line
```

Every random draw is a stateless seed of `(stream, seed, epoch or step)`
(`checkpointing.stateless_seed`; the streams are `ORDER`, `NOISE`, `LAYER`,
`VALID`, `TEST`), so a run resumed from its last saved epoch repeats the
uninterrupted run. The state saved with each epoch is
`{history, best_epoch, best_valid, elapsed_seconds, sessions}`.
"""

import dataclasses
import time
from typing import Any, Callable, Optional

import numpy as np

from tfp_gengs.experiments.common import checkpointing
from tfp_gengs.experiments.common import progress

__all__ = ['EpochLoop', 'Interrupted', 'ORDER', 'NOISE', 'LAYER', 'VALID',
           'TEST', 'seed']

# The streams of stateless seeds (the first part of every seed).
ORDER, NOISE, LAYER, VALID, TEST = range(5)
seed = checkpointing.stateless_seed


class Interrupted(Exception):
  """Raised by `stop_after_steps` (a simulated kill, for tests)."""


@dataclasses.dataclass
class Hooks:
  """What an experiment plugs into the loop.

  Attributes:
    train_step: `(batch, seed, kl_weight) -> {name: float}` (one step; the
      loop averages each value over the epoch).
    validate: `(epoch, step, tau, kl_weight, train_means) -> (record, score,
      text)`: the epoch's history record (the loop adds `epoch`, `step`,
      `train_seconds`, `valid_seconds`), the validation score to minimise,
      and the log line's middle part.
    set_temperature: `tau -> None`, called when the schedule's value changes.
    start_epoch: optional `epoch -> None`, called before the epoch's steps.
    show_temperature: whether the progress line shows `tau`.
  """

  train_step: Callable[..., dict]
  validate: Callable[..., tuple]
  set_temperature: Callable[[float], None]
  start_epoch: Optional[Callable[[int], None]] = None
  show_temperature: bool = True


class EpochLoop:
  """Restores or starts a run's state, trains its remaining epochs.

  Args:
    ckpt: the run's `checkpointing.EpochCheckpoint`.
    out: its `output.OutputFolder`.
    resume: whether to continue a saved run (else a saved run is an error).
    log: callable taking one line.
  """

  def __init__(self, ckpt, out, resume, log):
    state = ckpt.restore() if resume else None
    if state is None and out.exists('checkpoints', ckpt.STATE) and not resume:
      raise ValueError(f'{out.root} holds a run already: pass --resume to '
                       'continue it, or choose another --output_dir.')
    self.state = state or dict(history=[], best_epoch=0, best_valid=None,
                               elapsed_seconds=0., sessions=0)
    self.ckpt = ckpt
    self.log = log
    self._sessions_before = self.state['sessions']
    self._since = time.time()
    if self.state['history']:
      log(f'Resuming {out.root} after epoch {len(self.state["history"])}.')

  @property
  def history(self) -> list:
    return self.state['history']

  def elapsed_seconds(self) -> float:
    """Run time over all sessions, up to now."""
    return self.state['elapsed_seconds'] + time.time() - self._since

  def sessions(self) -> int:
    return max(self.state['sessions'], 1)

  def run(self, hooks: Hooks, train: Any, *, batch_size: int, epochs: int,
          run_seed: int, schedule: Any, kl_warmup_epochs: int,
          writer: Any, log_every_seconds: float,
          stop_after_steps: int = 0, valid_smoothing: int = 1) -> None:
    """Trains the epochs after the last saved one (see the module doc).

    Args:
      hooks: the experiment's `Hooks`.
      train: the training examples (indexable by a permutation).
      batch_size: examples per step.
      epochs: the run's total number of epochs.
      run_seed: the run's seed (`--seed`).
      schedule: a `layers.TemperatureSchedule` (`value_at(step)`).
      kl_warmup_epochs: epochs of linear KL warm-up (0: none).
      writer: a `tensorboard.ScalarWriter` for each epoch's record.
      log_every_seconds: progress line interval.
      stop_after_steps: raise `Interrupted` after this many steps of this
        session (0: never).
      valid_smoothing: `N >= 1`: keep the weights of the epoch that ends the
        `N` consecutive epochs of lowest mean validation score (the first
        `N - 1` epochs: the mean of the scores so far). 1: the epoch of the
        lowest score. A mean over epochs averages out the noise of a
        validation estimate, which otherwise picks an epoch by luck.
    """
    if isinstance(valid_smoothing, bool) or not isinstance(
        valid_smoothing, int) or valid_smoothing < 1:
      raise ValueError('Argument `valid_smoothing` (--valid_smoothing) must '
                       f'be an int >= 1; got {valid_smoothing!r}.')
    state, history = self.state, self.state['history']
    steps_per_epoch = len(train) // batch_size
    step = len(history) * steps_per_epoch
    warmup_steps = kl_warmup_epochs * steps_per_epoch
    meter = progress.Progress(epochs * steps_per_epoch, self.log,
                              log_every_seconds, start_step=step)
    session_steps, tau = 0, None
    for epoch in range(len(history), epochs):
      epoch_start = time.time()
      prefix = f'[epoch {epoch + 1}/{epochs}]'
      if hooks.start_epoch is not None:
        hooks.start_epoch(epoch)
      order = np.random.default_rng(seed(ORDER, run_seed, epoch))
      order = order.permutation(len(train))
      values = {}
      for i in range(steps_per_epoch):
        new_tau = schedule.value_at(step)
        if new_tau != tau:
          tau = new_tau
          hooks.set_temperature(tau)
        beta = min(1., step / warmup_steps) if warmup_steps else 1.
        batch = train[order[i * batch_size:(i + 1) * batch_size]]
        for key, value in hooks.train_step(batch, seed(NOISE, run_seed, step),
                                           beta).items():
          values.setdefault(key, []).append(value)
        step += 1
        session_steps += 1
        first = next(iter(values.values()))
        meter.update(step, prefix=prefix, loss=float(np.mean(first[-50:])),
                     tau=tau if hooks.show_temperature else None)
        if stop_after_steps and session_steps >= stop_after_steps:
          raise Interrupted(f'stopped after {session_steps} steps')
      train_seconds = time.time() - epoch_start
      valid_start = time.time()
      means = {k: float(np.mean(v)) for k, v in values.items()}
      record, score, text = hooks.validate(epoch, step, tau, beta, means)
      record = dict(epoch=epoch + 1, step=step, **record,
                    valid_score=float(score), train_seconds=train_seconds,
                    valid_seconds=time.time() - valid_start)
      if not (all(np.isfinite(v) for v in means.values()) and
              np.isfinite(score)):
        raise FloatingPointError(f'Non-finite loss at epoch {epoch + 1}: '
                                 f'{record}')
      score = _smoothed(history + [record], valid_smoothing)
      if state['best_valid'] is None or score < state['best_valid']:
        state['best_valid'] = score
        state['best_epoch'] = epoch + 1
        self.ckpt.save_best()
      history.append(record)
      state['elapsed_seconds'] = self.elapsed_seconds()
      self._since = time.time()
      state['sessions'] = self._sessions_before + 1
      self.ckpt.save(epoch + 1, state)
      writer.write(step, **{k: v for k, v in record.items()   # numbers only
                            if k not in ('epoch', 'step') and
                            not isinstance(v, str)})
      self.log(f'{prefix} {text}  {train_seconds:.1f}+'
               f'{record["valid_seconds"]:.1f} s')


def _smoothed(history, window):
  """Mean `valid_score` of the last `window` records (fewer at the start)."""
  return float(np.mean([r['valid_score'] for r in history[-window:]
                        if 'valid_score' in r]))
