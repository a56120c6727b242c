"""Tests of `tfp_gengs.datasets` on tiny fixtures in the canonical formats.

Every fixture is written here, to `tmp_path`; nothing reads the real data.
"""

import gzip
import hashlib
import io
import os
import struct
import zipfile
import zlib

import numpy as np
import pytest
import tensorflow.compat.v2 as tf

import tfp_gengs as gengs
from tfp_gengs.datasets import _folder
from tfp_gengs.datasets import mnist_data
from tfp_gengs.datasets import omniglot_data

datasets = gengs.datasets


def _sha(path):
  with open(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


def _sums(folder):
  return {name: _sha(os.path.join(folder, name))
          for name in os.listdir(folder)}


def _flip_byte(path, position=-2):
  with open(path, 'rb') as f:
    raw = bytearray(f.read())
  raw[position] ^= 0x01
  with open(path, 'wb') as f:
    f.write(bytes(raw))


def _gz_sums(folder):
  """`_sums` with a content sum, so a mismatching `.gz` gets decompressed."""
  return {name: _folder.ExpectedChecksum(sha256=(sha,),
                                         content_sha256=('0' * 64,))
          for name, sha in _sums(folder).items()}


def _corrupt_deflate(path):
  """XORs one byte of a gzip file's deflate data so it raises `zlib.error`.

  The byte is the first, from the middle of the file on, whose flip makes
  decompression itself fail (not only the CRC check, an `OSError`).
  """
  with open(path, 'rb') as f:
    raw = f.read()
  for position in range(len(raw) // 2, len(raw) - 8):
    bad = bytearray(raw)
    bad[position] ^= 0xFF
    try:
      gzip.decompress(bytes(bad))
    except zlib.error:
      with open(path, 'wb') as f:
        f.write(bytes(bad))
      return
    except (OSError, EOFError):
      pass
  raise AssertionError(f'no byte of {path} gives a zlib.error')


def test_datasets_is_an_attribute_of_the_package():
  assert hasattr(gengs, 'datasets')
  for name in ('binarized_mnist', 'mnist', 'omniglot', 'split_validation',
               'as_dataset', 'twenty_newsgroups', 'load_nvdm_bag_of_words',
               'load_vocabulary', 'download', 'Splits'):
    assert hasattr(datasets, name), name


# Data folder resolution.


def test_data_dir_argument_then_environment_then_cache(tmp_path, monkeypatch):
  monkeypatch.setenv('HOME', str(tmp_path / 'home'))
  monkeypatch.delenv(_folder.DATA_DIR_ENV, raising=False)
  assert datasets.resolve_data_dir() == str(
      tmp_path / 'home' / '.cache' / 'tfp_gengs')
  monkeypatch.setenv(_folder.DATA_DIR_ENV, '')
  assert datasets.resolve_data_dir() == str(
      tmp_path / 'home' / '.cache' / 'tfp_gengs')
  monkeypatch.setenv(_folder.DATA_DIR_ENV, str(tmp_path / 'env'))
  assert datasets.resolve_data_dir() == str(tmp_path / 'env')
  assert datasets.resolve_data_dir(tmp_path / 'arg') == str(tmp_path / 'arg')


def test_loader_reads_from_environment_folder(tmp_path, monkeypatch):
  x = _write_amat_fixture(tmp_path / 'data' / 'binarized_mnist')
  monkeypatch.setenv(_folder.DATA_DIR_ENV, str(tmp_path / 'data'))
  splits = datasets.binarized_mnist(verify=False)
  np.testing.assert_array_equal(splits.train, x['train'])


# Binarized MNIST (.amat text and .amat.gz).


def _amat_text(images):
  return ''.join(' '.join(str(int(v)) for v in row) + '\n' for row in images)


def _write_amat_fixture(folder, sizes=(5, 3, 4), gz=False, seed=0):
  folder.mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(seed)
  arrays = {}
  for split, n in zip(('train', 'valid', 'test'), sizes):
    arrays[split] = (rng.uniform(size=(n, 784)) < 0.3).astype(np.float32)
    text = _amat_text(arrays[split]).encode()
    name = f'binarized_mnist_{split}.amat'
    if gz:
      with gzip.open(folder / (name + '.gz'), 'wb') as f:
        f.write(text)
    else:
      (folder / name).write_bytes(text)
  return arrays


@pytest.mark.parametrize('gz', [False, True])
def test_binarized_mnist_reads_amat_fixture(tmp_path, gz):
  folder = tmp_path / 'binarized_mnist'
  expected = _write_amat_fixture(folder, gz=gz)
  splits = datasets.binarized_mnist(tmp_path, checksums=_sums(folder))
  assert isinstance(splits, datasets.Splits)
  for split, n in zip(('train', 'valid', 'test'), (5, 3, 4)):
    x = getattr(splits, split)
    assert x.shape == (n, 784) and x.dtype == np.float32
    np.testing.assert_array_equal(x, expected[split])
  x_train, x_valid, x_test = splits
  assert x_valid is splits.valid and splits[2] is x_test
  assert splits.train_labels is None


def test_binarized_mnist_gz_passes_with_content_checksum(tmp_path):
  folder = tmp_path / 'binarized_mnist'
  expected = _write_amat_fixture(folder, gz=True)
  checksums = {}
  for split in ('train', 'valid', 'test'):
    content = hashlib.sha256(_amat_text(expected[split]).encode()).hexdigest()
    checksums[f'binarized_mnist_{split}.amat.gz'] = _folder.ExpectedChecksum(
        sha256=('0' * 64,), content_sha256=(content,))
  splits = datasets.binarized_mnist(tmp_path, checksums=checksums)
  np.testing.assert_array_equal(splits.test, expected['test'])


def test_binarized_mnist_canonical_table_rejects_fixture(tmp_path):
  _write_amat_fixture(tmp_path / 'binarized_mnist')
  with pytest.raises(datasets.ChecksumError,
                     match='binarized_mnist_train.amat'):
    datasets.binarized_mnist(tmp_path)
  splits = datasets.binarized_mnist(tmp_path, verify=False)
  assert splits.train.shape == (5, 784)


@pytest.mark.parametrize('gz', [False, True])
def test_binarized_mnist_corrupted_file_is_a_clear_error(tmp_path, gz):
  folder = tmp_path / 'binarized_mnist'
  _write_amat_fixture(folder, gz=gz)
  sums = _sums(folder)
  name = 'binarized_mnist_valid.amat' + ('.gz' if gz else '')
  _flip_byte(folder / name)
  with pytest.raises(datasets.ChecksumError) as info:
    datasets.binarized_mnist(tmp_path, checksums=sums)
  message = str(info.value)
  assert name in message
  assert str(folder / name) in message
  assert sums[name] in message  # Expected.
  assert _sha(folder / name) in message  # Found.


def test_binarized_mnist_corrupt_deflate_data_is_a_checksum_error(tmp_path):
  # Corrupt deflate data raises `zlib.error`, neither `OSError` nor
  # `EOFError`: it escaped as a raw traceback without the file's name.
  folder = tmp_path / 'binarized_mnist'
  _write_amat_fixture(folder, sizes=(50, 40, 30), gz=True)
  sums = _gz_sums(folder)
  name = 'binarized_mnist_valid.amat.gz'
  _corrupt_deflate(folder / name)
  with pytest.raises(datasets.ChecksumError,
                     match='not a readable gzip file') as info:
    datasets.binarized_mnist(tmp_path, checksums=sums)
  assert name in str(info.value) and str(folder / name) in str(info.value)
  with pytest.raises(ValueError, match=name):
    datasets.binarized_mnist(tmp_path, verify=False)


def test_binarized_mnist_missing_file_names_file_folder_address(tmp_path):
  folder = tmp_path / 'binarized_mnist'
  _write_amat_fixture(folder)
  os.remove(folder / 'binarized_mnist_valid.amat')
  with pytest.raises(FileNotFoundError) as info:
    datasets.binarized_mnist(tmp_path, verify=False)
  message = str(info.value)
  assert 'binarized_mnist_valid.amat' in message
  assert str(folder) in message
  assert ('http://www.cs.toronto.edu/~larocheh/public/datasets/'
          'binarized_mnist/binarized_mnist_valid.amat') in message


@pytest.mark.parametrize('text,line,what', [
    ('0 1\n1 2\n', 2, 'unexpected character'),
    ('0 1\n\n10 1\n', 3, 'more than one digit'),
    ('0 1\n1 1 0\n', 2, '3 values'),
])
def test_parse_amat_errors_name_the_line(text, line, what):
  with pytest.raises(ValueError, match=f'f.amat, line {line}: .*') as info:
    mnist_data.parse_amat(text.encode(), 'f.amat', num_pixels=2)
  assert what in str(info.value)


def test_parse_amat_accepts_crlf_and_blank_lines():
  x = mnist_data.parse_amat(b'0 1 1\r\n\n1\t0 0 \r\n', num_pixels=3)
  np.testing.assert_array_equal(x, [[0, 1, 1], [1, 0, 0]])


# MNIST (IDX gz).


def _idx_bytes(array):
  array = np.asarray(array, np.uint8)
  header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim)
  header += struct.pack('>' + 'I' * array.ndim, *array.shape)
  return header + array.tobytes()


def _write_mnist_fixture(folder, sizes=(6, 3), seed=0):
  folder.mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(seed)
  out = {}
  for prefix, n in zip(('train', 't10k'), sizes):
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for kind, array in (('images-idx3', images), ('labels-idx1', labels)):
      with gzip.open(folder / f'{prefix}-{kind}-ubyte.gz', 'wb') as f:
        f.write(_idx_bytes(array))
    out[prefix] = images, labels
  return out


def test_idx_fixture_has_the_canonical_magic_numbers(tmp_path):
  _write_mnist_fixture(tmp_path / 'mnist')
  with gzip.open(tmp_path / 'mnist' / 'train-images-idx3-ubyte.gz') as f:
    assert f.read(16) == bytes.fromhex('00000803 00000006 0000001c 0000001c')
  with gzip.open(tmp_path / 'mnist' / 't10k-labels-idx1-ubyte.gz') as f:
    assert f.read(8) == bytes.fromhex('00000801 00000003')


def test_mnist_reads_idx_fixture(tmp_path):
  folder = tmp_path / 'mnist'
  raw = _write_mnist_fixture(folder)
  splits = datasets.mnist(tmp_path, checksums=_sums(folder))
  assert splits.valid is None and splits.valid_labels is None
  for split, prefix in (('train', 'train'), ('test', 't10k')):
    images, labels = raw[prefix]
    x = getattr(splits, split)
    assert x.shape == (len(images), 784) and x.dtype == np.float32
    np.testing.assert_allclose(x, images.reshape(-1, 784) / 255., rtol=1e-6)
    y = getattr(splits, split + '_labels')
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)
  assert splits.train.min() == 0. and splits.train.max() == 1.


