"""TFP conventions on every class, and the errors a user gets wrong input.

Each test here is a reproduction from issue 9 (a new user's probe with TFP
and Keras idioms) turned into a check; references are numpy/scipy float64
computations or exact enumeration.
"""

import configparser
import inspect
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.stats as st
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_gengs as gengs
from tfp_gengs.distributions import families
from tfp_gengs.distributions import truncated_log_pmf

tfd = tfp.distributions
REPO = pathlib.Path(__file__).resolve().parents[1]


def _relaxed_families():
  return [
      gengs.GenGSPoisson(rate=[2., 7., 3.], temperature=.5, high=20),
      gengs.GenGSBinomial([5., 10., 8.], probs=.3, temperature=.5),
      gengs.GenGSGeometric(probs=[.2, .5, .7], temperature=.5, high=12),
      gengs.GenGSNegativeBinomial(3., probs=[.2, .4, .6], temperature=.5,
                                  high=25, low=1),
      gengs.GenGSMultinomial(2, probs=[[.5, .3, .2], [.1, .1, .8],
                                       [.3, .3, .4]], temperature=.5),
      gengs.RelaxedTruncatedDiscrete(
          .5, [0., 2., 5.], logits=[[0., 1., -1.], [1., 0., 0.],
                                    [2., 0., 1.]]),
  ]


def _all_batched():
  """One distribution of every class, batch shape [3]."""
  relaxed = _relaxed_families()
  return relaxed + [d.truncated() for d in relaxed] + [
      gengs.truncate(tfd.Poisson([2., 7., 3.]), high=20)]


# ----------------------------------------------------------------------------
# Slicing (every TFP form, every class)
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('index', range(13))
def test_every_slicing_form_keeps_the_outcomes(index):
  dist = _all_batched()[index]
  name = type(dist).__name__
  logits = dist.logits_parameter().numpy()
  outcomes = dist.outcomes.numpy()
  cases = [
      (dist[1:], [1, 2]),
      (dist[...], [0, 1, 2]),
      (dist[::2], [0, 2]),
      (dist[2], 2),
      (dist[tf.newaxis, 1:][0], [1, 2]),
  ]
  for sliced, rows in cases:
    np.testing.assert_array_equal(sliced.outcomes.numpy(), outcomes,
                                  err_msg=name)
    np.testing.assert_allclose(sliced.logits_parameter().numpy(),
                               logits[rows], rtol=1e-6, err_msg=name)
    assert sliced.batch_shape == np.shape(logits[rows])[:-1], name
    assert sliced.sample(seed=1).shape == (
        np.shape(logits[rows])[:-1] + tuple(dist.event_shape)), name
  independent = tfd.Independent(dist, 1)
  assert independent[...].event_shape == [3] + dist.event_shape
  assert independent[...].sample(seed=2).shape == independent.event_shape


def test_mixture_of_truncated_and_relaxed_distributions_slices():
  td = gengs.truncate(tfd.Poisson([[2., 7., 3.], [1., 4., 9.]]), high=20)
  mixture = tfd.MixtureSameFamily(
      tfd.Categorical(logits=tf.zeros([2, 3])), td)
  assert mixture.batch_shape == [2]
  sliced = mixture[1:]
  assert sliced.batch_shape == [1]
  # The mixture of truncated Poissons: its PMF is the pi-weighted average.
  pi = td.probs_parameter().numpy()
  np.testing.assert_allclose(sliced.prob(3.).numpy(), pi[1:, :, 3].mean(-1),
                             rtol=1e-5)
  relaxed = gengs.GenGSPoisson(rate=[[2., 7., 3.]], temperature=.5, high=20)
  mixture = tfd.MixtureSameFamily(tfd.Categorical(logits=tf.zeros([1, 3])),
                                  relaxed)
  assert mixture[...].sample(4, seed=3).shape == (4, 1)


# ----------------------------------------------------------------------------
# The hierarchy: pi public on every class, from_truncated, KL
# ----------------------------------------------------------------------------


