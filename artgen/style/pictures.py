"""What a painting run reads and writes around its work: the photos and paintings at the sizes it
paints them, the picture's held name, the scratch folder's preview, and the result it returns.
Shared by every way of painting (the optimisation, the one-pass network, textures, clips), so none
of them imports another for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from artgen import images, runs
from artgen.errors import InputError
from artgen.style.config import StyleConfig
from artgen.style.seamless import Seam

__all__ = [
    "StyleResult",
    "PREVIEW_NAME",
    "MIN_STYLE_SIDE",
    "load_image",
    "fit_size",
    "style_side",
    "resized",
    "default_out",
    "reserved_out",
    "frames_folder",
]

PREVIEW_NAME = "preview.png"  # the picture so far, in the scratch folder
MIN_STYLE_SIDE = 32  # a smaller style image leaves block5 with a 2x2 map: no texture to speak of


@dataclass(frozen=True)
class StyleResult:
    """What a transfer produced. ``losses`` are the weighted terms of the written image at its last scale."""

    out: Path
    losses: dict[str, float]
    size: tuple[int, int]  # (width, height)
    iterations: int  # over all scales
    seconds: float
    stopped: bool = False
    frames: Path | None = None
    gif: Path | None = None
    compile_seconds: float = 0.0  # over all scales: the first iteration's time beyond an ordinary one
    iteration_seconds: float = 0.0  # per iteration at the last scale, compiling excluded
    round_trips: int = 0  # host-device exchanges while optimising (previews and frames not counted)
    seam: Seam | None = None  # with --seamless: how the written picture tiles


def load_image(path: str | os.PathLike[str], long_side: int | None = None) -> Image.Image:
    """An RGB image for the engine, or an :class:`InputError` saying why it cannot be one.

    With ``long_side`` (the largest size the engine will use), a photo too
    large to decode whole is read reduced instead of refused.
    """
    try:
        return images.open_rgb(path, fit=long_side)
    except images.UnusableImage as exc:
        raise InputError(f"{path}: {exc}") from None


def fit_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(width, height) with the long side ``long_side`` and the aspect ratio kept."""
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def style_side(long_side: int, style_scale: float) -> int:
    """The long side a style image is resized to when the picture's long side is ``long_side``."""
    return max(MIN_STYLE_SIDE, round(long_side * style_scale))


def resized(im: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """An RGB image as float32 (H, W, 3) at ``size`` (width, height), Lanczos when it changes."""
    if im.size != size:
        im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(im, dtype=np.float32)


def default_out(config: StyleConfig, folder: Path | None = None) -> AbstractContextManager[Path]:
    """``<content>_<style>.png`` in ``folder`` (the working directory), numbered if taken; held."""
    stem = f"{Path(config.content).stem}_{'+'.join(Path(style).stem for style in config.styles)}"
    return runs.reserve_free(folder or Path.cwd(), stem, ".png")


def reserved_out(
    out: str | None, overwrite: bool, default: Callable[[], AbstractContextManager[Path]]
) -> AbstractContextManager[Path]:
    """``-o`` as given, held (refused if a folder, or there without ``--overwrite``); else ``default()``."""
    return default() if out is None else runs.reserve(out, overwrite=overwrite)


def frames_folder(out: Path, overwrite: bool) -> AbstractContextManager[Path]:
    """``--save-every``'s folder beside ``out``, held: new or empty, unless ``--overwrite``."""
    return runs.reserve(out.parent / f"{out.stem}-frames", kind="into", overwrite=overwrite)
