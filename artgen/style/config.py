"""The style-transfer configuration (``artgen style``) and the texture's (``artgen texture``).

Plain data with no Keras import: the commands' options and the studio's
forms are generated from the fields' settings (:mod:`artgen.schema`), and the
job runner sends them across a process boundary with ``to_dict``/``from_dict``.

A texture is a style's texture from noise, no photo: :class:`TextureConfig`
inherits :class:`StyleConfig`'s settings field by field and restates only
what differs, the defaults that make a 256 px texture in under a minute on a
CPU, and ``seamless`` on, since a texture is usually wanted as a tile.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from artgen.configs import MAX_SEED, ImageEngineConfig
from artgen.errors import InputError
from artgen.schema import check, inherited, options, setting

__all__ = [
    "METHODS",
    "NETS",
    "OPTIMIZERS",
    "INITS",
    "LOOPS",
    "TILES",
    "MIN_SIZE",
    "MAX_SIZE",
    "GATYS_ONLY",
    "StyleConfig",
    "TextureConfig",
]

METHODS = ("gatys", "fast")  # gatys: optimise the picture against VGG; fast: Magenta's network, one pass
NETS = ("vgg16", "vgg19")
OPTIMIZERS = ("lbfgs", "adam")
INITS = ("auto", "fast", "content", "noise", "style")  # fast: the --method fast picture; auto: see settled()
LOOPS = ("auto", "device", "host")  # device: iterate inside one compiled loop; host: SciPy/numpy
TILES = ("auto", "on", "off")  # auto: in tiles only when the whole picture would not fit
MIN_SIZE = 16  # below this the deepest VGG layers see less than one pixel
MAX_SIZE = 8192
MAX_ITERATIONS = 100_000
# --iterations and --scales left unset, by the start (StyleConfig.settled). Measured by
# benchmarks/style_speed.py --starts (docs/benchmarks.md): from the fast picture, FAST_START_ITERATIONS at
# full size alone reach the quality of PHOTO_START_ITERATIONS at each of PHOTO_START_SCALES from the photo
# in about 0.4 of its CPU time; coarse scales only cost there, the fast picture has the composition already
FAST_START_ITERATIONS, FAST_START_SCALES = 40, 1
PHOTO_START_ITERATIONS, PHOTO_START_SCALES = 80, 3
MAX_SCALES = 8  # 32 px doubled 8 times is past MAX_SIZE
OUT_SUFFIXES = (".png", ".gif", ".webp", ".mp4", "")  # a still, a clip's own kind, or a folder of frames
# measured by benchmarks/style_animation.py (docs/benchmarks.md): raw flicker at its floor and the per-frame
# score equal to independent frames' (1.03x); 3000 cut flicker along the flow a little more but left
# each frame 1.2x worse than a still
TEMPORAL_WEIGHT = 300.0
FRAME_ITERATIONS = 10
MAX_WEIGHT = 1e6  # weights are relative; beyond this the loss's float32 terms overflow
# --help sections
EFFORT = "size and effort"
LOOK = "look"
REGIONS = "regions"
ANIMATION = "animations"
SMALLEST_SCALE = 32  # coarser than this, VGG's deep layers see a few pixels: nothing to settle
# what only the optimisation reads: --method fast refuses them set to anything but their defaults
GATYS_ONLY = (
    "iterations",
    "optimizer",
    "content_weight",
    "style_weight",
    "tv_weight",
    "init",
    "style_scale",
    "seamless",
    "scales",
    "save_every",
    "seed",
    "net",
    "tile_size",
    "loop",
    "frame_iterations",
)


def settle_styles(config: Any) -> None:
    """A frozen config's ``styles`` and ``style_blend`` as tuples (forms give lists); none refused."""
    object.__setattr__(config, "styles", tuple(config.styles))
    if config.style_blend is not None:
        object.__setattr__(config, "style_blend", tuple(float(w) for w in config.style_blend))
    if not config.styles:
        raise InputError("give at least one style image")


def check_blend(styles: tuple[str, ...], style_blend: tuple[float, ...] | None) -> None:
    """``--style-blend`` against the styles it weights: one line for each way it can be wrong."""
    if style_blend is None:
        return
    if len(style_blend) != len(styles):
        raise InputError(f"--style-blend has {len(style_blend)} weights for {len(styles)} style images")
    if sum(style_blend) <= 0:
        raise InputError("--style-blend weights must be >= 0 and not all 0")


