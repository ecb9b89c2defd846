"""Where each style goes (``--mask``): masks read, matched to the styles, feathered, sized.

A region is a soft weight in 0-1 per pixel and per style. It enters the
optimisation twice (Gatys et al., "Controlling Perceptual Factors in Neural
Style Transfer"): each style's Gram matrices are taken over its own region
only (:func:`artgen.style.losses.masked_gram_matrix`), and the picture that is
written is the photo outside the regions, blended across their feathered
edges (:func:`composite`), so the photo's pixels there are kept exactly.

Masks may be read as greyscale (white: the style; black: the photo; grey:
partly), one per style, or one colour mask may hold every style's region,
one colour each, black for the photo.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from artgen import images, vgg
from artgen.errors import InputError
from artgen.style.config import StyleConfig

__all__ = ["RegionMasks", "composite", "MIN_COLOR_SHARE"]

MIN_COLOR_SHARE = 0.002  # rarer colours in a colour mask are its edges' anti-aliasing, not regions
DARK = 48  # a colour whose channels are all below this counts as black (the photo)
EDGE_SHARE = 0.05  # a blend of two regions' colours smaller than this is their edge, not a region
SAME_COLOR = 80  # RGB distance within which a colour mask's shades are one region's (JPEG noise, edges)
ASPECT_TOLERANCE = 0.05  # a mask shaped unlike the photo by more than this is stretched, and said so


class RegionMasks:
    """Each style's region at the output's size, feathered: ``weights`` is (styles, height, width) in 0-1."""

    def __init__(self, weights: np.ndarray, notes: tuple[str, ...] = ()) -> None:
        self.weights = weights.astype(np.float32)
        self.notes = notes  # what the user should know (a stretched mask)

    @classmethod
    def load(cls, config: StyleConfig, size: tuple[int, int]) -> RegionMasks | None:
        """The regions ``config.masks`` describe for an output of ``size`` (width, height), or None.

        Raises :class:`InputError` in one line for an unreadable mask, a colour
        mask whose colours do not match the styles, or a region that is empty.
        """
        if not config.masks:
            return None
        pictures = [_read(path) for path in config.masks]
        notes = [_aspect_note(path, im.size, size) for path, im in zip(config.masks, pictures, strict=True)]
        if len(pictures) == len(config.styles):
            weights = np.stack([_grey(im, size) for im in pictures])
        else:
            weights = _by_color(config, pictures[0], size)
        radius = config.mask_feather * max(size)
        if radius > 0:
            from scipy.ndimage import gaussian_filter

            weights = np.stack([gaussian_filter(w, sigma=radius / 2, mode="nearest") for w in weights])
        for style, weight, mask in zip(config.styles, weights, _each_mask(config), strict=True):
            if float(weight.max()) < 0.05:
                raise InputError(f"--mask {mask} leaves no region for {style}: it is black there")
        return cls(np.clip(weights, 0, 1), tuple(note for note in notes if note))

    def at(self, size: tuple[int, int]) -> np.ndarray:
        """(styles, height, width) weights resized to ``size`` (width, height)."""
        if size == (self.weights.shape[2], self.weights.shape[1]):
            return self.weights
        return np.stack([_resize(w, size, Image.Resampling.BILINEAR) for w in self.weights])

    def union(self, size: tuple[int, int]) -> np.ndarray:
        """(height, width): how much of each pixel is painted at all."""
        return np.clip(self.at(size).sum(axis=0), 0, 1)

    def layer_masks(self, size: tuple[int, int]) -> list[list[np.ndarray]]:
        """Per style, per style layer: the region averaged down to that layer's positions, (1, h, w, 1).

        VGG pools by 2 before each block with floor division, so a layer of
        stride ``s`` has ``height // s`` by ``width // s`` positions.
        """
        width, height = size
        strides = [vgg.stride_of(name) for name in vgg.STYLE_LAYERS]
        sizes = [(max(1, width // s), max(1, height // s)) for s in strides]
        return [
            [_resize(weight, at, Image.Resampling.BOX)[None, ..., None] for at in sizes]
            for weight in self.at(size)
        ]

    def shares(self, size: tuple[int, int], blend: tuple[float, ...]) -> tuple[float, ...]:
        """Each style's loss weight: its blend weight (the largest as 1) times its region's share.

        A region's Gram matrix is normalised by its own area, which makes its
        pull on each pixel grow as the region shrinks; weighting by the area
        makes a style as strong in a small region as over the whole picture.
        """
        top = max(blend)
        areas = np.mean(np.square(self.at(size)), axis=(1, 2))
        return tuple(float(share / top * area) for share, area in zip(blend, areas, strict=True))


def composite(styled: np.ndarray, photo: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """uint8 RGB: ``styled`` where ``weight`` is 1, ``photo`` where it is 0, blended between."""
    w = weight[..., None]
    mixed = w * styled.astype(np.float32) + (1 - w) * photo.astype(np.float32)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def _each_mask(config: StyleConfig) -> list[str]:
    masks = config.masks or ()
    return list(masks) if len(masks) == len(config.styles) else [masks[0]] * len(config.styles)


def _read(path: str) -> Image.Image:
    try:
        return images.open_rgb(path, background=(0, 0, 0))  # transparent: no region
    except images.UnusableImage as exc:
        raise InputError(f"--mask {path}: {exc}") from None


def _aspect_note(path: str, mask: tuple[int, int], size: tuple[int, int]) -> str:
    ratio = (mask[0] / mask[1]) / (size[0] / size[1])
    if abs(ratio - 1) <= ASPECT_TOLERANCE:
        return ""
    return f"--mask {path} is {mask[0]}x{mask[1]}, shaped unlike the photo; stretched to fit"


def _resize(plane: np.ndarray, size: tuple[int, int], method: Image.Resampling) -> np.ndarray:
    return np.asarray(Image.fromarray(plane.astype(np.float32), "F").resize(size, method), dtype=np.float32)


def _grey(im: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """White: the style; black: the photo; the luminance between."""
    grey = np.asarray(im.convert("L"), dtype=np.float32) / 255
    return _resize(grey, size, Image.Resampling.BILINEAR)


def _by_color(config: StyleConfig, im: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """A region per style from a colour mask: each pixel goes to the nearest style colour or black."""
    rgb = np.asarray(im.resize(size, Image.Resampling.NEAREST), dtype=np.int32)
    if config.mask_colors:
        palette = [images.parse_color(text) for text in config.mask_colors]
    else:
        palette = _colors_in(rgb)
        if len(palette) != len(config.styles):
            named = ", ".join(_hex(color) for color in palette) or "none"
            raise InputError(
                f"--mask {config.masks[0]} has {len(palette)} colour{'' if len(palette) == 1 else 's'} "
                f"besides black ({named}) for "
                f"{len(config.styles)} styles; give --mask-colors, one per style, or one mask per style"
            )
    candidates = np.array([*palette, (0, 0, 0)], dtype=np.int32)
    distances = ((rgb[:, :, None, :] - candidates[None, None]) ** 2).sum(axis=-1)
    nearest = distances.argmin(axis=-1)
    return np.stack([(nearest == index).astype(np.float32) for index in range(len(palette))])


def _colors_in(rgb: np.ndarray) -> list[tuple[int, int, int]]:
    """The mask's regions' colours besides black, in reading order (by each region's first pixel).

    A mask saved as JPEG or drawn with anti-aliasing holds thousands of
    colours near the few that were painted, and blends of them along the
    edges. The most common colour takes all within :data:`SAME_COLOR` of it as
    one region, and so on; a smaller group that lies between two regions'
    colours (or one's and black) is their edge, not a region of its own.
    """
    flat = rgb.reshape(-1, 3)
    colors, first, counts = np.unique(flat, axis=0, return_index=True, return_counts=True)
    colors = colors.astype(np.float32)
    free = np.ones(len(colors), bool)
    anchors = [np.zeros(3, np.float32)]  # black, then each region's colour
    found: list[tuple[int, tuple[int, int, int]]] = []
    while free.any():
        top = int(np.flatnonzero(free)[counts[free].argmax()])
        if counts[top] < MIN_COLOR_SHARE * len(flat) / 4:  # what is left is scattered noise
            break
        near = free & (((colors - colors[top]) ** 2).sum(axis=1) <= SAME_COLOR**2)
        free &= ~near
        share = counts[near].sum() / len(flat)
        if share < MIN_COLOR_SHARE or (share < EDGE_SHARE and _between(colors[top], anchors)):
            continue
        anchors.append(colors[top])
        if colors[top].max() >= DARK:
            found.append((int(first[near].min()), tuple(int(c) for c in colors[top])))
    return [color for _, color in sorted(found)]


def _between(color: np.ndarray, anchors: list[np.ndarray]) -> bool:
    """Whether ``color`` is near a blend of two of ``anchors``: an edge between their regions."""
    for index, a in enumerate(anchors):
        for b in anchors[index + 1 :]:
            t = float(np.clip(np.dot(color - a, b - a) / max(float(np.dot(b - a, b - a)), 1e-6), 0, 1))
            if np.linalg.norm(color - (a + t * (b - a))) <= SAME_COLOR / 2:
                return True
    return False


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)
