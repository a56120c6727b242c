"""Keras 3 latent layers for GenGS: relaxed discrete latents with a KL loss.

```python
import keras
import tfp_gengs as gengs

x = keras.Input((784,))
z = gengs.layers.GenGSPoissonLayer(prior_rate=2., high=15)(
    keras.layers.Dense(10)(x))              # 10 relaxed Poisson counts
```

* `GenGSLayer`: any truncated prior (a `TruncatedDiscrete`, or a TFP
  distribution plus its window), explicit or implicit inference.
* `GenGSPoissonLayer`, `GenGSGeometricLayer`, `GenGSBinomialLayer`,
  `GenGSNegativeBinomialLayer`: the named families. The Poisson layer's
  `relaxation='eat_sigmoid' | 'eat_cubic'` draws the exponential-arrival-time
  relaxation instead of GenGS (explicit inference; `eat_relaxation`).
* `TemperatureAnnealing`: a callback annealing every layer's `temperature`
  with a `TemperatureSchedule` (also usable in custom training loops).

All are registered for Keras serialization (package `tfp_gengs`), so
`keras.models.load_model` needs no `custom_objects`.
"""

from tfp_gengs.layers.family_layers import GenGSBinomialLayer
from tfp_gengs.layers.family_layers import GenGSGeometricLayer
from tfp_gengs.layers.family_layers import GenGSNegativeBinomialLayer
from tfp_gengs.layers.family_layers import GenGSPoissonLayer
from tfp_gengs.layers.gengs_layer import GenGSLayer
from tfp_gengs.layers.prior_spec import PriorSpec
from tfp_gengs.layers.temperature_annealing import TemperatureAnnealing
from tfp_gengs.layers.temperature_schedule import TemperatureSchedule

__all__ = [
    'GenGSBinomialLayer',
    'GenGSGeometricLayer',
    'GenGSLayer',
    'GenGSNegativeBinomialLayer',
    'GenGSPoissonLayer',
    'PriorSpec',
    'TemperatureAnnealing',
    'TemperatureSchedule',
]
