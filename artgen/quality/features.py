"""Image features for FD/KID: the bundled VGG16, globally average-pooled.

Images are resized to ``FEATURE_SIZE`` px whatever their own size, so scores
of 32 px and 64 px runs are on one scale, then passed through VGG16 up to
``FEATURE_LAYER`` and averaged over space (512 numbers per image). Why this
layer and size: see docs/train.md, "Measuring quality" (validated on real
halves, noise and a repeated image, and timed on this CPU).

Real-image features are cached beside the decoded-dataset cache, keyed by a
digest of the decoded pixels (so by folder contents and size) and the count.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np

from artgen import images as image_io
from artgen import stored, vgg
from artgen.events import OnEvent, Progress, ignore_events

__all__ = ["FEATURE_SIZE", "FEATURE_LAYER", "extract", "real_features", "pick"]

FEATURE_SIZE = 64
FEATURE_LAYER = "block5_conv3"
FEATURE_COUNT = 512  # channels of FEATURE_LAYER: the numbers per image
# Features are multiplied by this so a component's RMS is about 1 on real images
# (4.3 on Fashion-MNIST, 5.7 on emoji), which keeps FD and KID in readable ranges.
FEATURE_SCALE = 0.25
CACHE_VERSION = 1


def extract(
    images: np.ndarray,
    batch_size: int = 100,
    on_event: OnEvent = ignore_events,
    stage: str = "VGG16 features",
) -> np.ndarray:
    """(N, H, W, 3) uint8 RGB -> (N, 512) float32 features; a batch takes seconds on a CPU."""
    import keras

    model = vgg.build_features("vgg16", (FEATURE_LAYER,))
    parts = []
    started = time.perf_counter()
    for start in range(0, len(images), batch_size):
        rate = start / max(time.perf_counter() - started, 1e-9) if start else None
        on_event(Progress(start, len(images), "feature", rate=rate, rate_unit="images/s", stage=stage))
        batch = np.asarray(images[start : start + batch_size], dtype=np.float32)
        if batch.shape[1:3] != (FEATURE_SIZE, FEATURE_SIZE):
            batch = keras.ops.convert_to_numpy(
                keras.ops.image.resize(batch, (FEATURE_SIZE, FEATURE_SIZE), interpolation="bilinear")
            )
        caffe = batch[..., ::-1] - vgg.MEAN_BGR
        maps = keras.ops.convert_to_numpy(model(caffe, training=False))
        parts.append(maps.mean(axis=(1, 2)) * FEATURE_SCALE)
    rate = len(images) / max(time.perf_counter() - started, 1e-9)
    on_event(Progress(len(images), len(images), "feature", rate=rate, rate_unit="images/s", stage=stage))
    return np.concatenate(parts).astype(np.float32)


def pick(images: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """A fixed random subset of ``count`` images (all of them when there are fewer)."""
    if len(images) <= count:
        return images
    index = np.sort(np.random.default_rng(seed).choice(len(images), count, replace=False))
    return images[index]


def real_features(images: np.ndarray, count: int, on_event: OnEvent = ignore_events) -> np.ndarray:
    """Features of a fixed subset of up to ``count`` real images, computed once and cached."""
    chosen = pick(images, count)
    recipe = f"{CACHE_VERSION}|{FEATURE_LAYER}|{FEATURE_SIZE}|{FEATURE_SCALE}|{chosen.shape}"
    digest = hashlib.sha256(recipe.encode())
    digest.update(np.ascontiguousarray(chosen).tobytes())
    path = image_io.cache_dir() / f"features-{digest.hexdigest()[:32]}.npy"
    cached = stored.cached_array(path, (len(chosen), FEATURE_COUNT), np.float32)
    if cached is not None:
        return cached
    features = extract(chosen, on_event=on_event, stage="VGG16 features of the real images")
    try:
        with image_io.runs.atomic_path(path) as tmp:
            np.save(tmp, features, allow_pickle=False)
    except OSError:
        pass  # caching is an optimisation; a read-only cache dir must not stop anyone
    return features
