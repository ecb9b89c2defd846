"""The toy GAN's TensorFlow train step: GradientTape + tf.function.

The only TensorFlow-specific code of the lab. Both networks update once per
step from one generator pass, with the image GAN's update (``dcgan/update.py``:
non-saturating losses, no label smoothing), plus an optional R1 penalty (Mescheder
et al., 2018) on the discriminator's slope at real data: without it a 1-D GAN
circles around the target instead of settling on it. The discriminator judges
numbers in packs of its input width (PacGAN): a batch of B numbers is B/pack packs.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from artgen.dcgan import update

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
                out = update.gan_outputs(real_logits, fake_logits)
                if r1_weight:
                    out["d_loss"] = out["d_loss"] + update.r1_penalty(slopes, r1_weight)
            d_grads = d_tape.gradient(out["d_loss"], discriminator.trainable_variables)
            g_grads = g_tape.gradient(out["g_loss"], generator.trainable_variables)
            d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
            g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
            return out

        self._step = tf.function(step, reduce_retracing=True)

    def step(self, real: np.ndarray, noise: np.ndarray) -> dict[str, float]:
        return {name: float(value) for name, value in self._step(real, noise).items()}
