"""tfp_gengs: the Generalized Gumbel-Softmax (GenGS) estimator for TFP.

Relaxed, reparameterized samples of discrete random variables with many
values (Poisson, binomial, geometric, negative binomial, multinomial, any
truncatable integer distribution): truncate, Gumbel-Softmax over the
truncated PMF, and map back to the values (Joo, Kim, Shin & Moon).

`import tfp_gengs` also registers the Keras layers for deserialization, so
`keras.models.load_model` reads a model saved with them without
`custom_objects` (see `_register_keras_objects`).
"""

import importlib
import importlib.abc
import importlib.util
import sys

from tfp_gengs import bijectors
from tfp_gengs import distributions
from tfp_gengs.distributions import ExponentialArrivalPoisson
from tfp_gengs.distributions import GenGSBinomial
from tfp_gengs.distributions import GenGSGeometric
from tfp_gengs.distributions import GenGSMultinomial
from tfp_gengs.distributions import GenGSNegativeBinomial
from tfp_gengs.distributions import GenGSPoisson
from tfp_gengs.distributions import RelaxedTruncatedDiscrete
from tfp_gengs.distributions import TruncatedDiscrete
from tfp_gengs.distributions import truncate
from tfp_gengs.distributions import window

__version__ = '0.1.0'

# Subpackages that import Keras or heavier dependencies load on first use.
_LAZY_SUBPACKAGES = ('layers', 'estimators', 'datasets', 'experiments')


def __getattr__(name):
  if name in _LAZY_SUBPACKAGES:
    try:
      return importlib.import_module(f'tfp_gengs.{name}')
    except ModuleNotFoundError as e:
      if e.name != f'tfp_gengs.{name}':
        raise  # the subpackage exists; one of its dependencies is missing
      raise AttributeError(
          f'module {__name__!r} has no attribute {name!r} (this installation '
          f'has no tfp_gengs.{name} subpackage)') from e
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
  return sorted(set(globals()) | set(_LAZY_SUBPACKAGES))


class _PostImportHook(importlib.abc.MetaPathFinder):
  """Runs `callback()` right after the module `name` is first imported.

  A one-shot finder: it asks the other finders for the module's spec and
  wraps its loader, so that once the module has executed, `callback` runs.
  Nothing is imported on our account before that.
  """

  def __init__(self, name, callback):
    self.name = name
    self.callback = callback

  def find_spec(self, fullname, path=None, target=None):
    del path, target
    if fullname != self.name:
      return None
    sys.meta_path[:] = [f for f in sys.meta_path if f is not self]
    spec = importlib.util.find_spec(fullname)
    if spec is None or spec.loader is None:
      return spec
    spec.loader = _CallbackLoader(spec.loader, self.callback)
    return spec


class _CallbackLoader(importlib.abc.Loader):
  """Delegates to a module's loader, then calls `callback()`."""

  def __init__(self, loader, callback):
    self._loader = loader
    self._callback = callback

  def create_module(self, spec):
    return self._loader.create_module(spec)

  def exec_module(self, module):
    self._loader.exec_module(module)
    module.__loader__ = self._loader
    module.__spec__.loader = self._loader
    self._callback()

  def __getattr__(self, name):
    return getattr(self._loader, name)


def _register_keras_objects():
  """Registers the layers with Keras now, or as soon as Keras is imported.

  The layers register themselves for deserialization on import
  (`keras.saving.register_keras_serializable`), so importing
  `tfp_gengs.layers` is what `keras.models.load_model` needs. TensorFlow
  with Keras 3 installed usually imports Keras already: then this imports
  the layers now, at the cost of that module alone. Otherwise a one-shot
  import hook imports them when Keras is first imported, so `import
  tfp_gengs` never loads Keras by itself.
  """
  def register():
    importlib.import_module('tfp_gengs.layers')

  if 'keras' in sys.modules:
    register()
  elif not any(isinstance(f, _PostImportHook) and f.name == 'keras'
               for f in sys.meta_path):
    sys.meta_path.insert(0, _PostImportHook('keras', register))


_register_keras_objects()

__all__ = [
    'ExponentialArrivalPoisson',
    'GenGSBinomial',
    'GenGSGeometric',
    'GenGSMultinomial',
    'GenGSNegativeBinomial',
    'GenGSPoisson',
    'RelaxedTruncatedDiscrete',
    'TruncatedDiscrete',
    'bijectors',
    'distributions',
    'truncate',
    'window',
]
