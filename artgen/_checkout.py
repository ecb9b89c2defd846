"""``artgen.tui`` and ``artgen.bundled`` in a source checkout run without installing it.

An install (a wheel, or ``pip install -e .``) maps those names to the repository's top-level
``tui/`` and ``assets/`` folders (see setup.py). Run straight from a checkout with
``PYTHONPATH=<checkout>``, nothing does, so this finder maps the same two names to the same
folders. It is put last on ``sys.meta_path`` and only when the folders are beside ``artgen/``,
so an installed mapping always wins.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path

MAPPED = {"artgen.tui": "tui", "artgen.bundled": "assets"}  # as in setup.py


class CheckoutFinder(MetaPathFinder):
    def __init__(self, root: Path) -> None:
        self.root = root

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        folder = MAPPED.get(fullname)
        if folder is None:
            return None
        init = self.root / folder / "__init__.py"
        return importlib.util.spec_from_file_location(
            fullname, init, submodule_search_locations=[str(init.parent)]
        )


def install() -> None:
    """Add the finder when ``artgen`` runs from a checkout whose mapped folders are not installed."""
    package = Path(__file__).resolve().parent
    root = package.parent
    if (package / "tui").is_dir() or not all((root / f / "__init__.py").is_file() for f in MAPPED.values()):
        return  # installed as a wheel (the folders are inside artgen/), or not a checkout
    if not any(isinstance(finder, CheckoutFinder) for finder in sys.meta_path):
        sys.meta_path.append(CheckoutFinder(root))
