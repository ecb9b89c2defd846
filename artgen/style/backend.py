"""The active Keras backend's differentiation, compilation and device loop for style transfer.

``step_tensorflow.py`` and ``step_jax.py`` offer the same few functions; the
engine and :mod:`artgen.style.objective` ask here and never name a backend.
"""

from __future__ import annotations

import keras

from artgen.errors import InputError

__all__ = [
    "value_and_grad",
    "compiled",
    "make_device_loop",
    "device_memory",
    "compilations",
    "instance_norm",
    "convolution_dtype",
]


def _module():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from artgen.style import step_tensorflow as module
    elif backend == "jax":
        from artgen.style import step_jax as module
    else:
        raise InputError(f"style transfer supports the tensorflow and jax Keras backends, not {backend!r}")
    return module


def value_and_grad(model, fn):
    """Compiled ``(image, *args) -> ((value, aux), d value / d image)`` of ``fn(net, image, *args)``.

    ``fn`` returns (a scalar, anything); ``net`` is ``model`` or what the
    backend calls in its place (under JAX, the model with its weights as
    arguments).
    """
    return _module().value_and_grad(model, fn)


def compiled(model, fn):
    """Compiled ``(*args) -> fn(net, *args)``, no gradient."""
    return _module().compiled(model, fn)


def device_memory() -> tuple[str, int, int]:
    """(device, bytes this run holds there already, bytes still free there) for the memory estimate."""
    return _module().device_memory()


def make_device_loop(*args, **kwargs):
    return _module().DeviceLoop(*args, **kwargs)


def compilations() -> int:
    """Device-loop programs compiled (JAX) or traced (TensorFlow) so far in this process."""
    return _module().compilations()


def instance_norm(x, scale, shift, epsilon: float, groups: int, relu: bool):
    """``x`` (N, H, W, groups x C) normalised per picture and channel, then scaled and shifted by
    ``scale`` and ``shift`` (N, C), a ReLU after with ``relu``; a channel's statistics pool its ``groups``
    copies. The backend's own fused operation where it has one for ``x``; None where not, and the
    caller writes it in ``keras.ops``."""
    return _module().instance_norm(x, scale, shift, epsilon, groups, relu)


def convolution_dtype() -> str:
    """The dtype the fast network's convolutions run fastest in here: "bfloat16" or "float32"."""
    return _module().convolution_dtype()
