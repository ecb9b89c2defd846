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

A photo is no tile: its left and right edges do not meet, and a seamless
still painted from it kept that jump as a seam (3.5 times an ordinary
step). :func:`periodic_component` removes the jump the way Moisan's
periodic-plus-smooth decomposition does ("Periodic plus smooth image
decomposition", 2011): the smooth picture whose Laplacian is the jump alone
is subtracted, which changes the photo only by slow shading near its edges
and leaves every edge and texture inside it as it was.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fourier_upsample", "periodic_component"]


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
