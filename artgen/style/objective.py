"""Style transfer on the running backend: the objective and its gradient, and the device loop.

Everything here is backend-free: the losses are ``keras.ops`` (:mod:`artgen.style.losses`), and
so are the optimiser's updates on the device (:mod:`artgen.style.optimizers`). What differs per
backend (differentiating, compiling, looping on the device, reading its memory) is
``step_tensorflow.py`` or ``step_jax.py``: they offer the same few names, and
:mod:`artgen.backends` picks the running backend's. The engines ask here and never name a backend.

The host optimizers work on flat numpy pictures; :func:`make_value_and_grad`,
:class:`FrameObjective` and :func:`make_tile_functions` turn such a picture into a tensor of the
right shape and hand back the loss, its gradient (float32, flat) and the terms.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
from keras import ops

from artgen import backends
from artgen.style.losses import (
    Targets,
    Weights,
    device_targets,
    frame_loss_terms,
    loss_terms,
    tile_share,
    tile_statistics,
)
from artgen.style.optimizers import ValueAndGrad

__all__ = [
    "STEPS",
    "make_value_and_grad",
    "make_tile_functions",
    "FrameObjective",
    "compiled",
    "device_loop",
    "device_optimizers",
    "accelerator_memory",
    "compilations",
    "instance_norm",
    "convolution_dtype",
]

# Each backend's differentiation, compilation and device loop, with the same names in each
STEPS = {"tensorflow": "artgen.style.step_tensorflow", "jax": "artgen.style.step_jax"}


def _step() -> ModuleType:
    return backends.implementation(STEPS, "style transfer")


def make_value_and_grad(
    model, targets: Targets, weights: Weights, shape: tuple[int, int, int, int]
) -> ValueAndGrad:
    """``f(x) -> (total, d total / dx, terms)`` for flat Caffe-space pictures of ``shape``."""
    constants = device_targets(targets)

    def total(net, image):
        terms = loss_terms(net, image, constants, weights)
        return terms["total"], terms

    step = _step().value_and_grad(model, total)

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
        image = ops.convert_to_tensor(np.asarray(x, dtype=np.float32).reshape(shape))
        (_, terms), grad = step(image)
        values = {name: float(value) for name, value in terms.items()}
        return values["total"], ops.convert_to_numpy(grad).ravel(), values

    return value_and_grad


class FrameObjective:
    """``f(x) -> (total, d total / dx, terms)`` for the frames of an animation at one picture shape.

    Compiled once: each frame's content features, the previous output frame
    and the temporal mask are arguments (:meth:`set_frame`), so a clip of any
    length traces one function per shape. ``temporal_weight`` 0 leaves each
    frame's loss that of a still picture.
    """

    def __init__(
        self,
        model,
        targets: Targets,
        weights: Weights,
        shape: tuple[int, int, int, int],
        temporal_weight: float,
    ) -> None:
        constants = device_targets(targets)
        self.shape = shape

        def total(net, image, content, content_norm, previous, mask):
            terms = frame_loss_terms(
                net, image, constants, weights, content, content_norm, previous, mask, temporal_weight
            )
            return terms["total"], terms

        self._step = _step().value_and_grad(model, total)
        self._zeros = np.zeros(shape, np.float32)
        self._no_mask = np.zeros((*shape[:3], 1), np.float32)
        self._frame: tuple = ()

    def set_frame(
        self, content: np.ndarray, content_norm: float, previous: np.ndarray | None, mask: np.ndarray | None
    ) -> None:
        """The frame to paint: its content features, and the previous output (flat) to keep where ``mask``."""
        self._frame = tuple(
            ops.convert_to_tensor(value)
            for value in (
                content,
                np.float32(content_norm),
                self._zeros if previous is None else np.asarray(previous, np.float32).reshape(self.shape),
                self._no_mask if mask is None else np.asarray(mask, np.float32).reshape(self._no_mask.shape),
            )
        )

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
        image = ops.convert_to_tensor(np.asarray(x, dtype=np.float32).reshape(self.shape))
        (_, terms), grad = self._step(image, *self._frame)
        values = {name: float(value) for name, value in terms.items()}
        return values["total"], ops.convert_to_numpy(grad).ravel(), values


def make_tile_functions(model):
    """``statistics(window, masks)`` and ``share(window, masks, gram_grads, target, scale)`` in numpy.

    The backend compiles each once per window shape;
    :func:`artgen.style.tiles.plan_tiles` keeps those to at most four per
    picture shape.
    """
    statistics = _step().compiled(model, tile_statistics)
    share = _step().value_and_grad(model, tile_share)

    def run_statistics(window, masks):
        sums, content = statistics(_tensor(window), [_tensor(m) for m in masks])
        return [ops.convert_to_numpy(s) for s in sums], ops.convert_to_numpy(content)

    def run_share(window, masks, gram_grads, content_target, content_scale):
        arguments = (masks, gram_grads, content_target, np.float32(content_scale))
        (_, content), grad = share(_tensor(window), *_tensor(arguments))
        return float(content), ops.convert_to_numpy(grad)

    return run_statistics, run_share


def _tensor(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_tensor(item) for item in value)
    return ops.convert_to_tensor(value)


def compiled(model, fn):
    """Compiled ``(*args) -> fn(net, *args)``, no gradient; ``net`` is ``model`` or what the
    backend calls in its place (under JAX, the model with its weights as arguments)."""
    return _step().compiled(model, fn)


def device_loop(
    model, targets: Targets, weights: Weights, shape, optimizer: str, lower, upper, learning_rate: float
):
    """The backend's ``DeviceLoop``: ``optimizer`` iterating inside one compiled loop, no host round
    trip per iteration (``start(x0)``, ``advance(count, final)``, ``best()``)."""
    return _step().DeviceLoop(model, targets, weights, shape, optimizer, lower, upper, learning_rate)


def device_optimizers() -> tuple[str, ...]:
    """The optimizers the running backend's device loop runs."""
    return _step().DEVICE_OPTIMIZERS


def accelerator_memory() -> tuple[str, int, int] | None:
    """(accelerator, bytes this run holds there already, bytes still free there) as the backend tells
    them, or None on a CPU."""
    return _step().accelerator_memory()


def compilations() -> int:
    """Device-loop programs compiled (JAX) or traced (TensorFlow) so far in this process."""
    return _step().compilations()


def instance_norm(x, scale, shift, epsilon: float, groups: int, relu: bool):
    """``x`` (N, H, W, groups x C) normalised per picture and channel, then scaled and shifted by
    ``scale`` and ``shift`` (N, C), a ReLU after with ``relu``; a channel's statistics pool its ``groups``
    copies. The backend's own fused operation where it has one for ``x``; None where not, and the
    caller writes it in ``keras.ops``."""
    return _step().instance_norm(x, scale, shift, epsilon, groups, relu)


def convolution_dtype() -> str:
    """The dtype the fast network's convolutions run fastest in here: "bfloat16" or "float32"."""
    return _step().convolution_dtype()
