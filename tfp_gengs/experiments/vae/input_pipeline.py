"""The VAE study's data: binarized MNIST, OMNIGLOT, or any `.npz`."""

import numpy as np

from tfp_gengs.experiments.common import data_folder

__all__ = ['load_data']


def load_data(config):
  """`(train, valid, test)` float32 `[N, 784]` arrays in {0, 1}.

  `--dataset=mnist`: the canonical split; `omniglot`: `--valid_size`
  images held out of train (seeded); `npz`: the arrays `train`, `valid`,
  `test` of `--data_path`.
  """
  if config.dataset == 'npz':
    if not config.data_path:
      raise ValueError('--dataset=npz needs --data_path=FILE.npz with '
                       'arrays train, valid, test.')
    with np.load(config.data_path) as f:
      return tuple(np.asarray(f[k], np.float32)
                   for k in ('train', 'valid', 'test'))
  from tfp_gengs import datasets  # pylint: disable=g-import-not-at-top
  try:
    if config.dataset == 'mnist':
      splits = datasets.binarized_mnist(config.data_dir)
      return splits.train, splits.valid, splits.test
    splits = datasets.omniglot(config.data_dir)
  except FileNotFoundError as e:
    raise data_folder.missing(
        e, config.data_dir,
        'binarized_mnist' if config.dataset == 'mnist' else 'omniglot') from e
  train, valid = datasets.split_validation(splits.train, config.valid_size,
                                           seed=0)
  return train, valid, splits.test
