"""MNIST: statically binarized (Larochelle & Murray) and grey levels (IDX)."""

import gzip
import os

import numpy as np

from tfp_gengs.datasets import _folder
from tfp_gengs.datasets import splits as splits_lib

__all__ = [
    'binarized_mnist',
    'mnist',
    'parse_amat',
    'parse_idx',
]

NUM_PIXELS = 784

_AMAT_CHARS = b'01 \t\r\n'
_AMAT_ALLOWED = np.zeros(256, dtype=bool)
_AMAT_ALLOWED[list(_AMAT_CHARS)] = True
_SPACES = b' \t\r'


def _read(path):
  opener = gzip.open if path.endswith('.gz') else open
  try:
    with opener(path, 'rb') as f:
      return f.read()
  except _folder.GZIP_ERRORS as e:
    raise ValueError(f'Cannot read {os.path.basename(path)!r} at {path}: '
                     f'{e}') from e


def _line_of(raw, position):
  return raw.count(b'\n', 0, position) + 1


def parse_amat(raw, name='<amat>', num_pixels=NUM_PIXELS):
  """Parses Larochelle's binarized MNIST `.amat` text.

  One image per line, `num_pixels` values `0`/`1` separated by spaces (or
  tabs; `\\r\\n` line ends and blank lines are accepted).

  Args:
    raw: the file's (decompressed) bytes.
    name: the file name, for error messages.
    num_pixels: values per line.

  Returns:
    float32 array `[N, num_pixels]` of 0/1.

  Raises:
    ValueError: a character other than `0`, `1` or white space, a value of
      more than one digit, or a line with another number of values; the
      message names the file and the line.
  """
  raw = bytes(raw)
  if raw.translate(None, _AMAT_CHARS):
    buf = np.frombuffer(raw, dtype=np.uint8)
    pos = int(np.argmax(~_AMAT_ALLOWED[buf]))
    raise ValueError(
        f'{name}, line {_line_of(raw, pos)}: unexpected character '
        f'{chr(buf[pos])!r}; a binarized MNIST .amat file holds only 0/1 '
        f'values separated by spaces.')
  digit = np.frombuffer(raw, dtype=np.uint8) >= ord('0')  # Else a space.
  adjacent = digit[1:] & digit[:-1]
  if adjacent.any():
    pos = int(np.argmax(adjacent))
    raise ValueError(f'{name}, line {_line_of(raw, pos)}: a value of more '
                     f'than one digit; values must be 0 or 1.')
  del digit, adjacent
  for number, line in enumerate(raw.split(b'\n'), 1):
    count = len(line.translate(None, _SPACES))
    if count and count != num_pixels:
      raise ValueError(f'{name}, line {number}: {count} values, expected '
                       f'{num_pixels}.')
  values = np.frombuffer(raw.translate(None, _SPACES + b'\n'), np.uint8)
  values = values - np.uint8(ord('0'))
  return values.reshape(-1, num_pixels).astype(np.float32)


_IDX_DTYPES = {
    0x08: np.dtype('u1'),
    0x09: np.dtype('i1'),
    0x0B: np.dtype('>i2'),
    0x0C: np.dtype('>i4'),
    0x0D: np.dtype('>f4'),
    0x0E: np.dtype('>f8'),
}


def parse_idx(raw, name='<idx>'):
  """Parses an IDX file (LeCun's MNIST format).

  Header: two zero bytes, a type code (0x08 unsigned byte, 0x09 signed
  byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of
  dimensions, then each dimension as a big-endian int32; then the data, big
  endian, row-major.

  Args:
    raw: the file's (decompressed) bytes.
    name: the file name, for error messages.

  Returns:
    The array, with its stored dtype (native byte order) and shape.

  Raises:
    ValueError: bad magic number, or a size that does not match the header;
      the message names the file.
  """
  if len(raw) < 4 or raw[0] or raw[1] or raw[2] not in _IDX_DTYPES:
    raise ValueError(f'{name}: not an IDX file (magic number '
                     f'{raw[:4].hex() or "missing"}).')
  dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
  header = 4 + 4 * ndim
  if len(raw) < header:
    raise ValueError(f'{name}: truncated IDX header.')
  shape = tuple(int(d) for d in np.frombuffer(raw, '>u4', ndim, 4))
  expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
  if len(raw) != expected:
    raise ValueError(f'{name}: {len(raw)} bytes, but the IDX header {shape} '
                     f'of {dtype} needs {expected}.')
  data = np.frombuffer(raw, dtype, offset=header).reshape(shape)
  return data.astype(dtype.newbyteorder('='))


def _load(path, verify, checksums):
  if verify:
    _folder.verify_file(path, checksums)
  return _read(path)


def _ensure(name, folder, candidates, download, data_dir):
  try:
    return _folder.find_file(name, folder, candidates)
  except FileNotFoundError:
    if not download:
      raise
  _folder.download(name, data_dir)
  return _folder.find_file(name, folder, candidates)