def test_mnist_without_labels_needs_no_label_files(tmp_path):
  folder = tmp_path / 'mnist'
  _write_mnist_fixture(folder)
  os.remove(folder / 'train-labels-idx1-ubyte.gz')
  with pytest.raises(FileNotFoundError) as info:
    datasets.mnist(tmp_path, verify=False)
  message = str(info.value)
  assert 'train-labels-idx1-ubyte.gz' in message and str(folder) in message
  assert ('https://ossci-datasets.s3.amazonaws.com/mnist/'
          'train-labels-idx1-ubyte.gz') in message
  splits = datasets.mnist(tmp_path, with_labels=False, verify=False)
  assert splits.train.shape == (6, 784) and splits.train_labels is None


def test_mnist_corrupted_file_is_a_clear_error(tmp_path):
  folder = tmp_path / 'mnist'
  _write_mnist_fixture(folder)
  sums = _sums(folder)
  _flip_byte(folder / 't10k-images-idx3-ubyte.gz', position=20)
  with pytest.raises(datasets.ChecksumError) as info:
    datasets.mnist(tmp_path, checksums=sums)
  message = str(info.value)
  assert 't10k-images-idx3-ubyte.gz' in message
  assert sums['t10k-images-idx3-ubyte.gz'] in message


def test_mnist_corrupt_deflate_data_is_a_checksum_error(tmp_path):
  folder = tmp_path / 'mnist'
  _write_mnist_fixture(folder, sizes=(60, 40))
  sums = _gz_sums(folder)
  name = 't10k-images-idx3-ubyte.gz'
  _corrupt_deflate(folder / name)
  with pytest.raises(datasets.ChecksumError,
                     match='not a readable gzip file') as info:
    datasets.mnist(tmp_path, checksums=sums)
  assert name in str(info.value) and str(folder / name) in str(info.value)
  with pytest.raises(ValueError, match=name):
    datasets.mnist(tmp_path, verify=False)


