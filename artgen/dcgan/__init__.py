"""DCGAN: train on a folder of images, resume, sample.

``train(config, on_event, should_stop)`` and ``sample(...)`` are the engine's
public calls. They are loaded on first use so that importing this package
(e.g. for :class:`TrainConfig` defaults in ``artgen --help``) stays free of
TensorFlow.
"""

from __future__ import annotations

from artgen.dcgan.config import SIZES, TrainConfig
from artgen.lazy import lazy_attributes

__all__ = ["SIZES", "TrainConfig", "TrainResult", "train", "sample", "load_generator", "latents"]

_LAZY = {
    "TrainResult": "artgen.dcgan.training",
    "train": "artgen.dcgan.training",
    "sample": "artgen.dcgan.sampling",
    "load_generator": "artgen.dcgan.sampling",
    "latents": "artgen.dcgan.sampling",
}

__getattr__ = lazy_attributes(__name__, _LAZY)
