"""DCGAN: train on a folder of images, checkpoint, resume.

``train(config, on_event, should_stop)`` is the engine's public call; drawing
from what it trained is :mod:`artgen.generators`' job. It is loaded on first
use so that importing this package (e.g. for :class:`TrainConfig` defaults in
``artgen --help``) stays free of TensorFlow.
"""

from __future__ import annotations

from artgen.dcgan.config import SIZES, TrainConfig
from artgen.lazy import lazy_attributes

__all__ = ["SIZES", "TrainConfig", "TrainResult", "train"]

_LAZY = {
    "TrainResult": "artgen.dcgan.training",
    "train": "artgen.dcgan.training",
}

__getattr__ = lazy_attributes(__name__, _LAZY)
