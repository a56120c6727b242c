"""A Poisson VAE in Keras 3 with a GenGS latent layer (runs in seconds)."""
import keras
import numpy as np
import tfp_gengs as gengs

rng = np.random.default_rng(0)
x_train = (rng.random([512, 64]) < 0.25).astype('float32')  # binary data

x = keras.Input((64,))
h = keras.layers.Dense(128, activation='relu')(x)
log_rate = keras.layers.Dense(8)(h)                # explicit: the log-rates
# 8 latent counts, prior Poisson(2) truncated to {0..12}. The layer adds
# kl_weight * KL(q || prior) to the loss: with the per-pixel mean
# cross-entropy below, the total loss is the negative ELBO / 64.
z = gengs.layers.GenGSPoissonLayer(prior_rate=2., high=12, kl_weight=1 / 64,
                                   name='z', seed=0)(log_rate)
h = keras.layers.Dense(128, activation='relu')(z)  # z: relaxed counts
vae = keras.Model(x, keras.layers.Dense(64)(h))    # Bernoulli logits
vae.compile(keras.optimizers.Adam(1e-3),
            keras.losses.BinaryCrossentropy(from_logits=True))
anneal = gengs.layers.TemperatureAnnealing(initial=1., minimum=0.5, rate=1e-2)
history = vae.fit(x_train, x_train, batch_size=64, epochs=2,
                  callbacks=[anneal], verbose=0)
print(history.history)  # loss, z_kl (the KL metric) and temperature
vae.save('poisson_vae.keras')  # keras.models.load_model('poisson_vae.keras')
