"""The discrete-latent VAE study of the GenGS paper (§6.2, Table 1, Figure 4).

`python -m tfp_gengs.experiments.vae --output_dir=DIR [--quick] [--resume]`
(`main`); the pieces:

* `main`: the entry point, every setting and its reason (its docstring).
* `models`: the priors, windows and the Keras VAE.
* `train`: what each estimator optimises, and the distributed train step.
* `evaluation`: relaxed, hard and importance-weighted test scores.
* `report`: the paper's Table 1, figures, `summary.md` and `table.md`.

```python
from tfp_gengs.experiments import vae
results = vae.run(vae.Config(output_dir='/tmp/vae', epochs=3))
```
"""

from tfp_gengs.experiments.vae.main import Config
from tfp_gengs.experiments.vae.main import Interrupted
from tfp_gengs.experiments.vae.main import quick
from tfp_gengs.experiments.vae.main import run
from tfp_gengs.experiments.vae.main import run_folder_name

__all__ = ['Config', 'Interrupted', 'quick', 'run', 'run_folder_name']
