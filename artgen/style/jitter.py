"""Random wrap-around shifts of a tile before VGG, so no phase of its 16 px pooling grid is favoured.

With circular padding (:mod:`artgen.style.circular`) VGG sees a tile as a
torus, but its four 2x2 poolings cut that torus into 16 px cells: its
features of ``roll(x, s)`` are those of ``x`` rolled only when ``s`` is a
multiple of 16. An optimiser that always looks at the tile at one phase
paints to that grid: in 128 px textures every 16th line came out 5-10%
rougher than the rest (:func:`artgen.style.seam.grid_ratio`), the seam, at
phase 0, among them. Showing VGG the tile rolled by a fresh random shift
from time to time (as feature-visualisation work "jitters" its pictures)
leaves no phase special; the wrapping TV term and the Gram matrices' sums
over positions do not care about the shift.

L-BFGS needs one objective while its curvature history lasts, so it keeps a
shift for a segment of iterations and restarts with the next; Adam has no
such memory and takes a new shift at every step.
"""

from __future__ import annotations

import numpy as np

from artgen.style.optimizers import ValueAndGrad
from artgen.style.seam import POOLING_PERIOD

__all__ = ["Jitter", "segments", "SHIFTS_PER_SCALE"]

# L-BFGS segments (shifts) per scale. Each restart forgets the curvature learnt, so few: in 128 px
# textures (2 scales of 30 iterations, seeds 0-2) 2 segments cost 2% in style loss (over 8
# shifts), 3 segments 6%, and both took every 16th line from 1.05-1.10 times as rough as the
# rest to 0.99-1.03.
SHIFTS_PER_SCALE = 2


class Jitter:
    """``fn`` of a flat picture of ``shape``, seen rolled by the current shift; the gradient rolled back.

    ``every_call``: draw a new shift before each evaluation (Adam), else only
    at :meth:`shift` (L-BFGS, between segments).
    """

    def __init__(self, fn: ValueAndGrad, shape: tuple[int, ...], seed: int, every_call: bool = False) -> None:
        self.fn, self.shape, self.every_call = fn, shape, every_call
        self.rng = np.random.default_rng([seed, *shape])
        self.offset = (0, 0)

    def shift(self) -> tuple[int, int]:
        """Draw the next (rows, columns) shift, uniform over the pooling grid's phases."""
        self.offset = tuple(int(v) for v in self.rng.integers(0, POOLING_PERIOD, 2))
        return self.offset

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
        if self.every_call:
            self.shift()
        rows, columns = self.offset
        rolled = np.roll(x.reshape(self.shape), (rows, columns), axis=(1, 2))
        loss, grad, terms = self.fn(rolled.ravel())
        back = np.roll(grad.reshape(self.shape), (-rows, -columns), axis=(1, 2))
        return loss, back.ravel(), terms


def segments(iterations: int, count: int = SHIFTS_PER_SCALE) -> list[int]:
    """``iterations`` split into ``count`` near-equal segments (fewer when there are fewer iterations)."""
    return [len(part) for part in np.array_split(np.arange(iterations), min(count, iterations))]
