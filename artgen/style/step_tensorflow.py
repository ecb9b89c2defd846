"""The compiled loss-and-gradient step: the only TensorFlow-specific code of style transfer.

The optimisers (:mod:`artgen.style.optimisers`) work on flat float64 numpy
vectors, as SciPy's L-BFGS-B does; this module turns such a vector into an
image tensor, runs VGG and the losses under one ``tf.function`` and hands
back the loss, its gradient and the separate terms. A JAX backend would
add a ``step_jax.py`` with the same ``make_value_and_grad``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from artgen.style.losses import Targets, Weights, loss_terms, tile_share, tile_statistics

__all__ = ["make_value_and_grad", "make_tile_functions"]

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray, dict[str, float]]]


def make_value_and_grad(
    model, targets: Targets, weights: Weights, shape: tuple[int, int, int, int]
) -> ValueAndGrad:
    """``f(x) -> (total, d total / dx, terms)`` for flat Caffe-space images of ``shape``."""
    constants = Targets(
        content=tf.constant(targets.content),
        grams=tuple(tf.constant(g) for g in targets.grams),
        layer_weights=targets.layer_weights,
        content_norm=targets.content_norm,
        gram_norms=targets.gram_norms,
    )

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)], jit_compile=False)
    def step(image):
        with tf.GradientTape() as tape:
            tape.watch(image)
            terms = loss_terms(model, image, constants, weights)
        return terms, tape.gradient(terms["total"], image)

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
        terms, grad = step(tf.constant(np.asarray(x, dtype=np.float32).reshape(shape)))
        values = {name: float(value) for name, value in terms.items()}
        return values["total"], grad.numpy().astype(np.float64).ravel(), values

    return value_and_grad


def make_tile_functions(model):
    """Compiled ``statistics(window, masks)`` and ``share(window, masks, gram_grads, target, scale)``.

    Shapes are left open (``None``) in the signatures, so each function is
    traced once however many window shapes a picture's tiles have.
    """
    count = len(model.outputs)
    image = tf.TensorSpec((1, None, None, 3), tf.float32)
    masks = [tf.TensorSpec((1, None, None, 1), tf.float32)] * count
    grams = [tf.TensorSpec((t.shape[-1], t.shape[-1]), tf.float32) for t in model.outputs[:-1]]
    target = tf.TensorSpec((1, None, None, model.outputs[-1].shape[-1]), tf.float32)
    scalar = tf.TensorSpec((), tf.float32)

    @tf.function(input_signature=[image, masks], jit_compile=False)
    def statistics(window, masks):
        return tile_statistics(model, window, masks)

    @tf.function(input_signature=[image, masks, grams, target, scalar], jit_compile=False)
    def share(window, masks, gram_grads, content_target, content_scale):
        with tf.GradientTape() as tape:
            tape.watch(window)
            surrogate, content = tile_share(model, window, masks, gram_grads, content_target, content_scale)
        return content, tape.gradient(surrogate, window)

    def run_statistics(window, masks):
        sums, content = statistics(window, masks)
        return [s.numpy() for s in sums], content.numpy()

    def run_share(window, masks, gram_grads, content_target, content_scale):
        content, grad = share(window, masks, gram_grads, content_target, np.float32(content_scale))
        return float(content), grad.numpy()

    return run_statistics, run_share
