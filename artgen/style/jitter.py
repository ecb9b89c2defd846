"""Random wrap-around shifts of a tile before VGG, so no phase of its 16 px pooling grid is favoured.

With circular padding (:mod:`artgen.vgg.circular`) VGG sees a tile as a
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
such memory and takes a new shift at every step. A segment paints its own
phase's pattern, most right after a restart, when L-BFGS still follows the
raw gradient; the last segment's would stay. So the last segment of each
scale is *paired*: it follows the mean of the objective at its shift and at
that shift plus one pixel down and across, whose patterns favour opposite
lines (every other line is the strongest of them). That doubles the cost
of half of each scale and gave slightly lower style losses besides, the
restarts' loss more than made up.
"""

from __future__ import annotations

import numpy as np

from artgen.style.optimizers import ValueAndGrad
from artgen.style.seam import POOLING_PERIOD

__all__ = ["Jitter", "segments", "SHIFTS_PER_SCALE", "PAIR"]

# L-BFGS segments (shifts) per scale. Each restart forgets the curvature learnt, so few. In 128 px
# textures (2 scales of 30 iterations, seeds 0-2; style loss averaged over 8 shifts) against one
# shift throughout: 2 segments cost 2% in style loss, 3 segments 6%, and both took every 16th
# line from 1.05-1.10 times as rough as the rest to 0.99-1.03 but left every other line up to
# 1.05; 2 segments, the last paired, gained 2% in style loss and left both at 0.97-1.03.
SHIFTS_PER_SCALE = 2
PAIR = (1, 1)  # the paired segment's second shift, relative to its first: odd, so lines swap parity


class Jitter:
    """``fn`` of a flat picture of ``shape``, seen rolled by the current shift; the gradient rolled back.

    ``every_call``: draw a new shift before each evaluation (Adam), else only
    at :meth:`shift` (L-BFGS, between segments). ``paired``: the mean of
    ``fn`` at the shift and at the shift plus :data:`PAIR`, at twice the cost.
    """

    def __init__(self, fn: ValueAndGrad, shape: tuple[int, ...], seed: int, every_call: bool = False) -> None:
        self.fn, self.shape, self.every_call = fn, shape, every_call
        self.rng = np.random.default_rng([seed, *shape])
        self.offset = (0, 0)
        self.paired = False

    def shift(self, paired: bool = False) -> tuple[int, int]:
        """Draw the next (rows, columns) shift, uniform over the pooling grid's phases."""
        self.offset = tuple(int(v) for v in self.rng.integers(0, POOLING_PERIOD, 2))
        self.paired = paired
        return self.offset

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
        if self.every_call:
            self.shift()
        if not self.paired:
            return self._rolled(x, self.offset)
        second = (self.offset[0] + PAIR[0], self.offset[1] + PAIR[1])
        (loss_a, grad_a, terms_a), (loss_b, grad_b, terms_b) = (
            self._rolled(x, self.offset),
            self._rolled(x, second),
        )
        terms = {name: (value + terms_b[name]) / 2 for name, value in terms_a.items()}
        return (loss_a + loss_b) / 2, (grad_a + grad_b) / 2, terms

    def _rolled(self, x: np.ndarray, offset: tuple[int, int]) -> tuple[float, np.ndarray, dict[str, float]]:
        rolled = np.roll(x.reshape(self.shape), offset, axis=(1, 2))
        loss, grad, terms = self.fn(rolled.ravel())
        back = np.roll(grad.reshape(self.shape), (-offset[0], -offset[1]), axis=(1, 2))
        return loss, back.ravel(), terms


def segments(iterations: int, count: int = SHIFTS_PER_SCALE) -> list[int]:
    """``iterations`` split into ``count`` near-equal segments (fewer when there are fewer iterations)."""
    return [len(part) for part in np.array_split(np.arange(iterations), min(count, iterations))]
