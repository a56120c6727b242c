"""What the studies share: output folder, checkpoints, loop, plots, flags.

* `output`: the output folder (atomic JSON and text, the machine).
* `checkpointing`: resumable state (a TF checkpoint plus a JSON record).
* `epoch_loop`: the resumable epoch loop (VAE, topic model).
* `progress`, `tensorboard`, `plots`: progress lines, scalars, PNGs.
* `distribute`: `--strategy` (`tf.distribute`).
* `data_folder`: how results record the data folder; a clear exit
  without the data.
* `optim`: a resettable Adam on `tf.Variable`s (synthetic study, tests).
* `common_flags`: the flags every training study has.
"""
