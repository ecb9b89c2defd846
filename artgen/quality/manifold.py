"""Improved precision and recall (Kynkäänniemi et al., 2019), in plain NumPy.

FD and KID mix two failures into one number: blurry-but-varied samples and
sharp-but-collapsed ones can score alike. Precision and recall separate them.
Each set of features is taken to cover the union of balls around its points,
each ball reaching that point's k-th nearest neighbour in its own set.
Precision is the share of generated points inside the real set's balls (how
many samples look real); recall is the share of real points inside the
generated set's balls (how much of the data the samples cover).

The k-NN radii are also a density estimate, which sample selection uses: a
small radius among a pool of samples is a sample in a crowded, typical region.
"""

from __future__ import annotations

import numpy as np

__all__ = ["K", "knn_radii", "coverage", "precision_recall"]

K = 3  # the paper's choice: larger k inflates both figures
ROWS = 1024  # rows of the distance matrix held at once, to bound memory at large counts


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise squared Euclidean distances, clipped at 0 (rounding can make them slightly negative)."""
    squared = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * a @ b.T
    return np.maximum(squared, 0.0)


def knn_radii(features: np.ndarray, k: int = K) -> np.ndarray:
    """Each row's distance to its k-th nearest other row of the same set."""
    x = np.asarray(features, dtype=np.float64)
    if len(x) <= k:
        raise ValueError(f"k-NN radii with k={k} need more than {k} rows")
    radii = np.empty(len(x))
    for start in range(0, len(x), ROWS):
        distances = _squared_distances(x[start : start + ROWS], x)
        # The row itself is at distance 0 and is the first of the sorted distances: skip it.
        radii[start : start + ROWS] = np.partition(distances, k, axis=1)[:, k]
    return np.sqrt(radii)


def coverage(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """The share of ``points`` inside at least one ball (``centres``, ``radii``)."""
    x, c = np.asarray(points, dtype=np.float64), np.asarray(centres, dtype=np.float64)
    inside = 0
    for start in range(0, len(x), ROWS):
        distances = _squared_distances(x[start : start + ROWS], c)
        inside += int((distances <= radii[None, :] ** 2).any(axis=1).sum())
    return inside / len(x)


def precision_recall(generated: np.ndarray, real: np.ndarray, k: int = K) -> tuple[float, float]:
    """(precision, recall) of ``generated`` features against ``real`` ones, both in [0, 1]."""
    precision = coverage(generated, real, knn_radii(real, k))
    recall = coverage(real, generated, knn_radii(generated, k))
    return precision, recall