def test_logits_and_probs_parameter_are_pi_on_every_distribution():
  for dist in _relaxed_families():
    pi = dist.truncated().probs_parameter().numpy()
    np.testing.assert_allclose(dist.probs_parameter(), pi, rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(
        tf.math.softmax(dist.logits_parameter()), pi, rtol=1e-5, atol=1e-7)
    assert isinstance(dist, gengs.distributions.RelaxedDiscrete)
  # The families are siblings of the plain class, not its subclasses.
  assert not isinstance(_relaxed_families()[0], gengs.RelaxedTruncatedDiscrete)
  # Family parameters keep the family's meaning: probs is the success
  # probability, pi is probs_parameter().
  b = gengs.GenGSBinomial(4., probs=.3, temperature=.5)
  np.testing.assert_allclose(b.probs, .3)
  np.testing.assert_allclose(b.probs_parameter(),
                             st.binom(4, .3).pmf(np.arange(5)), rtol=1e-5)


def test_from_truncated_returns_the_calling_class():
  class Tagged(gengs.RelaxedTruncatedDiscrete):
    pass

  td = gengs.truncate(tfd.Poisson(3.), high=9)
  relaxed = Tagged.from_truncated(td, 0.5)
  assert type(relaxed) is Tagged
  np.testing.assert_allclose(relaxed.probs_parameter(),
                             td.probs_parameter(), rtol=1e-6)


def test_kl_between_float32_and_float64_names_the_dtypes():
  q = gengs.GenGSPoisson(rate=3., temperature=.5, high=10)
  p = gengs.GenGSPoisson(rate=np.float64(3.), temperature=np.float64(.5),
                         high=10)
  assert p.dtype == tf.float64
  for a, b in [(q, p), (q.truncated(), p), (q, p.truncated())]:
    with pytest.raises(TypeError, match='one dtype.*float32.*float64'):
      tfd.kl_divergence(a, b)


# ----------------------------------------------------------------------------
# What a relaxed value does not have
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('method', ['mean', 'stddev', 'variance', 'mode',
                                    'entropy'])
def test_relaxed_moments_point_to_truncated(method):
  for dist in _relaxed_families():
    with pytest.raises(NotImplementedError,
                       match=re.escape(f'.truncated().{method}()')):
      getattr(dist, method)()


def test_default_event_space_bijector_follows_tfp():
  # No density (n > 2): TFP's convention for a distribution without one.
  d = gengs.GenGSPoisson(rate=3., temperature=.5, high=9)
  with pytest.raises(NotImplementedError, match='no default event-space'):
    d.experimental_default_event_space_bijector()
  # Two scalar outcomes: the binary Concrete's support (c_1, c_2), as
  # tfd.RelaxedBernoulli; its inverse works.
  d = gengs.RelaxedTruncatedDiscrete(.5, [1., 4.], logits=[0., 1.])
  bijector = d.experimental_default_event_space_bijector()
  y = bijector.forward(tf.constant([-3., 0., 2.]))
  np.testing.assert_allclose(y, 1. + 3. / (1. + np.exp([3., 0., -2.])),
                             rtol=1e-6)
  np.testing.assert_allclose(bijector.inverse(y), [-3., 0., 2.], rtol=1e-5)
  # The exact distribution is discrete: None, as tfd.Categorical.
  assert d.truncated().experimental_default_event_space_bijector() is None


# ----------------------------------------------------------------------------
# TruncatedDiscrete: cdf, survival function, quantile
# ----------------------------------------------------------------------------


def test_cdf_survival_quantile_match_numpy():
  outcomes = np.array([3., -1., 0.5, 7., 2.])  # unsorted on purpose
  logits = np.array([[0., 1., -1., 2., .5], [1., -np.inf, 0., 0., 2.]])
  td = gengs.TruncatedDiscrete(outcomes, logits=logits)
  pi = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
  x = np.array([-2., -1., 0., 0.5, 2.5, 3., 10.])[:, None]  # [7, 1] x [2]
  below = outcomes <= x[..., None]  # [7, 1, 5]
  cdf = np.sum(np.where(below, pi, 0.), -1)
  sf = np.sum(np.where(below, 0., pi), -1)
  np.testing.assert_allclose(td.cdf(x), cdf, rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(td.survival_function(x), sf, rtol=1e-6,
                             atol=1e-7)
  with np.errstate(divide='ignore'):
    np.testing.assert_allclose(td.log_cdf(x), np.log(cdf), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(td.log_survival_function(x), np.log(sf),
                               rtol=1e-5, atol=1e-6)
  order = np.argsort(outcomes)
  cumulative = np.cumsum(pi[:, order], -1)
  for p in [0.01, 0.2, 0.5, 0.77, 0.999]:
    expected = outcomes[order][np.argmax(cumulative >= p, axis=-1)]
    np.testing.assert_array_equal(td.quantile(p), expected, err_msg=p)


def test_cdf_of_truncated_poisson_matches_scipy_and_keeps_small_tails():
  td = gengs.truncate(tfd.Poisson(tf.constant([3., 20.], tf.float64)),
                      high=60)
  k = np.arange(0., 60.)[:, None]
  ref = st.poisson(np.array([3., 20.]))
  np.testing.assert_allclose(td.cdf(k), ref.cdf(k), rtol=1e-10, atol=1e-14)
  # The survival function sums the tail: relative accuracy where 1 - cdf
  # would be 0 in float64.
  np.testing.assert_allclose(td.survival_function(k), ref.sf(k), rtol=1e-8)
  np.testing.assert_allclose(td.log_survival_function(40.),
                             ref.logsf(40.), rtol=1e-8)
  for p in [1e-3, .1, .5, .9, .999]:
    np.testing.assert_array_equal(td.quantile(p), ref.ppf(p))


def test_cdf_of_vector_outcomes_raises():
  d = gengs.GenGSMultinomial(2, probs=[.5, .5], temperature=.5).truncated()
  with pytest.raises(NotImplementedError, match='scalar outcomes'):
    d.cdf([1., 1.])


def test_cdf_gradient_is_finite_where_the_sum_is_empty():
  logits = tf.constant([0., 1., 2.])
  with tf.GradientTape() as tape:
    tape.watch(logits)
    td = gengs.TruncatedDiscrete([0., 1., 2.], logits=logits)
    value = tf.reduce_sum(td.log_cdf([-1., 0.5, 5.]))
  assert np.isneginf(td.log_cdf(-1.).numpy())
  assert np.all(np.isfinite(tape.gradient(value, logits).numpy()))


# ----------------------------------------------------------------------------
# Construction-time checks of values known in Python
# ----------------------------------------------------------------------------

KNOWN_BAD = [
    (lambda: gengs.GenGSPoisson(rate=-1., temperature=.5, high=10),
     r'`rate` \(the Poisson rate\) must be finite and > 0; got -1\.0'),
    (lambda: gengs.GenGSPoisson(rate=0., temperature=.5, high=10),
     r'`rate`.*> 0; got 0\.0'),
    (lambda: gengs.GenGSPoisson(rate=np.inf, temperature=.5, high=10),
     r'`rate`.*finite.*got inf'),
    (lambda: gengs.GenGSPoisson(rate=[1., np.nan], temperature=.5, high=10),
     r'`rate`.*got \[1\.0, nan\]'),
    (lambda: gengs.GenGSPoisson(log_rate=np.inf, temperature=.5, high=10),
     r'`log_rate`.*must be finite'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=0., high=10),
     r'`temperature` \(the Gumbel-Softmax temperature\) must be finite and '
     r'> 0; got 0\.0'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=-1., high=10),
     r'`temperature`.*got -1\.0'),
    (lambda: gengs.GenGSPoisson(rate=1., temperature=np.nan, high=10),
     r'`temperature`.*got nan'),
    (lambda: gengs.GenGSBinomial(10., probs=1.5, temperature=.5),
     r'`probs` \(the success probability\) must be in the open interval '
     r'\(0, 1\); got 1\.5'),
    (lambda: gengs.GenGSBinomial(10., probs=0., temperature=.5),
     r'`probs`.*\(0, 1\)'),
    (lambda: gengs.GenGSBinomial(2.5, probs=.5, temperature=.5, high=2),
     r'`total_count` \(the binomial number of trials\) must be an integer '
     r'>= 1'),
    (lambda: gengs.GenGSBinomial(10., logits=np.inf, temperature=.5),
     r'`logits` \(the log-odds of success\) must be finite'),
    (lambda: gengs.GenGSGeometric(probs=1., temperature=.5, high=3),
     r'`probs`.*\(0, 1\)'),
    (lambda: gengs.GenGSNegativeBinomial(0., probs=.5, temperature=.5,
                                         high=3),
     r'`total_count` \(the number of failures\) must be finite and > 0'),
    (lambda: gengs.GenGSMultinomial(2, probs=[.5, 1.5], temperature=.5),
     r'`probs` \(the category probabilities\) must be in \[0, 1\]'),
    (lambda: gengs.GenGSMultinomial(2, logits=[0., np.nan], temperature=.5),
     r'`logits`.*not NaN'),
    (lambda: gengs.RelaxedTruncatedDiscrete(0., [0., 1.], logits=[0., 0.]),
     r'`temperature`.*> 0'),
    (lambda: gengs.RelaxedTruncatedDiscrete(.5, [0., 1.],
                                            logits=[0., np.nan]),
     r'`logits` must be not NaN'),
    (lambda: gengs.TruncatedDiscrete([0., 1.], probs=[.2, .9]),
     r'`probs` must sum to 1'),
    (lambda: gengs.TruncatedDiscrete([0., 1.], probs=[-.1, 1.1]),
     r'`probs` must be in \[0, 1\]'),
    (lambda: gengs.TruncatedDiscrete([0., np.inf], logits=[0., 0.]),
     r'`outcomes` must be finite'),
    (lambda: gengs.truncate(tfd.Poisson(-2.), high=5),
     r'`rate` \(the Poisson rate\) must be finite and > 0'),
    (lambda: gengs.truncate(tfd.Geometric(probs=1.5), high=5),
     r'`probs`.*\(0, 1\)'),
]


@pytest.mark.parametrize('make, match', KNOWN_BAD)
def test_known_bad_values_raise_at_construction_without_validate_args(
    make, match):
  with pytest.raises(ValueError, match=match):
    make()


def test_tensor_values_are_checked_only_with_validate_args():
  rate = tf.constant(-1.)
  d = gengs.GenGSPoisson(rate=rate, temperature=.5, high=10)  # no error
  assert d.batch_shape == []
  # rate = inf with validate_args names `rate`, the argument the user gave
  # (not `logits`, which the user never passed).
  for bad in (np.inf, -1., np.nan):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match='`rate` must be finite and > 0'):
      gengs.GenGSPoisson(rate=tf.constant(bad), temperature=.5, high=10,
                         validate_args=True)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`temperature`'):
    gengs.GenGSPoisson(rate=2., temperature=tf.constant(0.), high=10,
                       validate_args=True)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`rate`'):
    gengs.truncate(tfd.Poisson(tf.constant(-1.)), high=10, validate_args=True)


