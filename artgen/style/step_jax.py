"""The compiled loss-and-gradient step under JAX: the JAX twin of ``step_tensorflow.py``.

Same contract: ``f(x) -> (total, d total / dx, terms)`` on flat float64
vectors for the numpy-side optimisers. VGG runs through ``stateless_call``
with its weights passed in as arguments, so ``jax.jit`` compiles one
function of the image alone.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from artgen.style.losses import Targets, Weights, loss_terms, tile_share, tile_statistics

__all__ = ["make_value_and_grad", "make_tile_functions"]

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray, dict[str, float]]]


class _Stateless:
    """Calls a Keras model with explicit weights, as ``loss_terms`` calls ``model(image)``."""

    def __init__(self, model, trainable, fixed) -> None:
        self.model, self.trainable, self.fixed = model, trainable, fixed

    def __call__(self, image, training: bool = False):
        outputs, _ = self.model.stateless_call(self.trainable, self.fixed, image, training=training)
        return outputs


def make_value_and_grad(
    model, targets: Targets, weights: Weights, shape: tuple[int, int, int, int]
) -> ValueAndGrad:
    """``f(x) -> (total, d total / dx, terms)`` for flat Caffe-space images of ``shape``."""
    constants = Targets(
        content=jnp.asarray(targets.content),
        grams=tuple(jnp.asarray(g) for g in targets.grams),
        layer_weights=targets.layer_weights,
        content_norm=targets.content_norm,
        gram_norms=targets.gram_norms,
    )
    trainable = [v.value for v in model.trainable_variables]
    fixed = [v.value for v in model.non_trainable_variables]

    def total(image, trainable, fixed):
        terms = loss_terms(_Stateless(model, trainable, fixed), image, constants, weights)
        return terms["total"], terms

    step = jax.jit(jax.value_and_grad(total, has_aux=True))

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
        image = jnp.asarray(np.asarray(x, dtype=np.float32).reshape(shape))
        (_, terms), grad = step(image, trainable, fixed)
        values = {name: float(value) for name, value in terms.items()}
        return values["total"], np.asarray(grad, dtype=np.float64).ravel(), values

    return value_and_grad


def make_tile_functions(model):
    """Compiled ``statistics(window, masks)`` and ``share(window, masks, gram_grads, target, scale)``.

    ``jax.jit`` compiles once per window shape; :func:`artgen.style.tiles.plan_tiles`
    keeps those to at most four per picture shape.
    """
    trainable = [v.value for v in model.trainable_variables]
    fixed = [v.value for v in model.non_trainable_variables]

    @jax.jit
    def statistics(window, masks, trainable, fixed):
        return tile_statistics(_Stateless(model, trainable, fixed), window, masks)

    def surrogate(window, masks, gram_grads, content_target, content_scale, trainable, fixed):
        net = _Stateless(model, trainable, fixed)
        return tile_share(net, window, masks, gram_grads, content_target, content_scale)

    share = jax.jit(jax.value_and_grad(surrogate, has_aux=True))

    def run_statistics(window, masks):
        sums, content = statistics(window, masks, trainable, fixed)
        return [np.asarray(s) for s in sums], np.asarray(content)

    def run_share(window, masks, gram_grads, content_target, content_scale):
        (_, content), grad = share(
            window, masks, gram_grads, content_target, np.float32(content_scale), trainable, fixed
        )
        return float(content), np.asarray(grad)

    return run_statistics, run_share
