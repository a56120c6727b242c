"""The VAE study's entry point: `python -m tfp_gengs.experiments.vae`.

The study is its package's modules (`configs`, `input_pipeline`, `train`,
`report`) plugged into `common.runner`, which does the rest (a run, a grid
of runs, resume, `table.md`) as for the topic model:

```none
--prior, --estimator, --seed    a grid: one run each (DIR/<run_folder_name>
                                with several or --grid), then DIR/table.md
                                of every run under DIR
--resume                        continue a run; skip a finished one
--report_only                   only DIR/table.md
```

It trains data-parallel under `--strategy` (`common.distribute`).
"""

from tfp_gengs.experiments.common import runner
from tfp_gengs.experiments.vae import configs
from tfp_gengs.experiments.vae import input_pipeline
from tfp_gengs.experiments.vae import report
from tfp_gengs.experiments.vae import train

__all__ = ['STUDY', 'cli', 'run']

STUDY = runner.Study(configs, input_pipeline, train, report,
                     distributed=True, tabulates_folder=True)

# `run(config, data=None, log=None)`: one run, `data` the `(train, valid,
# test)` arrays (else `input_pipeline.load_data(config)`); its results.
run = STUDY.run
cli = STUDY.cli

if __name__ == '__main__':
  cli()
