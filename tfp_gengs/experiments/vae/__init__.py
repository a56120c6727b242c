"""The discrete-latent VAE study of the GenGS paper (§6.2, Table 1, Figure 4).

Every latent dimension of a VAE on binarized MNIST (the static split, or
`--dataset=mnist_dynamic`: grey MNIST binarized anew at every step) or
OMNIGLOT follows a
count prior (Poisson(2), Poisson(3), Geometric(.25), Geometric(.5),
NegativeBinomial(3, .5), NegativeBinomial(5, .3)), truncated to a window;
the encoder is trained with GenGS (explicit, implicit, straight-through;
the Keras 3 layers of `tfp_gengs.layers`), with the exponential-arrival-time
rival (`eat_cubic`, `eat_sigmoid`: the Poisson layer's EAT relaxation,
explicit, Poisson priors only; issue 13), or with a baseline gradient
estimator of `tfp_gengs.estimators` (RF*, NVIL, MuProp, VIMCO(5), REBAR,
RELAX, StoRB*). One run per invocation (or a sequential grid):

```
python -m tfp_gengs.experiments.vae --output_dir=runs/vae/mnist-poisson2-im \
    --dataset=mnist --prior=poisson2 --estimator=gengs_implicit --seed=0 \
    --data_dir=/path/to/data
python -m tfp_gengs.experiments.vae ...the same flags... --resume  # continue
python -m tfp_gengs.experiments.vae --quick --output_dir=/tmp/vae_quick
# A grid, run one after the other into DIR/<dataset>-<prior>-<est>-s<seed>,
# then every run under DIR tabulated beside Table 1 in DIR/table.md:
python -m tfp_gengs.experiments.vae --grid --resume --output_dir=runs/vae \
    --estimator=gengs_implicit,gengs_explicit --prior=poisson2 --seed=0,1,2
python -m tfp_gengs.experiments.vae --report_only --output_dir=runs/vae
```

Output (`--output_dir`): `results.json` (every setting and number, the
per-epoch history), `summary.md`, `curves.png`, `reconstructions.png`
(Figure 4 style), `latent_histograms.png`, `tensorboard/`, `checkpoints/`
(every epoch; `--resume` continues a killed run to the same final numbers).

The pieces (the layout of the Flax examples):

* `main`: the entry point: the study for `common.runner` (run, grid,
  resume, `table.md`) and `run`.
* `configs`: `Config`, every setting (each a flag) with the reasons for
  the choices the paper leaves open.
* `methods`: the method table: one row per `--estimator` (its display
  name, the posterior it fixes, how it trains).
* `input_pipeline`, `models`, `train`, `evaluation`, `report`: the data; the
  priors, windows and the Keras VAE; the objectives, the distributed step
  and the run's training; the relaxed / hard / IWAE test scores; Table 1,
  figures, `summary.md` and `table.md`.

```python
from tfp_gengs.experiments import vae
results = vae.run(vae.Config(output_dir='/tmp/vae', dataset='npz',
                             data_path='toy.npz', epochs=3))
```
"""

from tfp_gengs.experiments.common.runner import Interrupted
from tfp_gengs.experiments.vae.configs import Config
from tfp_gengs.experiments.vae.configs import quick
from tfp_gengs.experiments.vae.main import run
from tfp_gengs.experiments.vae.methods import METHODS
from tfp_gengs.experiments.vae.report import run_folder_name

__all__ = ['Config', 'Interrupted', 'METHODS', 'quick', 'run',
           'run_folder_name']
