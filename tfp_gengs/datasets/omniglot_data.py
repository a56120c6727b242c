"""OMNIGLOT (Lake et al., 2015) as 28x28 binary images.

Two sources:

* `source='derived'` (default): our 28x28 derivation, not Burda's split.
  From all 32,460 105x105 images of Lake et al. (background then evaluation
  set, each character by character, drawers 1..20 within a character):

  1. ink = NOT the stored pixel (stored True = white background);
  2. exact area-average downsampling 105 -> 28 (`area_downsample`): each
     output pixel is the covered fraction of its 3.75 x 3.75 input square,
     `W @ ink @ W.T` with the [28, 105] matrix of overlap lengths (computed
     in integer units of 1/4 pixel, so the fractions are exact multiples of
     1/225 and the threshold test has no rounding);
  3. ink where that fraction is >= `threshold` (default 0.5). Checked on the
     real data: 0.5 keeps the mean ink (0.0803 against 0.0805 at 105x105)
     and the stroke connectivity (2,000 random images: the same number of
     8-connected ink components as at 105x105 for 97.8%, more components,
     i.e. a broken stroke, for 0.1%; lower thresholds only thicken strokes
     and merge nearby ones); `threshold=None` returns the fractions (grey
     levels in [0, 1]) for dynamic binarization;
  4. a fixed seeded split (`omniglot_split_indices`, seed 0) of the 32,460
     images into 24,345 train and 8,070 test, the sizes of Burda et al.; the
     remaining 45 images are left out (in neither split). The split is by
     image, so a character's drawings fall in both splits (as in Burda's).

  It reads `images_background.npz` / `images_evaluation.npz` (the layout of
  the project's shared data folder: `images` bool `(n_characters, 20, 105,
  105)`, True = white; `labels` int `(n_characters, 20)`) or, for a set
  whose npz is absent, the canonical `images_background.zip` /
  `images_evaluation.zip` of PNGs (decoded with PIL, needed only then).

* `source='chardata'`: Burda et al.'s `chardata.mat` (the OMNIGLOT of the
  GenGS paper and of IWAE), read with `scipy.io.loadmat` (imported only
  then): `data` `[784, 24345]` and `testdata` `[784, 8070]`, each column an
  image stored column-major; rows are returned row-major like MNIST.
"""

import hashlib
import io
import os
import re
import zipfile

import numpy as np

from tfp_gengs.datasets import _folder
from tfp_gengs.datasets import splits as splits_lib

__all__ = [
    'area_downsample',
    'area_matrix',
    'derive_28x28',
    'load_omniglot_images',
    'omniglot',
    'omniglot_split_indices',
]

NUM_IMAGES = 32460
SPLIT_SIZES = (24345, 8070)
SETS = ('background', 'evaluation')
_PNG_NAME = re.compile(r'(?:^|/)(\d+)_(\d+)\.png$')
_SOURCES = ('derived', 'chardata')


def area_matrix(in_size, out_size):
  """Integer area weights of an exact area-average resampling.

  Output pixel `i` covers `[i, i + 1) * in_size / out_size` of the input
  axis. With `g = gcd(in_size, out_size)`, lengths are counted in units of
  `g / out_size` input pixels, so every weight is an integer.

  Args:
    in_size: input length (e.g. 105).
    out_size: output length (e.g. 28).

  Returns:
    `(weights, total)`: float32 `[out_size, in_size]` integer-valued
    overlaps (each row sums to `in_size / g`, each column to
    `out_size / g`) and `total = (in_size / g) ** 2`, the sum of the
    weights of one output pixel of a 2-d image.
  """
  g = np.gcd(in_size, out_size)
  cell, pixel = in_size // g, out_size // g  # Lengths in units.
  i = np.arange(out_size)[:, None]
  j = np.arange(in_size)[None, :]
  overlap = (np.minimum((i + 1) * cell, (j + 1) * pixel)
             - np.maximum(i * cell, j * pixel))
  return np.maximum(overlap, 0).astype(np.float32), cell * cell


