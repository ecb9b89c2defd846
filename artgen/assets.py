"""Where bundled files (default generator, VGG weights, sample images) live.

``assets/`` sits beside the ``artgen`` package both in a source checkout and
in an installed wheel, so one relative lookup serves both.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ASSETS", "asset"]

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def asset(*parts: str) -> Path:
    """The path of a bundled file (it may not exist in a partial checkout)."""
    return ASSETS.joinpath(*parts)
