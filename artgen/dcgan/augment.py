"""Differentiable augmentation (Zhao et al., 2020, "DiffAugment") for small datasets.

The same kind of augmentation is applied to real and generated images before
the discriminator sees them, so the discriminator cannot memorise a small
dataset while the generator still learns the un-augmented distribution.

The random draws are made on the host with NumPy from (seed, step) and passed
into the compiled step as arrays: the step stays a pure function of its
inputs, which is what makes resumed runs identical and lets every backend
share this code.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from artgen.dcgan.config import AUGMENTATIONS, TrainConfig

__all__ = ["draw_params", "apply", "policy_for"]

TRANSLATION_RATIO = 1 / 8
CUTOUT_RATIO = 1 / 2


def policy_for(config: TrainConfig, dataset_size: int) -> tuple[str, ...]:
    """The augmentations a run uses: ``--augment`` as given, else all of them on a small dataset.

    DiffAugment's gains come where a discriminator can memorise the data (Zhao et al.
    report them from 100 to a few thousand images); on larger sets it only slows the
    generator's learning, hence a threshold on the dataset's size (``augment_below``).
    """
    if config.augment or dataset_size >= config.augment_below:
        return config.augment
    return AUGMENTATIONS


def draw_params(rng: np.random.Generator, batch: int, size: int) -> dict[str, np.ndarray]:
    """Per-image random draws for one augmentation pass."""
    shift = int(size * TRANSLATION_RATIO + 0.5)
    scalars = lambda: rng.random((batch, 1, 1, 1), dtype=np.float32)  # noqa: E731
    return {
        "brightness": scalars() - 0.5,
        "saturation": scalars() * 2.0,
        "contrast": scalars() + 0.5,
        "shift": rng.integers(-shift, shift + 1, size=(batch, 2)).astype(np.int32),
        "cutout": rng.integers(0, size, size=(batch, 2)).astype(np.int32),
    }


def apply(images, params: dict, policy: tuple[str, ...]):
    """Augment (B, H, W, 3) images in [-1, 1] with the named policies, in DiffAugment's order."""
    if "color" in policy:
        images = _colour(images, params)
    if "translation" in policy:
        images = _translate(images, params["shift"])
    if "cutout" in policy:
        images = _cutout(images, params["cutout"])
    return images


def _colour(images, params):
    images = images + params["brightness"]
    mean = ops.mean(images, axis=3, keepdims=True)
    images = (images - mean) * params["saturation"] + mean
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    return (images - mean) * params["contrast"] + mean


def _shift_matrix(length: int, offsets, dtype):
    """(B, L, L) matrices that move rows by ``offsets`` and fill with zeros."""
    index = ops.arange(length, dtype="int32")
    source = index[None, :, None] + ops.cast(offsets, "int32")[:, None, None]
    return ops.cast(ops.equal(index[None, None, :], source), dtype)


def _translate(images, shift):
    # Shifting by multiplying with shifted identity matrices is a few matmuls,
    # differentiable, and needs no per-image gather: cheap next to the convs.
    height, width = images.shape[1], images.shape[2]
    rows = _shift_matrix(height, shift[:, 0], images.dtype)
    cols = _shift_matrix(width, shift[:, 1], images.dtype)
    images = ops.einsum("bik,bkwc->biwc", rows, images)
    return ops.einsum("bjl,bhlc->bhjc", cols, images)


def _cutout(images, centre):
    height, width = images.shape[1], images.shape[2]
    half_h, half_w = int(height * CUTOUT_RATIO) // 2, int(width * CUTOUT_RATIO) // 2
    centre = ops.cast(centre, "int32")
    rows = ops.arange(height, dtype="int32")[None, :]
    cols = ops.arange(width, dtype="int32")[None, :]
    in_rows = ops.abs(rows - centre[:, 0:1]) < half_h
    in_cols = ops.abs(cols - centre[:, 1:2]) < half_w
    hole = ops.logical_and(in_rows[:, :, None], in_cols[:, None, :])
    keep = ops.cast(ops.logical_not(hole), images.dtype)
    return images * keep[:, :, :, None]