def test_mnist_bad_idx_is_a_value_error_naming_the_file(tmp_path):
  folder = tmp_path / 'mnist'
  _write_mnist_fixture(folder)
  with gzip.open(folder / 'train-images-idx3-ubyte.gz', 'wb') as f:
    f.write(_idx_bytes(np.zeros((6, 28, 28)))[:-5])  # Truncated.
  with pytest.raises(ValueError, match='train-images-idx3-ubyte.gz'):
    datasets.mnist(tmp_path, verify=False)
  with pytest.raises(ValueError, match='not an IDX file'):
    mnist_data.parse_idx(b'\x00\x01\x08\x01\x00\x00\x00\x00', 'x')


# OMNIGLOT.


def _omniglot_images(num_characters, num_drawers, seed):
  """Bool images, True = white, each with a random ink rectangle."""
  rng = np.random.default_rng(seed)
  white = np.ones((num_characters, num_drawers, 105, 105), bool)
  for c in range(num_characters):
    for d in range(num_drawers):
      r0, c0 = rng.integers(0, 60, size=2)
      h, w = rng.integers(3, 45, size=2)
      white[c, d, r0:r0 + h, c0:c0 + w] = False
  return white


def _write_omniglot_npz(folder, shapes=((3, 4), (2, 4))):
  folder.mkdir(parents=True, exist_ok=True)
  sets = {}
  for seed, (which, (n, d)) in enumerate(zip(omniglot_data.SETS, shapes)):
    images = _omniglot_images(n, d, seed)
    labels = np.repeat(np.arange(n)[:, None], d, axis=1)
    np.savez_compressed(folder / f'images_{which}.npz', images=images,
                        labels=labels)
    sets[which] = images
  return sets


