"""The VAE study's data: binarized MNIST, OMNIGLOT, or any `.npz`.

`--dataset=mnist_dynamic` is dynamically binarized MNIST: the grey MNIST
training images, resampled as `Bernoulli(pixel)` at every step
(`binarize_batch`), against validation and test images binarized once with
a fixed seed. It is reported apart from `mnist` (the paper's static split).
"""

import numpy as np

from tfp_gengs.experiments.common import data_folder

__all__ = ['DYNAMIC_DATASETS', 'MNIST_VALID_SIZE', 'binarize_batch',
           'load_data']

# Datasets whose training images are grey levels, binarized at every step.
DYNAMIC_DATASETS = ('mnist_dynamic',)
# Grey MNIST has no validation split: hold out as many images as the static
# split's (10,000 of the 60,000 training images; 50,000 remain, as there).
MNIST_VALID_SIZE = 10000
# Seed of the one-time binarization of the validation and test images.
_FIXED_BINARIZATION_SEED = 0
# Stream tag of the per-step binarization (apart from the step's noise).
_BINARIZE_STREAM = 7


def binarize_batch(batch, step_seed):
  """`Bernoulli(batch)` draws, float32, a function of the step's seed.

  Args:
    batch: float `[B, D]` grey levels in `[0, 1]`.
    step_seed: the step's seed (`epoch_loop.seed(NOISE, run_seed, step)`),
      so a resumed run draws the same binarization as an uninterrupted one.

  Returns:
    float32 `[B, D]` in {0, 1}, `P(1) = batch` element-wise.
  """
  rng = np.random.default_rng([_BINARIZE_STREAM, *step_seed])
  return (rng.random(np.shape(batch)) < batch).astype(np.float32)


def _binarize_once(images):
  rng = np.random.default_rng(_FIXED_BINARIZATION_SEED)
  return (rng.random(images.shape) < images).astype(np.float32)


def load_data(config):
  """`(train, valid, test)` float32 `[N, 784]` arrays.

  `--dataset=mnist`: the canonical binarized split (in {0, 1});
  `mnist_dynamic`: grey train images in `[0, 1]` (the 60,000 less a seeded
  hold-out of 10,000, binarized with a fixed seed as the validation set)
  and the 10,000 test images binarized with the same fixed seed;
  `omniglot`: `--valid_size` images held out of train (seeded); `npz`: the
  arrays `train`, `valid`, `test` of `--data_path`.
  """
  if config.dataset == 'npz':
    if not config.data_path:
      raise ValueError('--dataset=npz needs --data_path=FILE.npz with '
                       'arrays train, valid, test.')
    with np.load(config.data_path) as f:
      return tuple(np.asarray(f[k], np.float32)
                   for k in ('train', 'valid', 'test'))
  from tfp_gengs import datasets  # pylint: disable=g-import-not-at-top
  folder = {'mnist': 'binarized_mnist', 'mnist_dynamic': 'mnist'}.get(
      config.dataset, config.dataset)
  try:
    if config.dataset == 'mnist':
      splits = datasets.binarized_mnist(config.data_dir)
      return splits.train, splits.valid, splits.test
    if config.dataset == 'mnist_dynamic':
      splits = datasets.mnist(config.data_dir, with_labels=False)
    else:
      splits = datasets.omniglot(config.data_dir)
  except FileNotFoundError as e:
    raise data_folder.missing(e, config.data_dir, folder) from e
  if config.dataset == 'mnist_dynamic':
    train, valid = datasets.split_validation(splits.train, MNIST_VALID_SIZE,
                                             seed=0)
    return train, _binarize_once(valid), _binarize_once(splits.test)
  train, valid = datasets.split_validation(splits.train, config.valid_size,
                                           seed=0)
  return train, valid, splits.test
