"""Pick the compiled loss-and-gradient step for the active Keras backend.

``step_tensorflow.py`` and ``step_jax.py`` offer the same
``make_value_and_grad``; the engine asks here and never names a backend.
"""

from __future__ import annotations

import keras

from artgen.errors import InputError

__all__ = ["make_value_and_grad", "make_tile_functions", "make_device_loop", "device_memory", "compilations"]


def _module():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from artgen.style import step_tensorflow as module
    elif backend == "jax":
        from artgen.style import step_jax as module
    else:
        raise InputError(f"style transfer supports the tensorflow and jax Keras backends, not {backend!r}")
    return module


def make_value_and_grad(*args, **kwargs):
    return _module().make_value_and_grad(*args, **kwargs)


def make_tile_functions(model):
    return _module().make_tile_functions(model)


def device_memory() -> tuple[str, int, int]:
    return _module().device_memory()


def make_device_loop(*args, **kwargs):
    return _module().DeviceLoop(*args, **kwargs)


def compilations() -> int:
    """Device-loop programs compiled (JAX) or traced (TensorFlow) so far in this process."""
    return _module().compilations()
