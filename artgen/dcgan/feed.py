"""Batches for each train step, derived from (seed, step) alone.

Every random draw of step ``s`` (which images, which latents, which
augmentation) comes from a NumPy generator seeded with ``(seed, stream, s)``.
There is no RNG state to save, so a resumed run sees exactly the batches an
uninterrupted one would, and the feeder never needs TensorFlow (the JAX
backend uses it unchanged). A background thread builds the next batches
while the current step runs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import numpy as np

from artgen.dcgan import augment
from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import ema_decay_at

__all__ = ["rng_for", "batch_inputs", "prefetch"]

STREAM_EPOCH, STREAM_LATENT, STREAM_AUGMENT, STREAM_FIXED = range(4)


def rng_for(seed: int, stream: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream, index])


class _Permutations:
    """The shuffled order of one epoch, computed once per epoch."""

    def __init__(self, seed: int, count: int) -> None:
        self.seed, self.count = seed, count
        self.epoch, self.order = -1, np.arange(count)

    def of(self, epoch: int) -> np.ndarray:
        if epoch != self.epoch:
            self.epoch, self.order = epoch, rng_for(self.seed, STREAM_EPOCH, epoch).permutation(self.count)
        return self.order


def batch_inputs(
    images: np.ndarray, config: TrainConfig, step: int, orders: _Permutations | None = None
) -> dict[str, np.ndarray]:
    """The inputs of train step ``step``: real uint8 images, latents, augmentation draws."""
    orders = orders or _Permutations(config.seed, len(images))
    per_epoch = config.steps_per_epoch(len(images))
    epoch, position = divmod(step, per_epoch)
    order = orders.of(epoch)
    index = np.sort(order[position * config.batch_size : (position + 1) * config.batch_size])
    if len(index) < config.batch_size:  # fewer images than one batch: sample with replacement
        index = rng_for(config.seed, STREAM_EPOCH, step).integers(0, len(images), config.batch_size)
    latent = rng_for(config.seed, STREAM_LATENT, step).standard_normal(
        (config.batch_size, config.latent_dim), dtype=np.float32
    )
    aug_rng = rng_for(config.seed, STREAM_AUGMENT, step)
    return {
        "real": images[index],
        "latent": latent,
        "aug_real": augment.draw_params(aug_rng, config.batch_size, config.size),
        "aug_fake": augment.draw_params(aug_rng, config.batch_size, config.size),
        "ema_decay": np.asarray(ema_decay_at(step, config.ema_decay), dtype=np.float32),
    }


def prefetch(
    images: np.ndarray, config: TrainConfig, start: int, stop: int, depth: int = 4
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Yield ``(step, inputs)`` for start <= step < stop, built ``depth`` steps ahead."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    done = threading.Event()
    orders = _Permutations(config.seed, len(images))

    def produce() -> None:
        for step in range(start, stop):
            item = (step, batch_inputs(images, config, step, orders))
            while not done.is_set():
                try:
                    slots.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if done.is_set():
                return

    worker = threading.Thread(target=produce, name="artgen-feed", daemon=True)
    worker.start()
    try:
        for _ in range(start, stop):
            yield slots.get()
    finally:
        done.set()
        worker.join(timeout=1.0)
