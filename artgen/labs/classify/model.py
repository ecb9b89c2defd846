"""The classifier: a Sequential CNN with dropout, in backend-free Keras 3.

Augmentation layers sit inside the model. Keras applies them only when
training, so the training split is augmented while validation and
prediction see the images merely rescaled, with no second data pipeline to
keep in step. They are part of the saved model, and inert when it predicts.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from artgen.labs.classify.config import ClassifyConfig

__all__ = ["build_classifier", "conv_blocks"]


def conv_blocks(size: int) -> int:
    """Conv + pool blocks until the map is about 7 px: 2 at 28 px, 4 at 150 px."""
    return max(1, min(4, int(math.log2(size / 7))))


def _augmentation(config: ClassifyConfig) -> list[layers.Layer]:
    seed, fill = config.seed, "nearest"
    chosen: list[layers.Layer] = []
    if config.flip != "none":
        mode = "horizontal_and_vertical" if config.flip == "both" else config.flip
        chosen.append(layers.RandomFlip(mode, seed=seed))
    if config.rotation:
        chosen.append(layers.RandomRotation(config.rotation, fill_mode=fill, seed=seed + 1))
    if config.shift:
        chosen.append(layers.RandomTranslation(config.shift, config.shift, fill_mode=fill, seed=seed + 2))
    if config.shear:
        chosen.append(layers.RandomShear(config.shear, config.shear, fill_mode=fill, seed=seed + 3))
    if config.zoom:
        chosen.append(layers.RandomZoom(config.zoom, config.zoom, fill_mode=fill, seed=seed + 4))
    return chosen


def build_classifier(config: ClassifyConfig, classes: int) -> keras.Model:
    """(size, size, 3) uint8-valued images -> class probabilities."""
    keras.utils.set_random_seed(config.seed)
    stack: list[layers.Layer] = [keras.Input((config.size, config.size, 3), name="image")]
    if config.augment:
        stack += _augmentation(config)
    stack.append(layers.Rescaling(1.0 / 255))
    for block in range(conv_blocks(config.size)):
        channels = config.filters * 2 ** min(block, 2)
        stack += [layers.Conv2D(channels, 3, padding="same", activation="relu"), layers.MaxPooling2D()]
    stack += [
        layers.Flatten(),
        layers.Dropout(config.dropout),
        layers.Dense(config.dense, activation="relu"),
        layers.Dense(classes, activation="softmax", name="probabilities"),
    ]
    return keras.Sequential(stack, name="classifier")
