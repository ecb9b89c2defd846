"""The toy GAN's TensorFlow train step: GradientTape + tf.function.

The only TensorFlow-specific code of the lab. Both networks update once per
step from one generator pass, with the DCGAN losses (non-saturating for the
generator) shared with the image GAN, plus an optional R1 penalty (Mescheder
et al., 2018) on the discriminator's slope at real data: without it a 1-D GAN
circles around the target instead of settling on it. The discriminator judges
numbers in packs of its input width (PacGAN): a batch of B numbers is B/pack packs.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from artgen.dcgan import losses

__all__ = ["TensorFlowToyTrainer"]


class TensorFlowToyTrainer:
    """``step(real, noise)`` -> losses and mean discriminator outputs, as floats."""

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        g_optimizer: keras.optimizers.Optimizer,
        d_optimizer: keras.optimizers.Optimizer,
        r1_weight: float,
    ) -> None:
        pack = int(discriminator.input_shape[-1])

        def step(real, noise):
            real = tf.reshape(real, (-1, pack))
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = tf.reshape(generator(noise, training=True), (-1, pack))
                with tf.GradientTape() as input_tape:
                    input_tape.watch(real)
                    real_logits = discriminator(real, training=True)
                slopes = input_tape.gradient(real_logits, real)
                fake_logits = discriminator(fake, training=True)
                d_loss = losses.discriminator_loss(real_logits, fake_logits, 1.0)
                if r1_weight:
                    squared = tf.reduce_sum(tf.square(slopes), axis=-1)
                    d_loss = d_loss + r1_weight * 0.5 * tf.reduce_mean(squared)
                g_loss = losses.generator_loss(fake_logits)
            d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
            g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
            d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
            g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
            return {
                "d_loss": d_loss,
                "g_loss": g_loss,
                "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            }

        self._step = tf.function(step, reduce_retracing=True)

    def step(self, real: np.ndarray, noise: np.ndarray) -> dict[str, float]:
        return {name: float(value) for name, value in self._step(real, noise).items()}
