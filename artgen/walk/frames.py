"""Turning generator outputs into animation frames: upscaling and tiling a grid of walks."""

from __future__ import annotations

import numpy as np
from PIL import Image

from artgen import images as image_io

__all__ = ["resample_mode", "upscale", "tile"]


def resample_mode(requested: str, native: int, size: int) -> str:
    """``auto`` keeps crisp generator pixels for whole-number upscales and uses Lanczos otherwise."""
    if requested != "auto":
        return requested
    return "nearest" if size >= native and size % native == 0 else "lanczos"


def upscale(cells: np.ndarray, size: int, mode: str) -> np.ndarray:
    """Resize (N, h, w, 3) uint8 images to (N, size, size, 3)."""
    native = cells.shape[1]
    if size == native:
        return cells
    if mode == "nearest" and size % native == 0:
        factor = size // native  # repeat is ~10x faster than Pillow for whole factors
        return cells.repeat(factor, axis=1).repeat(factor, axis=2)
    method = Image.Resampling.NEAREST if mode == "nearest" else Image.Resampling.LANCZOS
    return np.stack([np.asarray(Image.fromarray(cell).resize((size, size), method)) for cell in cells])


def tile(cells: np.ndarray, frames: int, grid: tuple[int, int]) -> np.ndarray:
    """(frames * walks, h, w, 3) cells, frame-major, -> (frames, H, W, 3) pictures, walks side by side."""
    if grid == (1, 1):
        return cells
    walks = grid[0] * grid[1]
    per_frame = cells.reshape(frames, walks, *cells.shape[1:])
    return np.stack([image_io.grid(frame, columns=grid[1]) for frame in per_frame])
