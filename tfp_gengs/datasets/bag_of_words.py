"""Bag-of-words corpora in NVDM's format; 20 Newsgroups.

NVDM's format (Miao et al., 2016): one document per line,
`LABEL ID:COUNT ID:COUNT ...`, word ids 1-based into the vocabulary file,
whose line `k` (`WORD ...`, extra columns ignored) is word id `k`. Counts are
held in a small CSR matrix (no scipy needed) with 0-based word ids.
"""

import dataclasses

import numpy as np

from tfp_gengs.datasets import _folder

__all__ = [
    'BagOfWords',
    'BagOfWordsSplits',
    'CSRCounts',
    'load_nvdm_bag_of_words',
    'load_vocabulary',
    'twenty_newsgroups',
]


@dataclasses.dataclass(frozen=True, eq=False)
class CSRCounts:
  """Word counts of documents, compressed sparse rows.

  Row `n` (document `n`) has the counts `data[indptr[n]:indptr[n + 1]]` of
  the words `indices[indptr[n]:indptr[n + 1]]` (0-based ids, increasing
  within a row).

  Attributes:
    indptr: int64 `[N + 1]`, `indptr[0] = 0`.
    indices: int64 `[nnz]`, 0-based word ids.
    data: int64 `[nnz]`, positive counts.
    shape: `(N, V)`.
  """
  indptr: np.ndarray
  indices: np.ndarray
  data: np.ndarray
  shape: tuple

  @property
  def nnz(self):
    return len(self.data)

  def to_dense(self, dtype=np.float32):
    """The counts as a dense `[N, V]` array (float32 by default)."""
    out = np.zeros(self.shape, dtype)
    rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
    out[rows, self.indices] = self.data
    return out

  def take_rows(self, rows):
    """The CSR of the given rows, in that order."""
    rows = np.asarray(rows, np.int64)
    starts, stops = self.indptr[rows], self.indptr[rows + 1]
    lengths = stops - starts
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    positions = (np.repeat(starts - indptr[:-1], lengths)
                 + np.arange(indptr[-1]))
    return CSRCounts(indptr, self.indices[positions], self.data[positions],
                     (len(rows), self.shape[1]))

  def to_sparse_tensor(self, dtype=None):
    """The counts as a `tf.sparse.SparseTensor` `[N, V]` (float32)."""
    import tensorflow.compat.v2 as tf  # pylint: disable=g-import-not-at-top
    rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
    return tf.sparse.SparseTensor(
        indices=np.stack([rows, self.indices], axis=1),
        values=self.data.astype(dtype or np.float32),
        dense_shape=self.shape)


@dataclasses.dataclass(frozen=True, eq=False)
class BagOfWords:
  """Documents as word counts, with their labels.

  Attributes:
    counts: `CSRCounts` `[num_documents, vocab_size]`.
    labels: int64 `[num_documents]`, the `LABEL` field of each line.
  """
  counts: CSRCounts
  labels: np.ndarray

  @property
  def num_documents(self):
    return self.counts.shape[0]

  @property
  def vocab_size(self):
    return self.counts.shape[1]

  @property
  def document_lengths(self):
    """int64 `[num_documents]`: words per document (sum of counts)."""
    total = np.concatenate([[0], np.cumsum(self.counts.data)])
    return total[self.counts.indptr[1:]] - total[self.counts.indptr[:-1]]

  def __len__(self):
    return self.num_documents

  def to_dense(self, dtype=np.float32):
    """The counts as a dense `[num_documents, vocab_size]` array."""
    return self.counts.to_dense(dtype)

  def take_documents(self, indices):
    """The documents at `indices` (used by `split_validation`)."""
    indices = np.asarray(indices, np.int64)
    return BagOfWords(self.counts.take_rows(indices), self.labels[indices])


@dataclasses.dataclass(frozen=True, eq=False)
class BagOfWordsSplits:
  """A bag-of-words corpus: train and test documents and the vocabulary.

  Attributes:
    train: `BagOfWords`.
    test: `BagOfWords`.
    vocabulary: list of words; index = 0-based word id.
  """
  train: BagOfWords
  test: BagOfWords
  vocabulary: list

  @property
  def vocab_size(self):
    return len(self.vocabulary)


def load_vocabulary(vocab_path):
  """Reads a vocabulary file: the first field of each line is the word.

  NVDM's `vocab.new` has `WORD COUNT` (or `WORD ID`) per line; only the word
  is kept. Line `k` (1-based) is word id `k` of the `.feat` files, i.e.
  index `k - 1` of the returned list. Trailing blank lines are ignored.

  Args:
    vocab_path: the file.

  Returns:
    list of str.

  Raises:
    ValueError: a blank line before the last word (it would shift the ids);
      the message names the file and the line.
  """
  with open(vocab_path, encoding='utf-8') as f:
    lines = f.read().splitlines()
  while lines and not lines[-1].strip():
    lines.pop()
  words = []
  for number, line in enumerate(lines, 1):
    fields = line.split()
    if not fields:
      raise ValueError(f'{vocab_path}, line {number}: blank line inside the '
                       f'vocabulary (it would shift the word ids).')
    words.append(fields[0])
  return words


