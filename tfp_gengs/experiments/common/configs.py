"""A study's settings: a `Config` dataclass, and its flags made from it.

Every field of a study's `Config` is a flag of its command, of the field's
type, with the field's default, and with the help its class docstring
gives it (the `Attributes:` section, TFP style; a subclass's entry wins):

```none
str    -> DEFINE_string      (DEFINE_enum with `choice(default, choices)`)
int    -> DEFINE_integer     float -> DEFINE_float     bool -> DEFINE_bool
tuple  -> DEFINE_list        (elements converted like the default's)
a name in `Config.GRID` -> DEFINE_list of the field's type: one run per
                           value (per combination of the GRID fields)
```

```python
@dataclasses.dataclass
class Config(configs.with_defaults(configs.TrainingConfig, epochs=20)):
  # its docstring's `Attributes:` give `model` and `width` their help
  GRID = ('model', 'seed')
  model: str = configs.choice('a', ('a', 'b'))
  width: int = 8

configs.define_flags(Config)         # --model=a,b --seed=0,1 --width=8 ...
configs.configs_from_flags(Config)   # [Config(model='a', seed=0), ...]
```

`TrainingConfig` holds the settings the training studies (VAE, topic
model) share, and what they mean for a resumed run.
"""

import dataclasses
import itertools
import re

from absl import flags

from tfp_gengs import layers as gengs_layers

__all__ = ['TrainingConfig', 'choice', 'configs_from_flags', 'define_flags',
           'field_help', 'with_defaults']


def choice(default, choices):
  """A field whose flag is an enum of `choices` (unless it is a GRID one)."""
  return dataclasses.field(default=default,
                           metadata=dict(choices=tuple(choices)))


def with_defaults(config_class, **defaults):
  """A subclass of the dataclass `config_class`, some fields at other defaults.

  The fields keep their place and their help; `Config(...)` takes the same
  arguments.
  """
  fields = {f.name: f for f in dataclasses.fields(config_class)}
  unknown = sorted(set(defaults) - set(fields))
  if unknown:
    raise ValueError(f'{config_class.__name__} has no fields {unknown}.')
  return dataclasses.make_dataclass(
      config_class.__name__,
      [(name, fields[name].type, dataclasses.field(
          default=value, metadata=fields[name].metadata))
       for name, value in defaults.items()],
      bases=(config_class,))


_ENTRY = re.compile(r'^(\s*)(\w+): (.*)$')


def _attributes(docstring):
  """`{name: text}` of a docstring's `Attributes:` section."""
  lines = (docstring or '').splitlines()
  start = next((i for i, line in enumerate(lines)
                if line.strip() == 'Attributes:'), None)
  if start is None:
    return {}
  entries, name, indent = {}, None, None
  for line in lines[start + 1:]:
    if not line.strip():
      break
    match = _ENTRY.match(line)
    if match and (indent is None or len(match.group(1)) == indent):
      indent, name = len(match.group(1)), match.group(2)
      entries[name] = match.group(3).strip()
    elif name is not None:
      entries[name] += ' ' + line.strip()
  return entries


def field_help(config_class):
  """`{field: help}` from the `Attributes:` of the class and its bases.

  Raises:
    ValueError: a field without an entry (every flag has its help).
  """
  entries = {}
  for cls in reversed(config_class.__mro__):
    entries.update(_attributes(cls.__doc__))
  names = [f.name for f in dataclasses.fields(config_class)]
  missing = [n for n in names if n not in entries]
  if missing:
    raise ValueError(f'{config_class.__name__} documents no {missing} in the '
                     '`Attributes:` section of its docstring.')
  return {n: entries[n] for n in names}


def _element_type(field):
  default = field.default
  return type(default[0]) if default else str


def define_flags(config_class, flag_values=flags.FLAGS):
  """Defines one flag per field of `config_class` (see the module doc)."""
  helps = field_help(config_class)
  grid = getattr(config_class, 'GRID', ())
  for field in dataclasses.fields(config_class):
    name, default, text = field.name, field.default, helps[field.name]
    choices = field.metadata.get('choices')
    if name in grid:
      if choices:
        text += f' One or more of {",".join(choices)}.'
      flags.DEFINE_list(name, [str(default)], text, flag_values=flag_values)
    elif choices:
      flags.DEFINE_enum(name, default, choices, text, flag_values=flag_values)
    elif field.type is tuple:
      flags.DEFINE_list(name, None if default is None else
                        [str(v) for v in default], text,
                        flag_values=flag_values)
    else:
      define = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer,
                float: flags.DEFINE_float, str: flags.DEFINE_string}
      define[field.type](name, default, text, flag_values=flag_values)


