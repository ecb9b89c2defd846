"""Distances between two sets of feature vectors, in plain NumPy.

FD (Heusel et al., 2017) fits a Gaussian to each set and compares them; it is
biased upwards for small sets, so compare FDs only at equal sample counts.
KID (Bińkowski et al., 2018) is the unbiased squared MMD with the cubic
polynomial kernel; its mean over disjoint blocks is unbiased at any count,
and the blocks' spread gives its standard error. :func:`score` adds precision and
recall (:mod:`artgen.quality.manifold`), which tell blurry-but-varied samples
from sharp-but-collapsed ones where FD and KID cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artgen.quality.manifold import precision_recall

__all__ = ["Score", "score", "frechet_distance", "kernel_distance", "diversity"]

KID_BLOCK = 200  # images per KID block; at least two blocks are always used


@dataclass(frozen=True)
class Score:
    """FD, KID (with its standard error), precision and recall of generated features against real ones."""

    fd: float
    kid: float
    kid_se: float
    precision: float  # share of generated images inside the real images' k-NN manifold
    recall: float  # share of real images inside the generated images' k-NN manifold
    count: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "fd": self.fd,
            "kid": self.kid,
            "kid_se": self.kid_se,
            "precision": self.precision,
            "recall": self.recall,
            "count": self.count,
        }


def _stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(features, dtype=np.float64)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2), symmetric in ``a`` and ``b``."""
    mu_a, cov_a = _stats(a)
    mu_b, cov_b = _stats(b)
    # Tr((S_a S_b)^1/2) = sum of sqrt(eigenvalues of S_a^1/2 S_b S_a^1/2), a symmetric PSD
    # matrix, so eigh is stable where a general sqrtm of S_a S_b goes complex.
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(middle, 0, None)).sum()
    distance = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root
    return float(max(distance, 0.0))


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    dim = x.shape[1]
    kxx = (x @ x.T / dim + 1.0) ** 3
    kyy = (y @ y.T / dim + 1.0) ** 3
    kxy = (x @ y.T / dim + 1.0) ** 3
    m, n = len(x), len(y)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * kxy.mean())


def kernel_distance(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Unbiased KID and its standard error over disjoint blocks of both sets."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    blocks = max(2, min(len(x), len(y)) // KID_BLOCK)
    # Each set's shuffle depends only on its own size, so swapping the sets pairs the same blocks.
    shuffle = lambda rows: rows[np.random.default_rng([seed, len(rows)]).permutation(len(rows))]  # noqa: E731
    x_parts = np.array_split(shuffle(x), blocks)
    y_parts = np.array_split(shuffle(y), blocks)
    values = np.array([_mmd2_unbiased(xp, yp) for xp, yp in zip(x_parts, y_parts, strict=True)])
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(blocks))


def score(generated: np.ndarray, real: np.ndarray) -> Score:
    """FD, KID, precision and recall of ``generated`` features against ``real`` ones (both need 4+ rows)."""
    if min(len(generated), len(real)) < 4:
        raise ValueError("FD and KID need at least 4 images on each side")
    kid, kid_se = kernel_distance(generated, real)
    precision, recall = precision_recall(generated, real)
    return Score(frechet_distance(generated, real), kid, kid_se, precision, recall, len(generated))


def diversity(features: np.ndarray, pairs: int = 2000, seed: int = 0) -> float:
    """Mean distance between random pairs of distinct rows: near 0 when every image is the same."""
    x = np.asarray(features, dtype=np.float64)
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(x), pairs)
    j = (i + rng.integers(1, len(x), pairs)) % len(x)
    return float(np.linalg.norm(x[i] - x[j], axis=1).mean())
