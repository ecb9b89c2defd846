"""The style-transfer configuration.

Plain data with no Keras import: the CLI reads its defaults from here (each
default is written once), the job runner sends it across a process boundary
with ``to_dict``/``from_dict``, and the TUI builds one from its form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from artgen.configs import ConfigDict, check_seed
from artgen.errors import InputError

__all__ = ["NETS", "OPTIMIZERS", "INITS", "LOOPS", "TILES", "MIN_SIZE", "MAX_SIZE", "StyleConfig"]

NETS = ("vgg16", "vgg19")
OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise", "style")
LOOPS = ("auto", "device", "host")  # device: iterate inside one compiled loop; host: SciPy/numpy
TILES = ("auto", "on", "off")  # auto: in tiles only when the whole picture would not fit
MIN_SIZE = 16  # below this the deepest VGG layers see less than one pixel
MAX_SIZE = 8192
MAX_ITERATIONS = 100_000
MAX_SCALES = 8  # 32 px doubled 8 times is past MAX_SIZE
MAX_WEIGHT = 1e6  # weights are relative; beyond this the loss's float32 terms overflow
SMALLEST_SCALE = 32  # coarser than this, VGG's deep layers see a few pixels: nothing to settle


@dataclass(frozen=True)
class StyleConfig(ConfigDict):
    """Everything that determines one stylised image; same config + same files = same picture.

    ``size`` is the output's long side; the content's aspect ratio is kept.
    ``iterations`` counts optimiser steps at each scale of the coarse-to-fine
    schedule (``scales`` sizes, each twice the previous, ending at ``size``).
    Loss weights are relative: every term is normalised by its target's
    magnitude, so the same weights suit any image, size and network.
    """

    content: str
    styles: tuple[str, ...]
    out: str | None = None  # default: <content>_<style>.png in the working directory
    size: int = 512
    iterations: int = 80
    optimizer: str = "lbfgs"
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 1.0
    init: str = "content"
    style_blend: tuple[float, ...] | None = None  # one weight per style; default equal
    style_scale: float = 1.0
    preserve_colors: bool = False
    scales: int = 3
    save_every: int = 0  # iterations between saved frames (and a progress GIF); 0 = none
    seed: int = 0
    net: str = "vgg16"
    overwrite: bool = False
    preview_every: int = 10  # iterations between Preview events; 0 = only the final image
    work_dir: str | None = None  # where previews go; default: a fresh temporary folder
    tile: str = "auto"
    tile_size: int = 0  # tile core in pixels, a multiple of 16; 0 = the largest that fits
    loop: str = "auto"  # auto: whichever was measured faster on this kind of device

    def __post_init__(self) -> None:
        check_seed(self.seed)
        object.__setattr__(self, "styles", tuple(self.styles))
        if self.style_blend is not None:
            object.__setattr__(self, "style_blend", tuple(float(w) for w in self.style_blend))
        if not self.styles:
            raise InputError("give at least one style image")
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise InputError(f"--size must be between {MIN_SIZE} and {MAX_SIZE} pixels, not {self.size}")
        for name, high in (("iterations", MAX_ITERATIONS), ("scales", MAX_SCALES)):
            if not 1 <= getattr(self, name) <= high:
                raise InputError(f"--{name} must be between 1 and {high}, not {getattr(self, name)}")
        for name in ("save_every", "preview_every"):
            if getattr(self, name) < 0:
                raise InputError(f"--{name.replace('_', '-')} must be 0 (off) or more")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}")
        if self.init not in INITS:
            raise InputError(f"--init must be one of {', '.join(INITS)}, not {self.init!r}")
        if self.loop not in LOOPS:
            raise InputError(f"--loop must be one of {', '.join(LOOPS)}, not {self.loop!r}")
        if self.tile not in TILES:
            raise InputError(f"--tile must be one of {', '.join(TILES)}, not {self.tile!r}")
        if self.tile_size and (self.tile_size < 32 or self.tile_size % 16):
            raise InputError(f"--tile-size must be a multiple of 16 and at least 32, not {self.tile_size}")
        if self.net not in NETS:
            raise InputError(f"--net must be one of {', '.join(NETS)}, not {self.net!r}")
        for name in ("content_weight", "style_weight", "tv_weight"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= MAX_WEIGHT):
                flag = name.replace("_", "-")
                raise InputError(f"--{flag} must be between 0 and {MAX_WEIGHT:g}, not {value}")
        if not (math.isfinite(self.style_scale) and 0.05 <= self.style_scale <= 8):
            raise InputError(f"--style-scale must be between 0.05 and 8, not {self.style_scale}")
        if self.style_blend is not None:
            if len(self.style_blend) != len(self.styles):
                raise InputError(
                    f"--style-blend has {len(self.style_blend)} weights for {len(self.styles)} style images"
                )
            if any(not (math.isfinite(w) and w >= 0) for w in self.style_blend) or sum(self.style_blend) <= 0:
                raise InputError("--style-blend weights must be >= 0 and not all 0")
        if self.out is not None and not self.out.lower().endswith(".png"):
            raise InputError(f"-o must name a .png file, not {self.out!r}")

    def blend(self) -> tuple[float, ...]:
        """Style weights summing to 1."""
        weights = self.style_blend or (1.0,) * len(self.styles)
        total = sum(weights)
        return tuple(w / total for w in weights)

    def scale_sizes(self) -> tuple[int, ...]:
        """Long sides of the coarse-to-fine schedule, e.g. 512 with 3 scales -> (128, 256, 512).

        Sizes halve from ``size`` down to 32 px at the smallest; asking for
        more scales than that allows gives fewer.
        """
        floor = min(self.size, SMALLEST_SCALE)
        sizes = sorted({max(floor, round(self.size / 2**k)) for k in range(self.scales)})
        return tuple(sizes)

    @classmethod
    def tiny(cls, content: str, styles: tuple[str, ...] | str, **overrides: Any) -> StyleConfig:
        """A configuration small enough for tests and CI on a laptop CPU (a few seconds)."""
        values: dict[str, Any] = dict(size=48, iterations=5, scales=1, preview_every=0)
        values.update(overrides)
        return cls(content=content, styles=(styles,) if isinstance(styles, str) else tuple(styles), **values)
