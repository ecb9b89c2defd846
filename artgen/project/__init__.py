"""Projection: the latents whose generated pictures are nearest given pictures.

``project_images(config, on_event, should_stop)`` is the engine's public
call, ``find_latents`` the same search for a generator in memory (a walk
through pictures). They are loaded on first use so that importing this
package (for :class:`ProjectConfig` in ``artgen project --help``) stays free
of TensorFlow.
"""

from __future__ import annotations

from artgen.lazy import lazy_attributes
from artgen.project.config import ProjectConfig, picture_path

__all__ = ["ProjectConfig", "ProjectResult", "Projection", "project_images", "find_latents", "picture_path"]

_LAZY = {
    name: "artgen.project.engine"
    for name in ("ProjectResult", "Projection", "project_images", "find_latents")
}

__getattr__ = lazy_attributes(__name__, _LAZY)
