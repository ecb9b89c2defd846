"""Classify images with a saved classifier: the model plus the class names beside it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgen import files, stored
from artgen import images as image_io
from artgen.errors import InputError, ModelError
from artgen.labs.classify.config import ClassifyConfig
from artgen.roles import check_classifier
from artgen.schema import option, problem

__all__ = ["Prediction", "Classifier", "predict", "load_classifier", "classes_path", "model_file"]

MODEL_NAME = "model.keras"
TOP_COUNT = 3


@dataclass(frozen=True)
class Prediction:
    path: str
    label: str
    probability: float
    probabilities: dict[str, float]  # every class, in the model's class order
    top: tuple[tuple[str, float], ...]  # the TOP_COUNT likeliest classes, likeliest first


@dataclass(frozen=True)
class Classifier:
    model: object  # a keras.Model; typed loosely so this module's import stays light
    classes: list[str]
    size: int
    background: image_io.Background


@dataclass(frozen=True)
class _ClassNames:
    """``<model>.classes.json``: what a saved classifier needs besides its weights."""

    classes: list[str]
    size: int
    background: str = "white"
    base: str = ""  # what it was built on; for the reader, not for predicting

    def __post_init__(self) -> None:
        if not self.classes or len(set(self.classes)) != len(self.classes):
            raise InputError("classes must be one or more distinct names")
        if wrong := problem(option(ClassifyConfig, "size"), self.size):
            raise InputError(f"size {wrong}")
        image_io.parse_color(self.background)


def classes_path(model_path: str | os.PathLike[str]) -> Path:
    """``rps.keras`` -> ``rps.classes.json``: the class names travel beside the model."""
    return Path(model_path).with_suffix(".classes.json")


def model_file(model_path: str | os.PathLike[str]) -> Path:
    """The classifier's .keras file: ``model_path`` itself, or the model in a classify run directory."""
    path = Path(model_path)
    if path.is_dir():
        path = path / MODEL_NAME
    try:
        return files.regular_file(path)
    except OSError:
        raise ModelError(
            f"{model_path} is not a classifier model (.keras file or classify run directory)"
        ) from None


def load_classifier(model_path: str | os.PathLike[str]) -> Classifier:
    """Load with Keras' safe_mode and check the class names match the model's outputs."""
    path = model_file(model_path)
    names_path = classes_path(path)
    if not names_path.exists():
        raise ModelError(f"{names_path} is missing; it holds the class names of {path.name}")
    info = stored.read_record(_ClassNames, names_path, may_lack=frozenset({"background", "base"}))
    classes, size, background = info.classes, info.size, image_io.parse_color(info.background)
    import keras

    try:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises many types for a bad file; all mean "cannot load"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(f"cannot load {path}: {reason}") from None
    check_classifier(model, path, len(classes), size)
    return Classifier(model, classes, size, background)


def _read(path: str | os.PathLike[str], classifier: Classifier) -> np.ndarray:
    try:
        picture = image_io.open_rgb(path, classifier.background, draft_size=classifier.size)
    except image_io.UnusableImage as exc:
        raise InputError(f"{path}: {exc}") from None
    return np.asarray(image_io.square_resize(picture, classifier.size))


def predict(
    model_path: str | os.PathLike[str] | Classifier,
    image_paths: Sequence[str | os.PathLike[str]],
    batch_size: int = 64,
) -> list[Prediction]:
    """The most likely classes of each image, with every class's probability."""
    classifier = model_path if isinstance(model_path, Classifier) else load_classifier(model_path)
    if not image_paths:
        return []
    batch = np.stack([_read(path, classifier) for path in image_paths])
    import keras

    probabilities = keras.ops.convert_to_numpy(
        classifier.model.predict(batch, batch_size=batch_size, verbose=0)
    )
    results = []
    for path, row in zip(image_paths, probabilities, strict=True):
        ranked = np.argsort(-row, kind="stable")
        best = int(ranked[0])
        results.append(
            Prediction(
                str(path),
                classifier.classes[best],
                float(row[best]),
                {name: float(p) for name, p in zip(classifier.classes, row, strict=True)},
                tuple((classifier.classes[int(i)], float(row[i])) for i in ranked[:TOP_COUNT]),
            )
        )
    return results
