"""Neural style transfer (Gatys et al.) on bundled ImageNet VGG16 weights.

``transfer(config, on_event, should_stop)`` is the engine's public call. It
is loaded on first use so that importing this package (e.g. for
:class:`StyleConfig` defaults in ``artgen style --help``) stays free of
TensorFlow and Keras.
"""

from __future__ import annotations

import importlib
from typing import Any

from artgen.style.config import INITS, NETS, OPTIMIZERS, StyleConfig

__all__ = ["INITS", "NETS", "OPTIMIZERS", "StyleConfig", "StyleResult", "transfer", "evaluate"]

_LAZY = {
    "StyleResult": "artgen.style.engine",
    "transfer": "artgen.style.engine",
    "evaluate": "artgen.style.engine",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
