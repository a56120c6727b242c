"""Data folder resolution, SHA-256 verification and downloads.

Every loader of `tfp_gengs.datasets` finds its files in one data folder:

1. the `data_dir` argument, when given;
2. else the environment variable `TFP_GENGS_DATA`, when set and non-empty;
3. else `~/.cache/tfp_gengs`.

Each dataset lives in a sub-folder of it, named as in the project's shared
data folder: `binarized_mnist/`, `mnist/`, `omniglot/`, `20news/`. So
`gengs.datasets.binarized_mnist('/path/to/shared/data')` reads
`/path/to/shared/data/binarized_mnist/`.

Every file is checked against the canonical SHA-256 table `CHECKSUMS` before
it is parsed. A file passes when its own SHA-256 is one of the accepted sums,
or (for a gzip file) when the SHA-256 of its decompressed bytes is the sum of
the canonical uncompressed file, so any gzip of the canonical file passes.
Loaders take `checksums=` (a mapping from file name to an accepted SHA-256,
or a sequence of them, that overrides the table for the files it names) and
`verify=False` (no check at all).

Downloads happen only when asked for: `download(name, data_dir)` or a
loader's `download=True`.
"""

import dataclasses
import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zlib

__all__ = [
    'CHECKSUMS',
    'ChecksumError',
    'DATA_DIR_ENV',
    'DEFAULT_DATA_DIR',
    'ExpectedChecksum',
    'GZIP_ERRORS',
    'SOURCES',
    'dataset_dir',
    'download',
    'find_file',
    'resolve_data_dir',
    'sha256_file',
    'verify_file',
]

DATA_DIR_ENV = 'TFP_GENGS_DATA'
DEFAULT_DATA_DIR = os.path.join('~', '.cache', 'tfp_gengs')

_CHUNK = 1 << 20

# What reading a damaged gzip file raises: a bad header or CRC is an
# `OSError` (`gzip.BadGzipFile`), a cut stream an `EOFError`, and corrupt
# deflate data a `zlib.error` (a bare `Exception`).
GZIP_ERRORS = (OSError, EOFError, zlib.error)


class ChecksumError(ValueError):
  """A data file's SHA-256 is not the canonical one."""


@dataclasses.dataclass(frozen=True)
class ExpectedChecksum:
  """Accepted checksums of one data file.

  Attributes:
    sha256: accepted SHA-256 sums of the file's bytes.
    content_sha256: accepted SHA-256 sums of its content: the decompressed
      bytes of a `.gz` file, or what a loader hashes after decoding (the
      image array of an OMNIGLOT zip).
    md5: accepted MD5 sums of the file's bytes (only where no SHA-256 is
      published: Burda et al.'s `chardata.mat`).
  """
  sha256: tuple = ()
  content_sha256: tuple = ()
  md5: tuple = ()

  def describe(self):
    parts = [f'SHA-256 {s}' for s in self.sha256]
    parts += [f'content SHA-256 {s}' for s in self.content_sha256]
    parts += [f'MD5 {s}' for s in self.md5]
    return ' or '.join(parts) if parts else 'nothing (no checksum known)'


# SHA-256 of the uncompressed canonical files.
_AMAT_SHA256 = {
    'train': 'ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d',
    'valid': '1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2',
    'test': 'e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c',
}
# Uncompressed IDX files (their MD5 are the published ones).
_IDX_SHA256 = {
    'train-images-idx3-ubyte':
        'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
    'train-labels-idx1-ubyte':
        '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
    't10k-images-idx3-ubyte':
        '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
    't10k-labels-idx1-ubyte':
        'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
}
# The gzip files as served by yann.lecun.com and its mirrors.
_IDX_GZ_SHA256 = {
    'train-images-idx3-ubyte':
        '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
    'train-labels-idx1-ubyte':
        '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
    't10k-images-idx3-ubyte':
        '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
    't10k-labels-idx1-ubyte':
        'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
}
# The gzip files of the shared data folder (`SHA256SUMS`).
_IDX_SHARED_GZ_SHA256 = {
    'train-images-idx3-ubyte':
        '0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971',
    'train-labels-idx1-ubyte':
        '1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203',
    't10k-images-idx3-ubyte':
        '1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be',
    't10k-labels-idx1-ubyte':
        'b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b',
}