def _brute_force_28x28(white):
  """Area average by supersampling: 105 * 4 = 28 * 15, so repeat each pixel
  4x4 and average 15x15 blocks."""
  ink = (~white.reshape(-1, 105, 105)).astype(np.float64)
  big = np.repeat(np.repeat(ink, 4, axis=-2), 4, axis=-1)
  return big.reshape(-1, 28, 15, 28, 15).mean(axis=(2, 4))


def test_area_downsample_known_patterns():
  full = np.ones((1, 105, 105), bool)
  np.testing.assert_array_equal(datasets.area_downsample(full), 1.)
  np.testing.assert_array_equal(datasets.area_downsample(~full), 0.)
  half = np.zeros((1, 105, 105), bool)
  half[:, :, :52] = True  # Columns [0, 52): output columns 0..12 full.
  out = datasets.area_downsample(half)[0]
  np.testing.assert_allclose(out[:, :13], 1., rtol=1e-6)
  np.testing.assert_allclose(out[:, 13], 3.25 / 3.75, rtol=1e-6)
  np.testing.assert_array_equal(out[:, 14:], 0.)
  top = np.zeros((1, 105, 105), bool)
  top[:, :15] = True  # Rows [0, 15) = output rows [0, 4) exactly.
  out = datasets.area_downsample(top)[0]
  np.testing.assert_array_equal(out[:4], 1.)
  np.testing.assert_array_equal(out[4:], 0.)


def test_area_downsample_matches_supersampling():
  white = _omniglot_images(2, 2, seed=3).reshape(-1, 105, 105)
  white ^= np.random.default_rng(0).uniform(size=white.shape) < 0.2
  np.testing.assert_allclose(datasets.area_downsample(~white),
                             _brute_force_28x28(white), atol=1e-6)
  weights, total = omniglot_data.area_matrix(105, 28)
  assert total == 225
  np.testing.assert_array_equal(weights.sum(axis=1), 15)
  np.testing.assert_array_equal(weights.sum(axis=0), 4)


def test_omniglot_derived_reads_npz_fixture(tmp_path):
  folder = tmp_path / 'omniglot'
  sets = _write_omniglot_npz(folder)
  white = np.concatenate([s.reshape(-1, 105, 105) for s in sets.values()])
  assert len(white) == 20
  splits = datasets.omniglot(tmp_path, split_sizes=(12, 6),
                             checksums=_sums(folder))
  assert splits.valid is None
  assert splits.train.shape == (12, 784) and splits.test.shape == (6, 784)
  assert splits.train.dtype == np.float32
  train_idx, test_idx = omniglot_data.omniglot_split_indices(20, (12, 6), 0)
  expected = (_brute_force_28x28(white) >= 0.5).reshape(20, 784)
  np.testing.assert_array_equal(splits.train, expected[train_idx])
  np.testing.assert_array_equal(splits.test, expected[test_idx])
  assert set(np.unique(splits.train)) <= {0., 1.}
  assert splits.train.sum() > 0
  # Global character ids: background 0..2, evaluation 3..4; 4 drawers.
  characters = np.repeat(np.arange(5), 4)
  np.testing.assert_array_equal(splits.train_labels, characters[train_idx])
  np.testing.assert_array_equal(splits.test_labels, characters[test_idx])
  grey = datasets.omniglot(tmp_path, threshold=None, split_sizes=(12, 6),
                           verify=False)
  np.testing.assert_allclose(
      grey.test, _brute_force_28x28(white).reshape(20, 784)[test_idx],
      atol=1e-6)


