"""Where a DCGAN run trains on the running Keras backend: one device, or several in data parallel.

Models, the update (losses, their scaling, the EMA: ``update.py``) and
augmentation are backend-free. Each backend contributes a
``step_<backend>.py`` module with a trainer that differentiates and applies
that update: ``step(inputs)``, ``sync()`` (copy device state back into the
Keras variables before saving) and ``reload()``; and a
``distribute_<backend>.py`` module that runs it data-parallel and answers
for the devices: ``distribute_tensorflow.py`` under tf.distribute,
``distribute_jax.py`` through ``keras.distribution``. The tables below name
them; :mod:`artgen.backends` imports the running backend's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from artgen import backends
from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN

__all__ = [
    "Trainer",
    "Placement",
    "placement",
    "resolve_precision",
    "has_gpu",
    "is_out_of_memory",
]

# Measured on an H100 (docs/benchmarks.md; benchmarks/backend_table.py), 64 px:
# float32 8.8k/16.8k img/s at batch 64/256, bf16 13.8k/31.2k, float16 14.1k/33.6k.
# bf16 is within 8% of float16 and needs no loss scaling (no skipped steps), so it
# is the GPU default; on CPUs half-precision kernels are slower, so float32 stays.
GPU_PRECISION = "bf16"
WHAT = "DCGAN training"
# each backend's trainer on one device
TRAINERS = {
    "tensorflow": "artgen.dcgan.step_tensorflow:TensorFlowTrainer",
    "jax": "artgen.dcgan.step_jax:JaxTrainer",
}
# each backend's devices and data-parallel run: has_gpu(), prepare(devices), Distributed(config)
DISTRIBUTIONS = {"tensorflow": "artgen.dcgan.distribute_tensorflow", "jax": "artgen.dcgan.distribute_jax"}


class Trainer(Protocol):
    def step(self, inputs: dict[str, np.ndarray]) -> dict[str, float]: ...

    def sync(self) -> None: ...

    def reload(self) -> None: ...  # take the Keras variables back after they were assigned (rollback)


@dataclass
class Placement:
    """Where a run's variables live and who writes its files."""

    scope: Callable[[], AbstractContextManager[None]]  # build and restore the GAN inside this
    make_trainer: Callable[[GAN], Trainer]
    writes_files: bool  # False on the non-chief workers of a multi-worker run
    replicas: int = 1


def has_gpu() -> bool:
    """Whether the running backend sees a GPU (asked of the backend, not guessed)."""
    return bool(backends.implementation(DISTRIBUTIONS, WHAT).has_gpu())


def resolve_precision(config: TrainConfig) -> str:
    """``auto`` becomes the measured best for this device; explicit choices are kept.

    Whatever must happen before the backend's first device query, which :func:`has_gpu` makes,
    happens first (JAX splits a CPU into ``--devices N`` devices only then).
    """
    devices = backends.implementation(DISTRIBUTIONS, WHAT)
    devices.prepare(config.devices or 1)
    if config.precision != "auto":
        return config.precision
    return GPU_PRECISION if devices.has_gpu() else "float32"


def placement(config: TrainConfig) -> Placement:
    """One device, or with ``--strategy`` or ``--devices N`` the backend's data-parallel run."""
    if config.strategy != "none" or (config.devices or 1) > 1:
        run = backends.implementation(DISTRIBUTIONS, WHAT).Distributed(config)
        return Placement(run.scope, run.make_trainer, run.writes_files, run.replicas)
    trainer = backends.implementation(TRAINERS, WHAT)
    return Placement(contextlib.nullcontext, lambda gan: trainer(gan, config), True)


def is_out_of_memory(error: BaseException) -> bool:
    """TensorFlow raises ResourceExhaustedError, XLA/JAX a runtime error saying RESOURCE_EXHAUSTED."""
    return type(error).__name__ == "ResourceExhaustedError" or "RESOURCE_EXHAUSTED" in str(error)[:2000]
