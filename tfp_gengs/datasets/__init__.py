"""Real datasets of the GenGS experiments, read from their canonical files.

```python
import tfp_gengs as gengs

x_train, x_valid, x_test = gengs.datasets.binarized_mnist()   # [N, 784] 0/1
mnist = gengs.datasets.mnist().with_validation(10000)          # grey levels
train = gengs.datasets.as_dataset(mnist.train, 100, binarize='dynamic')
corpus = gengs.datasets.twenty_newsgroups()                    # NVDM format
```

Data folder: the `data_dir` argument, else `$TFP_GENGS_DATA`
(`DATA_DIR_ENV`), else `~/.cache/tfp_gengs` (`DEFAULT_DATA_DIR`); each
dataset in its sub-folder (`binarized_mnist/`, `mnist/`, `omniglot/`,
`20news/`). Every file is checked against a table of
canonical SHA-256 sums (`checksums=` overrides it, `verify=False` skips it);
a missing file's error names the canonical download address, and nothing is
downloaded unless asked (`download(name, data_dir)` or `download=True`).

* `binarized_mnist`: Larochelle & Murray's static binarization, 50,000 /
  10,000 / 10,000.
* `mnist`: grey levels in [0, 1] with labels, 60,000 train / 10,000 test.
* `omniglot`: 28x28 binary; by default our derivation from Lake et al.'s
  105x105 images with a fixed seeded 24,345 / 8,070 split (not Burda's
  split), or Burda et al.'s `chardata.mat` (`source='chardata'`).
* `twenty_newsgroups`, `load_nvdm_bag_of_words`, `load_vocabulary`:
  bag-of-words corpora in NVDM's format.
* `split_validation`, `Splits.with_validation`: fixed seeded hold-outs.
* `as_dataset`: a seeded, shuffled, batched, prefetched `tf.data.Dataset`,
  optionally binarized (dynamically or by threshold).

Loaders return numpy arrays.
"""

from tfp_gengs.datasets._folder import CHECKSUMS
from tfp_gengs.datasets._folder import ChecksumError
from tfp_gengs.datasets._folder import DATA_DIR_ENV
from tfp_gengs.datasets._folder import DEFAULT_DATA_DIR
from tfp_gengs.datasets._folder import download
from tfp_gengs.datasets._folder import resolve_data_dir
from tfp_gengs.datasets.bag_of_words import BagOfWords
from tfp_gengs.datasets.bag_of_words import BagOfWordsSplits
from tfp_gengs.datasets.bag_of_words import CSRCounts
from tfp_gengs.datasets.bag_of_words import load_nvdm_bag_of_words
from tfp_gengs.datasets.bag_of_words import load_vocabulary
from tfp_gengs.datasets.bag_of_words import twenty_newsgroups
from tfp_gengs.datasets.mnist_data import binarized_mnist
from tfp_gengs.datasets.mnist_data import mnist
from tfp_gengs.datasets.omniglot_data import area_downsample
from tfp_gengs.datasets.omniglot_data import omniglot
from tfp_gengs.datasets.pipeline import as_dataset
from tfp_gengs.datasets.splits import Splits
from tfp_gengs.datasets.splits import split_validation

__all__ = [
    'BagOfWords',
    'BagOfWordsSplits',
    'CHECKSUMS',
    'CSRCounts',
    'ChecksumError',
    'DATA_DIR_ENV',
    'DEFAULT_DATA_DIR',
    'Splits',
    'area_downsample',
    'as_dataset',
    'binarized_mnist',
    'download',
    'load_nvdm_bag_of_words',
    'load_vocabulary',
    'mnist',
    'omniglot',
    'resolve_data_dir',
    'split_validation',
    'twenty_newsgroups',
]
