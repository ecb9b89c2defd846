"""Pick the compiled loss-and-gradient step for the active Keras backend.

``step_tensorflow.py`` and ``step_jax.py`` offer the same
``make_value_and_grad``; the engine asks here and never names a backend.
"""

from __future__ import annotations

import keras

from artgen.errors import InputError

__all__ = ["make_value_and_grad"]


def make_value_and_grad(*args, **kwargs):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from artgen.style.step_tensorflow import make_value_and_grad as make
    elif backend == "jax":
        from artgen.style.step_jax import make_value_and_grad as make
    else:
        raise InputError(f"style transfer supports the tensorflow and jax Keras backends, not {backend!r}")
    return make(*args, **kwargs)
