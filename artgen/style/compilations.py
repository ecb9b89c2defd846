"""Counting the programs a backend compiles for style transfer, for the benchmark's per-run figure.

Counted as calls go rather than by keeping every compiled function in a
list, so a finished run's functions (and the targets they hold) can be freed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["CompileCounter"]


class CompileCounter:
    """Wraps compiled functions; ``total`` grows by what ``count_of(function)`` gains over each call."""

    def __init__(self, count_of: Callable[[Any], int]) -> None:
        self.total = 0
        self._count_of = count_of

    def counted(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            before = self._count_of(function)
            result = function(*args)
            self.total += self._count_of(function) - before
            return result

        return call
