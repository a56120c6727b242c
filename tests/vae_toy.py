"""The tiny VAE setting the VAE tests share: toy data and run settings.

Not a test module: `test_vae.py` and `test_vae_eat.py` import it (pytest
puts `tests/` on the path).
"""

import numpy as np

PIXELS = 64
TINY = dict(dataset='npz', epochs=3, batch_size=20, latent_dims=3,
            hidden=(16,), eval_samples=2, iw_samples=8, figure_examples=3,
            log_every_seconds=1e9, tau_rate=1e-3, learning_rate=1e-2)


def toy_data(seed=0):
  """Noisy copies of 4 random binary prototypes: train/valid/test."""
  rng = np.random.default_rng(seed)
  prototypes = rng.random((4, PIXELS)) < .5

  def draw(n):
    flips = rng.random((n, PIXELS)) < .05
    return (prototypes[rng.integers(0, 4, n)] ^ flips).astype(np.float32)

  return draw(400), draw(60), draw(60)
