"""A traced generator call for the TensorFlow backend.

Eager Keras calls re-dispatch every layer per batch; one ``tf.function`` with a
free batch dimension is traced once per walk (batches of any length reuse it)
and runs the whole network as one graph.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

__all__ = ["traced"]


def traced(generator: keras.Model) -> Callable[..., tf.Tensor]:
    """``generator`` as a callable with the model's ``(z, training=False)`` signature."""
    spec = tf.TensorSpec([None, int(generator.input_shape[-1])], tf.float32)
    forward = tf.function(lambda z: generator(z, training=False), input_signature=[spec])
    return lambda z, training=False: forward(z)
