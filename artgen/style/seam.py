"""How visible a picture's seam is when it is tiled: the wrap-around step against ordinary neighbours.

Tiling puts the last column beside the first and the last row above the
first. The seam is invisible when crossing it changes the picture no more
than stepping between any two neighbouring pixels does, so the measure is
the mean absolute difference across the seam beside the mean absolute
difference of the picture's own neighbours (both over rows and columns, in
0-255 units). A ratio near 1 (or below) tiles cleanly; a photo's edges give
several times more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Seam", "seam_metric"]


@dataclass(frozen=True)
class Seam:
    seam: float  # mean |last column - first column| and |last row - first row|
    ordinary: float  # mean |x[:, i + 1] - x[:, i]| and |x[i + 1] - x[i]|

    @property
    def ratio(self) -> float:
        return self.seam / max(self.ordinary, 1e-9)

    def describe(self) -> str:
        return f"seam {self.seam:.1f} vs neighbours {self.ordinary:.1f} (ratio {self.ratio:.2f})"


def seam_metric(picture: np.ndarray) -> Seam:
    """The seam of an (H, W) or (H, W, C) picture, each pair of pixels weighted alike."""
    x = np.asarray(picture, dtype=np.float64)
    across = np.concatenate([np.abs(x[:, -1] - x[:, 0]).ravel(), np.abs(x[-1] - x[0]).ravel()])
    within = np.concatenate([np.abs(np.diff(x, axis=1)).ravel(), np.abs(np.diff(x, axis=0)).ravel()])
    return Seam(float(across.mean()), float(within.mean()))
