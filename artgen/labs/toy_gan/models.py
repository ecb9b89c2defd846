"""The toy GAN's two small Dense networks, in backend-free Keras 3.

Both work in standardised units: the generator's output is scaled onto the
real data's mean and spread and the discriminator's input is scaled back, so
the same learning rate works whether the data sits at 0.1 or at 1000. The
scaling is a ``Rescaling`` layer inside each model, so saved models keep it.
"""

from __future__ import annotations

import keras
from keras import layers

__all__ = ["build_generator", "build_discriminator"]


def build_generator(latent_dim: int, hidden: int, mean: float, std: float) -> keras.Model:
    """Noise vector -> one number, near the real data's scale from the first step."""
    z = keras.Input((latent_dim,), name="noise")
    x = layers.Dense(hidden, activation="relu")(z)
    x = layers.Dense(hidden, activation="relu")(x)
    x = layers.Dense(1)(x)
    value = layers.Rescaling(std, offset=mean, name="value")(x)
    return keras.Model(z, value, name="generator")


def build_discriminator(hidden: int, mean: float, std: float, pack: int = 1) -> keras.Model:
    """``pack`` numbers from one source -> the logit of "these are real" (its sigmoid: the probability).

    Judging numbers in packs (PacGAN, Lin et al. 2018) lets the discriminator
    see how spread out they are, not only where each one lies: a generator
    that draws a peak too narrow makes packs of numbers too close together.
    """
    value = keras.Input((pack,), name="values")
    x = layers.Rescaling(1.0 / std, offset=-mean / std)(value)
    # Each first-layer unit bends D(x) at x = -bias/weight. Keras' zero biases put every bend at
    # the data's mean, so D starts as a single kink and cannot see a peak's width away from it:
    # two narrow peaks came out a third too narrow, with a bridge between them. Random biases
    # spread the bends over the data from the first step.
    spread = keras.initializers.RandomNormal(stddev=1.0)
    x = layers.Dense(hidden, kernel_initializer=spread, bias_initializer=spread)(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(hidden)(x)
    x = layers.LeakyReLU(0.2)(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(value, logit, name="discriminator")
