"""The JAX train step: stateless calls, ``jax.vjp`` and ``jax.jit``.

The JAX-specific part of the DCGAN engine: it differentiates and applies the
backend-free update of ``update.py``. JAX arrays are immutable, so
the trainer keeps the run's state (both networks, both optimizers, the EMA
copy) as arrays on the device and writes it back into the Keras variables
only when asked (``sync``), before a checkpoint or a sample grid.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from artgen.dcgan import update
from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN

__all__ = ["JaxTrainer"]


def _values(variables) -> list:
    return [variable.value for variable in variables]


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

        def step(state, real_uint8, latent, aug_real, aug_fake, ema_decay):
            def forward(g_trainable, d_trainable):
                fixed = {"g": state["g_fixed"], "d": state["d_fixed"]}  # batch-norm statistics, threaded

                def generate(z):
                    images, fixed["g"] = generator.stateless_call(g_trainable, fixed["g"], z, training=True)
                    return images

                def discriminate(images):
                    logits, fixed["d"] = discriminator.stateless_call(
                        d_trainable, fixed["d"], images, training=True
                    )
                    return logits

                out = update.dcgan_outputs(
                    generate, discriminate, real_uint8, latent, aug_real, aug_fake, config
                )
                scaled = (
                    update.scale_loss(out["d_loss"], gan.d_optimizer, state["d_optimizer"]),
                    update.scale_loss(out["g_loss"], gan.g_optimizer, state["g_optimizer"]),
                )
                return scaled, (fixed["g"], fixed["d"], out)

            (d_scaled, g_scaled), backward, (g_fixed, d_fixed, metrics) = jax.vjp(
                forward, state["g_trainable"], state["d_trainable"], has_aux=True
            )
            # One forward pass, pulled back twice: each network's gradient of its own (scaled) loss.
            one, zero = jnp.ones_like(d_scaled), jnp.zeros_like(d_scaled)
            _, d_grads = backward((one, zero))
            g_grads, _ = backward((zero, one))
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
                new_state["ema_trainable"] = update.moving_average(
                    state["ema_trainable"], g_trainable, ema_decay
                )
                new_state["ema_fixed"] = update.moving_average(state["ema_fixed"], g_fixed, ema_decay)
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
