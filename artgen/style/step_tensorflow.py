"""Style transfer's TensorFlow-specific code: differentiate, compile, and loop on the device.

The losses and the host-side adapters are backend-free
(:mod:`artgen.style.losses`, :mod:`artgen.style.objective`); this module
only wraps them in ``tf.GradientTape`` and ``tf.function``. Its twin is
``step_jax.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import tensorflow as tf

from artgen.backends import CompileCounter
from artgen.style.losses import Targets, Weights, device_targets, loss_terms
from artgen.style.optimizers import adam_update, keep_best

__all__ = [
    "value_and_grad",
    "compiled",
    "accelerator_memory",
    "DeviceLoop",
    "DEVICE_OPTIMIZERS",
    "compilations",
    "instance_norm",
    "convolution_dtype",
]

DEVICE_OPTIMIZERS = ("adam",)  # L-BFGS under TensorFlow stays SciPy's, on the host


def value_and_grad(model, fn):
    """Compiled ``(image, *args) -> ((value, aux), d value / d image)`` of ``fn(model, image, *args)``.

    ``reduce_retracing``: tiles of a few window shapes share one trace with
    open dimensions instead of one trace each.
    """

    @tf.function(jit_compile=False, reduce_retracing=True)
    def step(image, *args):
        with tf.GradientTape() as tape:
            tape.watch(image)
            value, aux = fn(model, image, *args)
        return (value, aux), tape.gradient(value, image)

    return _counted(step)


def compiled(model, fn):
    """Compiled ``(*args) -> fn(model, *args)``, its first call run eagerly.

    Tracing costs more than an eager call: at 1024 px the fast style network's
    first traced call took 1.4 CPU-s against 0.9 eagerly, the style
    predictor's 1.0 against 0.3. A command that paints one picture never
    pays it; a clip, a batch or an optimisation pays it once, at its second
    call, and each call after that runs the graph (0.16 CPU-s warm).
    """

    @tf.function(jit_compile=False, reduce_retracing=True)
    def traced(*args):
        return fn(model, *args)

    counted = _counted(traced)
    first = True

    def run(*args):
        nonlocal first
        if first:
            first = False
            return fn(model, *args)
        return counted(*args)

    return run


# Graphs traced in this process by the functions above and the device loops.
_traces = CompileCounter(lambda function: function.experimental_get_tracing_count())
_counted = _traces.counted


def accelerator_memory() -> tuple[str, int, int] | None:
    """(accelerator, bytes this run holds there already, bytes still free there), or None on a CPU.

    TensorFlow tells a GPU's use but not its size; the whole card is then
    assumed free, which is what TensorFlow's allocator will try to take.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    details = tf.config.experimental.get_device_details(gpus[0])
    used = tf.config.experimental.get_memory_info("GPU:0")["current"]
    total = int(details.get("memory_limit", 0)) or 80 * 10**9
    return details.get("device_name", "GPU"), used, total - used


_TERMS = ("content", "style", "tv", "total")


def compilations() -> int:
    """Graphs TensorFlow traced so far in this process for style transfer (one per function and shape)."""
    return _traces.total


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
        constants = device_targets(targets)
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

        self._advance = _counted(advance)

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


def instance_norm(x, scale, shift, epsilon: float, groups: int, relu: bool):
    """One picture's conditional instance norm as a batch norm over its pixels: oneDNN's, two passes
    over ``x`` with the ReLU fused in, where ``keras.ops`` took five (mean, squared difference, mean,
    multiply, add) and the ReLU a sixth; in bfloat16 too, statistics in float32. The ``groups`` copies
    of a channel are laid side by side along the width (a reshape, no copy) so that one statistic covers
    them. None for a batch of several pictures: each has its own statistics and style.

    oneDNN's bfloat16 batch norm is fast only on whole blocks of 16 channels (for 8, 13 times as slow
    as float32's): fewer are normalised in float32. On fewer than 8 (the last layer's 3) its float32 one
    took longer than ``keras.ops``: None.
    """
    channels = x.shape[-1] // groups
    if x.shape[0] != 1 or channels < 8:
        return None
    shape = tf.shape(x)
    side_by_side = tf.reshape(x, (1, shape[1], shape[2] * groups, channels))
    if channels % 16:
        side_by_side = tf.cast(side_by_side, tf.float32)
    none = tf.zeros((0,), tf.float32)
    normed = tf.raw_ops.FusedBatchNormV3(
        x=side_by_side,
        scale=tf.cast(scale[0], tf.float32),
        offset=tf.cast(shift[0], tf.float32),
        mean=none,
        variance=none,
        epsilon=epsilon,
        is_training=True,
        exponential_avg_factor=1.0,
    )[0]
    return tf.reshape(tf.cast(tf.nn.relu(normed) if relu else normed, x.dtype), shape)


def convolution_dtype() -> str:
    """bfloat16 on a CPU with AMX tiles, where oneDNN's bfloat16 convolutions ran the fast network's
    5 to 10 times as fast as float32; float32 anywhere else (a GPU, an older CPU), as measured nowhere."""
    if tf.config.list_physical_devices("GPU"):
        return "float32"
    return "bfloat16" if "amx_bf16" in _cpu_flags() else "float32"


@functools.cache
def _cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them; none elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()
