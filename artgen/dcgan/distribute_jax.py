"""Data-parallel DCGAN training under JAX, through Keras 3's distribution API.

The only multi-device JAX code of the engine. ``keras.distribution.DataParallel``
over a one-axis device mesh replicates every variable on every device; the
jitted step of :mod:`artgen.dcgan.step_jax` then takes each global batch
sharded along that axis, and XLA's SPMD partitioner splits the work and sums
the gradients. Same semantics as the TensorFlow path: ``--batch-size`` is the
global batch (from (seed, step), as in ``feed.py``), losses are means over it,
a resume continues exactly, and the one process writes every file. One
difference, for the better: batch-norm statistics are those of the global
batch (XLA reduces them across devices), so a run tracks its one-device
twin up to the order of floating-point sums.

On a machine without GPUs, the CPU is split into N JAX devices when JAX has
not started yet, or by ``XLA_FLAGS=--xla_force_host_platform_device_count=N``
(how the tests run it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import jax
import keras
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN
from artgen.dcgan.step_jax import JaxTrainer
from artgen.errors import InputError

__all__ = [
    "has_gpu",
    "prepare",
    "Distributed",
    "make_distribution",
    "scope",
    "split_cpu",
    "DataParallelJaxTrainer",
]

BATCH_AXIS = "batch"
_BATCHED = ("real", "latent", "aug_real", "aug_fake")  # inputs whose first axis is the global batch


def has_gpu() -> bool:
    """Whether JAX's first device is a GPU: JAX's first device query, after which no CPU is split."""
    return jax.devices()[0].platform == "gpu"


def prepare(devices: int) -> None:
    """Before the first device query: a CPU split into ``devices`` (a no-op on GPUs)."""
    if devices > 1:
        split_cpu(devices)


class Distributed:
    """A run data-parallel over a device mesh: its scope and trainer; the one process writes every file."""

    writes_files = True

    def __init__(self, config: TrainConfig) -> None:
        self.config, self.distribution = config, make_distribution(config)
        self.replicas = int(self.distribution.device_mesh.shape[0])

    def scope(self) -> contextlib.AbstractContextManager[None]:
        return scope(self.distribution)

    def make_trainer(self, gan: GAN) -> DataParallelJaxTrainer:
        return DataParallelJaxTrainer(gan, self.config, self.distribution)


def split_cpu(count: int) -> None:
    """Ask for ``count`` CPU devices, which JAX allows only before its first device query."""
    if "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
        return  # the user (or a test) chose the split
    with contextlib.suppress(RuntimeError, AttributeError):  # JAX already started, or too old for it
        jax.config.update("jax_num_cpu_devices", count)


def make_distribution(config: TrainConfig) -> keras.distribution.DataParallel:
    """DataParallel over ``--devices N`` devices (default: every one JAX sees)."""
    if config.strategy == "multi-worker":
        raise InputError("--strategy multi-worker needs the TensorFlow backend (--backend tensorflow)")
    if config.devices:
        split_cpu(config.devices)
    devices = jax.devices()
    wanted = config.devices or len(devices)
    if wanted > len(devices):
        kind = devices[0].platform.upper()
        hint = (
            f"; on a CPU, set XLA_FLAGS=--xla_force_host_platform_device_count={wanted}"
            if devices[0].platform == "cpu"
            else ""
        )
        raise InputError(
            f"--devices {wanted} asks for more than the {len(devices)} {kind} device(s) JAX sees{hint}"
        )
    if config.batch_size % wanted:
        raise InputError(f"--batch-size {config.batch_size} must be a multiple of the {wanted} devices")
    mesh = keras.distribution.DeviceMesh((wanted,), [BATCH_AXIS], devices=devices[:wanted])
    return keras.distribution.DataParallel(device_mesh=mesh)


@contextlib.contextmanager
def scope(distribution: keras.distribution.DataParallel) -> Iterator[None]:
    """Variables made or restored inside are replicated over the mesh."""
    with distribution.scope():
        yield


class DataParallelJaxTrainer(JaxTrainer):
    """The JAX trainer with its state replicated and each batch split over the mesh's devices."""

    def __init__(self, gan: GAN, config: TrainConfig, distribution: keras.distribution.DataParallel) -> None:
        mesh = distribution.device_mesh.backend_mesh
        self.replicated = NamedSharding(mesh, PartitionSpec())
        self.split = NamedSharding(mesh, PartitionSpec(BATCH_AXIS))
        super().__init__(gan, config)
        self.state = jax.device_put(self.state, self.replicated)
        # The new state stays replicated, so the next step (and ``sync``) finds it where it was.
        self._step = jax.jit(self._make_step(gan, config), donate_argnums=(0,), out_shardings=self.replicated)

    def step(self, inputs: dict[str, np.ndarray]) -> dict[str, float]:
        placed = {
            name: jax.device_put(value, self.split if name in _BATCHED else self.replicated)
            for name, value in inputs.items()
        }
        return super().step(placed)

    def reload(self) -> None:
        super().reload()
        self.state = jax.device_put(self.state, self.replicated)