def test_omniglot_split_is_fixed_disjoint_and_leaves_45_out():
  train, test = omniglot_data.omniglot_split_indices()
  assert (len(train), len(test)) == (24345, 8070)
  assert not set(train) & set(test)
  assert 32460 - len(set(train) | set(test)) == 45
  # Guards the split against changes of numpy's generator.
  assert hashlib.sha256(train.astype('<i8').tobytes()).hexdigest() == (
      '70a6e295b651f910e7ffd6289e6de708f8f851c8ded275d353a52ba673b542e3')
  assert hashlib.sha256(test.astype('<i8').tobytes()).hexdigest() == (
      'f82d2c59f92867287a38bdfe2549f0d236f3416a904691ae197c1ca27cdee5cf')
  with pytest.raises(ValueError, match='do not fit'):
    omniglot_data.omniglot_split_indices(20, (15, 6))


def test_omniglot_corrupted_and_missing_files(tmp_path):
  folder = tmp_path / 'omniglot'
  _write_omniglot_npz(folder)
  sums = _sums(folder)
  _flip_byte(folder / 'images_evaluation.npz', position=100)
  with pytest.raises(datasets.ChecksumError) as info:
    datasets.omniglot(tmp_path, split_sizes=(12, 6), checksums=sums)
  assert 'images_evaluation.npz' in str(info.value)
  assert sums['images_evaluation.npz'] in str(info.value)
  os.remove(folder / 'images_evaluation.npz')
  with pytest.raises(FileNotFoundError) as info:
    datasets.omniglot(tmp_path, split_sizes=(12, 6), checksums=sums)
  message = str(info.value)
  assert 'images_evaluation.npz' in message and str(folder) in message
  assert ('https://github.com/brendenlake/omniglot/raw/master/python/'
          'images_evaluation.zip') in message


def _write_omniglot_zip(path, white, first_id):
  image_lib = pytest.importorskip('PIL.Image')
  which = os.path.basename(path)[:-len('.zip')]
  with zipfile.ZipFile(path, 'w') as archive:
    for c in range(white.shape[0]):
      for d in range(white.shape[1]):
        png = io.BytesIO()
        image_lib.fromarray(white[c, d]).save(png, 'PNG')
        name = f'{which}/Alphabet/character{c + 1:02d}/{first_id + c:04d}_' \
               f'{d + 1:02d}.png'
        archive.writestr(name, png.getvalue())
    archive.writestr(f'__MACOSX/{which}/._{first_id:04d}_01.png', b'junk')


def test_omniglot_reads_canonical_zip_of_pngs(tmp_path):
  npz_dir, zip_dir = tmp_path / 'npz', tmp_path / 'zip'
  sets = _write_omniglot_npz(npz_dir / 'omniglot')
  (zip_dir / 'omniglot').mkdir(parents=True)
  _write_omniglot_zip(zip_dir / 'omniglot' / 'images_background.zip',
                      sets['background'], first_id=1)
  _write_omniglot_zip(zip_dir / 'omniglot' / 'images_evaluation.zip',
                      sets['evaluation'], first_id=965)
  content = {
      f'images_{which}.zip': _folder.ExpectedChecksum(content_sha256=(
          hashlib.sha256(np.packbits(images)).hexdigest(),))
      for which, images in sets.items()}
  from_zip = datasets.omniglot(zip_dir, split_sizes=(12, 6),
                               checksums=content)
  from_npz = datasets.omniglot(npz_dir, split_sizes=(12, 6), verify=False)
  np.testing.assert_array_equal(from_zip.train, from_npz.train)
  np.testing.assert_array_equal(from_zip.test_labels, from_npz.test_labels)
  wrong = dict(content)
  wrong['images_background.zip'] = _folder.ExpectedChecksum(
      content_sha256=('0' * 64,))
  with pytest.raises(datasets.ChecksumError,
                     match='images_background.zip.*content SHA-256'):
    datasets.omniglot(zip_dir, split_sizes=(12, 6), checksums=wrong)


