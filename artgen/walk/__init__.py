"""Latent walks: looping animations through a generator's latent space.

``render_walk(config, on_event, should_stop)`` is the engine's public call. It
is loaded on first use so that importing this package (for :class:`WalkConfig`
defaults in ``artgen walk --help``) stays free of TensorFlow.
"""

from __future__ import annotations

from artgen.lazy import lazy_attributes
from artgen.walk.config import WalkConfig, output_format, parse_grid

__all__ = ["WalkConfig", "WalkResult", "render_walk", "output_format", "parse_grid"]

_LAZY = {"WalkResult": "artgen.walk.engine", "render_walk": "artgen.walk.engine"}

__getattr__ = lazy_attributes(__name__, _LAZY)
