"""The topic-model study of the GenGS paper (§6.3, Figure 5, Table 2).

NVPDEF, the neural variational Poisson deep exponential family (a document
model whose latent topic counts are GenGS-relaxed truncated Poisson
variables), its multi-stacked version (20 upper counts setting the rates of
50 lower counts) and the NVDM baseline (Gaussian latent), trained on the
same data and scored by the same test perplexity. One run per invocation,
or a sequential grid over models, inference modes and seeds:

```
python -m tfp_gengs.experiments.topic_model --output_dir=runs/topic/nvpdef \
    --model=nvpdef --inference=implicit --seed=0 --epochs=50 \
    --data_dir=/path/to/data                  # reads <data_dir>/20news/
python -m tfp_gengs.experiments.topic_model --output_dir=... --resume
python -m tfp_gengs.experiments.topic_model --quick --output_dir=/tmp/tm
# Grid into DIR/<model>-<inference>-s<seed> (NVDM: DIR/nvdm-s<seed>), plus
# DIR/table.md with mean +- standard deviation over the seeds:
python -m tfp_gengs.experiments.topic_model --output_dir=runs/topic \
    --model=nvpdef,nvdm --inference=implicit --seed=0,1,2
# Any corpus in NVDM's format (train.feat, test.feat, vocab.new), e.g.
# RCV1-V2 (not available here), without the 20news checksums:
python -m tfp_gengs.experiments.topic_model --corpus_dir=/path/to/rcv1 ...
```

Output (`--output_dir`): `results.json` (every setting and number, the
per-epoch history), `summary.md`, `curves.png`, `topics.txt` (top words of
every topic), `tensorboard/`, `checkpoints/` (every epoch; `--resume`
continues a killed run to the same final numbers).

#### Models and evaluation

See `models` and `evaluation` (perplexity `exp(mean_d -ELBO_d / N_d)`,
`S` posterior samples per document; for NVPDEF with relaxed and with hard
samples, sharing the noise). The model evaluated on the test set is the
epoch with the lowest validation perplexity (hard samples for NVPDEF: the
discrete model's own ELBO; NVDM: its Gaussian ELBO).

The pieces (the layout of the Flax examples):

* `main`: the entry point: the study for `common.runner` (run, grid,
  resume, `table.md`), `run`.
* `configs`: `Config`, every setting (each a flag) with the reasons for
  the choices the paper leaves open.
* `input_pipeline`, `models`, `train`, `evaluation`, `report`: the corpus;
  the model table and the networks; the train step and the run's
  training; perplexity and topics; Table 2, `summary.md`, `curves.png`,
  `table.md`.

```python
from tfp_gengs.experiments import topic_model
results = topic_model.run(topic_model.Config(output_dir='/tmp/tm',
                                             corpus_dir='corpus/'))
```
"""

from tfp_gengs.experiments.common.runner import Interrupted
from tfp_gengs.experiments.topic_model import input_pipeline
from tfp_gengs.experiments.topic_model.configs import Config
from tfp_gengs.experiments.topic_model.configs import quick
from tfp_gengs.experiments.topic_model.input_pipeline import Corpus
from tfp_gengs.experiments.topic_model.main import run
from tfp_gengs.experiments.topic_model.models import MODELS

load_corpus = input_pipeline.load_data   # the corpus of a `Config`

__all__ = ['Config', 'Corpus', 'Interrupted', 'MODELS', 'load_corpus',
           'quick', 'run']
