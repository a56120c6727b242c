"""The layout of `tfp_gengs.experiments` (project issue 19).

* Every module imports the library only through its public names: a name
  in the `__all__` of `tfp_gengs` or of a public package (`distributions`,
  `layers`, `estimators`, `bijectors`, `datasets`), or a module of
  `tfp_gengs.experiments` itself.
* Each study is a package run as `python -m tfp_gengs.experiments.<study>`
  (a `__main__.py`), the VAE's entry module is at most 250 lines, and every
  field of a study's `Config` is a flag (with help, list flags for the
  grid, enums for the choices).
* Adding a method to the VAE study is one row of `methods.METHODS`: the
  settings, the training, the labels, the run folder and the tables all
  read it.
"""

import ast
import dataclasses
import importlib
import pathlib

from absl import flags
import numpy as np
import pytest

import tfp_gengs
from tfp_gengs.experiments import topic_model
from tfp_gengs.experiments import vae
from tfp_gengs.experiments.common import configs
from tfp_gengs.experiments.synthetic import configs as synthetic_configs
from tfp_gengs.experiments.vae import methods
from tfp_gengs.experiments.vae import report as vae_report
from tfp_gengs.experiments.vae import train as vae_train
import vae_toy  # noqa: E402  (tests/vae_toy.py)

EXPERIMENTS = pathlib.Path(tfp_gengs.__file__).parent / 'experiments'
PUBLIC_PACKAGES = ('distributions', 'layers', 'estimators', 'bijectors',
                   'datasets')
STUDIES = ('vae', 'topic_model', 'synthetic')


def _exported(package):
  """The names of `tfp_gengs.<package>.__all__` (`''`: the top level)."""
  module = importlib.import_module(
      'tfp_gengs' + (f'.{package}' if package else ''))
  return set(module.__all__)


def _library_imports(path):
  """`(line, text)` of each import of `tfp_gengs` outside the experiments
  that is not a public name."""
  bad = []
  for node in ast.walk(ast.parse(path.read_text(), str(path))):
    if isinstance(node, ast.Import):
      for alias in node.names:
        parts = alias.name.split('.')
        if parts[0] != 'tfp_gengs' or len(parts) == 1:
          continue
        if not (parts[1] == 'experiments' or
                (len(parts) == 2 and parts[1] in PUBLIC_PACKAGES)):
          bad.append((node.lineno, f'import {alias.name}'))
    elif isinstance(node, ast.ImportFrom) and node.level == 0:
      parts = (node.module or '').split('.')
      if parts[0] != 'tfp_gengs' or parts[1:2] == ['experiments']:
        continue
      if len(parts) == 1:
        allowed = _exported('') | set(PUBLIC_PACKAGES)
      elif len(parts) == 2 and parts[1] in PUBLIC_PACKAGES:
        allowed = _exported(parts[1])
      else:
        allowed = set()
      bad += [(node.lineno, f'from {node.module} import {alias.name}')
              for alias in node.names if alias.name not in allowed]
  return bad


MODULES = sorted(EXPERIMENTS.rglob('*.py'))


def test_every_study_and_common_is_a_package():
  for name in STUDIES + ('common',):
    assert (EXPERIMENTS / name / '__init__.py').exists(), name
  for name in STUDIES:
    assert (EXPERIMENTS / name / '__main__.py').exists(), name
    assert (EXPERIMENTS / name / 'main.py').exists(), name
  # No module left at the top besides the package's own.
  assert [p.name for p in EXPERIMENTS.glob('*.py')] == ['__init__.py']


@pytest.mark.parametrize('path', MODULES,
                         ids=[str(p.relative_to(EXPERIMENTS)) for p in MODULES])
def test_experiments_import_only_public_library_names(path):
  assert not _library_imports(path), _library_imports(path)


def test_the_import_check_catches_a_private_module(tmp_path):
  path = tmp_path / 'module.py'
  path.write_text('import tfp_gengs\n'
                  'from tfp_gengs import layers\n'
                  'from tfp_gengs.distributions import truncated_log_pmf\n'
                  'from tfp_gengs.experiments.common import runner\n'
                  'from tfp_gengs.distributions import gengs_multinomial\n'
                  'from tfp_gengs.datasets import _folder\n'
                  'import tfp_gengs.internal.checks\n'
                  'def f():\n'
                  '  from tfp_gengs.layers import gengs_layer\n')
  assert [line for line, _ in _library_imports(path)] == [5, 6, 7, 9]


def test_the_vae_entry_module_is_short():
  lines = (EXPERIMENTS / 'vae' / 'main.py').read_text().splitlines()
  assert len(lines) <= 250, len(lines)
  main = (EXPERIMENTS / 'vae' / '__main__.py').read_text().splitlines()
  assert len(main) <= 10, main


@pytest.mark.parametrize('config_class', [
    vae.Config, topic_model.Config, synthetic_configs.Config])