def _value(field, value):
  """A flag's value as the field holds it (lists of strings converted)."""
  if field.type is tuple and value is not None:
    return tuple(_element_type(field)(v) for v in value)
  return value


def configs_from_flags(config_class, flag_values=flags.FLAGS):
  """One `config_class` per combination of the GRID fields' values.

  In the order of `GRID` (the last one varies fastest); the other fields
  take their flag's value.
  """
  grid = getattr(config_class, 'GRID', ())
  fields = {f.name: f for f in dataclasses.fields(config_class)}
  base = {n: _value(f, flag_values[n].value) for n, f in fields.items()
          if n not in grid}
  values = [[fields[n].type(v) for v in flag_values[n].value] for n in grid]
  return [config_class(**base, **dict(zip(grid, point)))
          for point in itertools.product(*values)]


@dataclasses.dataclass
class TrainingConfig:
  """The settings every training study has (the VAE, the topic model).

  A study's `Config` adds its own and starts these at its own defaults
  (`with_defaults`); its docstring may say more about one of them.

  Attributes:
    output_dir: Output folder.
    data_dir: Data folder (default: the loaders' default).
    seed: One or more seeds.
    epochs: Training epochs.
    batch_size: Examples per step.
    learning_rate: Adam learning rate.
    latent_dims: Latent dimensions d.
    hidden: Encoder hidden widths (the decoder mirrors them where the model
      has one).
    activation: Hidden activation.
    tail_mass: Prior tail bound of the truncation window.
    tau_initial: Initial temperature.
    tau_min: Minimum temperature.
    tau_rate: Annealing rate per step: tau = max(tau_min, tau_initial
      exp(-rate step)).
    kl_warmup_epochs: Linear KL warm-up (0: off).
    valid_size: Training examples held out for validation.
    valid_samples: Posterior samples per validation example.
    valid_smoothing: Select the epoch ending the N consecutive epochs of
      lowest mean validation score (1: the lowest score).
    eval_samples: Posterior samples per test example.
    resume: Continue the run in output_dir.
    log_every_seconds: Seconds between progress lines.
    stop_after_steps: Stop after N steps of this session, as if killed
      (testing resume).
  """

  # The flags that span a grid of runs (list flags, one run per value).
  GRID = ('seed',)
  # Settings that change nothing in a finished run's results (a finished
  # run with other values of these is not run again); `None`: a finished
  # run is evaluated again on `--resume`.
  UNCHANGED = ('output_dir', 'resume', 'data_dir', 'log_every_seconds',
               'stop_after_steps')
  # Settings that may change when resuming (they do not change training).
  RESUMABLE = UNCHANGED + ('epochs', 'eval_samples')

  output_dir: str = 'runs'
  data_dir: str = None
  seed: int = 0
  epochs: int = 1
  batch_size: int = 100
  learning_rate: float = 1e-3
  latent_dims: int = 50
  hidden: tuple = (100,)
  activation: str = 'relu'
  tail_mass: float = 1e-6
  tau_initial: float = 1.
  tau_min: float = .5
  tau_rate: float = 1e-4
  kl_warmup_epochs: int = 0
  valid_size: int = 1000
  valid_samples: int = 1
  valid_smoothing: int = 1
  eval_samples: int = 10
  resume: bool = False
  log_every_seconds: float = 30.
  stop_after_steps: int = 0

  def check_choices(self, *names):
    """Raises a `ValueError` for the first of the fields `names` (made with
    `choice`) whose value is not one of its choices."""
    fields = {f.name: f for f in dataclasses.fields(self)}
    for name in names:
      value, choices = getattr(self, name), fields[name].metadata['choices']
      if value not in choices:
        raise ValueError(f'Unknown {name} {value!r} (--{name}); choose from '
                         f'{choices}.')

  def temperature_schedule(self):
    """The run's annealing: `value_at(step)` is `tau` at a training step.

    A `gengs.layers.TemperatureSchedule`, the plain object the Keras
    callback `TemperatureAnnealing` holds too, updated every
    `tau_update_every` steps where the study has that setting, else every
    step.
    """
    return gengs_layers.TemperatureSchedule(
        self.tau_initial, self.tau_min, self.tau_rate,
        update_every=getattr(self, 'tau_update_every', 1))
