"""The Colab notebooks in `colab/` run top to bottom, and are stored clean.

Each notebook is executed with nbclient in a fresh kernel in smoke mode
(`GENGS_SMOKE=1`, which shrinks data and steps in its parameter cell), with
`TFP_GENGS_DATA` (the package's data-folder variable) pointing at tiny data
in the canonical formats written to `tmp_path` (never the real data). A cell
that raises fails the test. The notebooks must be stored without outputs or
execution counts, and their first cell installs the package only in Colab.
"""

import json
import os
import pathlib
import re
import sys
import time

import numpy as np
import pytest

nbformat = pytest.importorskip('nbformat')
nbclient = pytest.importorskip('nbclient')

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLAB = ROOT / 'colab'
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from test_datasets import _write_amat_fixture  # noqa: E402  pylint: disable=g-import-not-at-top

NOTEBOOKS = ('gengs_quickstart', 'poisson_vae', 'estimators', 'topic_model')
REPO = 'tfp-gengs/tfp_gengs'
INSTALL_URL = f'git+https://github.com/{REPO}.git'
# Seconds one notebook may take in smoke mode (each needs well under a
# minute on a quiet 2-core machine; the bound leaves room for a busy one).
SMOKE_SECONDS = 150
# The data-folder variable: the package's (`tfp_gengs.datasets.DATA_DIR_ENV`).
DATA_ENV = 'TFP_GENGS_DATA'


def _read(name):
  return nbformat.read(COLAB / f'{name}.ipynb', as_version=4)


def _code_cells(nb):
  return [c for c in nb.cells if c.cell_type == 'code']


def test_colab_folder_holds_exactly_the_notebooks():
  found = sorted(p.stem for p in COLAB.glob('*.ipynb'))
  assert found == sorted(NOTEBOOKS)


@pytest.mark.parametrize('name', NOTEBOOKS)
def test_notebook_is_valid_and_stored_without_outputs(name):
  nb = _read(name)
  nbformat.validate(nb)
  for i, cell in enumerate(nb.cells):
    if cell.cell_type == 'code':
      assert cell.outputs == [], f'{name} cell {i} has outputs'
      assert cell.execution_count is None, (
          f'{name} cell {i} has an execution count')
    assert 'attachments' not in cell or not cell.attachments, (
        f'{name} cell {i} has attachments')
  # No widget state or other execution leftovers in the metadata.
  assert set(nb.metadata) <= {'colab', 'kernelspec', 'language_info'}
  assert nb.metadata.kernelspec.name == 'python3'


@pytest.mark.parametrize('name', NOTEBOOKS)
def test_first_cells_install_in_colab_only_and_read_the_smoke_switch(name):
  code = [c.source for c in _code_cells(_read(name))]
  install = code[0]
  assert "'google.colab' in sys.modules" in install
  assert INSTALL_URL in install
  for line in install.splitlines():
    if line.lstrip().startswith('!'):
      assert line.startswith('  !pip install'), (
          'the install must be under the Colab guard')
  parameters = code[1]
  assert "os.environ.get('GENGS_SMOKE'" in parameters
  assert 'SMOKE' in parameters
  uses_data = any('gengs.datasets' in c for c in code)
  assert uses_data == (f"os.environ.get('{DATA_ENV}')" in parameters)
  if uses_data:
    loads = [c for c in code if 'gengs.datasets.' in c]
    assert all('download=True' in c for c in loads if '(DATA_DIR' in c)


@pytest.mark.parametrize('name', NOTEBOOKS)
def test_notebook_reads_the_package_data_variable_and_says_it_downloads(
    name):
  # One name for the data folder: the package's `$TFP_GENGS_DATA` (the
  # notebooks used to read a `GENGS_DATA_DIR` of their own).
  text = (COLAB / f'{name}.ipynb').read_text()
  assert 'GENGS_DATA_DIR' not in text
  # A cell that downloads says so in a comment of its own.
  for cell in _code_cells(_read(name)):
    if 'download=True' in cell.source:
      comments = [line for line in cell.source.splitlines()
                  if line.lstrip().startswith('#')]
      assert any('download' in line for line in comments), cell.source


def test_package_and_notebooks_share_the_data_variable():
  from tfp_gengs.datasets import _folder  # pylint: disable=g-import-not-at-top
  assert _folder.DATA_DIR_ENV == DATA_ENV


