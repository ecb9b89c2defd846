"""Where bundled files (default generator, VGG weights, sample images) live.

They are the repository's top-level ``assets/`` folder, installed as the package
``artgen.bundled``; looking the package up by name finds them in a wheel, an editable
install and a checkout run from ``PYTHONPATH`` alike (see ``artgen/_checkout.py``).
The package is found, not imported: nothing is loaded until a file is read.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

__all__ = ["ASSETS", "asset"]


def _bundled() -> Path:
    spec = find_spec("artgen.bundled")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("artgen's bundled files (artgen.bundled) are missing from this installation")
    return Path(next(iter(spec.submodule_search_locations)))


ASSETS = _bundled()


def asset(*parts: str) -> Path:
    """The path of a bundled file (it may not exist in a partial checkout)."""
    return ASSETS.joinpath(*parts)
