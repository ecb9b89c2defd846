"""How visible a picture's seam is when it is tiled: the wrap-around step against ordinary neighbours.

Tiling puts the last column beside the first and the last row above the
first. The seam is invisible when crossing it changes the picture no more
than stepping between any two neighbouring pixels does, so the measure is
the mean absolute difference across the seam beside the mean absolute
difference of the picture's own neighbours (both over rows and columns, in
0-255 units). A ratio near 1 (or below) tiles cleanly; a photo's edges give
several times more.

One line pair's mean varies with what happens to cross it (a large stroke
or none), so the seam is also ranked among the picture's own lines: the
share of its interior column (row) pairs whose mean step is smaller. A tile
without a seam ranks anywhere (its seam is one more ordinary line); an
edged picture's seam ranks at or near the top.

A seam can also hide in a pattern. If every 16th line of a tile is rougher
than the rest, the seam, one of them, is rougher too, and yet no rougher
than its own kind. Coarse to fine made such patterns: bicubic doubling
between scales leaves every other line rougher than its neighbours, and
each later doubling carries that on at twice the period
(:mod:`artgen.style.periodic`); VGG's four 2x2 poolings, too, see a tile
alike only under shifts by multiples of 16 px. :func:`grid_ratio` measures
it: the mean step of the lines at multiples of a period over that of the
other lines, 1 when no phase is favoured.

A tile's origin is free: rolled, it tiles into the same wallpaper. So the
texture writer puts its edges where the tile is calmest
(:func:`calmest_origin`), choosing among the lines at multiples of the
pooling period only, so that :func:`grid_ratio` still reads the lines VGG's
grid would have marked. With no seam left, the wrap-around is then one
ordinary line, and the calmest of a dozen or more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Seam", "seam_metric", "grid_ratio", "calmest_origin", "POOLING_PERIOD"]

POOLING_PERIOD = 16  # pixels per block5 position: four 2x2 poolings


@dataclass(frozen=True)
class Seam:
    seam: float  # mean |last column - first column| and |last row - first row|
    ordinary: float  # mean |x[:, i + 1] - x[:, i]| and |x[i + 1] - x[i]|
    rank: float  # share of interior lines with a smaller mean step, averaged over columns and rows

    @property
    def ratio(self) -> float:
        return self.seam / max(self.ordinary, 1e-9)

    def describe(self) -> str:
        return (
            f"seam {self.seam:.1f} vs neighbours {self.ordinary:.1f} (ratio {self.ratio:.2f}; "
            f"rougher than {self.rank:.0%} of the picture's own lines)"
        )


def seam_metric(picture: np.ndarray) -> Seam:
    """The seam of an (H, W) or (H, W, C) picture, each pair of pixels weighted alike."""
    x = np.asarray(picture, dtype=np.float64)
    if x.ndim == 2:
        x = x[..., None]
    across, within, ranks = [], [], []
    for axis in (1, 0):  # columns, then rows
        steps = np.abs(np.diff(x, axis=axis))
        wrap = np.abs(np.take(x, -1, axis=axis) - np.take(x, 0, axis=axis))
        lines = steps.mean(axis=tuple(a for a in range(3) if a != axis))  # one mean step per line pair
        across.append(wrap.ravel())
        within.append(steps.ravel())
        ranks.append(float(np.mean(lines < wrap.mean())))
    return Seam(
        float(np.concatenate(across).mean()), float(np.concatenate(within).mean()), float(np.mean(ranks))
    )


def grid_ratio(picture: np.ndarray, period: int = POOLING_PERIOD) -> float:
    """Mean step of an (H, W[, C]) tile's lines at multiples of ``period`` (the seam among them) over
    that of its other lines, averaged over columns and rows: 1 when no phase is favoured."""
    ratios = []
    for lines in _wrapped_line_steps(picture)[::-1]:  # columns, then rows
        on_grid = np.arange(lines.size) % period == 0
        ratios.append(lines[on_grid].mean() / max(lines[~on_grid].mean(), 1e-9))
    return float(np.mean(ratios))


def calmest_origin(picture: np.ndarray, period: int = POOLING_PERIOD) -> tuple[int, int]:
    """The (rows, columns) shift for ``np.roll`` that puts the wrap-around of an (H, W[, C]) tile on
    its calmest line pair among those at multiples of ``period``."""
    shift = []
    for lines in _wrapped_line_steps(picture):
        candidates = np.arange(0, lines.size, period)
        shift.append(-int(candidates[np.argmin(lines[candidates])]) % lines.size)
    return shift[0], shift[1]


def _wrapped_line_steps(picture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns): line i's mean step from line i - 1, wrapping around, so line 0's is the seam."""
    x = np.asarray(picture, dtype=np.float64)
    if x.ndim == 2:
        x = x[..., None]
    steps = []
    for axis in (0, 1):
        difference = np.abs(x - np.roll(x, 1, axis=axis))
        steps.append(difference.mean(axis=tuple(a for a in range(3) if a != axis)))
    return steps[0], steps[1]
