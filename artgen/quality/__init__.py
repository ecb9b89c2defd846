"""Image quality as numbers: Fréchet distance (FD), kernel distance (KID), precision and recall
on VGG16 features.

``distances`` is plain NumPy (no Keras); ``features`` runs the bundled VGG16
and is loaded on first use, so importing this package stays cheap.
The figures are comparable with each other, not with published Inception FIDs.
"""

from __future__ import annotations

from artgen.lazy import lazy_attributes
from artgen.quality.distances import Score, diversity, frechet_distance, kernel_distance, score
from artgen.quality.manifold import knn_radii, precision_recall

__all__ = [
    "Score",
    "score",
    "frechet_distance",
    "kernel_distance",
    "diversity",
    "precision_recall",
    "knn_radii",
    "extract",
    "real_features",
    "FEATURE_SIZE",
]

_LAZY = {
    "extract": "artgen.quality.features",
    "real_features": "artgen.quality.features",
    "FEATURE_SIZE": "artgen.quality.features",
}

__getattr__ = lazy_attributes(__name__, _LAZY)
