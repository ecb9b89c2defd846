"""The TensorFlow train step: GradientTape + tf.function.

The TensorFlow-specific part of the DCGAN engine: it differentiates and
applies the backend-free update of ``update.py``. ``distribute_tensorflow.py``
runs the same :func:`apply_update` on every replica.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from artgen.dcgan import update
from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN

__all__ = ["TensorFlowTrainer", "apply_update", "apply_moving_average"]


def apply_update(
    gan: GAN, config: TrainConfig, real_uint8, latent, aug_real, aug_fake, replicas: int = 1
) -> update.Outputs:
    """One step of both networks from one forward pass; returns the losses and D outputs."""
    generator, discriminator = gan.generator, gan.discriminator
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        out = update.dcgan_outputs(
            lambda latent: generator(latent, training=True),
            lambda images: discriminator(images, training=True),
            real_uint8,
            latent,
            aug_real,
            aug_fake,
            config,
            replicas,
        )
        d_scaled = update.scale_loss(out["d_loss"], gan.d_optimizer)
        g_scaled = update.scale_loss(out["g_loss"], gan.g_optimizer)
    d_vars, g_vars = discriminator.trainable_variables, generator.trainable_variables
    d_grads = d_tape.gradient(d_scaled, d_vars)
    g_grads = g_tape.gradient(g_scaled, g_vars)
    gan.d_optimizer.apply_gradients(zip(d_grads, d_vars, strict=True))
    gan.g_optimizer.apply_gradients(zip(g_grads, g_vars, strict=True))
    return out


def apply_moving_average(gan: GAN, decay) -> None:
    """Move the EMA generator's variables (in place) towards the generator's."""
    if gan.ema_generator is None:
        return
    averages = gan.ema_generator.weights
    for average, value in zip(
        averages, update.moving_average(averages, gan.generator.weights, decay), strict=True
    ):
        average.assign(value)


class TensorFlowTrainer:
    """Runs train steps on a :class:`GAN` whose variables TensorFlow updates in place."""

    def __init__(self, gan: GAN, config: TrainConfig) -> None:
        self.gan = gan

        def step(real_uint8, latent, aug_real, aug_fake, ema_decay):
            out = apply_update(gan, config, real_uint8, latent, aug_real, aug_fake)
            apply_moving_average(gan, ema_decay)
            return out

        self._step = tf.function(step, jit_compile=config.xla, reduce_retracing=True)

    def step(self, inputs: dict[str, np.ndarray]) -> dict[str, float]:
        out = self._step(
            inputs["real"], inputs["latent"], inputs["aug_real"], inputs["aug_fake"], inputs["ema_decay"]
        )
        return {name: float(value) for name, value in out.items()}

    def sync(self) -> None:
        """Variables are updated in place; nothing to copy back before saving."""

    def reload(self) -> None:
        """The step reads the variables themselves; nothing to reload."""
