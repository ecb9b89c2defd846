"""Lazy package attributes: how engine packages expose functions without importing Keras.

``from artgen.style import StyleConfig`` must stay cheap (the CLI's ``--help``
and the studio read configs), while ``from artgen.style import transfer``
loads the engine, and Keras with it, on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``table[name]`` (a module path) when ``name`` is first read."""

    def __getattr__(name: str) -> Any:
        if name in table:
            return getattr(importlib.import_module(table[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
