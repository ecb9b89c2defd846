"""TensorFlow's view of the devices, asked inside a job's child process only."""

from __future__ import annotations

import tensorflow as tf

from artgen.errors import InputError

__all__ = ["describe", "require_gpu"]


def describe() -> str:
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "TensorFlow sees no GPU; running on CPU"
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return f"TensorFlow sees {len(gpus)} GPU(s): {', '.join(names)} (memory growth on)"


def require_gpu() -> None:
    if not tf.config.list_physical_devices("GPU"):
        raise InputError("--device gpu was asked for, but TensorFlow sees no GPU; use --device cpu or auto")
