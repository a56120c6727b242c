"""`gengs.window`, `tail_mass=` and the too-wide-window warning.

Windows are checked against scipy's exact quantiles (`ppf`, `isf`) and the
definition (`P(X < low) + P(X > high) <= tail_mass`, minimal).
"""

import pathlib
import re
import textwrap
import warnings

import numpy as np
import pytest
import scipy.stats as st
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_gengs as gengs
from tfp_gengs.distributions import windows

tfd = tfp.distributions
REPO = pathlib.Path(__file__).resolve().parents[1]

CASES = [
    (lambda: tfd.Poisson(3.), st.poisson(3.)),
    (lambda: tfd.Poisson(1000.), st.poisson(1000.)),
    (lambda: tfd.Poisson(log_rate=np.log(40.)), st.poisson(40.)),
    (lambda: tfd.Binomial(100., probs=.3), st.binom(100, .3)),
    (lambda: tfd.Binomial(2000., logits=-1.), st.binom(2000, 1 / (1 + np.e))),
    (lambda: tfd.Geometric(probs=.2), st.geom(.2, loc=-1)),
    (lambda: tfd.NegativeBinomial(5., probs=.7), st.nbinom(5, .3)),
    (lambda: tfd.NegativeBinomial(500., logits=0.), st.nbinom(500, .5)),
]


@pytest.mark.parametrize('make, ref', CASES)
@pytest.mark.parametrize('tail_mass', [1e-6, 1e-3])
def test_window_is_the_exact_quantile_window(make, ref, tail_mass):
  low, high = gengs.window(make(), tail_mass=tail_mass)
  one_sided = (0, ref.isf(tail_mass))
  two_sided = (ref.ppf(tail_mass / 2), ref.isf(tail_mass / 2))
  expected = min([one_sided, two_sided], key=lambda w: (w[1] - w[0], -w[0]))
  assert (low, high) == expected
  # What truncation moves onto the ends is at most tail_mass.
  assert ref.cdf(low - 1) + ref.sf(high) <= tail_mass * (1 + 1e-9)


def _brute_force_smallest(refs, tail_mass):
  """Fewest outcomes of a window valid for every `ref`, over all pairs.

  Every `(low, high)` with `0 <= low < high <= isf(tail_mass * 1e-4)` (far
  above any useful `high`), in float64 with scipy: valid when
  `P(X < low) + P(X > high) <= tail_mass` for every distribution.

  Returns:
    `(outcomes, lows)`: the fewest outcomes and the lows that reach it.
  """
  top = max(int(np.max(ref.isf(tail_mass * 1e-4))) for ref in refs) + 1
  k = np.arange(top + 1.)
  outside = np.zeros([k.size, k.size])
  for ref in refs:
    below = np.where(k > 0., ref.cdf(k - 1.), 0.)
    outside = np.maximum(outside, below[:, None] + ref.sf(k)[None, :])
  valid = (outside <= tail_mass) & (k[None, :] > k[:, None])
  width = np.where(valid, k[None, :] - k[:, None], np.inf)
  best = width.min()
  return int(best) + 1, set(np.nonzero(width == best)[0].tolist())


SMALLEST_CASES = CASES + [
    (lambda: tfd.Poisson(100.), st.poisson(100.)),    # issue 19: 98, not 99
    (lambda: tfd.Poisson(37.), st.poisson(37.)),      # 1e-3: 40, not 41
    (lambda: tfd.Poisson(15.8), st.poisson(15.8)),    # P(X = 0) < 1e-6
    (lambda: tfd.Poisson([100., 130.]), [st.poisson(100.),
                                         st.poisson(130.)]),
    (lambda: tfd.Poisson([900., 1000., 1100.]),
     [st.poisson(r) for r in (900., 1000., 1100.)]),
]


@pytest.mark.parametrize('make, ref', SMALLEST_CASES)
@pytest.mark.parametrize('tail_mass', [1e-6, 1e-3])
def test_smallest_split_is_the_brute_force_smallest_window(make, ref,
                                                           tail_mass):
  refs = ref if isinstance(ref, list) else [ref]
  outcomes, lows = _brute_force_smallest(refs, tail_mass)
  low, high = gengs.window(make(), tail_mass=tail_mass, split='smallest')
  assert high - low + 1 == outcomes and low in lows
  for r in refs:
    assert r.cdf(low - 1) + r.sf(high) <= tail_mass * (1 + 1e-9)
  # Never wider than the default rule; one-sided only as the default is.
  default = gengs.window(make(), tail_mass=tail_mass)
  assert high - low <= default[1] - default[0]
  if low == 0:
    assert (low, high) == default


def test_smallest_split_beats_the_equal_split_of_issue_19():
  assert gengs.window(tfd.Poisson(100.)) == (55, 153)  # the default rule
  assert gengs.window(tfd.Poisson(100.), split='smallest') == (55, 152)
  low, high = gengs.window(tfd.Poisson(37.), 1e-3, split='smallest')
  assert high - low + 1 == 40
  with pytest.raises(ValueError, match='`split` must be one of'):
    gengs.window(tfd.Poisson(3.), split='best')


def test_two_sided_window_for_mass_far_from_zero():
  low, high = gengs.window(tfd.Poisson(1000.))
  assert (low, high) == (849, 1158)
  assert gengs.window(tfd.Poisson(3.)) == (0, 14)


def test_batch_parameters_take_the_union():
  for rates, tail_mass in [([3., 50.], 1e-6), ([900., 1000., 1100.], 1e-3)]:
    ref = st.poisson(np.array(rates))
    one_sided = (0, np.max(ref.isf(tail_mass)))
    two_sided = (np.min(ref.ppf(tail_mass / 2)),
                 np.max(ref.isf(tail_mass / 2)))
    expected = min([one_sided, two_sided],
                   key=lambda w: (w[1] - w[0], -w[0]))
    assert gengs.window(tfd.Poisson(rates), tail_mass) == expected
  assert gengs.window(tfd.Poisson([900., 1100.]), 1e-3)[0] > 0