def test_duplicate_outcomes_are_rejected():
  # The reproduction: log_prob(1.) was log 1/3; the truth is 2/3.
  with pytest.raises(ValueError, match=r'`outcomes` must hold distinct values; '
                     r'1\.0 appears 2 times'):
    gengs.TruncatedDiscrete([1., 1., 2.], logits=[0., 0., 0.])
  with pytest.raises(ValueError, match='distinct'):
    gengs.RelaxedTruncatedDiscrete(.5, [[1., 0.], [1., 0.]], logits=[0., 0.])
  with pytest.raises(ValueError, match='distinct'):
    gengs.bijectors.OutcomeProjection([0., 2., 2.])

  @tf.function(input_signature=[tf.TensorSpec([None])])
  def log_prob(outcomes):
    return gengs.TruncatedDiscrete(outcomes, logits=tf.zeros([3]),
                                   validate_args=True).log_prob(1.)

  np.testing.assert_allclose(log_prob(tf.constant([0., 1., 2.])),
                             np.log(1. / 3.), rtol=1e-6)
  with pytest.raises(tf.errors.InvalidArgumentError, match='distinct'):
    log_prob(tf.constant([1., 1., 2.]))


# ----------------------------------------------------------------------------
# What `truncate` and the layers accept
# ----------------------------------------------------------------------------


