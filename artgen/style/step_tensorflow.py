"""The compiled loss-and-gradient step: the only TensorFlow-specific code of style transfer.

The optimisers (:mod:`artgen.style.optimizers`) work on flat float64 numpy
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
from artgen.style.updates import adam_update, keep_best

__all__ = ["make_value_and_grad", "make_tile_functions", "device_memory", "DeviceLoop", "compilations"]

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
        return values["total"], grad.numpy().ravel(), values

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


def device_memory() -> tuple[str, int, int]:
    """(device, bytes this run holds there already, bytes still free there) for the memory estimate.

    TensorFlow tells a GPU's use but not its size; the whole card is then
    assumed free, which is what TensorFlow's allocator will try to take.
    """
    from artgen.style import memory

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU", memory.process_bytes(), memory.available_bytes()
    details = tf.config.experimental.get_device_details(gpus[0])
    used = tf.config.experimental.get_memory_info("GPU:0")["current"]
    total = int(details.get("memory_limit", 0)) or 80 * 10**9
    return details.get("device_name", "GPU"), used, total - used


_TERMS = ("content", "style", "tv", "total")
_TRACED: list = []  # the device loops' tf.functions, for counting compilations


def compilations() -> int:
    """Graphs TensorFlow traced so far for this process's device loops (one per shape)."""
    return sum(fn.experimental_get_tracing_count() for fn in _TRACED)


class DeviceLoop:
    """Adam iterating inside one ``tf.function`` loop: no host round trip per iteration.

    ``advance(count)`` runs ``count`` iterations (a tensor: one trace serves
    every chunk) and brings back only the best picture's loss terms. L-BFGS
    under TensorFlow stays SciPy's (see :mod:`artgen.style.optimizers`).
    """

    def __init__(
        self, model, targets: Targets, weights: Weights, shape, optimizer: str, lower, upper, learning_rate
    ):
        if optimizer != "adam":
            raise ValueError("the TensorFlow device loop runs Adam only")
        constants = Targets(
            content=tf.constant(targets.content),
            grams=tuple(tf.constant(g) for g in targets.grams),
            layer_weights=targets.layer_weights,
            content_norm=targets.content_norm,
            gram_norms=targets.gram_norms,
        )
        self.shape = shape
        low = tf.constant(np.asarray(lower, np.float32).reshape(shape))
        high = tf.constant(np.asarray(upper, np.float32).reshape(shape))
        zeros = tf.zeros(shape, tf.float32)
        self.x, self.m, self.v = tf.Variable(zeros), tf.Variable(zeros), tf.Variable(zeros)
        self.best_x = tf.Variable(zeros)
        self.best_terms = {name: tf.Variable(np.inf, dtype=tf.float32) for name in _TERMS}
        self.t = tf.Variable(0.0)

        def remember(x, terms):
            best_x, best_terms = keep_best(x, terms, self.best_x, self.best_terms)
            self.best_x.assign(best_x)
            for name, value in best_terms.items():
                self.best_terms[name].assign(value)

        @tf.function(
            input_signature=[tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.bool)], jit_compile=False
        )
        def advance(count, final):
            for _ in tf.range(count):
                with tf.GradientTape() as tape:
                    tape.watch(self.x)
                    terms = loss_terms(model, self.x, constants, weights)
                grad = tape.gradient(terms["total"], self.x)
                remember(self.x, terms)
                self.t.assign_add(1.0)
                x, m, v = adam_update(self.x, grad, self.m, self.v, self.t, learning_rate)
                self.x.assign(tf.clip_by_value(x, low, high))
                self.m.assign(m)
                self.v.assign(v)
            if final:  # the last update's picture competes too
                remember(self.x, loss_terms(model, self.x, constants, weights))
            return {name: variable.read_value() for name, variable in self.best_terms.items()}

        self._advance = advance
        _TRACED.append(advance)

    def start(self, x0: np.ndarray) -> None:
        x = np.asarray(x0, np.float32).reshape(self.shape)
        self.x.assign(x)
        self.best_x.assign(x)
        self.m.assign(tf.zeros(self.shape))
        self.v.assign(tf.zeros(self.shape))
        for variable in self.best_terms.values():
            variable.assign(np.inf)
        self.t.assign(0.0)

    def advance(self, count: int, final: bool = False) -> dict[str, float]:
        """Run ``count`` iterations; ``final``: the last chunk, whose last picture must be scored too."""
        terms = self._advance(tf.constant(count, tf.int32), tf.constant(final))
        return {name: float(value) for name, value in terms.items()}

    def best(self) -> np.ndarray:
        return self.best_x.numpy().astype(np.float64).ravel()
