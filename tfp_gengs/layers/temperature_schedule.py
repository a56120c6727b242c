"""TemperatureSchedule: the annealing of `tau` as a plain object.

One schedule for every loop that anneals a GenGS temperature: the Keras
callback `TemperatureAnnealing` holds one, and a custom training loop (the
experiments' epoch loop) calls the same object.
"""

import math
from typing import Callable, Optional

from tfp_gengs.internal import checks

__all__ = ['TemperatureSchedule']


class TemperatureSchedule:
  """`tau` at a training step: Jang et al.'s schedule, or your own.

  ```none
  s   = update_every * floor(step / update_every)
  tau = max(minimum, initial * exp(-rate * s))
  ```

  or `schedule(s)` for a callable `schedule`. Calling the object is
  `value_at`.

  #### Examples

  ```python
  import tfp_gengs as gengs

  tau = gengs.layers.TemperatureSchedule(1., 0.5, 1e-3, update_every=100)
  tau.value_at(0), tau.value_at(99), tau(1000)   # ==> 1.0, 1.0, ~0.61
  ```
  """

  def __init__(self,
               initial: Optional[float] = None,
               minimum: Optional[float] = None,
               rate: Optional[float] = None,
               update_every: int = 1,
               schedule: Optional[Callable[[int], float]] = None):
    """Creates the schedule.

    Args:
      initial: Python float `> 0`, `tau` at step 0.
      minimum: Python float, `0 < minimum <= initial`, the floor of `tau`.
      rate: Python float `>= 0`, the decay rate per step.
      update_every: Python int `>= 1`, change `tau` every this many steps.
      schedule: optional callable `step -> tau` replacing the standard
        schedule; then `initial`, `minimum`, `rate` must be `None`.

    Raises:
      ValueError: a missing or out-of-range argument.
    """
    if schedule is not None:
      if not callable(schedule):
        raise TypeError(f'Argument `schedule` must be callable (step -> tau); '
                        f'got {schedule!r}.')
      if any(v is not None for v in (initial, minimum, rate)):
        raise ValueError('Pass either `schedule` or `initial`, `minimum`, '
                         '`rate`, not both.')
    else:
      missing = [name for name, v in (('initial', initial),
                                      ('minimum', minimum), ('rate', rate))
                 if v is None]
      if missing:
        raise ValueError(f'Argument `{missing[0]}` is required (or pass a '
                         '`schedule` callable).')
      initial = checks.python_float(initial, 'initial')
      minimum = checks.python_float(minimum, 'minimum')
      if minimum > initial:
        raise ValueError(f'Argument `minimum` must be in (0, initial={initial}]'
                         f'; got {minimum}.')
      rate = checks.python_float(rate, 'rate', allow_minimum=True)
    self.initial, self.minimum, self.rate = initial, minimum, rate
    self.update_every = checks.python_int(update_every, 'update_every')
    self.schedule = schedule

  def value_at(self, step: int) -> float:
    """`tau` for training step `step` (a Python int)."""
    step = self.update_every * (int(step) // self.update_every)
    if self.schedule is not None:
      tau = float(self.schedule(step))
      if not (tau > 0 and math.isfinite(tau)):
        raise ValueError(f'The temperature schedule returned {tau} at step '
                         f'{step}; temperatures must be finite and > 0.')
      return tau
    return max(self.minimum, self.initial * math.exp(-self.rate * step))

  __call__ = value_at
