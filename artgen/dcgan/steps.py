"""Pick the train step for the active Keras backend.

Models, losses and augmentation are backend-free; each backend contributes
one ``step_<backend>.py`` module with a trainer that has ``step(inputs)`` and
``sync()`` (copy device state back into the Keras variables before saving).
"""

from __future__ import annotations

from typing import Protocol

import keras
import numpy as np

from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import GAN
from artgen.errors import DependencyError

__all__ = ["Trainer", "make_trainer"]


class Trainer(Protocol):
    def step(self, inputs: dict[str, np.ndarray]) -> dict[str, float]: ...

    def sync(self) -> None: ...


def make_trainer(gan: GAN, config: TrainConfig) -> Trainer:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from artgen.dcgan.step_tensorflow import TensorFlowTrainer

        return TensorFlowTrainer(gan, config)
    if backend == "jax":
        from artgen.dcgan.step_jax import JaxTrainer

        return JaxTrainer(gan, config)
    raise DependencyError(f"DCGAN training does not support the {backend!r} Keras backend yet")
