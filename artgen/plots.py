"""Small PNG charts (loss curves) drawn with matplotlib's Agg backend, written atomically."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from artgen import runs

__all__ = ["line_chart", "png_figure"]


@contextlib.contextmanager
def png_figure(
    path: str | os.PathLike[str], tight: bool = True, **subplots: Any
) -> Iterator[tuple[Any, Any]]:
    """``(figure, axes)`` from ``plt.subplots(**subplots)``, saved to ``path`` when the block ends.

    The save is atomic and the figure is always closed: plots are drawn every epoch
    of long runs, and pyplot keeps every open figure alive. ``tight=False`` leaves
    the layout to the caller (fixed margins keep animation frames aligned).
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window, never a display
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(**subplots)
    try:
        yield figure, axes
        if tight:
            figure.tight_layout()
        with runs.atomic_path(path, suffix=".png") as tmp:
            figure.savefig(tmp, format="png")
    finally:
        plt.close(figure)


def line_chart(
    path: str | os.PathLike[str],
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    title: str = "",
    xlabel: str = "step",
) -> None:
    with png_figure(path, figsize=(8, 4), dpi=100) as (_, axes):
        for label, values in series.items():
            axes.plot(x, values, label=label, linewidth=1.2)
        axes.set_xlabel(xlabel)
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend()
