"""The 1-D GAN lab: watch a generator learn a distribution you can see.

``train_toy(config, on_event, should_stop)`` is the engine's public call. It
is loaded on first use so that importing this package (for :class:`ToyConfig`
in ``artgen --help`` or the app's forms) stays free of TensorFlow.
"""

from __future__ import annotations

from artgen.labs.toy_gan.config import ToyConfig, parse_mixture
from artgen.lazy import lazy_attributes

__all__ = ["ToyConfig", "ToyResult", "train_toy", "parse_mixture"]

_LAZY = {"ToyResult": "artgen.labs.toy_gan.training", "train_toy": "artgen.labs.toy_gan.training"}

__getattr__ = lazy_attributes(__name__, _LAZY)