def binarized_mnist(data_dir=None, download=False, verify=True,
                    checksums=None):
  """Statically binarized MNIST of Larochelle & Murray (2011).

  Reads `binarized_mnist_{train,valid,test}.amat` (the canonical text files,
  one image per line, 784 values 0/1) or, when the `.amat` is absent, its
  gzip `binarized_mnist_{split}.amat.gz`, from `<data folder>/
  binarized_mnist/`. The data folder is `data_dir`, else `$TFP_GENGS_DATA`,
  else `~/.cache/tfp_gengs`.

  Each file is verified before parsing: SHA-256 of the `.amat`, or of the
  `.amat.gz` (the shared copy's gzip, or any gzip whose decompressed bytes
  are the canonical `.amat`). Canonical sizes: 50,000 / 10,000 / 10,000;
  sizes are not otherwise enforced, so small files with their own
  `checksums` load too.

  Args:
    data_dir: the data folder (not its `binarized_mnist/` sub-folder).
    download: download the canonical `.amat` files (from
      http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/)
      if missing.
    verify: check SHA-256 sums.
    checksums: mapping from file name to an accepted SHA-256 (or sequence of
      them) overriding the canonical table for those files.

  Returns:
    `Splits(train, valid, test)`: float32 arrays `[N, 784]` of 0/1, pixels
    row-major; no labels.

  Raises:
    FileNotFoundError: a split's file is missing (the message names the
      file, the folder and the download address).
    ChecksumError: a file is not the canonical one.
    ValueError: a file is malformed (the message names file and line).
  """
  folder = _folder.dataset_dir('binarized_mnist', data_dir)
  arrays = {}
  for split in ('train', 'valid', 'test'):
    base = f'binarized_mnist_{split}.amat'
    path = _ensure('binarized_mnist', folder, [base, base + '.gz'], download,
                   data_dir)
    arrays[split] = parse_amat(_load(path, verify, checksums),
                               os.path.basename(path))
  return splits_lib.Splits(**arrays)


def _idx_file(folder, stem, download, data_dir):
  return _ensure('mnist', folder, [stem + '.gz', stem], download, data_dir)


def mnist(data_dir=None, with_labels=True, download=False, verify=True,
          checksums=None):
  """MNIST in grey levels (LeCun et al.), from the IDX files.

  Reads `{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz` (or the same
  names without `.gz`) from `<data folder>/mnist/`; the data folder is
  `data_dir`, else `$TFP_GENGS_DATA`, else `~/.cache/tfp_gengs`. Each file
  is verified before parsing: SHA-256 of the `.gz` as served by
  yann.lecun.com and its mirrors, or of the shared copy, or of any gzip
  whose decompressed bytes are the canonical IDX file (whose MD5 are the
  published ones).

  There is no canonical validation set: `valid` is `None`; use
  `splits.with_validation(size, seed)` or `split_validation` for a fixed
  seeded hold-out. For dynamically binarized MNIST, feed `train` to
  `as_dataset(..., binarize='dynamic')`.

  Args:
    data_dir: the data folder (not its `mnist/` sub-folder).
    with_labels: also read the label files into `train_labels` and
      `test_labels`; with `False` they are neither read nor required.
    download: download the four canonical `.gz` files if missing.
    verify: check SHA-256 sums.
    checksums: mapping from file name to an accepted SHA-256 (or sequence of
      them) overriding the canonical table for those files.

  Returns:
    `Splits(train, None, test, train_labels, None, test_labels)`: images
    float32 `[N, 784]` in `[0, 1]` (pixel / 255, row-major), 60,000 train
    and 10,000 test; labels int64 `[N]` in 0..9 (or `None`).

  Raises:
    FileNotFoundError: a file is missing (the message names the file, the
      folder and the download addresses).
    ChecksumError: a file is not the canonical one.
    ValueError: a malformed IDX file, or images and labels that differ in
      number.
  """
  folder = _folder.dataset_dir('mnist', data_dir)
  result = {'valid': None}
  for split, prefix in (('train', 'train'), ('test', 't10k')):
    path = _idx_file(folder, f'{prefix}-images-idx3-ubyte', download,
                     data_dir)
    images = parse_idx(_load(path, verify, checksums), os.path.basename(path))
    if images.ndim != 3 or images.shape[1:] != (28, 28):
      raise ValueError(f'{os.path.basename(path)}: images of shape '
                       f'{images.shape}, expected [N, 28, 28].')
    result[split] = (images.reshape(len(images), NUM_PIXELS)
                     .astype(np.float32) / np.float32(255.))
    if with_labels:
      path = _idx_file(folder, f'{prefix}-labels-idx1-ubyte', download,
                       data_dir)
      labels = parse_idx(_load(path, verify, checksums),
                         os.path.basename(path))
      if labels.shape != (len(images),):
        raise ValueError(f'{os.path.basename(path)}: labels of shape '
                         f'{labels.shape}, expected [{len(images)}].')
      result[split + '_labels'] = labels.astype(np.int64)
  return splits_lib.Splits(**result)
