"""The projection's JAX-specific code: its gradient, and its forward pass, compiled by ``jax.jit``.

The twin of ``step_tensorflow.py``. Both networks run through
``stateless_call`` with their weights passed in as arguments, so the
compiled program is a function of the latents and the weights rather than
one with 60 MB of VGG weights baked in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import keras

__all__ = ["value_and_grad", "compiled"]


class _Stateless:
    """Calls a Keras model with explicit weights, as the objective calls ``model(x)``."""

    def __init__(self, model: keras.Model, weights: tuple[list, list]) -> None:
        self.model, self.weights = model, weights

    def __call__(self, x, training: bool = False):
        outputs, _ = self.model.stateless_call(*self.weights, x, training=training)
        return outputs


def _weights(model: keras.Model) -> tuple[list, list]:
    return [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables]


def value_and_grad(generator: keras.Model, vgg: keras.Model, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compiled ``(z, *args) -> ((value, aux), d value / d z)`` of ``fn(generator, vgg, z, *args)``."""

    def objective(z, weights, *args):
        return fn(_Stateless(generator, weights[0]), _Stateless(vgg, weights[1]), z, *args)

    step = jax.jit(jax.value_and_grad(objective, has_aux=True))
    weights = (_weights(generator), _weights(vgg))
    return lambda z, *args: step(z, weights, *args)


def compiled(generator: keras.Model, vgg: keras.Model, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compiled ``(*args) -> fn(generator, vgg, *args)``, no gradient."""

    def run(weights, *args):
        return fn(_Stateless(generator, weights[0]), _Stateless(vgg, weights[1]), *args)

    jitted = jax.jit(run)
    weights = (_weights(generator), _weights(vgg))
    return lambda *args: jitted(weights, *args)
