"""The three losses of Gatys et al., in ``keras.ops`` so any Keras backend can differentiate them.

Each term is divided by its target's magnitude (a constant computed once
per scale), which makes the weights mean the same thing for every image,
output size and network: 1.0 is "as much as the target itself".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from keras import ops

__all__ = [
    "Targets",
    "RegionTargets",
    "Weights",
    "gram_matrix",
    "masked_gram_matrix",
    "content_loss",
    "style_loss",
    "tv_loss",
    "temporal_loss",
    "loss_terms",
    "frame_loss_terms",
    "content_target",
    "device_targets",
    "targets_for",
    "style_grams",
    "region_targets",
    "tile_statistics",
    "tile_share",
]


@dataclass(frozen=True)
class Weights:
    content: float
    style: float
    tv: float
    wrap: bool = False  # seamless: the TV term also compares the last row (column) with the first


@dataclass(frozen=True)
class RegionTargets:
    """Each style's own Gram targets and the region of the picture they apply to (``--mask``)."""

    masks: tuple[tuple[np.ndarray, ...], ...]  # per style, per style layer: (1, h, w, 1) weights in 0-1
    grams: tuple[tuple[np.ndarray, ...], ...]  # per style, per style layer: (C, C), unblended
    gram_norms: tuple[tuple[float, ...], ...]  # per style, per style layer
    shares: tuple[float, ...]  # each style's weight: its blend weight times its region's share of the picture


@dataclass(frozen=True)
class Targets:
    """What the picture is pulled towards at one scale; numpy, so it crosses into any backend."""

    content: np.ndarray  # (1, h, w, C) activations of the content layer
    grams: tuple[np.ndarray, ...]  # one (C, C) blended Gram matrix per style layer
    layer_weights: tuple[float, ...]  # per style layer, summing to 1
    content_norm: float  # mean square of ``content``
    gram_norms: tuple[float, ...]  # mean square of each Gram target
    regions: RegionTargets | None = None  # with masks: the style term is per style, over its region


def gram_matrix(features):
    """(1, H, W, C) activations -> (C, C) channel correlations, averaged over positions.

    Averaging (not summing) over positions makes the style statistics of a
    128 px and a 2048 px picture comparable, which coarse-to-fine relies on.
    """
    channels = ops.shape(features)[-1]
    flat = ops.reshape(features, (-1, channels))
    positions = ops.cast(ops.shape(flat)[0], flat.dtype)
    return ops.matmul(ops.transpose(flat), flat) / positions


def masked_gram_matrix(features, mask):
    """:func:`gram_matrix` over a soft region: positions weighted by ``mask`` (1, H, W, 1).

    Gatys et al.'s spatial control: the features are multiplied by the mask
    and the sum divided by the mask's own weight, so a region's statistics
    are comparable with a whole style image's, whatever the region's area.
    """
    channels = ops.shape(features)[-1]
    flat = ops.reshape(features * mask, (-1, channels))
    area = ops.sum(ops.square(mask)) + 1e-6
    return ops.matmul(ops.transpose(flat), flat) / area


def content_loss(features, target, norm: float):
    return ops.mean(ops.square(features - target)) / norm


def style_loss(features, grams, layer_weights, norms):
    total = 0.0
    for layer_features, gram, weight, norm in zip(features, grams, layer_weights, norms, strict=True):
        total = total + weight * ops.mean(ops.square(gram_matrix(layer_features) - gram)) / norm
    return total


def region_style_loss(features, regions: RegionTargets, layer_weights):
    """Each style's loss over its own region, weighted by its share of the blend."""
    total = 0.0
    for masks, grams, norms, share in zip(
        regions.masks, regions.grams, regions.gram_norms, regions.shares, strict=True
    ):
        for layer_features, mask, gram, weight, norm in zip(
            features, masks, grams, layer_weights, norms, strict=True
        ):
            difference = masked_gram_matrix(layer_features, mask) - gram
            total = total + share * weight * ops.mean(ops.square(difference)) / norm
    return total


def tv_loss(image, wrap: bool = False):
    """Mean squared difference of neighbouring pixels, in units of the 0-255 range.

    ``wrap``: the picture is a tile, so the last row and column neighbour the first.
    """
    if wrap:
        dy, dx = image - ops.roll(image, 1, axis=1), image - ops.roll(image, 1, axis=2)
    else:
        dy = image[:, 1:, :, :] - image[:, :-1, :, :]
        dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return (ops.mean(ops.square(dy)) + ops.mean(ops.square(dx))) / (255.0**2)


def temporal_loss(image, previous, mask):
    """Mean squared change from the previous output frame where ``mask`` (0-1, per pixel) says the input
    did not change, in units of the 0-255 range.

    ``previous`` is the last painting moved along the input's optical flow,
    and the mask trusts it where the flow is consistent and the moved input
    matches the new frame: what the camera saw before must look as it did,
    while what just came into view is free to change.
    """
    return ops.mean(mask * ops.square(image - previous)) / (255.0**2)


def loss_terms(model, image, targets: Targets, weights: Weights) -> dict:
    """Weighted content, style and TV losses and their sum for a Caffe-space ``image``."""
    *style_features, content_features = model(image)
    if targets.regions is None:
        style = style_loss(style_features, targets.grams, targets.layer_weights, targets.gram_norms)
    else:
        style = region_style_loss(style_features, targets.regions, targets.layer_weights)
    terms = {
        "content": weights.content * content_loss(content_features, targets.content, targets.content_norm),
        "style": weights.style * style,
        "tv": weights.tv * tv_loss(image, weights.wrap),
    }
    terms["total"] = terms["content"] + terms["style"] + terms["tv"]
    return terms