def test_window_reads_variables_and_family_distributions():
  rate = tf.Variable(20.)
  assert gengs.window(tfd.Poisson(rate)) == gengs.window(tfd.Poisson(20.))
  d = gengs.GenGSNegativeBinomial(3., probs=.4, temperature=.5, high=100)
  assert gengs.window(d) == gengs.window(tfd.NegativeBinomial(3., probs=.4))


def test_window_errors():
  with pytest.raises(TypeError, match='tfd.Poisson, tfd.Binomial'):
    gengs.window(tfd.Normal(0., 1.))
  with pytest.raises(ValueError, match=r'`tail_mass` must be in the open '
                     r'interval \(0, 1\)'):
    gengs.window(tfd.Poisson(3.), tail_mass=0.)

  @tf.function(input_signature=[tf.TensorSpec([])])
  def traced(rate):
    return gengs.window(tfd.Poisson(rate))

  with pytest.raises(ValueError, match='`rate` known outside a traced'):
    traced(tf.constant(3.))


def test_tail_mass_in_families_truncate_and_layers():
  expected = gengs.window(tfd.Poisson(1000.), tail_mass=1e-4)
  d = gengs.GenGSPoisson(rate=1000., temperature=.5, tail_mass=1e-4)
  assert (d.low, d.high) == expected
  # The resolved window travels with copies and slices.
  assert (d[...].low, d[...].high) == expected
  assert d.parameters['high'] == expected[1]
  assert d.parameters['tail_mass'] is None
  td = gengs.truncate(tfd.Poisson(1000.), tail_mass=1e-4)
  np.testing.assert_array_equal(td.outcomes,
                                np.arange(expected[0], expected[1] + 1))
  # The truncated PMF holds all but 1e-4 of the mass in its interior.
  pi = td.probs_parameter().numpy()
  ref = st.poisson(1000.)
  np.testing.assert_allclose(pi[0], ref.cdf(expected[0]), rtol=1e-3)
  layer = gengs.layers.GenGSPoissonLayer(prior_rate=1000., tail_mass=1e-4)
  assert (layer.prior_spec.low, layer.prior_spec.high) == expected
  # The config holds the resolved window, so a reload is exact.
  config = layer.get_config()
  assert (config['low'], config['high']) == expected
  layer = gengs.layers.GenGSLayer(tfd.Geometric(probs=.2), tail_mass=1e-6)
  assert layer.prior_spec.high == gengs.window(tfd.Geometric(probs=.2))[1]
  with pytest.raises(ValueError, match='either `high`.*or `tail_mass`'):
    gengs.GenGSPoisson(rate=3., temperature=.5, high=10, tail_mass=1e-6)
  with pytest.raises(ValueError, match='either `high`.*or `tail_mass`'):
    gengs.layers.GenGSPoissonLayer(3., high=10, tail_mass=1e-6)
  with pytest.raises(ValueError, match='`tail_mass` chooses a window only'):
    gengs.truncate(tfd.Skellam(2., 1.), tail_mass=1e-6)


def test_wide_window_warns_once_with_its_cost():
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    gengs.GenGSPoisson(rate=3., temperature=.5, high=50_000)
    gengs.GenGSPoisson(rate=3., temperature=.5, high=50_000)  # once
    gengs.GenGSPoisson(rate=3., temperature=.5, high=500)     # < 1024
    gengs.GenGSPoisson(rate=600., temperature=.5, high=1500)  # needed
    gengs.GenGSPoisson(rate=tf.constant(3.), temperature=.5,
                       high=60_000)  # a tensor: not read
  wide = [w for w in caught
          if issubclass(w.category, gengs.distributions.WideWindowWarning)]
  assert len(wide) == 1, [str(w.message) for w in wide]
  message = str(wide[0].message)
  assert re.search(r'window 0\.\.50000 holds 50001 outcomes.*lies in '
                   r'0\.\.\d+ .*batch x dims x n', message), message
  assert wide[0].filename == __file__  # points at the user's line
  # The layers and truncate warn too (their priors are always known).
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    gengs.layers.GenGSPoissonLayer(2., high=40_000)
    gengs.truncate(tfd.Geometric(probs=.5), high=30_000)
  assert sum(issubclass(w.category, gengs.distributions.WideWindowWarning)
             for w in caught) == 2


def test_warning_threshold_follows_the_definition():
  # Warn from 1024 outcomes and more than 8 times the outcomes that hold
  # all but 1e-12 of the mass.
  family = gengs.distributions.families.POISSON
  with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    for rate in (3., 2000.):
      low, high = windows.window_of(family, {'rate': np.float64(rate)},
                                    1e-12)
      limit = max(1024 - 1, 8 * (high - low + 1))  # largest quiet width
      assert windows.warn_if_wide(family, {'rate': rate}, 0, limit - 1,
                                  f'quiet {rate}') is None
      assert windows.warn_if_wide(family, {'rate': rate}, 0, limit,
                                  f'loud {rate}') is not None


def test_distribution_docstring_examples_run():
  """The `#### Examples` of the distributions package execute as written."""
  count = 0
  for path in sorted((REPO / 'tfp_gengs' / 'distributions').glob('*.py')):
    if path.name == 'eat_poisson.py':
      continue  # another module's examples, tested with it
    for block in re.findall(r'```python\n(.*?)```', path.read_text(), re.S):
      exec(compile(textwrap.dedent(block), str(path), 'exec'), {})  # pylint: disable=exec-used
      count += 1
  assert count >= 9