def _build_checksums():
  table = {}
  amat_gz = {
      'train':
          '877c7951e875c52ab7801f4ff16aeecb7816ebd697658231efeb2b640f01a3d8',
      'valid':
          'aeb77ba9e35dc39d9e5034538273523e37ff578c97d723a59f7ee4345373abad',
      'test':
          'b70dc82f02d6c858f598dbd879445709c2e5070d9a9749588b9c3800efa44af1',
  }
  for split, content in _AMAT_SHA256.items():
    name = f'binarized_mnist_{split}.amat'
    table[name] = ExpectedChecksum(sha256=(content,))
    table[name + '.gz'] = ExpectedChecksum(
        sha256=(amat_gz[split],), content_sha256=(content,))
  for name, content in _IDX_SHA256.items():
    table[name] = ExpectedChecksum(sha256=(content,))
    table[name + '.gz'] = ExpectedChecksum(
        sha256=(_IDX_SHARED_GZ_SHA256[name], _IDX_GZ_SHA256[name]),
        content_sha256=(content,))
  table['images_background.npz'] = ExpectedChecksum(sha256=(
      '8bf84167413cd00beacdce3fe582f780ab538d8dbef043a6d688f2527bbce199',))
  table['images_evaluation.npz'] = ExpectedChecksum(sha256=(
      '0b84c7ffd94c4841c0040e529c86a82eaaccb986d8eadad5673f7991b7475276',))
  # The canonical zips are checked through their decoded images: SHA-256 of
  # `numpy.packbits` of the bool array (n_characters, 20, 105, 105), C order,
  # True = white, as the npz above hold them.
  table['images_background.zip'] = ExpectedChecksum(content_sha256=(
      '50ac3e2043f457516ed8e84151b2d85718f4bbccc0a17ad355cd3b6f0c4ed5f3',))
  table['images_evaluation.zip'] = ExpectedChecksum(content_sha256=(
      '03b046317776af65e56eb1a168e35feb5e254765b51ce5fd1383ec242a5767f3',))
  table['alphabets.tsv'] = ExpectedChecksum(sha256=(
      '83fff82ea3eeed4c6267fdb3c1c1885af47f75dd1922a5d5ef8e93c3b5347da6',))
  # MD5 recorded by tfsnippet's OMNIGLOT loader for Burda et al.'s file.
  table['chardata.mat'] = ExpectedChecksum(
      md5=('21ecaf34373511aa7691cf2e0802aa3d',))
  table['train.feat'] = ExpectedChecksum(sha256=(
      '6c4b612d03bb54c68c923ae7b689398c4a7bd1046b0874332dfe0a0c42830143',))
  table['test.feat'] = ExpectedChecksum(sha256=(
      '5e5beaff3c66affeb08aeefb69e40e3e1c52360cdad2df03e7df2ecb6b79fad0',))
  table['vocab.new'] = ExpectedChecksum(sha256=(
      '75594f361e317a8c8fafca9846e903143ff25bb57ac4207ff850ef4245eb94bb',))
  return table


CHECKSUMS = _build_checksums()

_LAROCHELLE = ('http://www.cs.toronto.edu/~larocheh/public/datasets/'
               'binarized_mnist/')
_MNIST_MIRRORS = ('https://ossci-datasets.s3.amazonaws.com/mnist/',
                  'http://yann.lecun.com/exdb/mnist/')
_OMNIGLOT = 'https://github.com/brendenlake/omniglot/raw/master/python/'
_20NEWS = ('https://raw.githubusercontent.com/sophieburkhardt/'
           'dirichlet-vae-topic-models/'
           '70091d4f1df37c7a7eb2995fbbffba36caed46aa/data/20news/')
_NVDM = 'https://github.com/ysmiao/nvdm/tree/master/data/20news'
_CHARDATA = ('https://github.com/yburda/iwae/raw/master/datasets/OMNIGLOT/'
             'chardata.mat')


@dataclasses.dataclass(frozen=True)
class _Source:
  subdir: str
  files: dict  # file name -> tuple of URLs (mirrors, tried in order)
  note: str = ''


