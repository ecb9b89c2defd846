"""DCGAN: train on a folder of images, resume, sample.

``train(config, on_event, should_stop)`` and ``sample(...)`` are the engine's
public calls. They are loaded on first use so that importing this package
(e.g. for :class:`TrainConfig` defaults in ``artgen --help``) stays free of
TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

from artgen.dcgan.config import SIZES, TrainConfig

__all__ = ["SIZES", "TrainConfig", "TrainResult", "train", "sample", "load_generator", "latents"]

_LAZY = {
    "TrainResult": "artgen.dcgan.training",
    "train": "artgen.dcgan.training",
    "sample": "artgen.dcgan.sampling",
    "load_generator": "artgen.dcgan.sampling",
    "latents": "artgen.dcgan.sampling",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