def area_downsample(images, size=28, chunk=2048):
  """Exact area-average downsampling of square images.

  Args:
    images: array `[N, S, S]` (bool or numbers; True = 1).
    size: output side.
    chunk: images per matrix product (bounds the memory).

  Returns:
    float32 `[N, size, size]`: the mean of `images` over each output
    pixel's square `[i, i + 1) * S / size` (partial input pixels weighted by
    their covered area).
  """
  images = np.asarray(images)
  weights, total = area_matrix(images.shape[-1], size)
  return _weighted_sums(images, weights, chunk=chunk) / np.float32(total)


def _weighted_sums(images, weights, invert=False, chunk=2048):
  """`weights @ x @ weights.T` per image, `x` = images (or NOT images)."""
  out = np.empty((len(images), len(weights), len(weights)), np.float32)
  for start in range(0, len(images), chunk):
    x = images[start:start + chunk]
    if invert:
      x = ~x
    out[start:start + chunk] = weights @ x.astype(np.float32) @ weights.T
  return out


def derive_28x28(white, threshold=0.5):
  """Our 28x28 OMNIGLOT images from Lake et al.'s 105x105 ones.

  Args:
    white: bool `[N, 105, 105]`, True = white background (as stored).
    threshold: ink where the covered ink fraction is >= `threshold`; `None`
      returns the fractions.

  Returns:
    float32 `[N, 784]`: 0/1 (or fractions in [0, 1]), row-major.
  """
  weights, total = area_matrix(white.shape[-1], 28)
  sums = _weighted_sums(np.asarray(white, bool), weights, invert=True)
  if threshold is None:
    out = sums / np.float32(total)
  else:
    # `sums` are exact integers: compare without rounding.
    out = (sums >= threshold * total).astype(np.float32)
  return out.reshape(len(out), 784)


def omniglot_split_indices(num_images=NUM_IMAGES, split_sizes=SPLIT_SIZES,
                           seed=0):
  """The fixed split of the derived OMNIGLOT: sorted train and test indices.

  `numpy.random.default_rng(seed).permutation(num_images)`: the first
  `split_sizes[0]` entries are train, the next `split_sizes[1]` test, the
  rest left out.

  Args:
    num_images: number of images (32,460 for all of OMNIGLOT).
    split_sizes: `(num_train, num_test)`.
    seed: the permutation's seed.

  Returns:
    `(train_indices, test_indices)`, sorted int64 arrays.

  Raises:
    ValueError: the sizes do not fit in `num_images`.
  """
  num_train, num_test = (int(s) for s in split_sizes)
  if num_train < 1 or num_test < 1 or num_train + num_test > num_images:
    raise ValueError(f'split_sizes {tuple(split_sizes)} do not fit in '
                     f'{num_images} images.')
  permutation = np.random.default_rng(seed).permutation(num_images)
  return (np.sort(permutation[:num_train]),
          np.sort(permutation[num_train:num_train + num_test]))


def _array_sha256(images):
  """SHA-256 of `numpy.packbits` of a bool array (C order, True = 1)."""
  return hashlib.sha256(np.packbits(np.asarray(images, bool)).tobytes()
                        ).hexdigest()


def _read_npz(path, verify, checksums):
  if verify:
    _folder.verify_file(path, checksums)
  try:
    with np.load(path) as data:
      images, labels = data['images'], data['labels']
  except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
    raise ValueError(f'{os.path.basename(path)} ({path}): not an OMNIGLOT '
                     f'npz with `images` and `labels`: {e}') from e
  if (images.dtype != bool or images.ndim != 4
      or images.shape[2] != images.shape[3] or labels.shape
      != images.shape[:2]):
    raise ValueError(f'{os.path.basename(path)} ({path}): expected bool '
                     f'images (n_characters, n_drawers, S, S) and labels '
                     f'(n_characters, n_drawers); got {images.dtype} '
                     f'{images.shape} and {labels.shape}.')
  return images, labels.astype(np.int64)