SOURCES = {
    'binarized_mnist': _Source('binarized_mnist', {
        f'binarized_mnist_{s}.amat': (
            f'{_LAROCHELLE}binarized_mnist_{s}.amat',)
        for s in ('train', 'valid', 'test')}),
    'mnist': _Source('mnist', {
        f'{n}.gz': tuple(f'{m}{n}.gz' for m in _MNIST_MIRRORS)
        for n in _IDX_SHA256}),
    'omniglot': _Source('omniglot', {
        f'images_{s}.zip': (f'{_OMNIGLOT}images_{s}.zip',)
        for s in ('background', 'evaluation')}),
    'omniglot_chardata': _Source('omniglot', {'chardata.mat': (_CHARDATA,)}),
    '20news': _Source(
        '20news',
        {n: (f'{_20NEWS}{n}',) for n in ('train.feat', 'test.feat',
                                           'vocab.new')},
        note=('the copy of NVDM-format 20 Newsgroups (1,995-word vocabulary) '
              'whose checksums are in the table; NVDM\'s own repository '
              f'({_NVDM}) holds an older 2,000-word version with other '
              'checksums (load it with verify=False)')),
}


def resolve_data_dir(data_dir=None):
  """The data folder: `data_dir`, else `$TFP_GENGS_DATA`, else the cache.

  Args:
    data_dir: a folder, or `None`.

  Returns:
    The absolute path of `data_dir` if given; else of the environment
    variable `TFP_GENGS_DATA` if set and non-empty; else of
    `~/.cache/tfp_gengs`. `~` is expanded.
  """
  if data_dir is None:
    data_dir = os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
  return os.path.abspath(os.path.expanduser(os.fspath(data_dir)))


def dataset_dir(name, data_dir=None):
  """The sub-folder of dataset `name` (a `SOURCES` key) in the data folder."""
  return os.path.join(resolve_data_dir(data_dir), SOURCES[name].subdir)


def _addresses(name, file_names):
  source = SOURCES[name]
  lines = []
  for file_name in file_names:
    if file_name in source.files:
      lines.append(f'  {file_name}: ' + ' or '.join(source.files[file_name]))
  if source.note:
    lines.append(f'  ({source.note})')
  return '\n'.join(lines)


def find_file(name, folder, candidates, download_names=None):
  """Returns the first of `candidates` present in `folder`.

  Args:
    name: the dataset (a key of `SOURCES`), for the error message.
    folder: the folder searched.
    candidates: file names, in order of preference.
    download_names: names whose download addresses the error message gives;
      defaults to those of `candidates` that `SOURCES[name]` lists.

  Returns:
    The path of the first candidate that exists.

  Raises:
    FileNotFoundError: none exists; the message names the files, the folder
      searched and the canonical download addresses.
  """
  for candidate in candidates:
    path = os.path.join(folder, candidate)
    if os.path.isfile(path):
      return path
  if download_names is None:
    download_names = [c for c in candidates if c in SOURCES[name].files]
  wanted = ' or '.join(repr(c) for c in candidates)
  raise FileNotFoundError(
      f'{name}: {wanted} not found in the folder {folder!r} (data folder: '
      f'the data_dir argument, else ${DATA_DIR_ENV}, else '
      f'{DEFAULT_DATA_DIR}). Canonical download:\n'
      f'{_addresses(name, download_names)}\n'
      f'Download by hand into that folder, or call '
      f'tfp_gengs.datasets.download({name!r}, data_dir) or the loader with '
      f'download=True.')


def sha256_file(path):
  """SHA-256 (hex) of a file's bytes."""
  return _hash_stream(path, hashlib.sha256, open)


def _hash_stream(path, hasher, opener):
  h = hasher()
  with opener(path, 'rb') as f:
    while True:
      chunk = f.read(_CHUNK)
      if not chunk:
        break
      h.update(chunk)
  return h.hexdigest()


def _expected(file_name, checksums):
  if checksums is not None and file_name in checksums:
    value = checksums[file_name]
    if isinstance(value, ExpectedChecksum):
      return value
    if isinstance(value, str):
      value = (value,)
    return ExpectedChecksum(sha256=tuple(v.lower() for v in value))
  return CHECKSUMS.get(file_name)


