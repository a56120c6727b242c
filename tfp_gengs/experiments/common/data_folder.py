"""The experiments' data folder: how results record it; a clear exit without it.

The data folder is `--data_dir`, else `$TFP_GENGS_DATA`, else
`~/.cache/tfp_gengs` (`tfp_gengs.datasets.resolve_data_dir`).

* `setting(data_dir)` is how `results.json` records it: `$TFP_GENGS_DATA`
  when the folder is the one that variable names, else the folder as the
  user gave it (relative, or from `~`), never an expanded absolute path of
  the machine that ran it (an absolute `--data_dir` is recorded relative to
  the working folder).
* `MissingDataError` is what the experiments raise when a data file is not
  in the data folder; `exit_if_missing` turns it into a message naming the
  folder and how to set it, and exit status 2 (no traceback).
"""

import contextlib
import os
import sys

from tfp_gengs import datasets

__all__ = ['MissingDataError', 'describe', 'exit_if_missing', 'missing',
           'setting']

ENV = datasets.DATA_DIR_ENV


class MissingDataError(FileNotFoundError):
  """A data file is not in the data folder (the message says how to fix)."""


def _same_folder(a, b):
  return (os.path.abspath(os.path.expanduser(a)) ==
          os.path.abspath(os.path.expanduser(b)))


def setting(data_dir):
  """The data folder as `results.json` records it (see the module doc).

  ```none
  None                           -> '$TFP_GENGS_DATA' if set, else
                                    '~/.cache/tfp_gengs'
  the folder $TFP_GENGS_DATA names -> '$TFP_GENGS_DATA'
  relative, or from '~'          -> as given
  absolute                       -> relative to the working folder
  ```
  """
  env = os.environ.get(ENV)
  if data_dir is None:
    return f'${ENV}' if env else datasets.DEFAULT_DATA_DIR
  data_dir = os.fspath(data_dir)
  if env and _same_folder(data_dir, env):
    return f'${ENV}'
  if not os.path.isabs(data_dir):
    return data_dir
  return os.path.relpath(data_dir)


def describe(data_dir):
  """`'FOLDER (from --data_dir)'`, `(from $TFP_GENGS_DATA)` or the default."""
  folder = datasets.resolve_data_dir(data_dir)
  if data_dir is not None:
    source = f'--data_dir={os.fspath(data_dir)}'
  elif os.environ.get(ENV):
    source = f'${ENV}'
  else:
    source = (f'the default, {datasets.DEFAULT_DATA_DIR}: neither --data_dir '
              f'nor ${ENV} is set')
  return f'{folder} ({source})'


def missing(error, data_dir, dataset):
  """A `MissingDataError` for a loader's `FileNotFoundError` `error`."""
  return MissingDataError(
      f'The data folder {describe(data_dir)} does not hold the {dataset} '
      f'files.\n{error}\n'
      f'Set the data folder with --data_dir=DIR or `export {ENV}=DIR`, '
      f'DIR holding the data sets\' sub-folders ({dataset}/, ...).')


@contextlib.contextmanager
def exit_if_missing():
  """Prints a `MissingDataError` to stderr and exits with status 2."""
  try:
    yield
  except MissingDataError as e:
    print(f'Error: {e}', file=sys.stderr, flush=True)
    sys.exit(2)
