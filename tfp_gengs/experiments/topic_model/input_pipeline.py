"""The topic-model study's corpus: 20 Newsgroups, or any in NVDM's format."""

import dataclasses
import os

import numpy as np

from tfp_gengs.experiments.common import data_folder

__all__ = ['Corpus', 'load_data']


@dataclasses.dataclass
class Corpus:
  """Dense float32 counts `[D, V]` of the three parts, and the words."""
  train: np.ndarray
  valid: np.ndarray
  test: np.ndarray
  vocabulary: list
  source: str


def load_data(config):
  """The corpus of `config`, its validation part held out of train.

  `--corpus_dir` names a folder in NVDM's format (`train.feat`,
  `test.feat`, `vocab.new`), read without checksums; otherwise 20
  Newsgroups from the data folder (`--data_dir`, checked against its
  canonical SHA-256 sums).
  """
  from tfp_gengs import datasets  # pylint: disable=g-import-not-at-top
  if config.corpus_dir:
    vocabulary = datasets.load_vocabulary(
        os.path.join(config.corpus_dir, 'vocab.new'))
    train, test = (datasets.load_nvdm_bag_of_words(
        os.path.join(config.corpus_dir, f'{part}.feat'), len(vocabulary))
                   for part in ('train', 'test'))
    source = os.path.abspath(config.corpus_dir)
  else:
    try:
      splits = datasets.twenty_newsgroups(config.data_dir)
    except FileNotFoundError as e:
      raise data_folder.missing(e, config.data_dir, '20news') from e
    train, test, vocabulary = splits.train, splits.test, splits.vocabulary
    source = '20 Newsgroups (NVDM format, 1,995 words)'
  train, valid = datasets.split_validation(train, config.valid_size, seed=0)
  return Corpus(train.to_dense(), valid.to_dense(), test.to_dense(),
                list(vocabulary), source)

