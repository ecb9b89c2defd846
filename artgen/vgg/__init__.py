"""VGG feature extractors: the bundled VGG16, or Keras' VGG19 when its weights can be had.

The networks are built from plain Keras layers, named as in
``keras.applications`` (``block4_conv2`` ...), and cut after the deepest
layer the losses read, so no time is spent on layers nobody looks at.
Pooling is max pooling, what the networks were trained with and what
jcjohnson/neural-style and crowsonkb/style-transfer-pytorch use by default;
Gatys et al. preferred average pooling, but it feeds the deep layers
statistics they never saw in training, and the popular implementations
found max pooling as good or better.

Input is a Caffe-style image: BGR, 0-255 with the ImageNet mean subtracted
(:func:`preprocess`), which is the space the optimiser works in too.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
from pathlib import Path

import numpy as np

from artgen import environment, files
from artgen.assets import asset
from artgen.errors import ModelError

__all__ = [
    "MEAN_BGR",
    "CONTENT_LAYER",
    "STYLE_LAYERS",
    "preprocess",
    "deprocess",
    "build_features",
    "output_names",
    "stride_of",
    "layers_up_to",
    "deepest_layer",
    "vgg16_weights",
    "VGG16_WEIGHTS",
]

MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
VGG16_WEIGHTS = asset("vgg16", "vgg16_conv.npz")
VGG19_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG19_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + VGG19_FILE

# Gatys et al.: content from one deep layer, style from the first conv of every block.
CONTENT_LAYER = "block4_conv2"
# Per-layer style weights, inversely proportional to channels (as crowsonkb's), so the
# many-channel deep layers do not drown the fine texture of the shallow ones.
STYLE_LAYERS = {
    "block1_conv1": 256 / 64,
    "block2_conv1": 256 / 128,
    "block3_conv1": 256 / 256,
    "block4_conv1": 256 / 512,
    "block5_conv1": 256 / 512,
}

_BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
WIDTHS = (64, 128, 256, 512, 512)


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB uint8 or 0-255 floats -> (1, H, W, 3) float32 Caffe input."""
    bgr = np.asarray(rgb, dtype=np.float32)[..., ::-1] - MEAN_BGR
    return bgr[None]


def deprocess(x: np.ndarray) -> np.ndarray:
    """Inverse of :func:`preprocess`, rounded and clipped to uint8 RGB (H, W, 3)."""
    bgr = np.asarray(x, dtype=np.float32).reshape(x.shape[-3:]) + MEAN_BGR
    return np.clip(bgr[..., ::-1] + 0.5, 0, 255).astype(np.uint8)


def _layer_names(net: str) -> list[str]:
    return [
        f"block{block}_conv{index}"
        for block, count in enumerate(_BLOCKS[net], start=1)
        for index in range(1, count + 1)
    ]


def output_names() -> tuple[str, ...]:
    """The feature model's outputs, in order: the style layers, then the content layer."""
    return (*STYLE_LAYERS, CONTENT_LAYER)


def stride_of(name: str) -> int:
    """Pixels per feature position at layer ``name`` (``blockN_...``): each earlier block pooled by 2."""
    return 2 ** (int(name[5]) - 1)


def deepest_layer() -> str:
    return max(output_names(), key=lambda name: (int(name[5]), int(name.split("conv")[1])))


def layers_up_to(net: str, last: str) -> list[str]:
    """Convolutions and poolings of ``net`` in order, ending at convolution ``last``."""
    sequence = []
    for name in _layer_names(net):
        block, index = int(name[5]), int(name.split("conv")[1])
        if index == 1 and block > 1:
            sequence.append(f"block{block - 1}_pool")
        sequence.append(name)
        if name == last:
            return sequence
    raise ValueError(f"{net} has no layer {last}")


