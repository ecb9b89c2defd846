"""Neural style transfer (Gatys et al.) on bundled ImageNet VGG16 weights.

``stylise(config, on_event, should_stop)`` is the style job's public call
(``transfer`` paints one still picture). It
is loaded on first use so that importing this package (e.g. for
:class:`StyleConfig` defaults in ``artgen style --help``) stays free of
TensorFlow and Keras.
"""

from __future__ import annotations

from artgen.lazy import lazy_attributes
from artgen.style.config import INITS, NETS, OPTIMIZERS, StyleConfig

__all__ = [
    "INITS",
    "NETS",
    "OPTIMIZERS",
    "StyleConfig",
    "StyleResult",
    "BatchResult",
    "stylise",
    "transfer",
    "evaluate",
]

_LAZY = {
    "StyleResult": "artgen.style.pictures",
    "BatchResult": "artgen.style.batch",
    "transfer": "artgen.style.engine",
    "evaluate": "artgen.style.engine",
    "stylise": "artgen.style.dispatch",
}

__getattr__ = lazy_attributes(__name__, _LAZY)
