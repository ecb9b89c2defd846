"""What a trained classifier gets right and wrong: scores, confusion matrix, curves (numpy + matplotlib)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from artgen.plots import png_figure

__all__ = [
    "ClassScore",
    "ConfusedPair",
    "confusion_matrix",
    "class_scores",
    "most_confused",
    "draw_confusion",
    "draw_curves",
]


@dataclass(frozen=True)
class ClassScore:
    name: str
    precision: float
    recall: float
    f1: float
    support: int  # validation images of this class


@dataclass(frozen=True)
class ConfusedPair:
    true: str
    predicted: str
    count: int  # validation images of ``true`` predicted as ``predicted``
    share: float  # of all validation images of ``true``


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """Counts with the true class along rows and the predicted class along columns."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true), np.asarray(predicted)), 1)
    return matrix


def class_scores(matrix: np.ndarray, names: Sequence[str]) -> list[ClassScore]:
    """Precision, recall and F1 per class; a class never predicted (or absent) scores 0, not NaN."""
    hits = np.diag(matrix).astype(np.float64)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
    return [
        ClassScore(name, float(p), float(r), float(f), int(n))
        for name, p, r, f, n in zip(names, precision, recall, f1, actual, strict=True)
    ]


def most_confused(matrix: np.ndarray, names: Sequence[str], count: int = 3) -> list[ConfusedPair]:
    """The ``count`` commonest mistakes (true class taken for another), most frequent first."""
    errors = np.array(matrix, dtype=np.int64)
    np.fill_diagonal(errors, 0)
    totals = np.maximum(np.asarray(matrix).sum(axis=1), 1)
    order = np.argsort(-errors, axis=None, kind="stable")[:count]
    pairs = []
    for flat in order:
        true, predicted = np.unravel_index(flat, errors.shape)
        if errors[true, predicted] == 0:
            break
        number = int(errors[true, predicted])
        pairs.append(ConfusedPair(names[true], names[predicted], number, number / int(totals[true])))
    return pairs


def draw_confusion(path: str | os.PathLike[str], matrix: np.ndarray, names: Sequence[str]) -> None:
    """The matrix as a heat map with counts, rows normalised so every class reads alike."""
    count = len(names)
    side = min(3.0 + 0.55 * count, 14.0)
    with png_figure(path, figsize=(side + 1.2, side), dpi=100) as (figure, axes):
        totals = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        shares = matrix / totals
        image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of the true class")
        axes.set_xticks(range(count), names, rotation=45, ha="right")
        axes.set_yticks(range(count), names)
        axes.set_xlabel("predicted")
        axes.set_ylabel("true")
        axes.set_title(f"confusion matrix ({int(matrix.sum())} validation images)")
        if count <= 20:
            for row in range(count):
                for col in range(count):
                    colour = "white" if shares[row, col] > 0.5 else "black"
                    axes.text(
                        col, row, str(matrix[row, col]), ha="center", va="center", color=colour, fontsize=8
                    )


def draw_curves(path: str | os.PathLike[str], history: Mapping[str, Sequence[float]]) -> None:
    """Accuracy and loss per epoch, training beside validation."""
    with png_figure(path, ncols=2, figsize=(9, 3.6), dpi=100) as (_, (acc_axes, loss_axes)):
        for axes, name in ((acc_axes, "accuracy"), (loss_axes, "loss")):
            for key, label in ((name, "training"), (f"val_{name}", "validation")):
                values = history.get(key, [])
                axes.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
            axes.set_xlabel("epoch")
            axes.set_title(name)
            axes.grid(alpha=0.3)
            axes.legend()
