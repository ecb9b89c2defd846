"""GAN losses on logits, written with ``keras.ops`` so every backend shares them (see ``update.py``)."""

from __future__ import annotations

from keras import ops

__all__ = [
    "bce_with_logits",
    "discriminator_loss",
    "generator_loss",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
]


def bce_with_logits(logits, target: float):
    """Mean binary cross-entropy against a constant target, stable for any logit."""
    return ops.mean(ops.softplus(logits) - target * logits)


def discriminator_loss(real_logits, fake_logits, real_label: float):
    """Real images towards ``real_label`` (one-sided smoothing, e.g. 0.9), fakes towards 0."""
    return bce_with_logits(real_logits, real_label) + bce_with_logits(fake_logits, 0.0)


def generator_loss(fake_logits):
    """Non-saturating generator loss: make the discriminator call fakes real."""
    return bce_with_logits(fake_logits, 1.0)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss (Lim & Ye, 2017; SAGAN, BigGAN): no gradient from samples already past the margin."""
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    return -ops.mean(fake_logits)