def test_truncate_rejects_what_it_cannot_truncate():
  with pytest.raises(ValueError, match=r'`distribution` must be integer-valued'
                     r'.*Normal is continuous'):
    gengs.truncate(tfd.Normal(0., 1.), high=5)
  with pytest.raises(TypeError, match=r"`distribution` must be a TFP "
                     r"distribution.*got str 'poisson'.*tfd\.Poisson\(rate\)"):
    gengs.truncate('poisson', high=10)
  with pytest.raises(ValueError, match='`low` must be >= 0'):
    gengs.truncate(tfd.Binomial(5., probs=.5), high=4, low=-1)
  # Integer distributions without a family still work, with any low.
  td = gengs.truncate(tfd.QuantizedDistribution(tfd.Normal(0., 2.)), high=4,
                      low=-4)
  assert td.num_outcomes == 9


def test_layer_rejects_a_continuous_prior():
  with pytest.raises(ValueError, match=r'`prior` must be integer-valued.*'
                     r'Normal is continuous'):
    gengs.layers.GenGSLayer(tfd.Normal(0., 1.), high=5, inference='implicit')


# ----------------------------------------------------------------------------
# One rule per family, everywhere
# ----------------------------------------------------------------------------


@pytest.mark.parametrize('name, bad', [
    ('poisson', dict(rate=0.)),
    ('geometric', dict(probs=1.)),
    ('binomial', dict(total_count=3.5, probs=.5)),
    ('negative_binomial', dict(total_count=-1., probs=.5)),
])
def test_each_rule_holds_in_truncate_distribution_and_layer(name, bad):
  family = families.get(name)
  message = re.escape(family.parameter(next(
      k for k, v in bad.items() if not family.parameter(k).constraint
      .numpy_ok(np.float64(v)))).constraint.allowed)
  makers = {
      'poisson': (gengs.GenGSPoisson, gengs.layers.GenGSPoissonLayer),
      'geometric': (gengs.GenGSGeometric, gengs.layers.GenGSGeometricLayer),
      'binomial': (gengs.GenGSBinomial, gengs.layers.GenGSBinomialLayer),
      'negative_binomial': (gengs.GenGSNegativeBinomial,
                            gengs.layers.GenGSNegativeBinomialLayer),
  }
  distribution_cls, layer_cls = makers[name]
  with pytest.raises(ValueError, match=message):
    gengs.truncate(family.tfd_class(**bad), high=3)
  with pytest.raises(ValueError, match=message):
    distribution_cls(**bad, temperature=.5, high=3)
  with pytest.raises(ValueError, match=message):
    layer_cls(*[bad[k] for k in ('total_count', 'rate', 'probs')
                if k in bad], high=3)
  with pytest.raises(ValueError, match=message):
    gengs.layers.GenGSLayer(family.tfd_class(**bad), high=3)


