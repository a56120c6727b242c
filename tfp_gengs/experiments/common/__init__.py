"""What the studies share: the run skeleton, settings, output, loop, plots.

* `runner`: one run, a grid of runs, resume and `table.md`, the same for
  every training study (a `Study` plugs in its data, model and reports).
* `configs`: a study's `Config` dataclass and the flags made from it;
  `TrainingConfig`, the settings the training studies share.
* `output`: the output folder (atomic JSON and text, the machine).
* `checkpointing`: resumable state (a TF checkpoint plus a JSON record).
* `epoch_loop`: the resumable epoch loop.
* `report`: the runs of a folder; the cost and settings of a summary.
* `progress`, `tensorboard`, `plots`: progress lines, scalars, PNGs.
* `distribute`: `--strategy` (`tf.distribute`).
* `data_folder`: how results record the data folder; a clear exit
  without the data.
* `optim`: a resettable Adam on `tf.Variable`s (synthetic study, tests).
"""