def frame_loss_terms(
    model, image, targets: Targets, weights: Weights, content, content_norm, previous, mask, temporal_weight
) -> dict:
    """:func:`loss_terms` for one frame of an animation, plus the temporal term.

    The frame's content features and their norm come as arguments rather than
    inside ``targets``, so one compiled function serves every frame of a clip;
    the style targets are the clip's own, computed once.
    """
    frame_targets = replace(targets, content=content, content_norm=content_norm)
    terms = loss_terms(model, image, frame_targets, weights)
    terms["temporal"] = temporal_weight * temporal_loss(image, previous, mask)
    terms["total"] = terms["total"] + terms["temporal"]
    return terms


def content_target(model, content) -> tuple[np.ndarray, float]:
    """A Caffe-space picture's content-layer features and their mean square (the content term's norm)."""
    features = ops.convert_to_numpy(model(content)[-1])
    return features, float(np.mean(np.square(features))) + 1e-8


def style_grams(model, styles) -> list[list[np.ndarray]]:
    """Per Caffe-space style image, its Gram matrix at each style layer: the costly part of the targets.

    They depend on the style images and the scale only, so a batch of photos
    computes them once per scale (``artgen.style.batch``).
    """
    return [[ops.convert_to_numpy(gram_matrix(f)) for f in model(style)[:-1]] for style in styles]


def targets_for(model, content, styles, blend, layer_weights, per_style=None) -> Targets:
    """Targets from a Caffe-space content image and style images, styles blended by ``blend``.

    Blending Gram matrices (as jcjohnson/neural-style does) gives the same
    gradients as summing one loss per style, at the cost of one. ``per_style``:
    :func:`style_grams` already computed for these styles.
    """
    content_features = ops.convert_to_numpy(model(content)[-1])
    per_style = per_style if per_style is not None else style_grams(model, styles)
    grams = None
    for layers, share in zip(per_style, blend, strict=True):
        shared = [share * gram for gram in layers]
        grams = shared if grams is None else [a + b for a, b in zip(grams, shared, strict=True)]
    total = sum(layer_weights)
    return Targets(
        content=content_features,
        grams=tuple(grams),
        layer_weights=tuple(w / total for w in layer_weights),
        content_norm=float(np.mean(np.square(content_features))) + 1e-8,
        gram_norms=tuple(float(np.mean(np.square(g))) + 1e-8 for g in grams),
    )


def region_targets(per_style, shares, layer_masks) -> RegionTargets:
    """Unblended per-style targets for ``--mask``: ``layer_masks`` per style, per style layer."""
    return RegionTargets(
        masks=tuple(tuple(np.asarray(m, np.float32) for m in masks) for masks in layer_masks),
        grams=tuple(tuple(layers) for layers in per_style),
        gram_norms=tuple(tuple(float(np.mean(np.square(g))) + 1e-8 for g in layers) for layers in per_style),
        shares=tuple(float(share) for share in shares),
    )


def tile_statistics(model, tile, masks):
    """One tile's part of the global statistics: per style layer the *sum* of f f^T over its core, and
    the content features.

    ``masks`` hold, per model output, 1 where a position belongs to this tile's
    core and 0 in its margin, so that summing over tiles counts every position
    of the picture once. Dividing the summed Gram matrices by the picture's
    positions gives exactly the untiled :func:`gram_matrix`.
    """
    *style_features, content_features = model(tile)
    sums = []
    for features, mask in zip(style_features, masks[:-1], strict=True):
        flat = ops.reshape(features * mask, (-1, ops.shape(features)[-1]))
        sums.append(ops.matmul(ops.transpose(flat), flat))
    return sums, content_features


def tile_share(model, tile, masks, gram_grads, content_target, content_scale):
    """A scalar whose gradient with respect to ``tile`` is the tile's share of the untiled gradient.

    With the global Gram matrices known, the style loss's gradient with respect
    to each layer's G is a constant, d loss / d G; ``gram_grads[l]`` is that
    divided by the layer's positions in the whole picture. Then
    sum_l sum_core f^T gram_grads[l] f has, with respect to the pixels, this
    core's share of the style gradient, and the content term
    (``content_scale`` times the squared error over the core) is local anyway.
    Margin pixels get gradient from the core's features only, and the tiles'
    gradients add up to the whole picture's. Returns (surrogate, content term).
    """
    *style_features, content_features = model(tile)
    surrogate = 0.0
    for features, mask, grad in zip(style_features, masks[:-1], gram_grads, strict=True):
        flat = ops.reshape(features * mask, (-1, ops.shape(features)[-1]))
        surrogate = surrogate + ops.sum(ops.matmul(flat, grad) * flat)
    content = content_scale * ops.sum(masks[-1] * ops.square(content_features - content_target))
    return surrogate + content, content


def device_targets(targets: Targets) -> Targets:
    """The targets as backend tensors, converted once per scale rather than at every evaluation."""
    return Targets(
        content=ops.convert_to_tensor(targets.content),
        grams=tuple(ops.convert_to_tensor(g) for g in targets.grams),
        layer_weights=targets.layer_weights,
        content_norm=targets.content_norm,
        gram_norms=targets.gram_norms,
        regions=_device_regions(targets.regions),
    )


def _device_regions(regions: RegionTargets | None) -> RegionTargets | None:
    if regions is None:
        return None
    return RegionTargets(
        masks=tuple(tuple(ops.convert_to_tensor(m) for m in masks) for masks in regions.masks),
        grams=tuple(tuple(ops.convert_to_tensor(g) for g in grams) for grams in regions.grams),
        gram_norms=regions.gram_norms,
        shares=regions.shares,
    )
