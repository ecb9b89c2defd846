"""Frozen VGG16 features, computed once per dataset and kept in the artgen cache.

While the base is frozen and nothing augments the images, every epoch would
run VGG16 on the same pixels to get the same numbers; training the head on
the pooled features instead turns minutes per epoch into milliseconds, and a
second run on the same folder skips VGG16 altogether. The cache is keyed by
the pixels themselves and the bundled weights, so changing either rebuilds it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import keras
import numpy as np

from artgen import runs, stored
from artgen.events import OnEvent, Progress, ShouldStop
from artgen.images import cache_dir

__all__ = ["pooled_features", "features_path"]

FEATURES_FORMAT = 1
BATCH = 32


def features_path(images: np.ndarray) -> Path:
    """Where the pooled VGG16 features of exactly these pixels are cached."""
    from artgen.vgg import VGG16_WEIGHTS

    weights = Path(VGG16_WEIGHTS).stat()
    digest = hashlib.sha256(f"{FEATURES_FORMAT}|vgg16|{weights.st_size}|{weights.st_mtime_ns}|".encode())
    digest.update(f"{images.shape}|{images.dtype}|".encode())
    digest.update(np.ascontiguousarray(images).data)
    return cache_dir() / f"vgg16-features-{digest.hexdigest()[:32]}.npy"


def pooled_features(
    extractor: keras.Model, images: np.ndarray, on_event: OnEvent, should_stop: ShouldStop
) -> tuple[np.ndarray | None, bool]:
    """(features, reused): from the cache, or computed and cached; None if stopped part way."""
    path = features_path(images)
    features = stored.cached_array(path, (len(images), int(extractor.output_shape[-1])), np.float32)
    if features is not None:
        return features, True
    chunks = []
    for start in range(0, len(images), BATCH):
        if should_stop():
            return None, False
        batch = images[start : start + BATCH]
        chunks.append(keras.ops.convert_to_numpy(extractor(batch.astype(np.float32), training=False)))
        done = start + len(batch)
        on_event(Progress(done, len(images), unit="image", stage="VGG16 features (once per dataset)"))
    features = np.concatenate(chunks).astype(np.float32)
    try:
        with runs.atomic_path(path) as tmp:
            np.save(tmp, features, allow_pickle=False)
    except OSError:
        pass  # caching is an optimisation; a read-only cache dir must not stop training
    return features, False
