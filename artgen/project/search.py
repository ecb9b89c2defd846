"""The optimisation of a batch of latents, on the host: Adam with the StyleGAN projectors' schedules.

Only the gradient runs on the device (:func:`backend` picks
``step_tensorflow.py`` or ``step_jax.py``); the latents are a few hundred
numbers each, so Adam, the learning-rate ramps and the noise are plain
NumPy, written once. Every row of the batch is its own problem (one latent
against one target): the objective sums them, so each row's gradient is its
own, and Adam works element by element.

From NVlabs' ``projector.py``: the learning rate ramps up over the first 5 %
of the steps and down along a cosine over the last 25 %; Gaussian noise,
shrinking quadratically to nothing at 75 % of the steps, is added to the
latent each step, so the early steps look around before the late ones settle.
The latent kept for each row is the best one any step saw, noise included:
its loss was measured as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

__all__ = ["backend", "Schedule", "Found", "optimise"]

RAMP_UP = 0.05  # share of the steps the learning rate climbs over
RAMP_DOWN = 0.25  # ... and falls over, at the end
NOISE_RAMP = 0.75  # share of the steps the latent noise lasts
BETAS = (0.9, 0.999)
EPSILON = 1e-8


def backend() -> ModuleType:
    """The active Keras backend's gradient module."""
    import keras

    from artgen.errors import InputError

    name = keras.backend.backend()
    if name == "tensorflow":
        from artgen.project import step_tensorflow as module
    elif name == "jax":
        from artgen.project import step_jax as module
    else:
        raise InputError(f"projection supports the tensorflow and jax Keras backends, not {name!r}")
    return module


@dataclass(frozen=True)
class Schedule:
    """How the optimisation moves: ``steps`` updates, peak ``learning_rate``, starting ``noise``."""

    steps: int
    learning_rate: float
    noise: float

    def rate(self, step: int) -> float:
        """The learning rate of update ``step`` (from 0)."""
        down = 0.5 - 0.5 * np.cos(min(1.0, (1.0 - step / self.steps) / RAMP_DOWN) * np.pi)
        up = min(1.0, (step + 1) / max(1.0, RAMP_UP * self.steps))
        return float(self.learning_rate * down * up)

    def noise_scale(self, step: int) -> float:
        """The standard deviation of the noise added to the latent at update ``step``."""
        return float(self.noise * max(0.0, 1.0 - step / self.steps / NOISE_RAMP) ** 2)


@dataclass(frozen=True)
class Found:
    """Each row's best latent, its loss and its perceptual distance; ``losses`` per step, batch means."""

    latents: np.ndarray
    loss: np.ndarray
    distance: np.ndarray
    losses: list[float]


# (z, *args) -> ((sum, (per-row loss, per-row distance)), gradient)
Gradient = Callable[..., tuple[tuple[object, tuple[object, object]], object]]


def optimise(
    gradient: Gradient,
    start: np.ndarray,
    args: tuple,
    schedule: Schedule,
    seed: int,
    on_step: Callable[[int, np.ndarray], None],
    should_stop: Callable[[], bool],
) -> Found | None:
    """Run ``schedule`` from latents ``start`` (rows, dim); None if ``should_stop`` said so first.

    ``on_step(step, best_distances)`` is called after each update.
    """
    rng = np.random.default_rng(seed)
    z = np.asarray(start, np.float32).copy()
    m, v = np.zeros_like(z), np.zeros_like(z)
    best = z.copy()
    best_loss = np.full(len(z), np.inf, np.float32)
    best_distance = np.full(len(z), np.inf, np.float32)
    means = []
    for step in range(schedule.steps + 1):  # the last pass only scores the final latents
        if should_stop():
            return None
        scale = schedule.noise_scale(step) if step < schedule.steps else 0.0
        tried = (z + scale * rng.standard_normal(z.shape, dtype=np.float32)) if scale else z
        (_, (loss, distance)), grad = gradient(tried, *args)
        loss, distance = np.asarray(loss), np.asarray(distance)
        better = loss < best_loss
        best[better], best_loss[better], best_distance[better] = tried[better], loss[better], distance[better]
        means.append(float(loss.mean()))
        if step == schedule.steps:
            break
        grad = np.asarray(grad, np.float32)
        m = BETAS[0] * m + (1 - BETAS[0]) * grad
        v = BETAS[1] * v + (1 - BETAS[1]) * grad * grad
        m_hat = m / (1 - BETAS[0] ** (step + 1))
        v_hat = v / (1 - BETAS[1] ** (step + 1))
        z = z - schedule.rate(step) * m_hat / (np.sqrt(v_hat) + EPSILON)
        on_step(step + 1, best_distance)
    return Found(best, best_loss, best_distance, means)
