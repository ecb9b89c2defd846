"""Circular (wrap-around) padding for VGG, so its features see a picture as a torus: seamless output.

A 3x3 convolution with ``'same'`` padding reads zeros beyond the edges, so
the optimiser paints an edge that ends the picture. Here each convolution
reads the opposite edge instead (pad by one pixel with wrap, then a
``'valid'`` convolution), and a pooling of an odd-sized map first borrows the
first row (column) for its last window, so no edge pixel is dropped and the
features of ``roll(x)`` are those of ``x`` rolled (exactly so when the sides
are multiples of 16, where every pooling halves them evenly).

Plain ``keras.ops``, written once for every backend. Imported only by
:func:`artgen.vgg.build_features`, which imports Keras lazily.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["CircularPad", "WrapToEven"]


def _grow(side: int | None, by: int) -> int | None:
    return None if side is None else side + by


class CircularPad(keras.layers.Layer):
    """Pad height and width by ``width`` pixels on each side with the opposite side's pixels."""

    def __init__(self, width: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.width = width

    def call(self, x):
        w = self.width
        x = ops.concatenate([x[:, -w:], x, x[:, :w]], axis=1)
        return ops.concatenate([x[:, :, -w:], x, x[:, :, :w]], axis=2)

    def compute_output_shape(self, shape):
        batch, height, width, channels = shape
        return (batch, _grow(height, 2 * self.width), _grow(width, 2 * self.width), channels)

    def get_config(self) -> dict:
        return {**super().get_config(), "width": self.width}


class WrapToEven(keras.layers.Layer):
    """An odd height (width) gets the first row (column) appended, so a 2x2 pooling keeps the last one."""

    def call(self, x):
        height, width = ops.shape(x)[1], ops.shape(x)[2]
        x = ops.concatenate([x, x[:, : height % 2]], axis=1)
        return ops.concatenate([x, x[:, :, : width % 2]], axis=2)

    def compute_output_shape(self, shape):
        batch, height, width, channels = shape
        even = [None if side is None else side + side % 2 for side in (height, width)]
        return (batch, *even, channels)
