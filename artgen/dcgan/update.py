"""The GAN update, written once: losses and metrics, their scaling, the EMA, in ``keras.ops``.

Every backend's train step (``step_tensorflow.py``, ``distribute_tensorflow.py``,
``step_jax.py``) and the toy lab call these functions and only add what is
theirs: taking gradients, applying them, compiling and distributing. So the
numbers a run computes cannot drift between backends, and a change to a loss
is made in one place.

The networks are passed as callables (``generate(latent)``,
``discriminate(images)``): a TensorFlow step calls the models themselves, a
JAX step closes over ``stateless_call`` and the variables it threads through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from keras import ops

from artgen.dcgan import augment, losses

__all__ = ["Outputs", "gan_outputs", "dcgan_outputs", "scale_loss", "moving_average", "r1_penalty"]

Outputs = dict[str, Any]  # d_loss, g_loss (what is differentiated), d_real, d_fake (mean D outputs)


def gan_outputs(
    real_logits, fake_logits, loss: str = "ns", real_label: float = 1.0, replicas: int = 1
) -> Outputs:
    """Both losses and the mean discriminator outputs, from the discriminator's logits.

    ``loss`` "ns" is the non-saturating loss with real images aimed at
    ``real_label`` (one-sided smoothing: 0.9 in the classic recipe); "hinge"
    ignores it. Under data parallelism each of ``replicas`` replicas sees a
    slice of the global batch: its means divided by ``replicas`` sum, across
    replicas, to the global batch's means (what one device would compute).
    """
    if loss == "hinge":
        d_loss = losses.hinge_discriminator_loss(real_logits, fake_logits)
        g_loss = losses.hinge_generator_loss(fake_logits)
    else:
        d_loss = losses.discriminator_loss(real_logits, fake_logits, real_label)
        g_loss = losses.generator_loss(fake_logits)
    d_real, d_fake = ops.mean(ops.sigmoid(real_logits)), ops.mean(ops.sigmoid(fake_logits))
    if replicas > 1:
        d_loss, g_loss, d_real, d_fake = (value / replicas for value in (d_loss, g_loss, d_real, d_fake))
    return {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}


def dcgan_outputs(
    generate: Callable,
    discriminate: Callable,
    real_uint8,
    latent,
    aug_real: dict,
    aug_fake: dict,
    config,
    replicas: int = 1,
) -> Outputs:
    """One DCGAN forward pass: real pixels and fakes (both augmented alike), judged, scored.

    One pass of the generator feeds both updates (as in TensorFlow's DCGAN
    tutorial). ``config`` is a :class:`~artgen.dcgan.config.TrainConfig`:
    its ``augment`` policy, ``loss`` and ``label_smoothing`` are read.
    """
    real = ops.cast(real_uint8, "float32") / 127.5 - 1.0
    fake = generate(latent)
    real_in, fake_in = real, fake
    if config.augment:
        real_in = augment.apply(real, aug_real, config.augment)
        fake_in = augment.apply(fake, aug_fake, config.augment)
    real_logits = discriminate(real_in)
    fake_logits = discriminate(fake_in)
    return gan_outputs(real_logits, fake_logits, config.loss, config.label_smoothing, replicas)


def scale_loss(loss, optimizer, optimizer_values: Sequence | None = None):
    """``loss`` times the optimizer's dynamic loss scale; ``loss`` itself without loss scaling.

    float16 runs wrap Adam in a LossScaleOptimizer, which unscales the
    gradients and skips steps whose gradients overflowed. A JAX step keeps
    the optimizer's variables as arrays and passes them as
    ``optimizer_values``, so the scale is read from the traced state rather
    than baked into the compiled step.
    """
    scale = getattr(optimizer, "dynamic_scale", None)
    if scale is None:
        return loss
    if optimizer_values is not None:
        index = next(i for i, variable in enumerate(optimizer.variables) if variable is scale)
        scale = optimizer_values[index]
    return ops.multiply(loss, ops.cast(scale, loss.dtype))


def moving_average(averages: Sequence, weights: Sequence, decay) -> list:
    """The EMA generator's next weights: ``decay`` of the average, the rest from the generator."""
    return [
        decay * average + (1.0 - decay) * weight for average, weight in zip(averages, weights, strict=True)
    ]


def r1_penalty(slopes, weight: float):
    """R1 (Mescheder et al., 2018): ``weight``/2 times the squared slope of D at real data, averaged."""
    return weight * 0.5 * ops.mean(ops.sum(ops.square(slopes), axis=-1))
