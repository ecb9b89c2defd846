"""The image classifier lab: train on class folders, report, predict.

``train_classifier(config, on_event, should_stop)`` and ``predict(model_path,
image_paths)`` are the public calls. They load on first use so that
importing this package (for :class:`ClassifyConfig` in ``--help`` or the
app's forms) stays free of TensorFlow.
"""

from __future__ import annotations

from artgen.labs.classify.config import FLIPS, ClassifyConfig
from artgen.lazy import lazy_attributes

__all__ = [
    "FLIPS",
    "ClassifyConfig",
    "ClassifyResult",
    "train_classifier",
    "Prediction",
    "predict",
    "load_classifier",
]

_LAZY = {
    "ClassifyResult": "artgen.labs.classify.train",
    "train_classifier": "artgen.labs.classify.train",
    "Prediction": "artgen.labs.classify.inference",
    "predict": "artgen.labs.classify.inference",
    "load_classifier": "artgen.labs.classify.inference",
}

__getattr__ = lazy_attributes(__name__, _LAZY)
