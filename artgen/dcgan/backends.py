"""Pick how to train for the active Keras backend and the requested distribution.

Models, the update (losses, their scaling, the EMA: ``update.py``) and
augmentation are backend-free. Each backend contributes one
``step_<backend>.py`` module with a trainer that differentiates and applies
that update: ``step(inputs)``, ``sync()`` (copy device state back into the
Keras variables before saving) and ``reload()``; ``distribute_tensorflow.py``
runs the TensorFlow one data-parallel under tf.distribute and
``distribute_jax.py`` the JAX one through ``keras.distribution``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import keras
import numpy as np

from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN
from artgen.errors import InputError

__all__ = ["Trainer", "Placement", "placement", "resolve_precision", "has_gpu", "is_out_of_memory"]

# Measured on an H100 (docs/benchmarks.md; benchmarks/backend_table.py), 64 px:
# float32 8.8k/16.8k img/s at batch 64/256, bf16 13.8k/31.2k, float16 14.1k/33.6k.
# bf16 is within 8% of float16 and needs no loss scaling (no skipped steps), so it
# is the GPU default; on CPUs half-precision kernels are slower, so float32 stays.
GPU_PRECISION = "bf16"


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
    """Whether the active backend sees a GPU (asked of the backend, not guessed)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.devices()[0].platform == "gpu"
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def _split_cpu_for_jax(config: TrainConfig) -> None:
    """JAX can split a CPU into ``--devices N`` devices only before its first device query,
    which :func:`has_gpu` makes: so the split is asked for first (a no-op on GPUs)."""
    if keras.backend.backend() == "jax" and (config.devices or 1) > 1:
        from artgen.dcgan.distribute_jax import split_cpu

        split_cpu(config.devices or 1)


def resolve_precision(config: TrainConfig) -> str:
    """``auto`` becomes the measured best for this device; explicit choices are kept."""
    _split_cpu_for_jax(config)
    if config.precision != "auto":
        return config.precision
    return GPU_PRECISION if has_gpu() else "float32"


def placement(config: TrainConfig) -> Placement:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        if config.strategy != "none" or (config.devices or 1) > 1:
            from artgen.dcgan import distribute_tensorflow as dist

            strategy = dist.make_strategy(config)
            return Placement(
                lambda: dist.scope(strategy),
                lambda gan: dist.MirroredTrainer(gan, config, strategy),
                dist.is_chief(strategy),
                strategy.num_replicas_in_sync,
            )
        from artgen.dcgan.step_tensorflow import TensorFlowTrainer

        return Placement(contextlib.nullcontext, lambda gan: TensorFlowTrainer(gan, config), True)
    if backend == "jax":
        if config.strategy != "none" or (config.devices or 1) > 1:
            from artgen.dcgan import distribute_jax

            distribution = distribute_jax.make_distribution(config)
            return Placement(
                lambda: distribute_jax.scope(distribution),
                lambda gan: distribute_jax.DataParallelJaxTrainer(gan, config, distribution),
                True,  # one process drives every device: it writes every file
                distribution.device_mesh.shape[0],
            )
        from artgen.dcgan.step_jax import JaxTrainer

        return Placement(contextlib.nullcontext, lambda gan: JaxTrainer(gan, config), True)
    raise InputError(f"DCGAN training supports the tensorflow and jax Keras backends, not {backend!r}")


def is_out_of_memory(error: BaseException) -> bool:
    """TensorFlow raises ResourceExhaustedError, XLA/JAX a runtime error saying RESOURCE_EXHAUSTED."""
    return type(error).__name__ == "ResourceExhaustedError" or "RESOURCE_EXHAUSTED" in str(error)[:2000]