def test_every_config_field_is_a_flag_with_help(config_class):
  values = flags.FlagValues()
  configs.define_flags(config_class, flag_values=values)
  fields = {f.name: f for f in dataclasses.fields(config_class)}
  assert set(values) == set(fields)
  grid = getattr(config_class, 'GRID', ())
  for name, field in fields.items():
    flag = values[name]
    assert flag.help, name
    if name in grid:
      assert flag.value == [str(field.default)], name
    elif field.metadata.get('choices'):
      assert flag.value == field.default, name
      assert list(flag.parser.enum_values) == list(
          field.metadata['choices']), name
    elif field.type is tuple:
      assert flag.value == (None if field.default is None else
                            [str(v) for v in field.default]), name
    else:
      assert flag.value == field.default, name


def test_configs_from_flags_span_the_grid():
  values = flags.FlagValues()
  configs.define_flags(vae.Config, flag_values=values)
  values(['vae', '--prior=poisson2,geometric.5', '--estimator=RF*',
          '--seed=0,1', '--hidden=8,4', '--epochs=2'])
  runs = configs.configs_from_flags(vae.Config, flag_values=values)
  assert [(c.prior, c.estimator, c.seed) for c in runs] == [
      ('poisson2', 'RF*', 0), ('poisson2', 'RF*', 1),
      ('geometric.5', 'RF*', 0), ('geometric.5', 'RF*', 1)]
  assert all(c.hidden == (8, 4) and c.epochs == 2 for c in runs)


# -- the VAE's method table ---------------------------------------------------


def _record(estimator, inference, value):
  settings = dict(dataset='mnist', prior='poisson2', seed=0,
                  estimator=estimator, inference=inference, epochs=25,
                  tau_min=0.3, tau_rate=1e-4)
  return dict(settings=settings, test=dict(neg_elbo_hard=[value, 0.3]))


def test_one_table_names_each_method():
  """The flag value, the display name and the posterior come from the
  table; the paper's Table 1 columns are its rows with `paper`."""
  assert methods.get('gengs_st').display == 'GenGS-ST'
  assert methods.get('gengs_implicit').posterior == 'implicit'
  assert methods.get('RF*').posterior is None
  assert [m.name for m in methods.METHODS.values() if m.paper] == [
      'RF*', 'NVIL', 'MuProp', 'VIMCO', 'REBAR', 'RELAX', 'StoRB*',
      'gengs_explicit', 'gengs_implicit']
  with pytest.raises(ValueError, match='Unknown estimator'):
    vae.Config(estimator='no_such_method').resolved()
  with pytest.raises(ValueError, match='trains must be one of'):
    methods.Method('x', 'X', None, 'telepathy')


def test_adding_a_method_is_one_row(monkeypatch, tmp_path):
  """A baseline and a layer method added as rows (nothing else) are known
  to the settings, the training, the run folders, the labels and the
  tables, and one of them trains."""
  monkeypatch.setitem(methods.METHODS, 'REINFORCE', methods.Method(
      'REINFORCE', 'REINFORCE (new row)', None, 'estimator'))
  monkeypatch.setitem(methods.METHODS, 'hard_new', methods.Method(
      'hard_new', 'Hard (new row)', 'explicit', 'layer', 'reinmax'))
  baseline = vae.Config(estimator='REINFORCE', inference='explicit')
  assert baseline.resolved().inference == 'explicit'
  assert vae.Config(estimator='REINFORCE').resolved().inference == 'implicit'
  assert vae.run_folder_name(dataclasses.replace(baseline, seed=2)) == (
      'mnist-poisson2-REINFORCE-explicit-s2')
  layer = vae.Config(estimator='hard_new', inference='implicit')
  assert layer.resolved().inference == 'explicit'     # the row's own
  assert vae.run_folder_name(layer) == 'mnist-poisson2-hard_new-s0'
  assert vae_train._gradient_of_epoch(layer, 0) == 'reinmax'  # pylint: disable=protected-access
  # A hard-sample layer row is a --finetune_estimator choice at once.
  finetuned = vae.Config(estimator='gengs_implicit', epochs=2,
                         finetune_estimator='hard_new', finetune_epochs=1)
  assert [vae_train._gradient_of_epoch(finetuned.resolved(), e)  # pylint: disable=protected-access
          for e in range(2)] == ['relaxed', 'reinmax']
  table = vae_report.grid_table(
      [_record('REINFORCE', 'implicit', 120.), _record('REINFORCE',
                                                       'explicit', 130.),
       _record('hard_new', 'explicit', 110.),
       _record('gengs_implicit', 'implicit', 100.)])
  header = [c.strip() for c in table.splitlines()[0].split('|')[4:-1]]
  assert header == ['GenGS (Im.)', 'REINFORCE (new row)',
                    'REINFORCE (new row) (Ex. posterior)', 'Hard (new row)']
  # It trains: a tiny run with the new layer method.
  results = vae.run(vae.Config(output_dir=str(tmp_path), estimator='hard_new',
                               **dict(vae_toy.TINY, epochs=1)),
                    data=vae_toy.toy_data(), log=lambda line: None)
  assert results['label'] == 'npz Poisson(2) Hard (new row) seed 0'
  assert results['settings']['inference'] == 'explicit'
  assert results['history'][0]['straight_through']
  assert np.isfinite(results['test']['neg_elbo_hard'][0])
  explained = dict((k, v) for k, v, _ in results['settings_explained'])
  assert explained['estimator'] == 'hard_new (Hard (new row))'