def test_binomial_default_window_is_the_largest_total_count_everywhere():
  assert gengs.GenGSBinomial([5., 9.], probs=.5, temperature=.5).high == 9
  td = gengs.truncate(tfd.Binomial([5., 9.], probs=.5))
  assert td.num_outcomes == 10
  pi = td.probs_parameter().numpy()
  np.testing.assert_allclose(pi[0], np.append(st.binom(5, .5).pmf(
      np.arange(6)), [0.] * 4), atol=1e-7)
  # The layer: same default, and its own rule (positive prior mass for a
  # finite KL) then asks for high <= the smallest total_count.
  layer = gengs.layers.GenGSBinomialLayer([9, 9], 0.5)
  assert layer.num_outcomes == 10
  with pytest.raises(ValueError, match=r'probability 0 .*smallest '
                     r'`prior_total_count` \(5\)'):
    gengs.layers.GenGSBinomialLayer([5, 9], 0.5)


def test_multinomial_log_pmf_is_a_function_matching_scipy():
  logits = np.log(np.array([[.7, .2, .1], [.2, .5, .3]]))
  lp = truncated_log_pmf.multinomial(3, logits=tf.constant(logits))
  outcomes = truncated_log_pmf.count_vectors(3, 3)
  expected = np.stack([st.multinomial(3, np.exp(row)).logpmf(outcomes)
                       for row in logits])
  np.testing.assert_allclose(lp, expected, rtol=1e-10)
  # The registry and the distribution read the same function.
  np.testing.assert_allclose(
      families.MULTINOMIAL.log_pmf(total_count=3, logits=tf.constant(logits)),
      expected, rtol=1e-10)
  d = gengs.GenGSMultinomial(3, logits=tf.constant(logits), temperature=1.)
  np.testing.assert_allclose(d.logits_parameter(), expected, rtol=1e-10)


# ----------------------------------------------------------------------------
# The package
# ----------------------------------------------------------------------------


def test_dir_shows_the_lazy_subpackages():
  names = dir(gengs)
  for name in ('layers', 'estimators', 'experiments', 'datasets', 'window',
               'truncate'):
    assert name in names
  assert not hasattr(gengs, 'no_such_subpackage')