def _read_zip(path, verify, checksums):
  """Decodes Lake et al.'s zip of PNGs into the npz layout."""
  name = os.path.basename(path)
  try:
    from PIL import Image  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(
        f'Reading {name} ({path}) needs Pillow (pip install pillow); or '
        f'provide the npz form of the images.') from e
  try:
    archive = zipfile.ZipFile(path)
  except (OSError, zipfile.BadZipFile) as e:
    raise ValueError(f'{name} ({path}): not a readable zip: {e}') from e
  entries = {}
  with archive:
    for entry in archive.namelist():
      match = _PNG_NAME.search(entry)
      if match and not os.path.basename(entry).startswith('._'):
        entries[int(match.group(1)), int(match.group(2))] = entry
    if not entries:
      raise ValueError(f'{name} ({path}): no XXXX_YY.png images inside.')
    characters = sorted({c for c, _ in entries})
    drawers = sorted({d for _, d in entries})
    if len(entries) != len(characters) * len(drawers):
      raise ValueError(f'{name} ({path}): {len(entries)} images, not a full '
                       f'grid of {len(characters)} characters x '
                       f'{len(drawers)} drawers.')
    images = None
    for c, character in enumerate(characters):
      for d, drawer in enumerate(drawers):
        with Image.open(io.BytesIO(archive.read(
            entries[character, drawer]))) as png:
          pixels = np.asarray(png.convert('L')) > 127
        if images is None:
          images = np.empty((len(characters), len(drawers)) + pixels.shape,
                            bool)
        images[c, d] = pixels
  if verify:
    _folder.verify_file(path, checksums,
                        content_sha256=lambda: _array_sha256(images))
  labels = np.repeat(np.arange(len(characters))[:, None], len(drawers), 1)
  return images, labels


def load_omniglot_images(data_dir=None, download=False, verify=True,
                         checksums=None):
  """All OMNIGLOT images at 105x105, from the npz or the canonical zips.

  For each set (`background`, then `evaluation`), reads
  `<data folder>/omniglot/images_<set>.npz` or, if absent,
  `images_<set>.zip` (Lake et al.'s PNGs; needs Pillow). A zip is verified
  through the SHA-256 of its decoded image array (the same images as the
  shared npz).

  Args:
    data_dir: the data folder (see `omniglot`).
    download: download the canonical zips if neither form is present.
    verify: check checksums.
    checksums: overrides of the canonical SHA-256 table (file name -> sum).

  Returns:
    `(white, character)`: bool `[N, S, S]` (True = white background, N =
    32,460 for the real data, background set first, character by character,
    drawers in order) and int64 `[N]` global character ids (background c ->
    c, evaluation c -> 964 + c for the real data).
  """
  folder = _folder.dataset_dir('omniglot', data_dir)
  all_images, all_labels, offset = [], [], 0
  for which in SETS:
    candidates = [f'images_{which}.npz', f'images_{which}.zip']
    try:
      path = _folder.find_file('omniglot', folder, candidates,
                               [f'images_{which}.zip'])
    except FileNotFoundError:
      if not download:
        raise
      _folder.download('omniglot', data_dir)
      path = _folder.find_file('omniglot', folder, candidates)
    if path.endswith('.npz'):
      images, labels = _read_npz(path, verify, checksums)
    else:
      images, labels = _read_zip(path, verify, checksums)
    all_images.append(images.reshape((-1,) + images.shape[2:]))
    all_labels.append(labels.reshape(-1) + offset)
    offset += len(images)
  if all_images[0].shape[1:] != all_images[1].shape[1:]:
    raise ValueError(f'The two OMNIGLOT sets differ in image size: '
                     f'{all_images[0].shape[1:]} and '
                     f'{all_images[1].shape[1:]}.')
  return np.concatenate(all_images), np.concatenate(all_labels)


