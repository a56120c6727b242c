"""Which epoch the shared epoch loop keeps: the lowest validation score, or
the end of the `valid_smoothing` consecutive epochs of lowest mean score."""

import numpy as np
import pytest

from tfp_gengs import layers
from tfp_gengs.experiments.common import epoch_loop

# Noisy validation scores: a lucky dip at epoch 3, the best plateau at 7-9.
SCORES = [10., 8., 5.0, 8.5, 7., 6.5, 6., 5.9, 6.1, 7.]


class _Checkpoint:
  """Records which epochs were saved as the best."""

  STATE = "state.json"

  def __init__(self):
    self.best_saves = []
    self.epoch = 0

  def restore(self):
    return None

  def save(self, epoch, state):
    self.epoch = epoch

  def save_best(self):
    self.best_saves.append(self.epoch + 1)


class _Out:
  root = 'fake'

  def exists(self, *parts):
    return False


class _Writer:

  def write(self, step, **values):
    pass


def _run(valid_smoothing, scores=SCORES):
  ckpt = _Checkpoint()
  loop = epoch_loop.EpochLoop(ckpt, _Out(), resume=False, log=lambda _: None)

  def validate(epoch, step, tau, beta, means):
    return {}, scores[epoch], ''

  hooks = epoch_loop.Hooks(
      train_step=lambda batch, seed, beta: {'loss': 1.},
      validate=validate, set_temperature=lambda tau: None,
      show_temperature=False)
  loop.run(hooks, np.zeros([4, 2]), batch_size=2, epochs=len(scores),
           run_seed=0, schedule=layers.TemperatureSchedule(1., 1., 0.),
           kl_warmup_epochs=0,
           writer=_Writer(), log_every_seconds=1e9,
           valid_smoothing=valid_smoothing)
  return loop.state, ckpt


def test_lowest_score_without_smoothing():
  state, ckpt = _run(1)
  assert state['best_epoch'] == 3 and state['best_valid'] == 5.
  assert ckpt.best_saves == [1, 2, 3]
  assert [r['valid_score'] for r in state['history']] == SCORES


def test_smoothing_selects_the_end_of_the_best_window():
  state, _ = _run(3)
  means = [np.mean(SCORES[max(0, i - 2):i + 1]) for i in range(len(SCORES))]
  assert state['best_epoch'] == int(np.argmin(means)) + 1 == 9
  assert state['best_valid'] == pytest.approx(min(means))


@pytest.mark.parametrize('bad', [0, -1, 1.5, True])
def test_bad_smoothing_is_named(bad):
  with pytest.raises(ValueError, match='valid_smoothing'):
    _run(bad)
