"""A picture that tiles (``--seamless``, every texture): how its seam shows, and what keeps it away.

VGG and the smoothness term wrap around the edges (:mod:`artgen.vgg.circular`,
:func:`artgen.style.losses.tv_loss`). Beside them, three things here keep a
seam from showing: enlarging a tile through its Fourier series between
scales, making the photo itself tile, and showing VGG the tile at random
phases of its pooling grid; and one measures the seam.

**The seam, measured**: the wrap-around step against ordinary neighbours.
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
(see the next part); VGG's four 2x2 poolings, too, see a tile
alike only under shifts by multiples of 16 px. :func:`grid_ratio` measures
it: the mean step of the lines at multiples of a period over that of the
other lines, 1 when no phase is favoured.

A tile's origin is free: rolled, it tiles into the same wallpaper. So the
texture writer puts its edges where the tile is calmest
(:func:`calmest_origin`), choosing among the lines at multiples of the
pooling period only, so that :func:`grid_ratio` still reads the lines VGG's
grid would have marked. With no seam left, the wrap-around is then one
ordinary line, and the calmest of a dozen or more.

**Enlarging a tile** through its Fourier series: an interpolation that
favours no phase of the pixel grid (:func:`fourier_upsample`). Coarse to
fine doubles the picture between scales. Any interpolation kernel of finite
width (bicubic, Lanczos) puts the two new pixels of each old one at
offsets -1/4 and +1/4 of it, so a step between new pixels straddles an old
pixel on even lines and the gap between two old ones on odd lines; where the
coarse picture has fine texture, as a style's always does, the two kinds of
steps differ (bicubic doubling made every second line of a Starry Night
texture 1.7 times as rough as the others). Each later doubling carries that
pattern on at twice the period, and the finest scale's few iterations do
not paint it away: a texture came out with rough lines every 2, 4, ... 16
pixels, the seam (phase 0) on all of them.

A tile is periodic, so its Fourier series is the exact band-limited picture
it samples: the spectrum padded with zeros and transformed back gives the
same curve sampled twice as densely, every phase alike, with nothing
borrowed across an edge but the wrap-around the tile means anyway.

A photo is no tile: its left and right edges do not meet, and a seamless
still painted from it kept that jump as a seam (3.5 times an ordinary
step). :func:`periodic_component` removes the jump the way Moisan's
periodic-plus-smooth decomposition does ("Periodic plus smooth image
decomposition", 2011): the smooth picture whose Laplacian is the jump alone
is subtracted, which changes the photo only by slow shading near its edges
and leaves every edge and texture inside it as it was.

**Jitter**: random wrap-around shifts of a tile before VGG, so no phase of
its 16 px pooling grid is favoured (:class:`Jitter`). With circular padding
VGG sees a tile as a torus, but its four 2x2 poolings cut that torus into
16 px cells: its features of ``roll(x, s)`` are those of ``x`` rolled only
when ``s`` is a multiple of 16. An optimiser that always looks at the tile
at one phase paints to that grid: in 128 px textures every 16th line came
out 5-10% rougher than the rest (:func:`grid_ratio`), the seam, at phase 0,
among them. Showing VGG the tile rolled by a fresh random shift
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

from dataclasses import dataclass

import numpy as np

from artgen.style.optimizers import ValueAndGrad

__all__ = [
    "POOLING_PERIOD",
    "Seam",
    "seam_metric",
    "grid_ratio",
    "calmest_origin",
    "periodic_component",
    "fourier_upsample",
    "Jitter",
    "segments",
    "SHIFTS_PER_SCALE",
    "PAIR",
]

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


# -- enlarging a tile, and making a photo one -------------------------------------------------------


def fourier_upsample(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """An (h, w, C) periodic picture enlarged to (``height``, ``width``, C) by zero-padding its spectrum.

    One channel at a time in single precision, with the real transform's
    half spectrum: a 4096 px enlargement holds 70 MB of spectrum at a time.
    """
    h, w, channels = planes.shape
    if height < h or width < w:
        raise ValueError(f"fourier_upsample enlarges only: ({h}, {w}) -> ({height}, {width})")
    enlarged = np.empty((height, width, channels), np.float32)
    gain = np.float32(height * width / (h * w))
    for channel in range(channels):
        spectrum = np.fft.rfft2(np.asarray(planes[..., channel], np.float32))
        spectrum = _widen(_heighten(spectrum, height), w, width)
        enlarged[..., channel] = np.fft.irfft2(spectrum, s=(height, width)) * gain
    return enlarged


def periodic_component(picture: np.ndarray) -> np.ndarray:
    """An (H, W, C) picture in 0-255 made to tile: its periodic component, clipped to 0-255 (float32)."""
    u = np.asarray(picture, np.float64)
    height, width = u.shape[:2]
    jump = np.zeros_like(u)  # the boundary's steps, as a periodic Laplacian sees them
    jump[0] += u[-1] - u[0]
    jump[-1] += u[0] - u[-1]
    jump[:, 0] += u[:, -1] - u[:, 0]
    jump[:, -1] += u[:, 0] - u[:, -1]
    rows = np.cos(2 * np.pi * np.arange(height) / height)[:, None]
    columns = np.cos(2 * np.pi * np.arange(width) / width)[None, :]
    eigenvalues = 2 * rows + 2 * columns - 4  # of the periodic discrete Laplacian
    eigenvalues[0, 0] = 1  # the mean: the smooth part has none
    smooth = np.fft.fft2(jump, axes=(0, 1)) / eigenvalues[..., None]
    smooth[0, 0] = 0
    periodic = u - np.real(np.fft.ifft2(smooth, axes=(0, 1)))
    return np.clip(periodic, 0, 255).astype(np.float32)


# A side that grows keeps frequencies -half .. half (half = (n - 1) // 2). An even side's Nyquist term
# (+ - + - ...) is left out: it has no phase of its own, and enlarged any way it would be a
# pattern of line pairs again. New pixels keep the usual alignment of resizing (pixel centres at
# (j + 0.5) * n / size - 0.5 in old pixels, as PIL places them), so the tile and its enlargement
# cover the same square: a phase factor shifts the series by that fraction of a pixel.


def _shift(frequencies: np.ndarray, n: int, size: int) -> np.ndarray:
    offset = (n / size - 1) / 2  # where new pixel 0 falls, in old pixels
    return np.exp(2j * np.pi * frequencies * offset / n).astype(np.complex64)


def _heighten(spectrum: np.ndarray, size: int) -> np.ndarray:
    """Rows of a half spectrum (all row frequencies, signed) padded to ``size``."""
    n = spectrum.shape[0]
    if size == n:
        return spectrum
    half = (n - 1) // 2
    padded = np.zeros((size, spectrum.shape[1]), np.complex64)
    padded[: half + 1] = spectrum[: half + 1]
    padded[size - half :] = spectrum[n - half :]
    return padded * _shift(np.fft.fftfreq(size) * size, n, size)[:, None]


def _widen(spectrum: np.ndarray, n: int, size: int) -> np.ndarray:
    """Columns of a half spectrum (frequencies 0 .. n // 2 of a side ``n``) padded for a side ``size``."""
    if size == n:
        return spectrum
    half = (n - 1) // 2
    padded = np.zeros((spectrum.shape[0], size // 2 + 1), np.complex64)
    padded[:, : half + 1] = spectrum[:, : half + 1]
    return padded * _shift(np.arange(size // 2 + 1), n, size)[None, :]


# -- jitter: no phase of VGG's pooling grid favoured -------------------------------------------------


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
