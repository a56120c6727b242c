"""The documentation's code runs: `docs/*.md` and the public docstrings.

* Every ```python block of a page in `docs/` runs, in order, in one
  namespace per page (in a temporary working directory).
* Every ```python block in the docstring of a public object of
  `tfp_gengs` (`gengs.__all__`, `gengs.layers.__all__`,
  `gengs.estimators.__all__`, `gengs.bijectors.__all__`, and the docstrings
  of those packages) runs, one namespace per object. An expression
  statement whose line ends in `# ==> VALUE`, with `VALUE` a Python literal
  (optionally after `~`, meaning approximately), is checked against it,
  doctest-style; other `# ==>` comments are prose.
* The pages link to files that exist, and `index.md` links every page.
* Every public class and function has an `#### Examples` section, except
  the known ones in `MISSING_EXAMPLES` (a new public object without one
  fails).
"""

import ast
import inspect
import linecache
import pathlib
import re

import numpy as np
import pytest
import tensorflow.compat.v2 as tf

import tfp_gengs as gengs

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / 'docs'
PAGES = ('index', 'truncation_and_temperature', 'inference',
         'straight_through', 'kl', 'estimators', 'experiments',
         'distributed', 'backends')
# Result folders of experiments still running: linked before they exist.
PENDING_LINKS = ('results/vae', 'results/topic_model')

# Public objects documented without an `#### Examples` section (their
# modules are not this test's to edit). Shrink this set as they gain one.
MISSING_EXAMPLES = frozenset({
    'gengs.layers.PriorSpec',
})

_PYTHON_BLOCK = re.compile(r'^[ \t]*```python[ \t]*\n(.*?)^[ \t]*```',
                           flags=re.DOTALL | re.MULTILINE)
_RESULT = re.compile(r'#\s*==>\s*(.*?)\s*$')


def python_blocks(text):
  """The ```python blocks of a Markdown text or docstring, dedented."""
  blocks = []
  for block in _PYTHON_BLOCK.findall(text):
    lines = block.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines
                  if line.strip()), default=0)
    blocks.append('\n'.join(line[indent:] for line in lines) + '\n')
  return blocks


def _expected(comment):
  """`(approximate, value)` of a `# ==>` comment, or None if it is prose."""
  approximate = comment.startswith('~')
  text = comment[1:].strip() if approximate else comment
  try:
    value = ast.literal_eval(text)
  except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
    return None
  flat = np.asarray(value, dtype=object).ravel()
  if not all(isinstance(v, (int, float, bool)) for v in flat):
    return None  # `...`, strings and the like: prose
  return approximate, value


def _as_array(value):
  if isinstance(value, tf.TensorShape):
    value = value.as_list()
  return np.asarray(value, dtype=np.float64)


def run_code(code, namespace, filename):
  """Executes `code` statement by statement; checks `# ==>` literals.

  Returns the number of checked results.
  """
  # Registered as a source file, so that tracebacks show the lines and
  # AutoGraph can read the source of functions the code defines.
  linecache.cache[filename] = (len(code), None, code.splitlines(True),
                               filename)
  tree = ast.parse(code, filename)
  lines = code.splitlines()
  checked = 0
  for node in tree.body:
    expected = None
    if isinstance(node, ast.Expr):
      match = _RESULT.search(lines[node.end_lineno - 1])
      if match:
        expected = _expected(match.group(1))
    if expected is None:
      exec(compile(ast.Module([node], type_ignores=[]), filename, 'exec'),  # pylint: disable=exec-used
           namespace)
      continue
    approximate, want = expected
    got = eval(compile(ast.Expression(node.value), filename, 'eval'),  # pylint: disable=eval-used
               namespace)
    source = lines[node.lineno - 1].strip()
    got, want = _as_array(got), _as_array(want)
    assert got.shape == want.shape, (
        f'{filename}:{node.lineno}: `{source}` has shape {got.shape}, the '
        f'comment says {want.shape}')
    rtol, atol = (5e-2, 5e-2) if approximate else (1e-5, 1e-6)
    np.testing.assert_allclose(
        got, want, rtol=rtol, atol=atol,
        err_msg=f'{filename}:{node.lineno}: `{source}`')
    checked += 1
  return checked


# -- the runner checks what it claims -----------------------------------------


