"""Command-line flags every training experiment has (VAE, topic model).

Each experiment keeps its settings in a `Config` dataclass; the flags below
take their defaults from it, so one definition serves both experiments and
their defaults stay where the settings are explained.
"""

from absl import flags

__all__ = ['define_training_flags']


def define_training_flags(defaults):
  """Defines the shared flags with the defaults of a `Config` instance."""
  d = defaults
  flags.DEFINE_string('output_dir', d.output_dir, 'Output folder.')
  flags.DEFINE_list('seed', [str(d.seed)], 'One or more seeds.')
  flags.DEFINE_integer('epochs', d.epochs, 'Training epochs.')
  flags.DEFINE_list('hidden', [str(h) for h in d.hidden],
                    'Encoder hidden widths (the decoder mirrors them where '
                    'the model has one).')
  flags.DEFINE_string('activation', d.activation, 'Hidden activation.')
  flags.DEFINE_float('tail_mass', d.tail_mass, 'Prior tail bound of the '
                     'truncation window.')
  flags.DEFINE_float('tau_initial', d.tau_initial, 'Initial temperature.')
  flags.DEFINE_float('tau_min', d.tau_min, 'Minimum temperature.')
  flags.DEFINE_float('tau_rate', d.tau_rate, 'Annealing rate per step: '
                     'tau = max(tau_min, tau_initial exp(-rate step)).')
  flags.DEFINE_integer('kl_warmup_epochs', d.kl_warmup_epochs,
                       'Linear KL warm-up (0: off).')
  flags.DEFINE_float('log_every_seconds', d.log_every_seconds,
                     'Seconds between progress lines.')
  flags.DEFINE_integer('stop_after_steps', d.stop_after_steps,
                       'Stop after N steps of this session, as if killed '
                       '(testing resume).')