@functools.lru_cache(maxsize=4)
def build_features(net: str = "vgg16", outputs: tuple[str, ...] | None = None, seamless: bool = False):
    """A Keras model mapping a Caffe image to the named layers' activations, weights loaded.

    ``outputs`` defaults to the style layers then the content layer. Returns
    a ``keras.Model`` with one output per name, in that order. Models are
    kept, so a studio or job runner doing transfer after transfer builds
    each network once; they are frozen, so sharing them is safe.
    ``seamless``: every convolution pads by wrapping around
    (:mod:`artgen.vgg.circular`), so the picture is seen as a tile.
    """
    import keras

    from artgen.vgg.circular import CircularPad, WrapToEven

    wanted = list(outputs or output_names())
    names = _layer_names(net)
    deepest = max(names.index(name) for name in wanted)
    inputs = keras.Input(shape=(None, None, 3), name="image")
    x, found = inputs, {}
    for name in names[: deepest + 1]:
        block, index = int(name[5]), int(name.split("conv")[1])
        if index == 1 and block > 1:
            x = WrapToEven(name=f"block{block - 1}_wrap")(x) if seamless else x
            x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block - 1}_pool")(x)
        x = CircularPad(1, name=f"{name}_wrap")(x) if seamless else x
        padding = "valid" if seamless else "same"
        x = keras.layers.Conv2D(WIDTHS[block - 1], 3, padding=padding, activation="relu", name=name)(x)
        found[name] = x
    model = keras.Model(
        inputs, [found[name] for name in wanted], name=f"{net}_{'seamless_' if seamless else ''}features"
    )
    weights = vgg16_weights() if net == "vgg16" else _vgg19_weights()
    for name in names[: deepest + 1]:
        layer = model.get_layer(name)
        arrays = [weights.get(f"{name}.kernel"), weights.get(f"{name}.bias")]
        if any(a is None or a.shape != tuple(v.shape) for a, v in zip(arrays, layer.weights, strict=True)):
            where = VGG16_WEIGHTS if net == "vgg16" else f"Keras' {VGG19_FILE}"
            raise ModelError(f"the {net} weights in {where} do not fit its layer {name}; reinstall artgen")
        layer.set_weights(arrays)
    model.trainable = False
    return model


def vgg16_weights(path: str | os.PathLike[str] = VGG16_WEIGHTS) -> dict[str, np.ndarray]:
    """The bundled ImageNet VGG16 conv weights as float32, keyed ``<layer>.kernel``/``.bias``."""
    try:
        with files.open_regular(path) as handle, np.load(handle, allow_pickle=False) as data:
            return {key: data[key].astype(np.float32) for key in data.files}
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"bundled VGG16 weights unreadable at {path} ({exc}); "
            "reinstall artgen or run scripts/convert_vgg16.py"
        ) from None


def _vgg19_weights() -> dict[str, np.ndarray]:
    """Keras' ImageNet VGG19 weights, from its cache or the network; one clear error otherwise."""
    import keras

    cache = (environment.read("KERAS_HOME") or Path.home() / ".keras") / "models" / VGG19_FILE
    path = cache
    if not cache.is_file():
        try:  # get_file prints its progress to stdout; engines never print
            with contextlib.redirect_stdout(io.StringIO()):
                path = Path(keras.utils.get_file(VGG19_FILE, VGG19_URL, cache_subdir="models"))
        except Exception:  # get_file raises bare Exception for every network failure
            raise ModelError(
                f"--net vgg19 needs Keras' ImageNet VGG19 weights, which are not cached and could not be "
                f"downloaded; fetch {VGG19_URL} into {cache.parent}/ or use --net vgg16 (bundled)"
            ) from None
    reference = keras.applications.VGG19(include_top=False, weights=str(path))
    weights = {}
    for name in _layer_names("vgg19"):
        kernel, bias = reference.get_layer(name).get_weights()
        weights[f"{name}.kernel"], weights[f"{name}.bias"] = kernel, bias
    return weights
