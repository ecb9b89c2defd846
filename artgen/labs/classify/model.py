"""The classifier: a Sequential CNN with dropout, in backend-free Keras 3.

Augmentation is a stack of Keras random layers placed in front of the
classifier for training only: ``model.fit`` runs the augmented model, so the
training split is augmented, while validation, the saved model and
prediction use the classifier alone and see images merely rescaled. Saving
the classifier without the augmentation also keeps the saved file free of
layers that have nothing to do at prediction time.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from artgen.labs.classify.config import ClassifyConfig

__all__ = ["build_classifier", "for_training", "conv_blocks"]


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
    """(size, size, 3) images with 0-255 values -> class probabilities."""
    keras.utils.set_random_seed(config.seed)
    image = keras.Input((config.size, config.size, 3), name="image")
    stack: list[layers.Layer] = [image, layers.Rescaling(1 / 255)]
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


def for_training(config: ClassifyConfig, classifier: keras.Model) -> keras.Model:
    """The classifier behind the augmentation layers (sharing its weights), or itself with --no-augment."""
    augmentation = _augmentation(config) if config.augment else []
    if not augmentation:
        return classifier
    image = keras.Input((config.size, config.size, 3), name="image")
    return keras.Sequential([image, *augmentation, classifier], name="augmented_classifier")