def test_omniglot_chardata_is_read_column_major(tmp_path):
  scipy_io = pytest.importorskip('scipy.io')
  rng = np.random.default_rng(0)
  train = rng.uniform(size=(5, 28, 28))
  test = rng.uniform(size=(3, 28, 28))
  train[:, 0, :] = 1.  # First row inked: asymmetric, catches a transpose.
  train[:, 1:, 0] = 0.
  # Burda's layout: each column a 28x28 image in column-major order.
  column = lambda images: np.stack(
      [im.reshape(-1, order='F') for im in images], axis=1)
  (tmp_path / 'omniglot').mkdir()
  path = tmp_path / 'omniglot' / 'chardata.mat'
  scipy_io.savemat(path, {'data': column(train), 'testdata': column(test)})
  splits = datasets.omniglot(tmp_path, source='chardata', threshold=None,
                             checksums={'chardata.mat': _sha(path)})
  assert splits.train.shape == (5, 784) and splits.test.shape == (3, 784)
  assert splits.train.dtype == np.float32
  np.testing.assert_allclose(splits.train, train.reshape(5, 784), rtol=1e-6)
  np.testing.assert_allclose(splits.test, test.reshape(3, 784), rtol=1e-6)
  binary = datasets.omniglot(tmp_path, source='chardata', verify=False)
  np.testing.assert_array_equal(binary.test, test.reshape(3, 784) >= 0.5)
  with pytest.raises(datasets.ChecksumError, match='chardata.mat.*MD5'):
    datasets.omniglot(tmp_path, source='chardata')  # Canonical MD5 only.


# Bag of words (NVDM format).

_VOCAB = 'alpha 0\nbeta 0 \ngamma 0\ndelta 0\nepsilon 0\n'
_TRAIN_FEAT = '3 2:4 1:1 5:2\n\n7 4:1\n1 \n'
_TEST_FEAT = '2 3:3 5:1\n1 \n'


def _write_20news(folder):
  folder.mkdir(parents=True, exist_ok=True)
  (folder / 'vocab.new').write_text(_VOCAB)
  (folder / 'train.feat').write_text(_TRAIN_FEAT)
  (folder / 'test.feat').write_text(_TEST_FEAT)


def test_twenty_newsgroups_reads_nvdm_fixture(tmp_path):
  folder = tmp_path / '20news'
  _write_20news(folder)
  corpus = datasets.twenty_newsgroups(tmp_path, checksums=_sums(folder))
  assert corpus.vocabulary == ['alpha', 'beta', 'gamma', 'delta', 'epsilon']
  train = corpus.train
  assert train.num_documents == 2 and len(train) == 2  # Empty lines skipped.
  np.testing.assert_array_equal(train.labels, [3, 7])
  np.testing.assert_array_equal(train.counts.indptr, [0, 3, 4])
  np.testing.assert_array_equal(train.counts.indices, [0, 1, 4, 3])
  np.testing.assert_array_equal(train.counts.data, [1, 4, 2, 1])
  dense = train.to_dense()
  assert dense.dtype == np.float32 and dense.shape == (2, 5)
  np.testing.assert_array_equal(dense, [[1, 4, 0, 0, 2], [0, 0, 0, 1, 0]])
  np.testing.assert_array_equal(train.document_lengths, [7, 1])
  np.testing.assert_array_equal(corpus.test.to_dense(), [[0, 0, 3, 0, 1]])
  sparse = train.counts.to_sparse_tensor()
  np.testing.assert_array_equal(
      tf.sparse.to_dense(sparse).numpy(), dense)


def test_twenty_newsgroups_corrupted_and_missing(tmp_path):
  folder = tmp_path / '20news'
  _write_20news(folder)
  sums = _sums(folder)
  with pytest.raises(datasets.ChecksumError, match='vocab.new'):
    datasets.twenty_newsgroups(tmp_path)  # Canonical table.
  _flip_byte(folder / 'test.feat', position=0)
  with pytest.raises(datasets.ChecksumError) as info:
    datasets.twenty_newsgroups(tmp_path, checksums=sums)
  assert 'test.feat' in str(info.value) and sums['test.feat'] in str(
      info.value)
  os.remove(folder / 'test.feat')
  with pytest.raises(FileNotFoundError) as info:
    datasets.twenty_newsgroups(tmp_path, checksums=sums)
  message = str(info.value)
  assert 'test.feat' in message and str(folder) in message
  assert 'dirichlet-vae-topic-models' in message and 'nvdm' in message


