"""`Splits` (train / valid / test arrays) and a seeded validation hold-out."""

import dataclasses

import numpy as np

__all__ = [
    'Splits',
    'split_validation',
    'split_validation_indices',
]


@dataclasses.dataclass(frozen=True, eq=False)
class Splits:
  """The train, validation and test parts of a dataset.

  Unpacks and indexes like the tuple `(train, valid, test)`:

  ```python
  x_train, x_valid, x_test = gengs.datasets.binarized_mnist()
  ```

  Attributes:
    train: float32 array `[N_train, D]`.
    valid: float32 array `[N_valid, D]`, or `None` when the dataset has no
      canonical validation set (see `with_validation`).
    test: float32 array `[N_test, D]`.
    train_labels: int64 array `[N_train]` of class labels, or `None` when
      the loader has none (binarized MNIST) or was asked for none.
    valid_labels: int64 array `[N_valid]`, or `None`.
    test_labels: int64 array `[N_test]`, or `None`.
  """
  train: np.ndarray
  valid: np.ndarray | None
  test: np.ndarray
  train_labels: np.ndarray | None = None
  valid_labels: np.ndarray | None = None
  test_labels: np.ndarray | None = None

  def __iter__(self):
    return iter((self.train, self.valid, self.test))

  def __len__(self):
    return 3

  def __getitem__(self, index):
    return (self.train, self.valid, self.test)[index]

  def __repr__(self):
    def shape(a):
      return None if a is None else tuple(np.shape(a))
    text = ', '.join(f'{f.name}={shape(getattr(self, f.name))}'
                     for f in dataclasses.fields(self)
                     if getattr(self, f.name) is not None)
    return f'Splits({text})'

  def with_validation(self, size, seed=0):
    """Holds out `size` training examples (and labels) as the validation set.

    Uses `split_validation(train, size, seed)`, so the hold-out is fixed by
    the seed.

    Args:
      size: number of validation examples.
      seed: the hold-out's seed.

    Returns:
      A `Splits` whose `train` and `valid` (and labels) are the two parts of
      this one's `train`; `test` is unchanged.

    Raises:
      ValueError: this `Splits` already has a validation set, or `size` is
        not in `[1, N_train - 1]`.
    """
    if self.valid is not None:
      raise ValueError('These splits already have a validation set.')
    train_idx, valid_idx = split_validation_indices(
        len(self.train), size, seed)
    labels = self.train_labels
    return Splits(
        train=self.train[train_idx],
        valid=self.train[valid_idx],
        test=self.test,
        train_labels=None if labels is None else labels[train_idx],
        valid_labels=None if labels is None else labels[valid_idx],
        test_labels=self.test_labels)


def split_validation_indices(num_examples, size, seed=0):
  """Indices of a fixed, seeded hold-out of `size` among `num_examples`.

  `numpy.random.default_rng(seed).permutation(num_examples)`: its first
  `size` entries are the validation part, the rest the training part; each
  part is returned sorted (so the examples keep their order).

  Args:
    num_examples: number of examples.
    size: number of validation examples, in `[1, num_examples - 1]`.
    seed: the permutation's seed.

  Returns:
    `(train_indices, valid_indices)`: disjoint sorted int64 arrays whose
    union is `range(num_examples)`.

  Raises:
    ValueError: `size` out of range.
  """
  num_examples = int(num_examples)
  if int(size) != size or not 0 < size < num_examples:
    raise ValueError(f'Validation size must be an integer in [1, '
                     f'{num_examples - 1}]; got {size!r}.')
  permutation = np.random.default_rng(seed).permutation(num_examples)
  size = int(size)
  return np.sort(permutation[size:]), np.sort(permutation[:size])


def _take(x, indices):
  if hasattr(x, 'take_documents'):
    return x.take_documents(indices)
  return np.asarray(x)[indices]


def split_validation(x, size, seed=0):
  """Splits `x` into a training part and a fixed, seeded validation part.

  ```python
  splits = gengs.datasets.mnist()
  x_train, x_valid = gengs.datasets.split_validation(splits.train, 10000)
  ```

  The hold-out is `split_validation_indices(len(x), size, seed)`: the same
  for the same length, size and seed, on every machine; the parts are
  disjoint and keep the order of `x`.

  Args:
    x: an array (split along its first axis), a `BagOfWords` (split by
      document), or a tuple of those with the same length (e.g.
      `(images, labels)`), split with the same indices.
    size: number of validation examples, in `[1, len(x) - 1]`.
    seed: the hold-out's seed.

  Returns:
    `(train_part, valid_part)`; for a tuple `x`, each part is a tuple.

  Raises:
    ValueError: `size` out of range, or a tuple's members differ in length.
  """
  if isinstance(x, tuple):
    lengths = {len(member) for member in x}
    if len(lengths) != 1:
      raise ValueError(f'The members of x differ in length: {lengths}.')
    train_idx, valid_idx = split_validation_indices(lengths.pop(), size, seed)
    return (tuple(_take(m, train_idx) for m in x),
            tuple(_take(m, valid_idx) for m in x))
  train_idx, valid_idx = split_validation_indices(len(x), size, seed)
  return _take(x, train_idx), _take(x, valid_idx)