def test_a_lazy_name_without_its_subpackage_is_an_attribute_error(
    monkeypatch):
  # hasattr() must answer False, not raise ModuleNotFoundError, when a lazy
  # subpackage is not installed.
  monkeypatch.setattr(gengs, '_LAZY_SUBPACKAGES',
                      gengs._LAZY_SUBPACKAGES + ('not_installed_here',))
  assert 'not_installed_here' in dir(gengs)
  assert not hasattr(gengs, 'not_installed_here')
  with pytest.raises(AttributeError, match='no tfp_gengs.not_installed_here '
                     'subpackage'):
    getattr(gengs, 'not_installed_here')


def test_post_import_hook_runs_once_after_the_module_executes(tmp_path):
  # The mechanism `import tfp_gengs` uses to register the layers when Keras
  # is imported after it (TensorFlow usually imports Keras first, and then
  # the layers are imported at once; `test_layers` loads a saved model in a
  # fresh interpreter after `import tfp_gengs` alone).
  (tmp_path / 'late_module_for_hook_test.py').write_text('VALUE = 41\n')
  script = textwrap.dedent('''
      import json
      import sys
      import tfp_gengs
      calls = []
      def callback():
        import late_module_for_hook_test as m
        calls.append(m.VALUE + 1)
      sys.meta_path.insert(0, tfp_gengs._PostImportHook(
          'late_module_for_hook_test', callback))
      assert 'late_module_for_hook_test' not in sys.modules
      import late_module_for_hook_test
      import late_module_for_hook_test  # cached: no second call
      assert late_module_for_hook_test.__spec__.loader is not None
      hooks = [f for f in sys.meta_path
               if isinstance(f, tfp_gengs._PostImportHook)]
      print(json.dumps(dict(calls=calls, hooks=len(hooks),
                            keras='keras' in sys.modules,
                            layers='tfp_gengs.layers' in sys.modules)))
  ''')
  out = subprocess.run([sys.executable, '-c', script], cwd=REPO,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3',
                                PYTHONPATH=f'{tmp_path}{os.pathsep}{REPO}'),
                       capture_output=True, text=True, timeout=300,
                       check=False)
  assert out.returncode == 0, out.stderr[-3000:]
  result = json.loads(out.stdout.strip().splitlines()[-1])
  assert result['calls'] == [42]
  assert result['hooks'] == 0  # one-shot
  # Keras was already loaded by TensorFlow here, so the layers were
  # registered at `import tfp_gengs`.
  assert result['keras'] and result['layers']


def test_public_api_is_typed():
  assert (REPO / 'tfp_gengs' / 'py.typed').exists()
  config = configparser.ConfigParser()
  config.read(REPO / 'setup.cfg')
  assert 'py.typed' in config['options.package_data']['tfp_gengs']
  public = [
      gengs.truncate, gengs.window, gengs.TruncatedDiscrete,
      gengs.RelaxedTruncatedDiscrete,
      gengs.RelaxedTruncatedDiscrete.from_truncated, gengs.GenGSPoisson,
      gengs.GenGSBinomial, gengs.GenGSGeometric, gengs.GenGSNegativeBinomial,
      gengs.GenGSMultinomial, gengs.ExponentialArrivalPoisson,
      gengs.bijectors.OutcomeProjection,
      gengs.layers.GenGSLayer, gengs.layers.GenGSPoissonLayer,
      gengs.layers.GenGSGeometricLayer, gengs.layers.GenGSBinomialLayer,
      gengs.layers.GenGSNegativeBinomialLayer,
      gengs.layers.TemperatureAnnealing,
      gengs.distributions.RelaxedDiscrete.logits_parameter,
      gengs.distributions.RelaxedDiscrete.probs_parameter,
      gengs.distributions.RelaxedDiscrete.truncated,
  ]
  for obj in public:
    function = obj.__init__ if inspect.isclass(obj) else obj
    function = inspect.unwrap(function)
    signature = inspect.signature(function)
    missing = [name for name, p in signature.parameters.items()
               if name not in ('self', 'cls') and
               p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and
               p.annotation is inspect.Parameter.empty]
    assert not missing, (obj, missing)
    if not inspect.isclass(obj):
      assert signature.return_annotation is not inspect.Signature.empty, obj