@pytest.mark.parametrize('feat,line,match', [
    ('1 1:1\n1 6:2\n', 2, 'word id 6 out of range 1..5'),
    ('1 1:1\n\n1 0:2\n', 3, 'word id 0 out of range'),
    ('1 1:1 2x:1\n', 1, "malformed token '2x:1'"),
    ('1 1:1\n1 3\n', 2, "malformed token '3'"),
    ('a 1:1\n', 1, "malformed label 'a'"),
    ('1 1:0\n', 1, 'count 0'),
    ('1 2:1 2:3\n', 1, 'word id 2 appears more than once'),
])
def test_nvdm_errors_name_file_and_line(tmp_path, feat, line, match):
  path = tmp_path / 'bad.feat'
  path.write_text(feat)
  with pytest.raises(ValueError, match=f'bad.feat, line {line}: {match}'):
    datasets.load_nvdm_bag_of_words(str(path), vocab_size=5)


def test_load_vocabulary_rejects_inner_blank_line(tmp_path):
  path = tmp_path / 'vocab.new'
  path.write_text('a 0\n\nb 0\n')
  with pytest.raises(ValueError, match='line 2'):
    datasets.load_vocabulary(str(path))
  path.write_text('a 0\nb 0\n\n')
  assert datasets.load_vocabulary(str(path)) == ['a', 'b']


# Validation hold-out.


def test_split_validation_is_deterministic_and_disjoint():
  x = np.arange(100, dtype=np.float32)[:, None] * np.ones((1, 3))
  train, valid = datasets.split_validation(x, 30, seed=0)
  train2, valid2 = datasets.split_validation(x, 30, seed=0)
  np.testing.assert_array_equal(valid, valid2)
  np.testing.assert_array_equal(train, train2)
  assert train.shape == (70, 3) and valid.shape == (30, 3)
  ids_train, ids_valid = set(train[:, 0]), set(valid[:, 0])
  assert not ids_train & ids_valid and ids_train | ids_valid == set(range(100))
  assert np.all(np.diff(train[:, 0]) > 0)  # Order kept.
  _, other = datasets.split_validation(x, 30, seed=1)
  assert set(other[:, 0]) != ids_valid
  assert ids_valid != set(range(30))  # Shuffled, not the first 30.
  with pytest.raises(ValueError):
    datasets.split_validation(x, 100)
  with pytest.raises(ValueError):
    datasets.split_validation(x, 0)


def test_split_validation_of_pairs_and_bag_of_words(tmp_path):
  x = np.arange(20.)
  (x_tr, y_tr), (x_va, y_va) = datasets.split_validation((x, x * 10), 5)
  np.testing.assert_array_equal(y_tr, x_tr * 10)
  np.testing.assert_array_equal(y_va, x_va * 10)
  splits = datasets.Splits(x, None, x[:3], train_labels=x * 10)
  held = splits.with_validation(5)
  np.testing.assert_array_equal(held.valid, x_va)
  np.testing.assert_array_equal(held.valid_labels, y_va)
  np.testing.assert_array_equal(held.train_labels, y_tr)
  path = tmp_path / 'c.feat'
  path.write_text('0 1:1\n1 2:2\n2 3:3\n3 1:4 3:1\n')
  corpus = datasets.load_nvdm_bag_of_words(str(path), 3)
  train, valid = datasets.split_validation(corpus, 2, seed=0)
  dense = corpus.to_dense()
  np.testing.assert_array_equal(train.to_dense(), dense[train.labels])
  np.testing.assert_array_equal(valid.to_dense(), dense[valid.labels])
  assert sorted(train.labels.tolist() + valid.labels.tolist()) == [0, 1, 2, 3]


# tf.data pipeline.


def _epoch(ds):
  return np.concatenate([b.numpy() for b in ds])


