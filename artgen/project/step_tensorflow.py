"""The projection's TensorFlow-specific code: its gradient, and its forward pass, as traced graphs.

The objective is backend-free (:func:`artgen.project.distance.objective`);
this module only wraps it in ``tf.GradientTape`` and ``tf.function``. Its twin
is ``step_jax.py``; :func:`artgen.project.search.backend` picks one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

__all__ = ["value_and_grad", "compiled"]


def value_and_grad(generator: keras.Model, vgg: keras.Model, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Traced ``(z, *args) -> ((value, aux), d value / d z)`` of ``fn(generator, vgg, z, *args)``.

    ``reduce_retracing``: the last, smaller batch of latents shares the trace.
    """

    @tf.function(jit_compile=False, reduce_retracing=True)
    def step(z, *args):
        with tf.GradientTape() as tape:
            tape.watch(z)
            value, aux = fn(generator, vgg, z, *args)
        return (value, aux), tape.gradient(value, z)

    return step


def compiled(generator: keras.Model, vgg: keras.Model, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Traced ``(*args) -> fn(generator, vgg, *args)``, no gradient."""

    @tf.function(jit_compile=False, reduce_retracing=True)
    def run(*args):
        return fn(generator, vgg, *args)

    return run
