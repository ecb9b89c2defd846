"""The plain DCGAN a user would otherwise write: the reference of the DCGAN benchmarks.

TensorFlow's DCGAN tutorial step (GradientTape in a ``tf.function``, Adam
2e-4 / 0.5, a fresh 100-d latent batch per step) on artgen's own Keras
networks, so a benchmark compares the training, not the architecture. Both
``dcgan_throughput.py`` and ``dcgan_quality.py`` time this one loop.
"""

from __future__ import annotations

from collections.abc import Callable

LATENT_DIM = 100


def plain_step(generator, discriminator, real_label: float = 1.0) -> Callable:
    """``step(real)`` -> the discriminator's loss: one update of both networks, as the tutorial does."""
    import keras
    import tensorflow as tf

    from artgen.dcgan.losses import discriminator_loss, generator_loss

    g_opt, d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)

    @tf.function
    def step(real):
        z = tf.random.normal((tf.shape(real)[0], LATENT_DIM))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(z, training=True)
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits, real_label)
            g_loss = generator_loss(fake_logits)
        d_vars, g_vars = discriminator.trainable_variables, generator.trainable_variables
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars, strict=True))
        return d_loss

    return step