def test_as_dataset_batches_and_shuffles_with_the_seed():
  x = np.arange(10, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
  plain = datasets.as_dataset(x, 4, shuffle=False)
  batches = [b.numpy() for b in plain]
  assert [len(b) for b in batches] == [4, 4, 2]
  assert batches[0].dtype == np.float32
  np.testing.assert_array_equal(np.concatenate(batches), x)
  dropped = datasets.as_dataset(x, 4, shuffle=False, drop_remainder=True)
  assert [len(b) for b in dropped] == [4, 4]
  ds = datasets.as_dataset(x, 4, seed=3)
  first, second = _epoch(ds), _epoch(ds)
  np.testing.assert_array_equal(np.sort(first[:, 0]), x[:, 0])
  assert not np.array_equal(first, x) and not np.array_equal(first, second)
  np.testing.assert_array_equal(_epoch(datasets.as_dataset(x, 4, seed=3)),
                                first)
  repeated = datasets.as_dataset(x, 4, repeat=True)
  assert sum(len(b) for b in repeated.take(6)) == 24
  threshold = _epoch(datasets.as_dataset(
      np.array([[0.2, 0.5, 0.7]]), 1, binarize='threshold'))
  np.testing.assert_array_equal(threshold, [[0., 0., 1.]])
  with pytest.raises(ValueError, match='binarize'):
    datasets.as_dataset(x, 4, binarize='static')


def test_as_dataset_dynamic_binarization():
  rng = np.random.default_rng(0)
  x = rng.uniform(size=(500, 40)).astype(np.float32)
  x[:, 0], x[:, 1] = 0., 1.
  ds = datasets.as_dataset(x, 64, shuffle=False, binarize='dynamic', seed=1)
  first, second = _epoch(ds), _epoch(ds)
  assert first.shape == x.shape and first.dtype == np.float32
  assert set(np.unique(first)) == {0., 1.}
  np.testing.assert_array_equal(first[:, 0], 0.)
  np.testing.assert_array_equal(first[:, 1], 1.)
  # Mean of the bits against the grey mean, within 5 standard deviations.
  tolerance = 5 * np.sqrt(np.sum(x * (1 - x))) / x.size
  for bits in (first, second):
    assert abs(bits.mean() - x.mean()) < tolerance
    # Per pixel, over rows: Bernoulli(x), not a threshold of x.
    high = x[x > 0.5]
    assert abs(bits[x > 0.5].mean() - high.mean()) < 5 * np.sqrt(
        np.sum(high * (1 - high))) / high.size
  assert np.mean(first != second) > 0.2  # A new binarization each epoch.
  again = datasets.as_dataset(x, 64, shuffle=False, binarize='dynamic',
                              seed=1)
  np.testing.assert_array_equal(_epoch(again), first)
  with pytest.raises(ValueError, match=r'\[0, 1\]'):
    datasets.as_dataset(x * 2, 64, binarize='dynamic')


# Downloads, exercised offline through file:// addresses.


def test_download_fetches_verifies_and_loaders_use_it(tmp_path, monkeypatch):
  mirror = tmp_path / 'mirror'
  _write_20news(mirror)
  sums = _sums(mirror)
  files = {name: ('file:///nonexistent/' + name, (mirror / name).as_uri())
           for name in ('train.feat', 'test.feat', 'vocab.new')}
  monkeypatch.setitem(_folder.SOURCES, '20news',
                      _folder._Source('20news', files))
  for name, sha in sums.items():
    monkeypatch.setitem(_folder.CHECKSUMS, name,
                        _folder.ExpectedChecksum(sha256=(sha,)))
  data_dir = tmp_path / 'data'
  with pytest.raises(FileNotFoundError, match='nonexistent/vocab.new'):
    datasets.twenty_newsgroups(data_dir)
  corpus = datasets.twenty_newsgroups(data_dir, download=True)
  assert corpus.train.num_documents == 2
  assert _sums(data_dir / '20news') == sums  # Second mirror used.
  # A download whose checksum is wrong is an error and is not kept.
  monkeypatch.setitem(_folder.CHECKSUMS, 'vocab.new',
                      _folder.ExpectedChecksum(sha256=('0' * 64,)))
  with pytest.raises(datasets.ChecksumError, match='vocab.new'):
    datasets.download('20news', tmp_path / 'other')
  assert not os.path.exists(tmp_path / 'other' / '20news' / 'vocab.new')
  assert datasets.download('20news', tmp_path / 'other', verify=False) == str(
      tmp_path / 'other' / '20news')
  assert _sums(tmp_path / 'other' / '20news') == sums
  with pytest.raises(ValueError, match='Unknown dataset'):
    datasets.download('cifar10', data_dir)
