"""The distance a projection minimises, in ``keras.ops``: written once for every backend.

As in the StyleGAN projectors: VGG16's activations at the five layers LPIPS
reads (Zhang et al., 2018), each position's channel vector scaled to unit
length, compared by squared difference and averaged over positions, summed
over layers. That is LPIPS without its learned per-channel weights, on the
bundled VGG16 (:mod:`artgen.vgg`). A plain pixel term (mean squared error in
the generator's [-1, 1] units) holds colours the normalised features let
drift. Every function works on a batch and returns one value per image.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from artgen.vgg import MEAN_BGR

__all__ = ["LAYERS", "caffe", "features", "perceptual", "pixel", "objective", "pairwise"]

# LPIPS's VGG16 layers (its relu1_2 ... relu5_3), after their ReLUs as artgen's layers are
LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
EPSILON = 1e-10  # LPIPS's guard against a position where every channel is 0


def caffe(images):
    """(B, H, W, 3) RGB in [-1, 1] -> VGG's input: BGR, 0-255 less the ImageNet mean."""
    rgb = (ops.cast(images, "float32") + 1.0) * 127.5
    return ops.flip(rgb, axis=-1) - ops.convert_to_tensor(MEAN_BGR)


def features(vgg, images) -> list:
    """Unit-length channel vectors at :data:`LAYERS` of ``vgg`` (a :func:`artgen.vgg.build_features`
    model with those outputs) for images in [-1, 1]."""
    found = vgg(caffe(images))
    return [f / (ops.sqrt(ops.sum(ops.square(f), axis=-1, keepdims=True)) + EPSILON) for f in found]


def perceptual(features_a: list, features_b: list):
    """(B,) distances between two lists of :func:`features`: 0 for the same picture, at most 2 a layer."""
    total = 0.0
    for a, b in zip(features_a, features_b, strict=True):
        total = total + ops.mean(ops.sum(ops.square(a - b), axis=-1), axis=(1, 2))
    return total


def pixel(images_a, images_b):
    """(B,) mean squared differences of images in [-1, 1]."""
    return ops.mean(ops.square(ops.cast(images_a, "float32") - ops.cast(images_b, "float32")), axis=(1, 2, 3))


def objective(generator, vgg, z, target_features: list, target_images, pixel_weight):
    """(sum over the batch, (each latent's loss, each latent's perceptual distance)) of latents ``z``
    against the targets row by row: what the projection's gradient is taken of."""
    images = generator(z, training=False)
    far = perceptual(features(vgg, images), target_features)
    total = far + pixel_weight * pixel(images, target_images)
    return ops.sum(total), (total, far)


def pairwise(features_a: list[np.ndarray], features_b: list[np.ndarray]) -> np.ndarray:
    """(A, B) :func:`perceptual` distances between every picture of one batch and every one of another,
    from their :func:`features` as NumPy arrays: per layer, the mean over positions of a squared
    difference is (|a|² + |b|² - 2 a·b) / positions over the flattened maps, one matrix product."""
    total = np.zeros((len(features_a[0]), len(features_b[0])), np.float64)
    for a, b in zip(features_a, features_b, strict=True):
        positions = a.shape[1] * a.shape[2]
        flat_a = a.reshape(len(a), -1).astype(np.float32)
        flat_b = b.reshape(len(b), -1).astype(np.float32)
        squares = np.sum(flat_a * flat_a, axis=1)[:, None] + np.sum(flat_b * flat_b, axis=1)[None, :]
        total += np.maximum(squares - 2.0 * flat_a @ flat_b.T, 0.0) / positions
    return total
