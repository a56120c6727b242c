"""The EAT rows of the VAE study (`--estimator=eat_cubic|eat_sigmoid`).

A tiny run on generated data (a 64-pixel toy set, 3 latents, one hidden
layer of 16 units, 3 epochs of 20 steps) and the evaluation's EAT samples;
nothing here reads the real data sets.
"""

import json

import numpy as np
import pytest
import tensorflow as tf

from tfp_gengs.distributions import eat_poisson
from tfp_gengs.experiments import vae
from tfp_gengs.experiments.vae import evaluation as vae_evaluation
from tfp_gengs.experiments.vae import models as vae_model
import vae_toy  # noqa: E402  (tests/vae_toy.py)

PIXELS, TINY, _toy_data = vae_toy.PIXELS, vae_toy.TINY, vae_toy.toy_data


def test_tiny_eat_cubic_run_learns_with_the_eat_layer(tmp_path):
  config = vae.Config(output_dir=str(tmp_path), estimator='eat_cubic',
                      **TINY)
  results = vae.run(config, data=_toy_data(), log=lambda line: None)
  with open(tmp_path / 'results.json') as f:
    saved = json.load(f)
  assert saved['settings']['inference'] == 'explicit'
  window = saved['window']
  # Window {0..K}: K >= the GenGS window of Poisson(2) ({0..12}) and covers
  # rate 2 at the initial temperature 1.
  k = max(12, eat_poisson.default_num_arrivals(2., 1., 'cubic', 1e-6))
  assert (window['low'], window['high'], window['num_arrivals']) == (0, k, k)
  assert window['relaxation'] == 'eat_cubic'
  losses = [h['train_loss'] for h in saved['history']]
  assert losses[-1] < 0.9 * losses[0], losses
  test = results['test']
  for key in ('neg_elbo_relaxed', 'neg_elbo_hard', 'neg_log_likelihood_iw',
              'kl'):
    assert np.isfinite(test[key][0]), key
  assert test['all_hard_latents_are_outcomes']
  assert 'EAT-cubic (Ex.)' in (tmp_path / 'summary.md').read_text()


def test_evaluation_draws_the_eat_relaxation_with_common_arrivals():
  model, window = vae_model.build_vae('poisson2', 'explicit', latent_dims=3,
                                      hidden=(8,), data_dim=PIXELS,
                                      temperature=0.5,
                                      relaxation='eat_sigmoid')
  k = window['num_arrivals']
  h = tf.math.log(tf.constant([[0.5, 2., 6.]] * 4))
  seed = tf.constant([3, 4])
  q, relaxed, hard = vae_evaluation.layer_latents(model.latent, h, 0.5, 50,
                                                  seed)
  assert relaxed.shape == hard.shape == (50, 4, 3)
  np.testing.assert_array_equal(hard, np.round(hard))
  assert np.all((hard.numpy() >= 0) & (hard.numpy() <= k))
  np.testing.assert_array_equal(
      relaxed, eat_poisson.relaxed_count(h, 0.5, k, 'sigmoid',
                                         sample_shape=[50], seed=seed))
  np.testing.assert_array_equal(
      hard, eat_poisson.relaxed_count(h, 0.5, k, 'sigmoid',
                                      sample_shape=[50], seed=seed,
                                      straight_through=True))
  # q is the Poisson truncated to {0..K}: the law of the hard latents.
  assert q.num_outcomes == k + 1
  np.testing.assert_allclose(q.mean()[0], [0.5, 2., 6.], rtol=1e-4)


def test_eat_needs_a_poisson_prior():
  with pytest.raises(ValueError, match=r"relaxation='eat_cubic' needs a "
                     r'Poisson prior; got Geometric\(0.5\)'):
    vae_model.build_vae('geometric.5', 'explicit', latent_dims=2,
                        hidden=(4,), data_dim=8, relaxation='eat_cubic')