def test_runner_checks_literal_results_and_skips_prose():
  code = ('x = 2\n'
          'x + 1        # ==> 3\n'
          '[x, x]       # ==> ~[2.01, 1.99]\n'
          'x            # ==> e.g. two\n'
          'x            # ==> [0, ..., 2]\n')
  assert run_code(code, {}, 'demo') == 2
  with pytest.raises(AssertionError, match='demo:2'):
    run_code('x = 2\nx + 1  # ==> 4\n', {}, 'demo')


def test_python_blocks_are_found_in_indented_docstrings():
  doc = ('Text.\n\n  ```python\n  a = 1\n  if a:\n    b = 2\n  ```\n\n'
         '  ```none\n  not code\n  ```\n')
  assert python_blocks(doc) == ['a = 1\nif a:\n  b = 2\n']


# -- docs/ --------------------------------------------------------------------


def test_docs_folder_holds_exactly_the_pages():
  assert sorted(p.stem for p in DOCS.glob('*.md')) == sorted(PAGES)


def test_index_links_every_page():
  index = (DOCS / 'index.md').read_text()
  for page in PAGES:
    if page != 'index':
      assert f']({page}.md)' in index, page


@pytest.mark.parametrize('page', PAGES)
def test_page_links_resolve(page):
  text = (DOCS / f'{page}.md').read_text()
  for target in re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', text):
    if re.match(r'[a-z]+://', target):
      continue
    path = (DOCS / target).resolve()
    relative = path.relative_to(ROOT).as_posix() if path.is_relative_to(
        ROOT) else str(path)
    if any(relative.startswith(p) for p in PENDING_LINKS):
      continue
    assert path.exists(), f'docs/{page}.md links to missing {target}'


@pytest.mark.parametrize('page', PAGES)
def test_page_code_runs(page, tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)  # the examples may write files
  blocks = python_blocks((DOCS / f'{page}.md').read_text())
  namespace = {'__name__': f'__docs_{page}__'}
  for i, block in enumerate(blocks):
    run_code(block, namespace, f'docs/{page}.md[block {i}]')


def test_pages_with_code():
  """Every concept page has code that runs (experiments is mostly shell)."""
  for page in PAGES:
    assert python_blocks((DOCS / f'{page}.md').read_text()), page


# -- docstrings of the public API ---------------------------------------------


def _public_objects():
  """`{qualified name: object}` of the public API (modules included)."""
  packages = {'gengs': gengs, 'gengs.layers': gengs.layers,
              'gengs.estimators': gengs.estimators,
              'gengs.bijectors': gengs.bijectors}
  objects = {}
  for prefix, package in packages.items():
    if prefix != 'gengs':
      objects[prefix] = package
    for name in package.__all__:
      obj = getattr(package, name)
      if isinstance(obj, (dict, tuple, list, str, int, float)):
        continue  # constants (NAMES, SETTINGS) have no docstring of their own
      objects[f'{prefix}.{name}'] = obj
  return objects


PUBLIC = _public_objects()


def _docstrings(obj):
  """The object's docstring, plus its `__init__`'s for a class."""
  docs = [inspect.getdoc(obj) or '']
  if inspect.isclass(obj) and '__init__' in vars(obj):
    docs.append(inspect.getdoc(vars(obj)['__init__']) or '')
  return '\n\n'.join(docs)


WITH_CODE = sorted(n for n, o in PUBLIC.items()
                   if python_blocks(_docstrings(o)))


def test_some_docstrings_have_examples():
  assert len(WITH_CODE) >= 15, WITH_CODE


@pytest.mark.parametrize('name', WITH_CODE)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  namespace = {'__name__': f'__docstring_{name}__'}
  for i, block in enumerate(python_blocks(_docstrings(PUBLIC[name]))):
    run_code(block, namespace, f'{name} docstring[block {i}]')


def test_public_classes_and_functions_have_examples():
  lacking = sorted(
      name for name, obj in PUBLIC.items()
      if (inspect.isclass(obj) or inspect.isfunction(obj))
      and '#### Examples' not in _docstrings(obj))
  new = sorted(set(lacking) - MISSING_EXAMPLES)
  assert not new, (
      f'Public objects without an `#### Examples` section: {new}. Add one '
      '(a ```python block that runs), as TFP does.')
  # Objects listed as lacking that are gone from the API.
  assert MISSING_EXAMPLES <= set(PUBLIC), sorted(MISSING_EXAMPLES -
                                                 set(PUBLIC))
