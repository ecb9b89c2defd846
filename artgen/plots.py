"""Small PNG charts (loss curves) drawn with matplotlib's Agg backend, written atomically."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from artgen import runs

__all__ = ["line_chart"]


def line_chart(
    path: str | os.PathLike[str],
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    title: str = "",
    xlabel: str = "step",
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        for label, values in series.items():
            axes.plot(x, values, label=label, linewidth=1.2)
        axes.set_xlabel(xlabel)
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
        with runs.atomic_path(path, suffix=".png") as tmp:
            figure.savefig(tmp, format="png")
    finally:
        plt.close(figure)
