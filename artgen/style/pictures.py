"""What a painting run reads and writes around its work: the photos and paintings, the picture's held
name, the scratch folder's preview, and the result it returns. Shared by every way of painting
(the optimisation, the one-pass network, textures, clips), so none of them imports another for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from artgen import images, runs
from artgen.errors import InputError
from artgen.style.config import StyleConfig
from artgen.style.seamless import Seam

__all__ = ["StyleResult", "PREVIEW_NAME", "load_image", "default_out", "reserved_out", "frames_folder"]

PREVIEW_NAME = "preview.png"  # the picture so far, in the scratch folder


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
