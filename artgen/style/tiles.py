"""Style transfer at any size: VGG over overlapping tiles, with global Gram matrices.

The style loss compares Gram matrices of the *whole* picture, so tiles cannot
simply be stylised one by one (each would match the painting's statistics on
its own, and seams would show). Instead every evaluation makes two passes:

1. forward over each tile, adding its core's f f^T to each style layer's sum:
   divided by the picture's positions, these are exactly the untiled Gram
   matrices, and so the style loss and its gradient d loss / d G are known;
2. forward and backward over each tile again, differentiating
   <d loss / d G, the core's part of G> plus the core's content error, whose
   gradient is the tile's exact share of the untiled gradient.

A tile's *core* is the part whose features it owns; its *window*, what VGG
sees, adds a margin as wide as the deepest layer's receptive field, so core
features equal the untiled ones. Windows start on multiples of 16 pixels, so
max pooling cuts them where it cuts the whole picture. Only a window's
activations are ever in memory; the full-size arrays are the picture, its
gradient, the optimiser's state and the content target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from artgen import vgg
from artgen.events import ShouldStop, never_stop
from artgen.style.losses import Targets, Weights
from artgen.style.optimizers import EvaluationStopped

__all__ = [
    "ALIGN",
    "Tile",
    "margin_for",
    "plan_tiles",
    "TiledValueAndGrad",
    "tiled_targets",
    "tv_value_and_grad",
]

ALIGN = 16  # four 2x2 poolings before block5: windows start where all of them cut


def margin_for(net: str) -> int:
    """Receptive-field radius of the deepest layer the losses read, rounded up to :data:`ALIGN`."""
    field, jump = 1, 1
    for name in vgg.layers_up_to(net, vgg.deepest_layer()):
        if name.endswith("_pool"):
            field, jump = field + jump, jump * 2
        else:
            field += 2 * jump
    return -(-(field // 2 + 1) // ALIGN) * ALIGN


@dataclass(frozen=True)
class Tile:
    """Pixel rows/columns [start, stop) of the window VGG sees and of the core it owns."""

    window: tuple[int, int, int, int]  # top, bottom, left, right
    core: tuple[int, int, int, int]

    def masks(self, strides: tuple[int, ...]) -> list[np.ndarray]:
        """Per model output (stride s), (1, h, w, 1) float32: 1 on the core's features, 0 in the margin."""
        top, bottom, left, right = self.window
        c_top, c_bottom, c_left, c_right = self.core
        masks = []
        for s in strides:
            mask = np.zeros((1, (bottom - top) // s, (right - left) // s, 1), np.float32)
            mask[
                :, (c_top - top) // s : (c_bottom - top) // s, (c_left - left) // s : (c_right - left) // s
            ] = 1
            masks.append(mask)
        return masks


def _spans(extent: int, core: int, margin: int) -> list[tuple[int, int, int, int]]:
    """(window start, window stop, core start, core stop) along one axis.

    Windows all have one length, except those pushed against the far edge,
    which end exactly there (their start stays aligned): at most two window
    shapes per axis, so at most four compilations per picture shape.
    """
    length = core + 2 * margin
    if extent <= length:
        return [(0, extent, 0, extent)]
    last_start = (extent - length) // ALIGN * ALIGN
    spans = []
    for c0 in range(0, extent, core):
        c1 = min(c0 + core, extent)
        w0 = max(c0 - margin, 0)
        if w0 >= last_start:
            w0, w1 = last_start, extent
        else:
            w1 = w0 + length
        spans.append((w0, w1, c0, c1))
    return spans


def plan_tiles(height: int, width: int, core: int, margin: int) -> list[Tile]:
    """Tiles whose cores cover a height x width picture once, cores ``core`` px (a multiple of 16)."""
    if core % ALIGN:
        raise ValueError(f"tile core {core} is not a multiple of {ALIGN}")
    return [
        Tile((r0, r1, c0, c1), (rc0, rc1, cc0, cc1))
        for r0, r1, rc0, rc1 in _spans(height, core, margin)
        for c0, c1, cc0, cc1 in _spans(width, core, margin)
    ]


def tv_value_and_grad(image: np.ndarray, grad: np.ndarray, weight: float = 1.0) -> float:
    """:func:`artgen.style.losses.tv_loss` in numpy; adds ``weight`` times its gradient into ``grad``.

    Cheap and local to nothing, so it runs once over the whole picture, in
    float32 and in place: at 4096 px each full-size temporary is 200 MB.
    """
    scale = 255.0**2
    value = 0.0
    for axis in (1, 2):
        difference = np.diff(image, axis=axis)
        value += float(np.sum(np.square(difference), dtype=np.float64)) / (difference.size * scale)
        difference *= np.float32(2 * weight / (difference.size * scale))
        head = [slice(None)] * 4
        tail = [slice(None)] * 4
        head[axis], tail[axis] = slice(1, None), slice(None, -1)
        grad[tuple(head)] += difference
        grad[tuple(tail)] -= difference
    return value


Statistics = Callable[[np.ndarray, list[np.ndarray]], tuple[list[np.ndarray], np.ndarray]]
Share = Callable[
    [np.ndarray, list[np.ndarray], list[np.ndarray], np.ndarray, float], tuple[float, np.ndarray]
]


class TiledValueAndGrad:
    """``f(x) -> (total, d total / dx, terms)`` like the untiled step, computed tile by tile.

    ``statistics(window, masks)`` and ``share(window, masks, gram_grads,
    content_target, content_scale)`` are the backend's compiled :func:`~artgen.style.losses.tile_statistics`
    and :func:`~artgen.style.losses.tile_share` (the latter returning the content part and the
    gradient with respect to the window). ``should_stop`` is asked before every tile, so a
    stop lands within one tile's pass rather than a whole evaluation's (minutes at 4096 px):
    :class:`~artgen.style.optimizers.EvaluationStopped` then leaves the optimizer.
    """

    def __init__(
        self,
        statistics: Statistics,
        share: Share,
        targets: Targets,
        weights: Weights,
        shape: tuple[int, int, int, int],
        tiles: list[Tile],
        strides: tuple[int, ...],
        should_stop: ShouldStop = never_stop,
    ) -> None:
        self.statistics, self.share, self.should_stop = statistics, share, should_stop
        self.targets, self.weights, self.shape = targets, weights, shape
        self.tiles, self.strides = tiles, strides
        self.masks = [tile.masks(strides) for tile in tiles]
        _, height, width, _ = shape
        self.positions = [(height // s) * (width // s) for s in strides[:-1]]
        self.content_scale = weights.content / (targets.content.size * targets.content_norm)

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
        image = np.asarray(x, dtype=np.float32).reshape(self.shape)
        targets, weights = self.targets, self.weights
        sums = None
        for tile, masks in zip(self.tiles, self.masks, strict=True):
            self._check_stop()
            part, _ = self.statistics(_crop(image, tile.window), masks)
            part = [np.asarray(p, np.float64) for p in part]
            sums = part if sums is None else [a + b for a, b in zip(sums, part, strict=True)]
        style, gram_grads = 0.0, []
        for total, count, target, share, norm in zip(
            sums, self.positions, targets.grams, targets.layer_weights, targets.gram_norms, strict=True
        ):
            difference = total / count - target
            style += share * np.mean(difference**2) / norm
            d_gram = weights.style * share * 2 * difference / (difference.size * norm)
            gram_grads.append((d_gram / count).astype(np.float32))
        grad = np.zeros(self.shape, np.float32)
        content = 0.0
        stride = self.strides[-1]
        for tile, masks in zip(self.tiles, self.masks, strict=True):
            self._check_stop()
            top, bottom, left, right = tile.window
            target = targets.content[
                :,
                top // stride : top // stride + (bottom - top) // stride,
                left // stride : left // stride + (right - left) // stride,
            ]
            part, tile_grad = self.share(
                _crop(image, tile.window), masks, gram_grads, target, self.content_scale
            )
            content += float(part)
            grad[:, top:bottom, left:right] += tile_grad
        tv = tv_value_and_grad(image, grad, weights.tv)
        terms = {"content": content, "style": weights.style * style, "tv": weights.tv * tv}
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms["total"], grad.ravel(), terms

    def _check_stop(self) -> None:
        if self.should_stop():
            raise EvaluationStopped


def tiled_targets(
    statistics: Statistics,
    content: np.ndarray,
    styles: list[np.ndarray],
    blend: tuple[float, ...],
    layer_weights: tuple[float, ...],
    core: int,
    margin: int,
    strides: tuple[int, ...],
) -> Targets:
    """:func:`artgen.style.losses.targets_for`, computed over tiles: for pictures too big for one pass."""

    def features(image: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        _, height, width, _ = image.shape
        sums, content_features = None, None
        for tile in plan_tiles(height, width, core, margin):
            masks = tile.masks(strides)
            part, features = statistics(_crop(image, tile.window), masks)
            part = [np.asarray(p, np.float64) for p in part]
            sums = part if sums is None else [a + b for a, b in zip(sums, part, strict=True)]
            s = strides[-1]
            if content_features is None:
                content_features = np.zeros((1, height // s, width // s, features.shape[-1]), np.float32)
            top, bottom, left, right = (edge // s for edge in tile.core)
            w_top, w_left = tile.window[0] // s, tile.window[2] // s
            content_features[:, top:bottom, left:right] = features[
                :, top - w_top : bottom - w_top, left - w_left : right - w_left
            ]
        grams = [total / ((height // s) * (width // s)) for total, s in zip(sums, strides[:-1], strict=True)]
        return grams, content_features

    _, content_features = features(content)
    grams = None
    for style, share in zip(styles, blend, strict=True):
        style_grams = [share * g for g in features(style)[0]]
        grams = style_grams if grams is None else [a + b for a, b in zip(grams, style_grams, strict=True)]
    total = sum(layer_weights)
    return Targets(
        content=content_features,
        grams=tuple(g.astype(np.float32) for g in grams),
        layer_weights=tuple(w / total for w in layer_weights),
        content_norm=float(np.mean(np.square(content_features))) + 1e-8,
        gram_norms=tuple(float(np.mean(np.square(g))) + 1e-8 for g in grams),
    )


def _crop(image: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    top, bottom, left, right = window
    return np.ascontiguousarray(image[:, top:bottom, left:right])
