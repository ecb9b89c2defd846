"""The trainable state of a DCGAN run: two networks, their optimizers, the EMA copy.

This is everything a checkpoint holds besides the step number, kept in one
place so that saving, restoring and the backend train steps all agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from artgen.dcgan.config import TrainConfig
from artgen.dcgan.models import build_discriminator, build_generator, recalibrate_batch_norm

__all__ = ["GAN", "DTYPE_POLICIES", "build_gan", "ema_decay_at", "sampling_copy"]

# --precision -> Keras dtype policy of the hidden layers (outputs and losses stay float32).
DTYPE_POLICIES = {"float32": None, "mixed": "mixed_float16", "bf16": "mixed_bfloat16"}


@dataclass
class GAN:
    generator: keras.Model
    discriminator: keras.Model
    ema_generator: keras.Model | None
    g_optimizer: keras.optimizers.Optimizer
    d_optimizer: keras.optimizers.Optimizer

    @property
    def sampler(self) -> keras.Model:
        """The generator to sample from: the EMA copy when there is one (it is smoother)."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def state(self) -> dict[str, list]:
        """Every variable a checkpoint must hold, grouped and in a stable order."""
        groups = {
            "generator": self.generator.weights,
            "discriminator": self.discriminator.weights,
            "g_optimizer": self.g_optimizer.variables,
            "d_optimizer": self.d_optimizer.variables,
        }
        if self.ema_generator is not None:
            groups["ema_generator"] = self.ema_generator.weights
        return groups


def _learning_rate(rate: float, config: TrainConfig, total_steps: int):
    if config.lr_decay == "linear":
        return keras.optimizers.schedules.PolynomialDecay(rate, total_steps, 0.0, power=1.0)
    if config.lr_decay == "cosine":
        return keras.optimizers.schedules.CosineDecay(rate, total_steps)
    return rate


def build_gan(config: TrainConfig, total_steps: int) -> GAN:
    """Fresh networks (seeded from ``config.seed``) with built optimizers.

    ``config.precision`` must be resolved (not ``auto``). float16 needs loss
    scaling to keep small gradients from flushing to zero, so ``mixed`` wraps
    both optimizers in a dynamic LossScaleOptimizer; bfloat16 has float32's
    range and needs none.
    """
    policy = DTYPE_POLICIES[config.precision]
    generator = build_generator(config.size, config.latent_dim, config.width, seed=config.seed, dtype=policy)
    discriminator = build_discriminator(
        config.size, config.width, seed=config.seed + 1, dtype=policy, spectral_norm=config.spectral_norm
    )
    ema = None
    if config.ema:
        ema = build_generator(
            config.size, config.latent_dim, config.width, name="ema_generator", dtype=policy
        )
        ema.set_weights(generator.get_weights())

    def adam(rate: float) -> keras.optimizers.Optimizer:
        optimizer = keras.optimizers.Adam(
            _learning_rate(rate, config, total_steps), beta_1=config.beta1, beta_2=config.beta2
        )
        return keras.optimizers.LossScaleOptimizer(optimizer) if config.precision == "mixed" else optimizer

    g_optimizer = adam(config.learning_rate)
    d_optimizer = adam(config.d_learning_rate or config.learning_rate)
    g_optimizer.build(generator.trainable_variables)
    d_optimizer.build(discriminator.trainable_variables)
    return GAN(generator, discriminator, ema, g_optimizer, d_optimizer)


def ema_decay_at(step: int, decay: float) -> float:
    """Warm the average up so early samples are not dominated by the random init."""
    return min(decay, (1.0 + step) / (10.0 + step))


def sampling_copy(gan: GAN, config: TrainConfig, copy: keras.Model | None = None) -> keras.Model:
    """The generator to draw samples from; with ``config.ema_bn``, a recalibrated copy.

    The copy (reused when given) keeps the checkpointed EMA generator untouched, so
    sampling never changes what a resumed run computes.
    """
    if not config.ema_bn:
        return gan.sampler
    if copy is None:
        policy = DTYPE_POLICIES.get(config.precision)
        copy = build_generator(config.size, config.latent_dim, config.width, name="sampler", dtype=policy)
    copy.set_weights([keras.ops.convert_to_numpy(weight) for weight in gan.sampler.weights])
    return recalibrate_batch_norm(copy, config.seed)
