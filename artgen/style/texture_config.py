"""The texture-synthesis configuration (``artgen texture``): a style's texture from noise, no photo.

Its settings are ``artgen style``'s (:class:`StyleConfig`), inherited field
by field with only what differs restated: the defaults that make a 256 px
texture in under a minute on a CPU, and ``seamless`` on, since a texture is
usually wanted as a tile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artgen.configs import ConfigDict
from artgen.errors import InputError
from artgen.schema import check, inherited
from artgen.style.config import StyleConfig, blend_weights, check_blend, settle_styles

__all__ = ["TextureConfig"]


@dataclass(frozen=True)
class TextureConfig(ConfigDict):
    """Everything that determines one texture; same config + same style images = same picture.

    The output is ``size`` x ``size``, painted coarse to fine from seeded noise
    (``scales`` sizes, each twice the previous), matching the styles' Gram
    matrices only; ``tv_weight`` is relative to the style term, whose weight is
    1: the 10:1 balance of ``artgen style``'s default style and TV weights.
    """

    styles: tuple[str, ...] = inherited(
        StyleConfig, "styles", help="one or more style images to take the texture of"
    )
    out: str | None = inherited(
        StyleConfig,
        "out",
        help="output PNG",
        unset="<style>_texture.png in the working directory",
        widget="output",
    )
    size: int = inherited(StyleConfig, "size", 256, help="side of the square texture in pixels")
    iterations: int = inherited(StyleConfig, "iterations", 40)
    optimizer: str = inherited(StyleConfig, "optimizer")
    tv_weight: float = inherited(StyleConfig, "tv_weight", 0.1)
    seamless: bool = inherited(
        StyleConfig,
        "seamless",
        True,
        help="tileable output (a texture is mostly wanted as a tile; --no-seamless for an edged picture)",
        negatable=True,
    )
    style_blend: tuple[float, ...] | None = inherited(StyleConfig, "style_blend")
    style_scale: float = inherited(StyleConfig, "style_scale")
    scales: int = inherited(StyleConfig, "scales", 3)
    seed: int = inherited(StyleConfig, "seed", help="seed for the starting noise")
    net: str = inherited(StyleConfig, "net")
    overwrite: bool = inherited(StyleConfig, "overwrite")
    preview_every: int = inherited(StyleConfig, "preview_every")
    work_dir: str | None = inherited(StyleConfig, "work_dir")

    def __post_init__(self) -> None:
        settle_styles(self)
        check(self)
        check_blend(self.styles, self.style_blend)
        if self.out is not None and not self.out.lower().endswith(".png"):
            raise InputError(f"-o must name a .png file, not {self.out!r}")

    def blend(self) -> tuple[float, ...]:
        """Style weights summing to 1."""
        return blend_weights(self.styles, self.style_blend)

    def scale_sizes(self) -> tuple[int, ...]:
        """Sides of the coarse-to-fine schedule, as :meth:`StyleConfig.scale_sizes`."""
        return StyleConfig.scale_sizes(self)  # type: ignore[arg-type]  # reads only size and scales

    @classmethod
    def tiny(cls, styles: tuple[str, ...] | str, **overrides: Any) -> TextureConfig:
        """A configuration small enough for tests and CI on a laptop CPU (a few seconds)."""
        values: dict[str, Any] = dict(size=48, iterations=5, scales=1, preview_every=0)
        values.update(overrides)
        return cls(styles=(styles,) if isinstance(styles, str) else tuple(styles), **values)
