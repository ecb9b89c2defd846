"""The TensorFlow train step: GradientTape + tf.function.

The only TensorFlow-specific code of the DCGAN engine. One forward pass of
the generator feeds both updates (as in TensorFlow's DCGAN tutorial), and
the EMA generator is updated inside the same compiled function.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from artgen.dcgan import augment, losses
from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN

__all__ = ["TensorFlowTrainer"]


class TensorFlowTrainer:
    """Runs train steps on a :class:`GAN` whose variables TensorFlow updates in place."""

    def __init__(self, gan: GAN, config: TrainConfig) -> None:
        self.gan = gan
        self._step = tf.function(self._make_step(gan, config), jit_compile=config.xla, reduce_retracing=True)

    @staticmethod
    def _make_step(gan: GAN, config: TrainConfig):
        generator, discriminator = gan.generator, gan.discriminator
        policy = config.augment
        d_loss_fn, g_loss_fn = losses.for_config(config)

        def step(real_uint8, latent, aug_real, aug_fake, ema_decay):
            real = tf.cast(real_uint8, tf.float32) / 127.5 - 1.0
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = generator(latent, training=True)
                real_in, fake_in = real, fake
                if policy:
                    real_in = augment.apply(real, aug_real, policy)
                    fake_in = augment.apply(fake, aug_fake, policy)
                real_logits = discriminator(real_in, training=True)
                fake_logits = discriminator(fake_in, training=True)
                d_loss = d_loss_fn(real_logits, fake_logits)
                g_loss = g_loss_fn(fake_logits)
                # The identity unless a LossScaleOptimizer (float16) wraps Adam, whose
                # apply_gradients then unscales and skips steps whose gradients overflowed.
                d_scaled = gan.d_optimizer.scale_loss(d_loss)
                g_scaled = gan.g_optimizer.scale_loss(g_loss)
            d_grads = d_tape.gradient(d_scaled, discriminator.trainable_variables)
            g_grads = g_tape.gradient(g_scaled, generator.trainable_variables)
            gan.d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=False))
            gan.g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables, strict=False))
            if gan.ema_generator is not None:
                for average, weight in zip(gan.ema_generator.weights, generator.weights, strict=False):
                    average.assign(ema_decay * average + (1.0 - ema_decay) * weight)
            return {
                "d_loss": d_loss,
                "g_loss": g_loss,
                "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            }

        return step

    def step(self, inputs: dict[str, np.ndarray]) -> dict[str, float]:
        out = self._step(
            inputs["real"], inputs["latent"], inputs["aug_real"], inputs["aug_fake"], inputs["ema_decay"]
        )
        return {name: float(value) for name, value in out.items()}

    def sync(self) -> None:
        """Variables are updated in place; nothing to copy back before saving."""

    def reload(self) -> None:
        """The step reads the variables themselves; nothing to reload."""
