"""DCGAN generator and discriminator (Radford et al., 2015), in backend-free Keras 3.

Widths follow the image size: the generator starts from 4x4 and doubles the
resolution per transposed convolution; the discriminator mirrors it. The
last layers run in float32 so that mixed precision never touches the
outputs the losses read.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers

__all__ = ["build_generator", "build_discriminator", "channel_plan", "recalibrate_batch_norm"]


def _init(seeds: keras.random.SeedGenerator) -> keras.initializers.Initializer:
    # DCGAN's N(0, 0.02). An explicit seed generator rather than global seeding:
    # keras.utils.set_random_seed would import TensorFlow even under JAX.
    return keras.initializers.RandomNormal(stddev=0.02, seed=seeds)


def channel_plan(size: int, width: int) -> list[int]:
    """Channels from 4x4 up to size/2: e.g. 64 px, width 64 -> [512, 256, 128, 64]."""
    blocks = int(math.log2(size)) - 2
    return [min(width * 2 ** (blocks - 1 - i), width * 8) for i in range(blocks)]


def build_generator(
    size: int, latent_dim: int, width: int, name: str = "generator", seed: int = 0, dtype: str | None = None
) -> keras.Model:
    """Latent vector -> (size, size, 3) image in [-1, 1]; same seed, same initial weights.

    ``dtype`` is a Keras dtype policy such as ``mixed_float16``; the output layer stays float32.
    """
    plan = channel_plan(size, width)
    seeds = keras.random.SeedGenerator(seed)
    z = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(4 * 4 * plan[0], use_bias=False, kernel_initializer=_init(seeds), dtype=dtype)(z)
    x = layers.Reshape((4, 4, plan[0]), dtype=dtype)(x)
    x = layers.BatchNormalization(dtype=dtype)(x)
    x = layers.ReLU(dtype=dtype)(x)
    for channels in plan[1:]:
        x = layers.Conv2DTranspose(
            channels,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=_init(seeds),
            dtype=dtype,
        )(x)
        x = layers.BatchNormalization(dtype=dtype)(x)
        x = layers.ReLU(dtype=dtype)(x)
    x = layers.Conv2DTranspose(3, 4, strides=2, padding="same", kernel_initializer=_init(seeds), dtype=dtype)(
        x
    )
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(z, image, name=name)


def build_discriminator(
    size: int,
    width: int,
    name: str = "discriminator",
    seed: int = 0,
    dtype: str | None = None,
    spectral_norm: bool = False,
) -> keras.Model:
    """(size, size, 3) image in [-1, 1] -> one real/fake logit; same seed, same initial weights.

    ``dtype`` is a Keras dtype policy such as ``mixed_float16``; the logit layer stays float32.
    ``spectral_norm`` divides each conv and dense kernel by its largest singular value
    (Miyato et al., 2018, one power iteration per call) and, as their SNGAN does, drops the
    batch norms, whose rescaling would undo that bound on the discriminator's slope.
    """
    plan = list(reversed(channel_plan(size, width)))
    seeds = keras.random.SeedGenerator(seed)
    image = keras.Input((size, size, 3), name="image")
    x = _normalized(
        layers.Conv2D(plan[0], 4, strides=2, padding="same", kernel_initializer=_init(seeds), dtype=dtype),
        spectral_norm,
    )(image)
    x = layers.LeakyReLU(0.2, dtype=dtype)(x)
    for channels in plan[1:]:
        x = _normalized(
            layers.Conv2D(
                channels,
                4,
                strides=2,
                padding="same",
                use_bias=spectral_norm,  # without batch norm after it, the conv needs its bias
                kernel_initializer=_init(seeds),
                dtype=dtype,
            ),
            spectral_norm,
        )(x)
        if not spectral_norm:
            x = layers.BatchNormalization(dtype=dtype)(x)
        x = layers.LeakyReLU(0.2, dtype=dtype)(x)
    x = layers.Flatten(dtype=dtype)(x)
    dense = layers.Dense(1, dtype="float32", kernel_initializer=_init(seeds), name="logit")
    logit = _normalized(dense, spectral_norm)(x)
    model = keras.Model(image, logit, name=name)
    for layer in model.layers:
        if isinstance(layer, layers.SpectralNormalization):
            # Keras draws the power iteration's start unseeded; same seed, same start.
            start = keras.random.truncated_normal(layer.vector_u.shape, stddev=0.02, seed=seeds)
            layer.vector_u.assign(keras.ops.cast(start, layer.vector_u.dtype))
    return model


def _normalized(layer: layers.Layer, spectral_norm: bool) -> layers.Layer:
    """``layer`` itself, or wrapped in spectral normalization (same dtype, name ``sn_<name>``)."""
    if not spectral_norm:
        return layer
    return layers.SpectralNormalization(layer, dtype=layer.dtype_policy, name=f"sn_{layer.name}")


def recalibrate_batch_norm(generator: keras.Model, seed: int, batch_size: int = 256) -> keras.Model:
    """Set every batch-norm layer's moving statistics to those of one large batch, in place.

    An averaged (EMA) generator's weights never produced the moving statistics it
    carries: those are an average of statistics of other weights, and early in a
    run they are far off, which is what turned short runs' samples flat grey.
    BigGAN's "standing statistics" fix this by measuring them again.
    """
    layers = [layer for layer in generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not layers:
        return generator
    latent = np.random.default_rng([seed, 7919]).standard_normal(
        (batch_size, int(generator.input_shape[-1])), dtype=np.float32
    )
    momenta = [layer.momentum for layer in layers]
    try:
        for layer in layers:
            layer.momentum = 0.0  # the next training-mode call replaces the statistics
        generator(latent, training=True)
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
    return generator
