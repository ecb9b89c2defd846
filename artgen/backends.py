"""Which code runs for the Keras backend in use: the one place that asks.

Models, losses and updates are backend-free Keras 3. What cannot be (a ``tf.GradientTape``, a
``tf.function``, ``jax.jit``, ``tf.distribute``) is written once per backend, in a module named
for it beside the backend-free code: ``style/step_tensorflow.py`` and ``style/step_jax.py``,
``dcgan/distribute_tensorflow.py`` and ``dcgan/distribute_jax.py``. Each engine names those
modules in a table, backend to module, and :func:`implementation` imports the running backend's
own (or a name in it): on first use, so that nothing loads TensorFlow or JAX before an engine
runs, and with one line naming what is missing where a backend has no module of its own.

Choosing the backend is another matter: :func:`artgen.environment.use_backend` does it,
before Keras is imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from artgen.errors import InputError

__all__ = ["running", "implementation", "CompileCounter"]


def running() -> str:
    """The Keras backend this process runs: ``"tensorflow"`` or ``"jax"``. Imports Keras."""
    import keras

    return keras.backend.backend()


def implementation(table: Mapping[str, str], what: str | None = None) -> Any:
    """What ``table`` (backend -> ``"module"`` or ``"module:name"``) names for the running backend,
    imported: the module, or the name in it.

    Where it names nothing: an :class:`InputError` saying that ``what`` runs on the backends it
    names, or, without ``what``, None (the caller has a backend-free way).
    """
    backend = running()
    target = table.get(backend)
    if target is None:
        if what is None:
            return None
        plural = "s" if len(table) > 1 else ""
        raise InputError(f"{what} supports the {' and '.join(table)} Keras backend{plural}, not {backend!r}")
    module, _, name = target.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, name) if name else loaded


class CompileCounter:
    """Programs a backend compiled (JAX) or traced (TensorFlow), counted as calls go.

    Wraps compiled functions; ``total`` grows by what ``count_of(function)`` gains over each
    call. Counted so rather than by keeping every compiled function in a list, so that a
    finished run's functions (and the arrays they hold) can be freed.
    """

    def __init__(self, count_of: Callable[[Any], int]) -> None:
        self.total = 0
        self._count_of = count_of

    def counted(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            before = self._count_of(function)
            result = function(*args)
            self.total += self._count_of(function) - before
            return result

        return call