def blend_weights(styles: tuple[str, ...], style_blend: tuple[float, ...] | None) -> tuple[float, ...]:
    """Style weights summing to 1 (equal without ``--style-blend``)."""
    weights = style_blend or (1.0,) * len(styles)
    total = sum(weights)
    return tuple(w / total for w in weights)


@dataclass(frozen=True)
class StyleConfig(ImageEngineConfig):
    """Everything that determines one stylised image; same config + same files = same picture.

    ``size`` is the output's long side; the content's aspect ratio is kept.
    ``iterations`` counts optimiser steps at each scale of the coarse-to-fine
    schedule (``scales`` sizes, each twice the previous, ending at ``size``).
    Loss weights are relative: every term is normalised by its target's
    magnitude, so the same weights suit any image, size and network.
    """

    content: str = setting(
        help="the photo to repaint, or a folder of photos to repaint each, or an animation or video",
        positional=True,
        metavar="CONTENT",
        widget="source",
        label="photo",
    )
    styles: tuple[str, ...] = setting(
        help="one or more style images (paintings)",
        positional=True,
        metavar="STYLE",
        widget="images",
        label="style images",
    )
    out: str | None = setting(
        None,
        help="output PNG; for a folder of photos, the output folder",
        unset="<content>_<style>.png (a folder: <content>_<style>/) in the working directory",
        aliases=("-o",),
        metavar="OUT",
        widget="destination",
    )
    method: str = setting(
        "gatys",
        help="gatys: optimise the picture against VGG16's features, from the fast picture unless --init "
        "says otherwise (78-113 CPU-s at 384 px on a 2-core CPU; from the photo, --init content, "
        "199-275 for the same quality); fast: Magenta's arbitrary-style network paints it in one "
        "pass (about a second; --strength)",
        choices=METHODS,
    )
    size: int = setting(512, help="output long side in pixels", min=MIN_SIZE, max=MAX_SIZE, group=EFFORT)
    iterations: int | None = setting(
        None,
        help="optimizer steps at each scale",
        unset=f"{FAST_START_ITERATIONS} from the fast picture, {PHOTO_START_ITERATIONS} from any other start",
        min=1,
        max=MAX_ITERATIONS,
        group=EFFORT,
    )
    optimizer: str = setting("lbfgs", help="lbfgs converges in fewer steps", choices=OPTIMIZERS, group=EFFORT)
    content_weight: float = setting(1.0, help="keep the photo's shapes", min=0, max=MAX_WEIGHT, group=LOOK)
    style_weight: float = setting(
        10.0, help="take on the painting's texture", min=0, max=MAX_WEIGHT, group=LOOK
    )
    tv_weight: float = setting(1.0, help="smoothness", min=0, max=MAX_WEIGHT, group=LOOK, advanced=True)
    strength: float = setting(
        1.0,
        help="the fast method's style strength (--method fast, and the fast picture --init starts "
        "from): 0 keeps the photo's own style, 1 takes the painting's, between blends the two styles "
        "(Magenta's content blending); Gatys' own is --style-weight",
        min=0,
        max=1,
        group=LOOK,
    )
    init: str = setting(
        "auto",
        help="starting picture; auto: the fast picture, or the photo for --seamless and clips; "
        "fast: the --method fast picture (--strength sets its strength); content: the photo",
        choices=INITS,
        group=LOOK,
        advanced=True,
    )
    style_blend: tuple[float, ...] | None = setting(
        None,
        help="weights of several styles, one per style, e.g. 0.7,0.3",
        unset="equal",
        min=0,
        metavar="W1,W2",
        group=LOOK,
        advanced=True,
    )
    style_scale: float = setting(
        1.0,
        help="style image size relative to the output; smaller = finer strokes",
        min=0.05,
        max=8,
        group=LOOK,
        advanced=True,
    )
    masks: tuple[str, ...] | None = setting(
        None,
        help="paint only the white part of MASK (grey: partly; the rest keeps the photo); "
        "give one per style, in the styles' order, or one colour mask for several styles",
        unset="the whole picture",
        flag="--mask",
        metavar="MASK",
        widget="images",
        label="masks",
        repeatable=True,
        group=REGIONS,
    )
    mask_colors: tuple[str, ...] | None = setting(
        None,
        help="with one colour mask and several styles: each style's colour, in the styles' order, "
        "e.g. red,blue or ff0000,0000ff; black keeps the photo",
        unset="the mask's colours other than black, in reading order (left to right, top to bottom)",
        metavar="C1,C2",
        group=REGIONS,
        advanced=True,
    )
    mask_feather: float = setting(
        0.01,
        help="soften mask edges: blur radius as a fraction of the output's long side",
        min=0,
        max=0.25,
        group=REGIONS,
        advanced=True,
    )
    preserve_colors: bool = setting(
        False, help="keep the photo's colours (luminance-only transfer)", negatable=False, group=LOOK
    )
    seamless: bool = setting(
        False,
        help="tileable output: VGG and the smoothness term wrap around the edges, and the photo's "
        "own edges are shaded to meet; runs untiled",
        negatable=False,
        group=LOOK,
    )
    scales: int | None = setting(
        None,
        help="coarse-to-fine sizes, each twice the last",
        unset=f"{FAST_START_SCALES} from the fast picture, {PHOTO_START_SCALES} from any other start",
        min=1,
        max=MAX_SCALES,
        group=EFFORT,
    )
    save_every: int = setting(
        0,
        help="save a frame every K iterations and a progress GIF; 0 = off",
        min=0,
        metavar="K",
        group="progress",
        advanced=True,
    )
    seed: int = setting(0, help="seed for --init noise", min=0, max=MAX_SEED, group=LOOK)
    net: str = setting(
        "vgg16",
        help="vgg16 is bundled; vgg19 needs Keras' download",
        choices=NETS,
        group=EFFORT,
        advanced=True,
    )
    overwrite: bool = setting(False, help="replace OUT if it exists", negatable=False)
    preview_every: int = setting(
        10, help="iterations between previews; 0 = only the final image", min=0, cli=False, advanced=True
    )
    work_dir: str | None = setting(
        None,
        help="where previews go",
        unset="a fresh temporary folder",
        widget="outdir",
        cli=False,
        advanced=True,
    )
    tile: str = setting(
        "auto",
        help="run VGG over overlapping tiles: any size fits, a little slower; "
        "auto: only when the whole picture would not fit in memory",
        choices=TILES,
        bare="on",
        negation="off",
        group=EFFORT,
    )
    tile_size: int = setting(
        0,
        help="tile core in pixels, a multiple of 16; 0 = the largest that fits",
        min=0,
        max=MAX_SIZE,
        metavar="PX",
        group=EFFORT,
        advanced=True,
    )
    loop: str = setting(
        "auto",
        help="device: iterate inside one compiled loop; host: SciPy/numpy; auto: the faster here",
        choices=LOOPS,
        group=EFFORT,
        advanced=True,
    )

    sequence: bool = setting(
        False,
        help="CONTENT is a folder of one animation's frames, painted in name order as a clip "
        "(without it a folder is a batch of separate photos)",
        negatable=False,
        group=ANIMATION,
    )
    temporal_weight: float = setting(
        TEMPORAL_WEIGHT,
        help="hold each frame's painting to the last one's, moved along the clip's optical flow, "
        "wherever the flow is trusted; 0 = paint every frame on its own (flickers); "
        "--method fast blends each frame with the last one's moved painting unless this is 0",
        min=0,
        max=MAX_WEIGHT,
        group=ANIMATION,
        advanced=True,
    )
    frame_iterations: int = setting(
        FRAME_ITERATIONS,
        help="optimizer steps for each frame after the first (which gets the full --iterations and --scales)",
        min=1,
        max=MAX_ITERATIONS,
        group=ANIMATION,
        advanced=True,
    )

    def __post_init__(self) -> None:
        settle_styles(self)
        check(self)
        if self.seamless and self.tile == "on":
            raise InputError(
                "--seamless runs untiled (tiles do not wrap around); drop --tile or use --tile off"
            )
        if self.tile_size and (self.tile_size < 32 or self.tile_size % 16):
            raise InputError(f"--tile-size must be a multiple of 16 and at least 32, not {self.tile_size}")
        check_blend(self.styles, self.style_blend)
        self._check_method()
        self._check_masks()
        if self.is_batch():
            if self.out is not None and self.out.lower().endswith(".png"):
                raise InputError(f"{self.content} is a folder of photos: -o names a folder, not a .png")
        elif self.out is not None and Path(self.out).suffix.lower() not in OUT_SUFFIXES:
            raise InputError(
                f"-o must name a .png file (an animation's own kind for a clip), not {self.out!r}"
            )

    def _check_method(self) -> None:
        """What each method reads: the other's settings, changed, are refused rather than ignored."""
        if self.method == "fast":
            for opt in options(type(self)):
                if opt.name in GATYS_ONLY and getattr(self, opt.name) != opt.default:
                    raise InputError(
                        f"{opt.flag} is for --method gatys; --method fast paints in one pass without it"
                    )
            if self.tile == "on":
                raise InputError("--method fast does not paint in tiles; drop --tile")
        elif self.strength != 1 and (self.init not in ("auto", "fast") or self.seamless):
            raise InputError(
                "--strength is the fast method's; use it with --method fast or --init fast "
                "(the optimisation's own is --style-weight)"
            )
        if self.init == "fast" and self.seamless:
            raise InputError("--init fast does not tile; drop --seamless or choose another --init")

    def settled(self, clip: bool = False) -> StyleConfig:
        """This config with what ``--init auto``, an unset ``--iterations`` and ``--scales`` leave open.

        The fast picture is the start by default: from it, fewer iterations at
        full size alone reach the photo start's quality (docs/benchmarks.md).
        ``--seamless`` and clips (``clip``) start from the photo: the fast
        picture does not tile, and a clip's later frames start from the last
        painted one. ``--method fast`` reads none of these.
        """
        if self.method == "fast":
            return self
        init = self.init
        if init == "auto":
            init = "content" if clip or self.seamless else "fast"
        fast = init == "fast"
        iterations = self.iterations or (FAST_START_ITERATIONS if fast else PHOTO_START_ITERATIONS)
        scales = self.scales or (FAST_START_SCALES if fast else PHOTO_START_SCALES)
        if (init, iterations, scales) == (self.init, self.iterations, self.scales):
            return self
        return replace(self, init=init, iterations=iterations, scales=scales)

    def _check_masks(self) -> None:
        """Mask counts against styles; the files themselves are read when the job starts."""
        if self.masks is not None:
            object.__setattr__(self, "masks", tuple(self.masks))
        if self.mask_colors is not None:
            object.__setattr__(self, "mask_colors", tuple(self.mask_colors))
        masks, styles = self.masks or (), len(self.styles)
        if masks and len(masks) not in (1, styles):
            raise InputError(
                f"--mask was given {len(masks)} times for {styles} style{'' if styles == 1 else 's'}; "
                "give one mask per style, or one colour mask for all"
            )
        if self.mask_colors is not None:
            if len(masks) != 1:
                raise InputError("--mask-colors needs exactly one --mask (a colour mask)")
            if len(self.mask_colors) != styles:
                raise InputError(f"--mask-colors has {len(self.mask_colors)} colours for {styles} styles")
            from artgen.images import parse_color

            for text in self.mask_colors:
                parse_color(text)
        if masks and self.tile == "on":
            raise InputError("--mask does not work with --tile on yet; use --tile auto or off")

    def is_batch(self) -> bool:
        """CONTENT is a folder of separate photos (not, with --sequence, one clip's frames)."""
        return Path(self.content).is_dir() and not self.sequence

    def blend(self) -> tuple[float, ...]:
        """Style weights summing to 1."""
        return blend_weights(self.styles, self.style_blend)

    def scale_sizes(self) -> tuple[int, ...]:
        """Long sides of the coarse-to-fine schedule, e.g. 512 with 3 scales -> (128, 256, 512).

        Sizes halve from ``size`` down to 32 px at the smallest; asking for
        more scales than that allows gives fewer.
        """
        scales = self.scales or self.settled().scales  # unset: a still picture's
        floor = min(self.size, SMALLEST_SCALE)
        sizes = sorted({max(floor, round(self.size / 2**k)) for k in range(scales)})
        return tuple(sizes)

    @classmethod
    def tiny(cls, content: str, styles: tuple[str, ...] | str, **overrides: Any) -> StyleConfig:
        """A configuration small enough for tests and CI on a laptop CPU (a few seconds).

        It starts from the photo, so the fast network is built only where a test asks for it.
        """
        values: dict[str, Any] = dict(size=48, iterations=5, scales=1, init="content", preview_every=0)
        values.update(overrides)
        return cls(content=content, styles=(styles,) if isinstance(styles, str) else tuple(styles), **values)


@dataclass(frozen=True)
class TextureConfig(ImageEngineConfig):
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