def verify_file(path, checksums=None, content_sha256=None, file_name=None):
  """Checks a file against the canonical (or overridden) checksum table.

  The file passes when its SHA-256 is an accepted one; else, when the table
  gives content sums, when the SHA-256 of its content is (for a `.gz` file
  the decompressed bytes, unless `content_sha256` is given); else when its
  MD5 is an accepted one.

  Args:
    path: the file; its base name is the key into the table.
    checksums: optional mapping from file name to an accepted SHA-256 (hex
      string), a sequence of them, or an `ExpectedChecksum`; it overrides
      `CHECKSUMS` for the names it holds.
    content_sha256: optional callable returning the SHA-256 of the decoded
      content (used for OMNIGLOT zips).
    file_name: the key into the table; defaults to the base name of `path`.

  Raises:
    ChecksumError: no accepted sum matches (the message names the file, its
      path, and the expected and found sums), or no checksum is known for
      the file.
  """
  file_name = file_name or os.path.basename(path)
  expected = _expected(file_name, checksums)
  if expected is None:
    raise ChecksumError(
        f'No known checksum for {file_name!r} ({path}); pass '
        f'checksums={{{file_name!r}: <sha256>}} or verify=False.')
  found = sha256_file(path)
  if found in expected.sha256:
    return
  found_text = f'SHA-256 {found}'
  if expected.content_sha256:
    content = None
    if content_sha256 is not None:
      content = content_sha256()
    elif file_name.endswith('.gz'):
      try:
        content = _hash_stream(path, hashlib.sha256, gzip.open)
      except GZIP_ERRORS as e:
        found_text += f' (not a readable gzip file: {e})'
    if content is not None:
      if content in expected.content_sha256:
        return
      found_text += f', content SHA-256 {content}'
  if expected.md5:
    md5 = _hash_stream(path, hashlib.md5, open)
    if md5 in expected.md5:
      return
    found_text += f', MD5 {md5}'
  raise ChecksumError(
      f'Checksum mismatch for {file_name!r} at {path}: expected '
      f'{expected.describe()}; found {found_text}. The file is corrupt or '
      f'not the canonical one: delete it and download it again, or pass '
      f'verify=False (or checksums={{{file_name!r}: <sha256>}}) to load it '
      f'anyway.')


def download(name, data_dir=None, overwrite=False, verify=True):
  """Downloads dataset `name` into its sub-folder of the data folder.

  Needs network access; nothing in the package downloads unless asked to.

  Args:
    name: `'binarized_mnist'` (Larochelle's three `.amat`), `'mnist'` (the
      four IDX `.gz`), `'omniglot'` (Lake et al.'s `images_background.zip`
      and `images_evaluation.zip`), `'omniglot_chardata'` (Burda et al.'s
      `chardata.mat`) or `'20news'` (NVDM-format `train.feat`, `test.feat`,
      `vocab.new`).
    data_dir: the data folder (see `resolve_data_dir`).
    overwrite: download files that are already present again.
    verify: check each downloaded file against `CHECKSUMS` (files with only
      a content checksum, the OMNIGLOT zips, are checked when loaded).

  Returns:
    The dataset's folder.

  Raises:
    ValueError: unknown `name`.
    ChecksumError: a downloaded file is not the canonical one (it is not
      kept).
    urllib.error.URLError: no address of a file could be reached.
  """
  if name not in SOURCES:
    raise ValueError(f'Unknown dataset {name!r}; one of {sorted(SOURCES)}.')
  folder = dataset_dir(name, data_dir)
  os.makedirs(folder, exist_ok=True)
  for file_name, urls in SOURCES[name].files.items():
    target = os.path.join(folder, file_name)
    if os.path.exists(target) and not overwrite:
      continue
    error = None
    for url in urls:
      fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{file_name}.')
      try:
        with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(
            url, timeout=60) as response:
          shutil.copyfileobj(response, out, _CHUNK)
        expected = CHECKSUMS.get(file_name)
        if verify and expected is not None and (
            expected.sha256 or expected.md5):
          try:
            verify_file(tmp, file_name=file_name)
          except ChecksumError as e:
            raise ChecksumError(f'Downloaded from {url}: {e}') from None
        os.replace(tmp, target)
        error = None
        break
      except OSError as e:  # URLError is an OSError; try the next mirror.
        error = e
      finally:
        if os.path.exists(tmp):
          os.remove(tmp)
    if error is not None:
      raise error
  return folder
