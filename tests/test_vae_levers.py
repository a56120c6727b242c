"""The VAE study's hard-sample methods and training levers (issue 18):
`reinmax` / `gumbel_rao` layer methods, `--finetune_estimator`, learning-rate
decay, the encoder's prior initialisation and the softplus rate link."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tfp_gengs.experiments import vae
from tfp_gengs.experiments.vae import input_pipeline
from tfp_gengs.experiments.vae import models as vae_model
from tfp_gengs.experiments.vae import train as vae_train
import float_tolerance  # noqa: E402  (tests/float_tolerance.py)
import vae_toy  # noqa: E402  (tests/vae_toy.py)

TINY = vae_toy.TINY
RESUME_RTOL = float_tolerance.RESUME_RTOL


def _quiet(line):
  del line


@pytest.fixture(scope='module')
def data():
  return vae_toy.toy_data()


@pytest.mark.parametrize('estimator,inference', [
    ('reinmax', 'implicit'), ('gumbel_rao', 'explicit')])
def test_hard_sample_methods_train_on_exact_outcomes(tmp_path, data,
                                                     estimator, inference):
  config = vae.Config(output_dir=str(tmp_path), estimator=estimator,
                      inference=inference, **TINY)
  results = vae.run(config, data=data, log=_quiet)
  losses = [h['train_loss'] for h in results['history']]
  assert losses[-1] < 0.9 * losses[0], losses
  assert all(h['straight_through'] for h in results['history'])
  assert results['settings']['inference'] == inference
  assert vae.run_folder_name(config).endswith(
      f'{estimator}{"-explicit" if inference == "explicit" else ""}-s0')


def test_finetune_estimator_switches_the_layer_gradient(tmp_path, data):
  config = vae.Config(output_dir=str(tmp_path), estimator='gengs_implicit',
                      finetune_estimator='reinmax', finetune_epochs=1,
                      **dict(TINY, epochs=2))
  assert [vae_train._gradient_of_epoch(config, e) for e in range(2)] == [  # pylint: disable=protected-access
      'relaxed', 'reinmax']
  results = vae.run(config, data=data, log=_quiet)
  assert [h['straight_through'] for h in results['history']] == [False,
                                                                  True]


def test_finetune_with_an_estimator_trains_the_last_epochs_by_it(tmp_path,
                                                                  data):
  # GenGS (relaxed layer) for 2 epochs, then StoRB* (the layer's posterior,
  # exact outcomes, an unbiased gradient) for the third.
  config = vae.Config(output_dir=str(tmp_path / 'full'),
                      estimator='gengs_implicit', finetune_estimator='StoRB*',
                      finetune_epochs=1, **TINY)
  assert [vae_train._method_of_epoch(config, e).name  # pylint: disable=protected-access
          for e in range(3)] == ['gengs_implicit'] * 2 + ['StoRB*']
  assert {vae_train._gradient_of_epoch(config, e)  # pylint: disable=protected-access
          for e in range(3)} == {'relaxed'}
  full = vae.run(config, data=data, log=_quiet)
  assert [h['method'] for h in full['history']] == [
      'gengs_implicit', 'gengs_implicit', 'StoRB*']
  assert all(np.isfinite(h['train_loss']) for h in full['history'])
  # Killed inside the fine-tuning epoch, a resumed run switches again and
  # repeats the uninterrupted one.
  part = dataclasses.replace(config, output_dir=str(tmp_path / 'part'),
                             stop_after_steps=45)      # 20 steps per epoch
  with pytest.raises(vae.Interrupted):
    vae.run(part, data=data, log=_quiet)
  resumed = vae.run(dataclasses.replace(part, stop_after_steps=0,
                                        resume=True), data=data, log=_quiet)
  assert [h['method'] for h in resumed['history']] == [
      h['method'] for h in full['history']]
  losses = [[h['train_loss'] for h in r['history']] for r in (resumed, full)]
  np.testing.assert_allclose(losses[0][:2], losses[1][:2], rtol=RESUME_RTOL)
  np.testing.assert_allclose(losses[0][2], losses[1][2],
                             rtol=float_tolerance.DISCRETE_RESUME_RTOL)


@pytest.mark.parametrize('changes,match', [
    (dict(finetune_estimator='REBAR', finetune_epochs=1),
     '--finetune_estimator'),     # trains parts of its own
    (dict(finetune_estimator='VIMCO', finetune_epochs=1),
     '--finetune_estimator'),     # another objective (the k-sample bound)
    (dict(finetune_estimator='reinmax', finetune_epochs=0),
     '--finetune_epochs'),
    (dict(estimator='RF*', finetune_estimator='reinmax', finetune_epochs=1),
     'fine-tunes a GenGS run'),
    (dict(lr_decay_rate=0.), '--lr_decay_rate'),
    (dict(weight_decay=-1e-4), '--weight_decay'),
    (dict(weight_decay=float('nan')), '--weight_decay'),
    (dict(encoder_init='ones'), '--encoder_init'),
    (dict(rate_link='softplus'), 'explicit Poisson posterior'),
    (dict(rate_link='softplus', inference='explicit', estimator='gengs_st',
          prior='geometric.5'), 'explicit Poisson posterior'),
])
def test_bad_lever_settings_are_named(changes, match):
  with pytest.raises(ValueError, match=match):
    dataclasses.replace(vae.Config(), **changes).resolved()


def test_learning_rate_decays_in_steps(tmp_path, data):
  config = vae.Config(output_dir=str(tmp_path), estimator='gengs_implicit',
                      lr_decay_rate=0.5, lr_decay_steps=10,
                      **dict(TINY, epochs=1))
  model, _, trainer, trackables = vae_train._build(  # pylint: disable=protected-access
      config.resolved(), data[0], tf.distribute.get_strategy())
  del model, trainer
  optimizer = trackables['optimizer']
  schedule = optimizer._learning_rate  # pylint: disable=protected-access
  np.testing.assert_allclose(
      [float(schedule(s)) for s in (0, 9, 10, 25)],
      [1e-2, 1e-2, 5e-3, 2.5e-3], rtol=1e-6)


def test_weight_decay_shrinks_every_weight_by_lr_times_decay(data):
  # With a zero gradient Adam's step is 0, so one AdamW step leaves
  # w (1 - lr wd) exactly; weight_decay=0 keeps plain Adam (w unchanged).
  for weight_decay, factor in ((0.5, 1. - 1e-2 * 0.5), (0., 1.)):
    config = vae.Config(estimator='gengs_implicit', weight_decay=weight_decay,
                        **dict(TINY, epochs=1))
    _, _, trainer, trackables = vae_train._build(  # pylint: disable=protected-access
        config.resolved(), data[0], tf.distribute.get_strategy())
    variables = trainer.variables
    before = [v.numpy() for v in variables]
    trackables['optimizer'].apply_gradients(
        [(tf.zeros_like(v), v) for v in variables])
    for b, v in zip(before, variables):
      np.testing.assert_allclose(v.numpy(), b * factor, rtol=1e-6)


@pytest.mark.parametrize('inference,rate_link', [
    ('explicit', 'exp'), ('explicit', 'softplus'), ('implicit', 'exp')])
def test_encoder_prior_init_starts_the_posterior_at_the_prior(inference,
                                                              rate_link):
  model, _ = vae_model.build_vae('poisson2', inference, latent_dims=3,
                                 hidden=(8,), data_dim=16,
                                 encoder_init='prior', rate_link=rate_link)
  out = model.encoder.get_layer('encoder_out')
  kernel, bias = out.get_weights()
  out.set_weights([np.zeros_like(kernel), bias])  # only the bias speaks
  q = model.posterior(tf.ones([2, 16]))
  np.testing.assert_allclose(model.kl(q), 0., atol=1e-5)
  if rate_link == 'softplus':
    np.testing.assert_allclose(np.log1p(np.exp(bias)), 2., rtol=1e-6)


def test_pareto_cells_average_seeds_and_find_the_front(tmp_path):
  from tfp_gengs.experiments.vae import pareto  # pylint: disable=g-import-not-at-top

  def record(estimator, seed, seconds, hard, **settings):
    base = dict(dataset='mnist', prior='poisson2', epochs=25, seed=seed,
                estimator=estimator, inference='implicit', tau_min=0.3,
                tau_rate=1e-4)
    return dict(settings=dict(base, **settings),
                seconds_per_epoch=seconds / 25.,
                test=dict(neg_elbo_hard=[hard, 0.2]))

  records = [record('gengs_implicit', 0, 250., 109.), record(
      'gengs_implicit', 1, 230., 108.), record('StoRB*', 0, 1200., 108.9),
             record('RF*', 0, 300., 131.), record('reinmax', 0, 150., 110.),
             record('gengs_implicit', 0, 250., 99., epochs=200)]
  cells = {c[0].split(' [')[0]: c for c in pareto.points(
      records, 'mnist', 'poisson2', 25)}
  assert set(cells) == {'GenGS (Im.)', 'StoRB*', 'RF*', 'ReinMax'}
  label, seconds, elbo, std, seeds = cells['GenGS (Im.)']
  assert (seconds, elbo, seeds) == (240., 108.5, 2)
  assert std == pytest.approx(np.std([109., 108.], ddof=1))
  front = [c[0].split(' [')[0] for c in pareto.pareto_front(cells.values())]
  assert front == ['ReinMax', 'GenGS (Im.)']   # StoRB* slower, not better
  pareto.plot(list(cells.values()), str(tmp_path / 'p.png'), 'test')
  assert (tmp_path / 'p.png').stat().st_size > 10000


# Dynamic binarization (`--dataset=mnist_dynamic`).


def test_dynamic_binarization_draws_bernoulli_pixels_from_the_step_seed():
  grey = np.linspace(0., 1., 11, dtype=np.float32)
  batch = np.tile(grey, (20000, 1))
  draws = input_pipeline.binarize_batch(batch, (3, 4))
  assert draws.dtype == np.float32
  assert set(np.unique(draws)) <= {0., 1.}
  # P(1) = pixel, within 5 standard errors of 20,000 draws per pixel; the
  # ends 0 and 1 are exact.
  stderr = np.sqrt(grey * (1 - grey) / len(batch))
  np.testing.assert_array_less(np.abs(draws.mean(0) - grey), 5 * stderr + 1e-12)
  assert draws[:, 0].max() == 0. and draws[:, -1].min() == 1.
  # A function of the step's seed: the same seed, the same draws; another
  # step, new ones.
  np.testing.assert_array_equal(
      draws, input_pipeline.binarize_batch(batch, (3, 4)))
  assert np.mean(draws != input_pipeline.binarize_batch(batch, (3, 5))) > .2


def test_dynamic_mnist_holds_out_a_fixed_binarized_validation(monkeypatch):
  from tfp_gengs import datasets  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  train = rng.random((10050, 784)).astype(np.float32)
  test = rng.random((30, 784)).astype(np.float32)
  monkeypatch.setattr(
      datasets, 'mnist',
      lambda data_dir, with_labels: datasets.Splits(train, None, test))
  config = vae.Config(dataset='mnist_dynamic')
  x_train, x_valid, x_test = input_pipeline.load_data(config)
  assert x_train.shape == (50, 784) and x_valid.shape == (10000, 784)
  # Train stays grey (binarized per step); valid and test are binary draws
  # of their grey images, the same at every load.
  assert np.any((x_train > 0) & (x_train < 1))
  assert set(np.unique(x_valid)) == {0., 1.} == set(np.unique(x_test))
  np.testing.assert_allclose(x_test.mean(), test.mean(), atol=0.02)
  again = input_pipeline.load_data(config)
  np.testing.assert_array_equal(again[1], x_valid)
  np.testing.assert_array_equal(again[2], x_test)


def test_dynamic_binarization_feeds_a_new_binary_batch_each_step(
    tmp_path, data, monkeypatch):
  train, valid, test = data
  grey = np.clip(train * .8 + .1, 0., 1.)              # no pixel is 0 or 1
  seen = []
  binarize = input_pipeline.binarize_batch

  def recording(batch, seed):
    out = binarize(batch, seed)
    seen.append((seed, out))
    return out

  monkeypatch.setattr(input_pipeline, 'binarize_batch', recording)
  config = vae.Config(output_dir=str(tmp_path / 'run'),
                      **dict(TINY, dataset='mnist_dynamic', epochs=2))
  results = vae.run(config, data=(grey, valid, test), log=_quiet)
  steps = 2 * len(grey) // TINY['batch_size']
  assert len(seen) == steps
  assert len({s for s, _ in seen}) == steps              # a new draw per step
  assert all(set(np.unique(b)) <= {0., 1.} for _, b in seen)
  assert results['settings']['dataset'] == 'mnist_dynamic'
  assert vae.run_folder_name(config).startswith('mnist_dynamic-')
  assert 'binarized anew' in ' '.join(
      str(v) for row in results['settings_explained'] for v in row)
