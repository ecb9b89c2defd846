"""Where bundled files (default generator, VGG weights, sample images) live: ``artgen/bundled/``.

They ship inside the package, so a wheel, an editable install and a checkout on ``PYTHONPATH``
find them at the same place. Nothing is loaded until a file is read.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ASSETS", "asset"]

ASSETS = Path(__file__).resolve().parent / "bundled"


def asset(*parts: str) -> Path:
    """The path of a bundled file (it may not exist in a partial checkout)."""
    return ASSETS.joinpath(*parts)