def load_nvdm_bag_of_words(feat_path, vocab_size):
  """Reads a corpus in NVDM's `LABEL ID:COUNT ID:COUNT ...` format.

  Word ids are 1-based (`1..vocab_size`) in the file and 0-based in the
  result. Blank lines are skipped, and so are lines with a label but no
  words (empty documents; NVDM's own reader drops them too: 20 Newsgroups'
  `train.feat` and `test.feat` each end with one).

  Args:
    feat_path: the `.feat` file.
    vocab_size: size of the vocabulary (number of word ids).

  Returns:
    `BagOfWords`, documents in file order.

  Raises:
    ValueError: a malformed label or `ID:COUNT` token, a word id outside
      `1..vocab_size`, a count below 1, or a word id repeated in a line; the
      message names the file and the line number.
  """
  indptr, indices, data, labels = [0], [], [], []
  with open(feat_path, encoding='utf-8') as f:
    for number, line in enumerate(f, 1):
      fields = line.split()
      if len(fields) < 2:
        if fields:
          _parse_int(fields[0], feat_path, number, 'label')
        continue
      label = _parse_int(fields[0], feat_path, number, 'label')
      ids, counts = [], []
      for token in fields[1:]:
        word, sep, count = token.partition(':')
        try:
          if not sep:
            raise ValueError
          word, count = int(word), int(count)
        except ValueError:
          raise ValueError(f'{feat_path}, line {number}: malformed token '
                           f'{token!r}, expected ID:COUNT.') from None
        if not 1 <= word <= vocab_size:
          raise ValueError(f'{feat_path}, line {number}: word id {word} out '
                           f'of range 1..{vocab_size}.')
        if count < 1:
          raise ValueError(f'{feat_path}, line {number}: count {count} of '
                           f'word id {word} is below 1.')
        ids.append(word - 1)
        counts.append(count)
      order = np.argsort(ids, kind='stable')
      ids = np.asarray(ids, np.int64)[order]
      if np.any(ids[1:] == ids[:-1]):
        repeated = int(ids[1:][ids[1:] == ids[:-1]][0]) + 1
        raise ValueError(f'{feat_path}, line {number}: word id {repeated} '
                         f'appears more than once.')
      indices.append(ids)
      data.append(np.asarray(counts, np.int64)[order])
      indptr.append(indptr[-1] + len(ids))
      labels.append(label)
  cat = lambda parts: (np.concatenate(parts) if parts
                       else np.zeros(0, np.int64))
  counts = CSRCounts(np.asarray(indptr, np.int64), cat(indices), cat(data),
                     (len(labels), int(vocab_size)))
  return BagOfWords(counts, np.asarray(labels, np.int64))


def _parse_int(text, path, number, what):
  try:
    return int(text)
  except ValueError:
    raise ValueError(f'{path}, line {number}: malformed {what} '
                     f'{text!r}.') from None


def twenty_newsgroups(data_dir=None, download=False, verify=True,
                      checksums=None):
  """20 Newsgroups as bag-of-words in NVDM's format.

  Reads `train.feat`, `test.feat` and `vocab.new` from
  `<data folder>/20news/`; the data folder is `data_dir`, else
  `$TFP_GENGS_DATA`, else `~/.cache/tfp_gengs`. The canonical checksums are
  those of the project's shared copy (from the repository
  sophieburkhardt/dirichlet-vae-topic-models, commit 70091d4f, which
  `download` fetches): 1,995 words (AVITM's cleaned vocabulary), 11,258
  train and 7,487 test non-empty documents, every label 1. NVDM's own
  repository (ysmiao/nvdm, `data/20news`) holds an older version (2,000
  words, newsgroup labels) in the same format; load it with `verify=False`.

  Args:
    data_dir: the data folder (not its `20news/` sub-folder).
    download: download the three files if missing.
    verify: check SHA-256 sums.
    checksums: mapping from file name to an accepted SHA-256 (or sequence of
      them) overriding the canonical table for those files.

  Returns:
    `BagOfWordsSplits(train, test, vocabulary)`.

  Raises:
    FileNotFoundError: a file is missing (the message names the file, the
      folder and the download address).
    ChecksumError: a file is not the canonical one.
    ValueError: a malformed file (the message names the file and line).
  """
  folder = _folder.dataset_dir('20news', data_dir)
  paths = {}
  for name in ('vocab.new', 'train.feat', 'test.feat'):
    try:
      paths[name] = _folder.find_file('20news', folder, [name])
    except FileNotFoundError:
      if not download:
        raise
      _folder.download('20news', data_dir)
      paths[name] = _folder.find_file('20news', folder, [name])
    if verify:
      _folder.verify_file(paths[name], checksums)
  vocabulary = load_vocabulary(paths['vocab.new'])
  train = load_nvdm_bag_of_words(paths['train.feat'], len(vocabulary))
  test = load_nvdm_bag_of_words(paths['test.feat'], len(vocabulary))
  return BagOfWordsSplits(train, test, vocabulary)
