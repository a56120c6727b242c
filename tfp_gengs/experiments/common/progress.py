"""Progress lines for long runs: rate, elapsed time and time left.

```python
progress = Progress(total_steps=1000, log=print, every_seconds=30)
for step in range(1000):
  ...
  progress.update(step + 1, loss=1.23)   # prints at most every 30 s
```

Lines look like `[epoch 3/100] step 1500/50000 (3.0%)  loss 104.21  |
12.3 steps/s, 2.0 min elapsed, 65.9 min left`. The rate is measured in this
session only, so a resumed run's estimate is not skewed by the steps it
restored.
"""

import time

__all__ = ['Progress', 'format_duration']


def format_duration(seconds):
  """`'42 s'`, `'3.5 min'` or `'2.1 h'`."""
  if seconds < 90:
    return f'{seconds:.0f} s'
  if seconds < 90 * 60:
    return f'{seconds / 60:.1f} min'
  return f'{seconds / 3600:.1f} h'


class Progress:
  """Throttled progress lines with the rate and an estimate of time left.

  Args:
    total_steps: steps of the whole run (all sessions).
    log: callable taking one line (e.g. `print` with flush, `absl.logging`).
    every_seconds: at most one `update` line per this many seconds.
    start_step: steps already done when this session starts (resume).
  """

  def __init__(self, total_steps, log=print, every_seconds=30.,
               start_step=0):
    self.total_steps = int(total_steps)
    self.log = log
    self.every_seconds = float(every_seconds)
    self.start_step = int(start_step)
    self._start = time.time()
    self._last = -float('inf')

  def _timing(self, step):
    elapsed = time.time() - self._start
    done = step - self.start_step
    rate = done / elapsed if elapsed > 0 and done > 0 else 0.
    left = (self.total_steps - step) / rate if rate else float('nan')
    text = f'{rate:.1f} steps/s, {format_duration(elapsed)} elapsed'
    if rate:
      text += f', {format_duration(left)} left'
    return text

  def update(self, step, prefix='', force=False, **metrics):
    """Prints a line if `every_seconds` have passed (or `force`)."""
    now = time.time()
    if not force and now - self._last < self.every_seconds:
      return
    self._last = now
    pct = 100. * step / max(self.total_steps, 1)
    values = '  '.join(f'{k} {v:.4g}' for k, v in metrics.items()
                       if v is not None)
    head = f'{prefix} ' if prefix else ''
    self.log(f'{head}step {step}/{self.total_steps} ({pct:.1f}%)  {values}'
             f'  | {self._timing(step)}')
