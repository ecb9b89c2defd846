"""Real numbers to learn from and a distance that says how close the fakes are (numpy only)."""

from __future__ import annotations

import math

import numpy as np

from artgen.labs.toy_gan.config import Component

__all__ = ["sample_real", "wasserstein1", "plot_range", "peak_stats"]


def sample_real(components: list[Component], count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` draws from the weighted normal mixture, as a (count, 1) float32 column."""
    means = np.array([m for m, _, _ in components])
    stds = np.array([s for _, s, _ in components])
    weights = np.array([w for _, _, w in components])
    which = rng.choice(len(components), size=count, p=weights)
    values = rng.normal(means[which], stds[which])
    return values.astype(np.float32).reshape(count, 1)


def wasserstein1(a: np.ndarray, b: np.ndarray) -> float:
    """Earth mover's distance between two equal-size 1-D samples.

    In one dimension it is the mean gap between sorted samples: in the units
    of the data, zero only when the samples coincide, and it sees both a
    shifted mean and a wrong spread (or a missing mode), unlike a moment check.
    """
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    if a.shape != b.shape:
        raise ValueError("wasserstein1 needs samples of the same size")
    return float(np.mean(np.abs(a - b)))


def plot_range(components: list[Component]) -> tuple[float, float]:
    """An x range that holds every component to four standard deviations."""
    low = min(m - 4 * s for m, s, _ in components)
    high = max(m + 4 * s for m, s, _ in components)
    return low, high


def peak_stats(values: np.ndarray, components: list[Component]) -> list[Component]:
    """Each component's share of ``values``: (mean, std, fraction) of the values it explains best.

    A value belongs to the component of highest weighted density there, the
    same rule applied to real and generated samples, so comparing the two
    tells whether each peak came out at its real width (a moment check over
    the whole mixture cannot: a bridge between two narrow peaks has the
    right overall spread).
    """
    values = np.ravel(values).astype(np.float64)
    density = np.stack([w / s * np.exp(-0.5 * ((values - m) / s) ** 2) for m, s, w in components])
    owner = density.argmax(axis=0)
    stats = []
    for index in range(len(components)):
        mine = values[owner == index]
        mean, std = (float(mine.mean()), float(mine.std())) if mine.size else (math.nan, math.nan)
        stats.append((mean, std, mine.size / max(values.size, 1)))
    return stats