def _chardata(data_dir, download, verify, checksums, threshold):
  folder = _folder.dataset_dir('omniglot_chardata', data_dir)
  try:
    path = _folder.find_file('omniglot_chardata', folder, ['chardata.mat'])
  except FileNotFoundError:
    if not download:
      raise
    _folder.download('omniglot_chardata', data_dir)
    path = _folder.find_file('omniglot_chardata', folder, ['chardata.mat'])
  if verify:
    _folder.verify_file(path, checksums)
  import scipy.io  # pylint: disable=g-import-not-at-top
  mat = scipy.io.loadmat(path)
  result = {}
  for split, key in (('train', 'data'), ('test', 'testdata')):
    columns = np.asarray(mat[key])
    if columns.ndim != 2 or columns.shape[0] != 784:
      raise ValueError(f'chardata.mat ({path}): {key!r} has shape '
                       f'{columns.shape}, expected [784, N].')
    # Each column is a 28x28 image in column-major order.
    images = columns.T.reshape(-1, 28, 28).transpose(0, 2, 1)
    x = images.reshape(-1, 784).astype(np.float32)
    if threshold is not None:
      x = (x >= threshold).astype(np.float32)
    result[split] = x
  return splits_lib.Splits(train=result['train'], valid=None,
                           test=result['test'])


def omniglot(data_dir=None, source='derived', threshold=0.5,
             split_sizes=SPLIT_SIZES, seed=0, download=False, verify=True,
             checksums=None):
  """OMNIGLOT as 28x28 binary images: our derivation, or Burda's file.

  `source='derived'` is our 28x28 derivation, not Burda's split (see the
  module docstring): area-average 105 -> 28, ink where the covered fraction
  is >= `threshold` (0.5), and a fixed seeded split of all 32,460 images
  into 24,345 train / 8,070 test (seed 0; the other 45 images are left
  out). Files: `<data folder>/omniglot/images_{background,evaluation}.npz`,
  or the canonical `images_{background,evaluation}.zip` of PNGs from
  https://github.com/brendenlake/omniglot/raw/master/python/ (needs
  Pillow). The labels are global character ids (0..1622).

  `source='chardata'` reads `<data folder>/omniglot/chardata.mat` of Burda
  et al. (https://github.com/yburda/iwae, `datasets/OMNIGLOT/`; needs
  scipy), 24,345 train / 8,070 test, without labels. Its values are grey
  levels in [0, 1]; IWAE and the GenGS paper binarize them dynamically:
  pass `threshold=None` and use `as_dataset(..., binarize='dynamic')`.
  With a threshold they are binarized as `value >= threshold`.

  The data folder is `data_dir`, else `$TFP_GENGS_DATA`, else
  `~/.cache/tfp_gengs`. There is no validation set (`valid` is `None`; see
  `Splits.with_validation`).

  Args:
    data_dir: the data folder (not its `omniglot/` sub-folder).
    source: `'derived'` or `'chardata'`.
    threshold: binarization threshold; `None` for grey levels.
    split_sizes: `(num_train, num_test)` of the derived split (smaller
      values serve small test fixtures). Ignored for `'chardata'`.
    seed: seed of the derived split.
    download: download missing files (the zips; `chardata.mat`).
    verify: check checksums.
    checksums: mapping from file name to an accepted SHA-256 (or sequence of
      them) overriding the canonical table for those files.

  Returns:
    `Splits(train, None, test, train_labels, None, test_labels)`: float32
    `[N, 784]`, row-major; 0/1, or grey levels when `threshold` is `None`.

  Raises:
    ValueError: unknown `source`, malformed files, or split sizes that do
      not fit.
    FileNotFoundError: a file is missing (the message names the file, the
      folder and the download address).
    ChecksumError: a file is not the canonical one.
  """
  if source not in _SOURCES:
    raise ValueError(f'source must be one of {_SOURCES}; got {source!r}.')
  if threshold is not None and not 0. < threshold <= 1.:
    raise ValueError(f'threshold must be in (0, 1] or None; got '
                     f'{threshold!r}.')
  if source == 'chardata':
    return _chardata(data_dir, download, verify, checksums, threshold)
  white, characters = load_omniglot_images(data_dir, download, verify,
                                           checksums)
  train_idx, test_idx = omniglot_split_indices(len(white), split_sizes, seed)
  x = derive_28x28(white, threshold)
  return splits_lib.Splits(
      train=x[train_idx], valid=None, test=x[test_idx],
      train_labels=characters[train_idx], test_labels=characters[test_idx])
