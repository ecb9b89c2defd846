"""Data-parallel DCGAN training with ``tf.distribute`` (one machine or several).

The only ``tf.distribute`` code of the engine. Every worker computes the
same global batch from (seed, step) (see ``feed.py``) and each replica takes
its own slice, so no input sharding or data service is needed. Each replica
runs the single-device update (``step_tensorflow.apply_update``) with its
losses divided by the replica count, so they sum to the global batch's mean;
gradients are summed across replicas by the optimizers; batch-norm statistics stay per replica, as in every
MirroredStrategy setup. Only the chief writes files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from artgen import environment
from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN
from artgen.dcgan.step_tensorflow import apply_moving_average, apply_update
from artgen.errors import InputError

__all__ = ["has_gpu", "prepare", "Distributed", "make_strategy", "MirroredTrainer", "is_chief"]


def has_gpu() -> bool:
    """Whether TensorFlow sees a GPU."""
    return bool(tf.config.list_physical_devices("GPU"))


def prepare(devices: int) -> None:
    """Nothing before the first device query: TensorFlow splits a CPU into ``devices`` when the
    strategy is made (:func:`make_strategy`), once it knows that no GPU is there."""


class Distributed:
    """A run on a MirroredStrategy (or MultiWorkerMirroredStrategy): its scope, trainer and writer."""

    def __init__(self, config: TrainConfig) -> None:
        self.config, self.strategy = config, make_strategy(config)
        self.writes_files = is_chief(self.strategy)
        self.replicas = int(self.strategy.num_replicas_in_sync)

    def scope(self) -> contextlib.AbstractContextManager[None]:
        return scope(self.strategy)

    def make_trainer(self, gan: GAN) -> MirroredTrainer:
        return MirroredTrainer(gan, self.config, self.strategy)


def _split_cpu(count: int) -> None:
    """Expose ``count`` logical CPU devices (how a CPU-only machine runs, and tests, mirroring)."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    with contextlib.suppress(RuntimeError):  # already initialised: keep whatever split exists
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)


def make_strategy(config: TrainConfig) -> tf.distribute.Strategy:
    if config.strategy == "multi-worker":
        if environment.read("TF_CONFIG") is None:
            raise InputError("--strategy multi-worker needs TF_CONFIG set on every worker (docs/studio.md)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_physical_devices("GPU")
    wanted = config.devices or max(len(gpus), 1)
    if gpus:
        if wanted > len(gpus):
            raise InputError(f"--devices {wanted} asks for more GPUs than the {len(gpus)} visible")
        names = [f"/gpu:{index}" for index in range(wanted)]
    else:
        _split_cpu(wanted)
        names = [device.name for device in tf.config.list_logical_devices("CPU")[:wanted]]
        if len(names) < wanted:
            raise InputError(
                f"--devices {wanted}: only {len(names)} CPU devices exist (TF was set up before the split)"
            )
    return tf.distribute.MirroredStrategy(names)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Worker 0 (or the only worker) writes checkpoints, samples and metrics."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task = (environment.read("TF_CONFIG") or {}).get("task", {})
    return task.get("type", "chief") == "chief" or (
        task.get("type") == "worker" and task.get("index", 0) == 0
    )


@contextlib.contextmanager
def scope(strategy: tf.distribute.Strategy) -> Iterator[None]:
    with strategy.scope():
        yield


class MirroredTrainer:
    """Runs train steps across the replicas of a MirroredStrategy."""

    def __init__(self, gan: GAN, config: TrainConfig, strategy: tf.distribute.Strategy) -> None:
        self.gan, self.strategy = gan, strategy
        replicas = strategy.num_replicas_in_sync
        if config.batch_size % replicas:
            raise InputError(
                f"--batch-size {config.batch_size} must be a multiple of the {replicas} replicas"
            )
        self.per_replica = config.batch_size // replicas

        def replica_step(inputs):
            return apply_update(
                gan,
                config,
                inputs["real"],
                inputs["latent"],
                inputs["aug_real"],
                inputs["aug_fake"],
                replicas,
            )

        def step(inputs, ema_decay):
            per_replica = strategy.run(replica_step, args=(inputs,))
            out = {
                name: strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
                for name, value in per_replica.items()
            }
            apply_moving_average(gan, ema_decay)
            return out

        self._step = tf.function(step, jit_compile=config.xla)

    def _distribute(self, inputs: dict) -> object:
        per = self.per_replica

        def value_fn(context: tf.distribute.experimental.ValueContext) -> dict:
            start = context.replica_id_in_sync_group * per

            def part(array: np.ndarray) -> tf.Tensor:
                return tf.constant(array[start : start + per])

            return tf.nest.map_structure(part, inputs)

        return self.strategy.experimental_distribute_values_from_function(value_fn)

    def step(self, inputs: dict[str, np.ndarray]) -> dict[str, float]:
        shared = {key: value for key, value in inputs.items() if key != "ema_decay"}
        out = self._step(self._distribute(shared), inputs["ema_decay"])
        return {name: float(value) for name, value in out.items()}

    def sync(self) -> None:
        """Mirrored variables are updated in place; nothing to copy back."""

    def reload(self) -> None:
        """The step reads the mirrored variables themselves; nothing to reload."""
