"""Enlarging a tile through its Fourier series: an interpolation that favours no phase of the pixel grid.

Coarse to fine doubles the picture between scales. Any interpolation kernel
of finite width (bicubic, Lanczos) puts the two new pixels of each old one at
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
"""

from __future__ import annotations

import numpy as np

__all__ = ["fourier_upsample"]


def fourier_upsample(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """An (h, w, C) periodic picture enlarged to (``height``, ``width``, C) by zero-padding its spectrum."""
    h, w = planes.shape[:2]
    if height < h or width < w:
        raise ValueError(f"fourier_upsample enlarges only: ({h}, {w}) -> ({height}, {width})")
    spectrum = np.fft.fft2(np.asarray(planes, np.float64), axes=(0, 1))
    spectrum = _pad_axis(_pad_axis(spectrum, 0, height), 1, width)
    enlarged = np.fft.ifft2(spectrum, axes=(0, 1)).real * (height * width / (h * w))
    return enlarged.astype(np.float32)


def _pad_axis(spectrum: np.ndarray, axis: int, size: int) -> np.ndarray:
    """The spectrum with zeros for the new frequencies of ``axis`` (and for an even side's Nyquist term).

    New pixels keep the usual alignment of resizing (pixel centres at
    ``(j + 0.5) * n / size - 0.5`` in old pixels, as PIL and the bicubic
    path place them), so a tile and its enlargement cover the same square:
    a phase factor shifts the series by that fraction of a pixel.
    """
    n = spectrum.shape[axis]
    if size == n:
        return spectrum
    spectrum = np.moveaxis(spectrum, axis, 0)
    padded = np.zeros((size, *spectrum.shape[1:]), spectrum.dtype)
    # frequencies -half .. half; an even side's Nyquist term (+ - + - ...) is left out: it has
    # no phase of its own, and enlarged any way it would be a pattern of line pairs again
    half = (n - 1) // 2
    padded[: half + 1] = spectrum[: half + 1]
    padded[size - half :] = spectrum[n - half :]
    offset = (n / size - 1) / 2  # where new pixel 0 falls, in old pixels
    frequencies = np.fft.fftfreq(size) * size
    padded *= np.exp(2j * np.pi * frequencies * offset / n).reshape(-1, *[1] * (padded.ndim - 1))
    return np.moveaxis(padded, 0, axis)
