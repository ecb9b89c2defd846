"""The JAX train step: stateless calls, ``jax.vjp`` and ``jax.jit``.

The only JAX-specific code of the DCGAN engine. JAX arrays are immutable, so
the trainer keeps the run's state (both networks, both optimizers, the EMA
copy) as arrays on the device and writes it back into the Keras variables
only when asked (``sync``), before a checkpoint or a sample grid. One forward
pass feeds both updates, as in the TensorFlow step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from artgen.dcgan import augment, losses
from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN

__all__ = ["JaxTrainer"]


def _values(variables) -> list:
    return [variable.value for variable in variables]


def _loss_scale(optimizer, optimizer_state: list, like):
    """The current dynamic loss scale from the optimizer's state (1 without loss scaling)."""
    scale = getattr(optimizer, "dynamic_scale", None)
    if scale is None:
        return jnp.ones_like(like)
    index = next(i for i, variable in enumerate(optimizer.variables) if variable is scale)
    return optimizer_state[index].astype(like.dtype)


class JaxTrainer:
    """Runs jitted train steps on device-resident state mirroring a :class:`GAN`."""

    def __init__(self, gan: GAN, config: TrainConfig) -> None:
        self.gan = gan
        self.state = self._read_state()
        self._step = jax.jit(self._make_step(gan, config), donate_argnums=(0,))

    def _read_state(self) -> dict[str, list]:
        gan = self.gan
        state = {
            "g_trainable": _values(gan.generator.trainable_variables),
            "g_fixed": _values(gan.generator.non_trainable_variables),
            "d_trainable": _values(gan.discriminator.trainable_variables),
            "d_fixed": _values(gan.discriminator.non_trainable_variables),
            "g_optimizer": _values(gan.g_optimizer.variables),
            "d_optimizer": _values(gan.d_optimizer.variables),
        }
        if gan.ema_generator is not None:
            state["ema_trainable"] = _values(gan.ema_generator.trainable_variables)
            state["ema_fixed"] = _values(gan.ema_generator.non_trainable_variables)
        return state

    @staticmethod
    def _make_step(gan: GAN, config: TrainConfig):
        generator, discriminator = gan.generator, gan.discriminator
        policy = config.augment
        d_loss_fn, g_loss_fn = losses.for_config(config)

        def step(state, real_uint8, latent, aug_real, aug_fake, ema_decay):
            real = real_uint8.astype(jnp.float32) / 127.5 - 1.0

            def forward(g_trainable, d_trainable):
                fake, g_fixed = generator.stateless_call(g_trainable, state["g_fixed"], latent, training=True)
                real_in, fake_in = real, fake
                if policy:
                    real_in = augment.apply(real, aug_real, policy)
                    fake_in = augment.apply(fake, aug_fake, policy)
                real_logits, d_fixed = discriminator.stateless_call(
                    d_trainable, state["d_fixed"], real_in, training=True
                )
                fake_logits, d_fixed = discriminator.stateless_call(
                    d_trainable, d_fixed, fake_in, training=True
                )
                d_loss = d_loss_fn(real_logits, fake_logits)
                g_loss = g_loss_fn(fake_logits)
                aux = (
                    g_fixed,
                    d_fixed,
                    jnp.mean(jax.nn.sigmoid(real_logits)),
                    jnp.mean(jax.nn.sigmoid(fake_logits)),
                )
                return (d_loss, g_loss), aux

            (d_loss, g_loss), backward, (g_fixed, d_fixed, d_real, d_fake) = jax.vjp(
                forward, state["g_trainable"], state["d_trainable"], has_aux=True
            )
            # Pulling back the loss scale instead of 1 gives the gradients of the scaled
            # loss (float16 loss scaling); the LossScaleOptimizer unscales them.
            zero = jnp.zeros_like(d_loss)
            _, d_grads = backward((_loss_scale(gan.d_optimizer, state["d_optimizer"], d_loss), zero))
            g_grads, _ = backward((zero, _loss_scale(gan.g_optimizer, state["g_optimizer"], g_loss)))
            d_trainable, d_optimizer = gan.d_optimizer.stateless_apply(
                state["d_optimizer"], d_grads, state["d_trainable"]
            )
            g_trainable, g_optimizer = gan.g_optimizer.stateless_apply(
                state["g_optimizer"], g_grads, state["g_trainable"]
            )
            new_state = {
                "g_trainable": g_trainable,
                "g_fixed": g_fixed,
                "d_trainable": d_trainable,
                "d_fixed": d_fixed,
                "g_optimizer": g_optimizer,
                "d_optimizer": d_optimizer,
            }
            if "ema_trainable" in state:
                blend = lambda average, weight: ema_decay * average + (1.0 - ema_decay) * weight  # noqa: E731
                new_state["ema_trainable"] = jax.tree.map(blend, state["ema_trainable"], g_trainable)
                new_state["ema_fixed"] = jax.tree.map(blend, state["ema_fixed"], g_fixed)
            metrics = {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}
            return new_state, metrics

        return step

    def step(self, inputs: dict[str, np.ndarray]) -> dict[str, float]:
        self.state, metrics = self._step(
            self.state,
            inputs["real"],
            inputs["latent"],
            inputs["aug_real"],
            inputs["aug_fake"],
            inputs["ema_decay"],
        )
        return {name: float(value) for name, value in metrics.items()}

    def sync(self) -> None:
        """Copy the device state back into the Keras variables (for saving and sampling)."""
        gan = self.gan
        pairs = [
            (gan.generator.trainable_variables, "g_trainable"),
            (gan.generator.non_trainable_variables, "g_fixed"),
            (gan.discriminator.trainable_variables, "d_trainable"),
            (gan.discriminator.non_trainable_variables, "d_fixed"),
            (gan.g_optimizer.variables, "g_optimizer"),
            (gan.d_optimizer.variables, "d_optimizer"),
        ]
        if gan.ema_generator is not None:
            pairs += [
                (gan.ema_generator.trainable_variables, "ema_trainable"),
                (gan.ema_generator.non_trainable_variables, "ema_fixed"),
            ]
        for variables, key in pairs:
            for variable, value in zip(variables, self.state[key], strict=False):
                variable.assign(jnp.array(value, copy=True))  # the state buffers are donated next step

    def reload(self) -> None:
        """Take the Keras variables' values as the device state (after a rollback restored them)."""
        self.state = self._read_state()
