"""The lab's picture: real and generated histograms, D(x) along x, the 0.5 threshold.

Drawn with matplotlib's Agg backend on a fixed x range, so that consecutive
epochs line up as frames of one animation. Written atomically.
"""

from __future__ import annotations

import os

import numpy as np

from artgen.plots import png_figure

__all__ = ["draw_epoch"]

REAL_COLOUR, FAKE_COLOUR, D_COLOUR = "#2ca02c", "#d62728", "#1f77b4"


def draw_epoch(
    path: str | os.PathLike[str],
    real: np.ndarray,
    fake: np.ndarray,
    grid: np.ndarray,
    d_prob: np.ndarray,
    x_range: tuple[float, float],
    bins: int,
    title: str,
) -> None:
    edges = np.linspace(x_range[0], x_range[1], bins + 1)
    with png_figure(path, tight=False, figsize=(6.4, 3.6), dpi=100) as (figure, density_axes):
        for values, colour, label in ((real, REAL_COLOUR, "real"), (fake, FAKE_COLOUR, "generated")):
            heights = np.histogram(values, edges, density=True)[0]
            density_axes.stairs(heights, edges, fill=True, color=colour, alpha=0.45, label=label)
        density_axes.set_xlim(*x_range)
        density_axes.set_xlabel("x")
        density_axes.set_ylabel("density")
        prob_axes = density_axes.twinx()
        prob_axes.plot(np.ravel(grid), np.ravel(d_prob), color=D_COLOUR, linewidth=1.6, label="D(x)")
        prob_axes.axhline(0.5, color=D_COLOUR, linestyle="--", linewidth=0.9, alpha=0.7, label="0.5")
        prob_axes.set_ylim(0.0, 1.0)
        prob_axes.set_ylabel("D(x) = P(real)")
        handles = density_axes.get_legend_handles_labels()
        more = prob_axes.get_legend_handles_labels()
        density_axes.legend(handles[0] + more[0], handles[1] + more[1], loc="upper right", fontsize=8)
        density_axes.set_title(title, fontsize=10)
        # Fixed margins rather than tight_layout: same frame geometry every epoch, and half the cost.
        figure.subplots_adjust(left=0.1, right=0.88, bottom=0.14, top=0.9)
