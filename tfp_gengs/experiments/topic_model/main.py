"""The topic-model study's entry point: `python -m ...topic_model`.

The study is its package's modules (`configs`, `input_pipeline`, `train`,
`report`) plugged into `common.runner`, which does the rest (a run, a grid
of runs, resume, `table.md`) as for the VAE:

```none
--model, --inference, --seed    a grid: one run each (DIR/<model>-<inference>
                                -s<seed>, NVDM DIR/nvdm-s<seed>, with several
                                or --grid), then DIR/table.md of these runs
--resume                        continue a run
--report_only                   only DIR/table.md (every run under DIR)
```

One device (no `--strategy`).
"""

from tfp_gengs.experiments.common import runner
from tfp_gengs.experiments.topic_model import configs
from tfp_gengs.experiments.topic_model import input_pipeline
from tfp_gengs.experiments.topic_model import report
from tfp_gengs.experiments.topic_model import train

__all__ = ['STUDY', 'cli', 'run']

STUDY = runner.Study(configs, input_pipeline, train, report)


def run(config, corpus=None, log=None):
  """One run of `config` on `corpus` (an `input_pipeline.Corpus`, else
  `input_pipeline.load_data(config)`); its results dict (`runner.run`)."""
  return STUDY.run(config, corpus, log)


def cli():
  """The command: flags from `configs.Config`, then `runner.main`."""
  STUDY.cli()


if __name__ == '__main__':
  cli()