@pytest.mark.parametrize('name', NOTEBOOKS)
def test_notebook_has_its_colab_badge(name):
  first = _read(name).cells[0]
  assert first.cell_type == 'markdown'
  assert (f'https://colab.research.google.com/github/{REPO}/blob/main/'
          f'colab/{name}.ipynb') in first.source


def test_readme_links_every_notebook_in_colab():
  readme = (ROOT / 'README.md').read_text()
  for name in NOTEBOOKS:
    assert (f'https://colab.research.google.com/github/{REPO}/blob/main/'
            f'colab/{name}.ipynb') in readme


# Tiny data in the canonical formats.


def _write_nvdm_corpus(folder, vocab_size=40, sizes=(80, 30), seed=0):
  """A random corpus in NVDM's format: `vocab.new`, `train.feat`, `test.feat`.

  Two "topics" (halves of the vocabulary) so a model has something to find;
  every document has at least one word.
  """
  folder.mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(seed)
  words = [f'word{i:02d}' for i in range(vocab_size)]
  (folder / 'vocab.new').write_text(''.join(f'{w} 0\n' for w in words))
  half = vocab_size // 2
  for part, num in zip(('train', 'test'), sizes):
    lines = []
    for _ in range(num):
      topic = rng.integers(2)
      probs = np.full(vocab_size, .2 / half)
      probs[topic * half:(topic + 1) * half] = .8 / half
      counts = rng.multinomial(rng.integers(5, 30), probs / probs.sum())
      ids = np.flatnonzero(counts)
      lines.append('1 ' + ' '.join(f'{i + 1}:{counts[i]}' for i in ids))
    (folder / f'{part}.feat').write_text('\n'.join(lines) + '\n')


@pytest.fixture(scope='module')
def smoke_data_dir(tmp_path_factory):
  """The data folder the notebooks read in smoke mode."""
  root = tmp_path_factory.mktemp('gengs_data')
  _write_amat_fixture(root / 'binarized_mnist', sizes=(96, 32, 48))
  _write_nvdm_corpus(root / '20news')
  return root


def _run(name, data_dir, workdir):
  nb = _read(name)
  env = dict(GENGS_SMOKE='1', TFP_GENGS_DATA=str(data_dir),
             TF_CPP_MIN_LOG_LEVEL='3', TF_ENABLE_ONEDNN_OPTS='0',
             MPLBACKEND='module://matplotlib_inline.backend_inline',
             PYTHONPATH=os.pathsep.join(
                 [str(ROOT)] + [p for p in [os.environ.get('PYTHONPATH')]
                                if p]))
  old = {k: os.environ.get(k) for k in env}
  os.environ.update(env)  # the kernel inherits this process's environment
  try:
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name='python3',
        resources={'metadata': {'path': str(workdir)}})
    start = time.time()
    client.execute()
    return nb, time.time() - start
  finally:
    for k, v in old.items():
      if v is None:
        os.environ.pop(k, None)
      else:
        os.environ[k] = v


def _text_outputs(nb):
  text = []
  for cell in _code_cells(nb):
    for out in cell.outputs:
      if out.output_type == 'stream':
        text.append(out.text)
      elif out.output_type in ('execute_result', 'display_data'):
        text.append(out.data.get('text/plain', ''))
  return '\n'.join(text)


@pytest.mark.parametrize('name', NOTEBOOKS)
def test_notebook_runs_in_smoke_mode(name, smoke_data_dir, tmp_path):
  nb, seconds = _run(name, smoke_data_dir, tmp_path)
  errors = [o for c in _code_cells(nb) for o in c.outputs
            if o.output_type == 'error']
  assert not errors, errors
  images = sum('image/png' in o.get('data', {})
               for c in _code_cells(nb) for o in c.outputs)
  assert images >= 1, f'{name} drew no figure'
  text = _text_outputs(nb)
  assert not re.search(r'\bnan\b', text, flags=re.IGNORECASE), (
      f'{name} printed a NaN:\n{text[-2000:]}')
  # Nothing was written into the repository or the data folder's parent.
  assert not (COLAB / '.ipynb_checkpoints').exists()
  print(json.dumps({'notebook': name, 'seconds': round(seconds, 1)}))
  assert seconds < SMOKE_SECONDS, f'{name} took {seconds:.0f} s in smoke mode'
