"""The classifiers, in backend-free Keras 3: a small CNN, or a head on the bundled VGG16.

Both take (size, size, 3) images with 0-255 values and give class
probabilities, so prediction and old model files work the same way.

* ``none``: conv blocks (two 3x3 convolutions with batch norm, then max
  pooling) until the map is about 7 px, then dropout around a dense layer,
  and the softmax layer.
* ``vgg16``: a fixed 1x1 convolution turns RGB 0-255 into VGG's Caffe input
  (BGR, mean subtracted), then VGG16's convolutional base up to
  ``block5_conv3`` (frozen), global average pooling, layer normalization
  (pooled VGG features run to the hundreds; a head on them starts with
  wild logits otherwise), dropout and a dense softmax. Every layer is a
  standard Keras layer, so the saved file holds the base and loads with
  ``safe_mode=True``.

Augmentation is a stack of Keras random layers placed in front of the
classifier for training only: validation, the saved model and prediction
use the classifier alone, so the saved file has no training-time layers.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers

from artgen.labs.classify.config import MIN_TRANSFER_SIZE, ClassifyConfig

__all__ = [
    "BASE_LAYER",
    "FINE_TUNE_BLOCK",
    "build_classifier",
    "conv_blocks",
    "for_training",
    "augmentation",
    "resolve_base",
    "feature_extractor",
    "head_on_features",
    "unfreeze_last_block",
]

BASE_LAYER = "vgg16"  # the nested VGG16 model's name inside a classifier
FINE_TUNE_BLOCK = "block5_"
_LAST_CONV = "block5_conv3"


def resolve_base(base: str, size: int) -> str:
    """``auto`` -> ``vgg16`` when the images are large enough for ImageNet features to pay."""
    if base != "auto":
        return base
    return "vgg16" if size >= MIN_TRANSFER_SIZE else "none"


def conv_blocks(size: int) -> int:
    """Conv + pool blocks until the map is about 7 px: 2 at 28 px, 4 at 150 px."""
    return max(1, min(4, int(math.log2(size / 7))))


def augmentation(config: ClassifyConfig) -> list[layers.Layer]:
    """The random layers ``config`` asks for; none mirror an image unless ``flip`` says so."""
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


def build_classifier(config: ClassifyConfig, classes: int, size: int, base: str) -> keras.Model:
    """(size, size, 3) images with 0-255 values -> class probabilities, on ``base`` (resolved)."""
    keras.utils.set_random_seed(config.seed)
    if base == "vgg16":
        return _vgg16_classifier(config, classes, size)
    return _small_cnn(config, classes, size)


def _small_cnn(config: ClassifyConfig, classes: int, size: int) -> keras.Model:
    stack: list[layers.Layer] = [keras.Input((size, size, 3), name="image"), layers.Rescaling(1 / 255)]
    for block in range(conv_blocks(size)):
        channels = config.filters * 2 ** min(block, 2)
        for _ in range(2):
            stack += [
                layers.Conv2D(channels, 3, padding="same", use_bias=False),
                layers.BatchNormalization(momentum=0.9),
                layers.ReLU(),
            ]
        stack.append(layers.MaxPooling2D())
    stack += [
        layers.Flatten(),
        layers.Dropout(config.dropout),
        layers.Dense(config.dense, activation="relu"),
        layers.Dropout(config.dropout),
        layers.Dense(classes, activation="softmax", name="probabilities"),
    ]
    return keras.Sequential(stack, name="classifier")


def _vgg16_base() -> keras.Model:
    """A private copy of the style engine's VGG16 (to block5_conv3), frozen, safe to fine-tune."""
    from artgen.vgg import build_features

    shared = build_features("vgg16", (_LAST_CONV,))  # cached and frozen: shared with style transfer
    copy = keras.models.clone_model(shared)
    copy.set_weights(shared.get_weights())
    base = keras.Model(copy.inputs, copy.outputs[0], name=BASE_LAYER)
    base.trainable = False
    return base


def _caffe_input() -> layers.Conv2D:
    """RGB 0-255 -> BGR minus the ImageNet mean, as a frozen 1x1 convolution (a standard layer)."""
    from artgen.vgg import MEAN_BGR

    layer = layers.Conv2D(3, 1, name="vgg16_preprocess", trainable=False)
    layer.build((None, None, None, 3))
    swap = np.eye(3, dtype=np.float32)[::-1].reshape(1, 1, 3, 3)  # output c reads input 2 - c
    layer.set_weights([swap, -MEAN_BGR.astype(np.float32)])
    return layer


def _vgg16_classifier(config: ClassifyConfig, classes: int, size: int) -> keras.Model:
    image = keras.Input((size, size, 3), name="image")
    features = layers.GlobalAveragePooling2D(name="pool")(_vgg16_base()(_caffe_input()(image)))
    x = layers.LayerNormalization(name="head_norm")(features)
    x = layers.Dropout(config.dropout, name="head_dropout")(x)
    probabilities = layers.Dense(classes, activation="softmax", name="probabilities")(x)
    return keras.Model(image, probabilities, name="vgg16_classifier")


def feature_extractor(classifier: keras.Model) -> keras.Model:
    """The frozen part of a VGG16 classifier: images -> pooled features (shares its layers)."""
    return keras.Model(classifier.input, classifier.get_layer("pool").output, name="vgg16_features")


def head_on_features(classifier: keras.Model) -> keras.Model:
    """The trainable head of a VGG16 classifier on pooled features (shares its weights)."""
    pooled = keras.Input(classifier.get_layer("pool").output.shape[1:], name="features")
    x = classifier.get_layer("head_dropout")(classifier.get_layer("head_norm")(pooled))
    return keras.Model(pooled, classifier.get_layer("probabilities")(x), name="head")


def unfreeze_last_block(classifier: keras.Model) -> int:
    """Make VGG16's last block trainable for fine-tuning; returns how many layers that is."""
    base = classifier.get_layer(BASE_LAYER)
    base.trainable = True
    count = 0
    for layer in base.layers:
        layer.trainable = layer.name.startswith(FINE_TUNE_BLOCK)
        count += layer.trainable
    return count


def for_training(config: ClassifyConfig, classifier: keras.Model, augment: bool) -> keras.Model:
    """The classifier behind the augmentation layers (sharing its weights), or itself without."""
    size = classifier.input_shape[1]
    chosen = augmentation(config) if augment else []
    if not chosen:
        return classifier
    image = keras.Input((size, size, 3), name="image")
    return keras.Sequential([image, *chosen, classifier], name="augmented_classifier")
