"""Train the classifier on class folders: a run directory out, events on the side.

Layout of a run directory::

    config.json           the ClassifyConfig
    metrics.csv           per epoch: loss, accuracy, val_loss, val_accuracy, img/s
    curves.png            accuracy and loss per epoch (redrawn after every epoch)
    confusion.png         the validation confusion matrix
    report.json           accuracies, per-class precision/recall/F1, the matrix, split sizes
    model.keras           the model with the best validation loss
    model.classes.json    its class names and input size (``artgen classify predict`` reads both)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np

from artgen import images as image_io
from artgen import runs
from artgen.errors import InputError, RunDirError
from artgen.events import Message, OnEvent, Preview, ShouldStop, ignore_events, never_stop
from artgen.labs.classify.callbacks import EPOCH_KEYS, EventBridge, TargetAccuracy
from artgen.labs.classify.config import ClassifyConfig
from artgen.labs.classify.data import ClassData, load_classes, stratified_split
from artgen.labs.classify.inference import MODEL_NAME, classes_path
from artgen.labs.classify.model import build_classifier, for_training
from artgen.labs.classify.report import (
    ClassScore,
    class_scores,
    confusion_matrix,
    draw_confusion,
    draw_curves,
)

__all__ = ["ClassifyResult", "train_classifier"]

METRIC_COLUMNS = ("epoch", *EPOCH_KEYS, "img_per_s")


@dataclass(frozen=True)
class ClassifyResult:
    run_dir: Path
    model_path: Path
    output_path: Path | None  # the -o copy, when one was asked for
    classes: tuple[str, ...]
    accuracy: float  # the saved model on the training split, without augmentation
    val_accuracy: float  # the saved model on the held-out validation split
    scores: tuple[ClassScore, ...]  # per class, on the validation split
    confusion: tuple[tuple[int, ...], ...]  # rows: true class, columns: predicted
    confusion_png: Path
    curves_png: Path
    metrics_path: Path
    report_path: Path
    train_count: int
    val_count: int
    skipped: int  # unusable files left out of DIR
    epochs: int  # epochs trained
    stop_reason: str  # "epochs", "target accuracy", "early stopping" or "stopped"

    @property
    def stopped(self) -> bool:
        return self.stop_reason == "stopped"


def train_classifier(
    config: ClassifyConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> ClassifyResult:
    """Split DIR, train until a callback stops it, evaluate, and save the model with its class names."""
    output = _check_output(config)
    data = load_classes(
        config.data_dir, config.size, image_io.parse_colour(config.background), config.limit, on_event
    )
    _report_dataset(data, config, on_event)
    train_idx, val_idx = stratified_split(data.labels, config.val_split, config.seed)
    on_event(Message(f"split: {len(train_idx)} training, {len(val_idx)} validation images (stratified)"))
    run_dir = _prepare_run_dir(config)
    runs.write_json(run_dir / "config.json", {"engine": "classify", **config.to_dict()})

    x_train, y_train = data.images[train_idx], data.labels[train_idx]
    x_val, y_val = data.images[val_idx], data.labels[val_idx]
    model = build_classifier(config, len(data.classes))
    trainer = for_training(config, model)
    trainer.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    curves_png, metrics_path = run_dir / "curves.png", run_dir / "metrics.csv"

    def after_epoch(history: dict[str, list[float]]) -> None:
        rows = [
            [epoch + 1, *(history[key][epoch] for key in METRIC_COLUMNS[1:])]
            for epoch in range(len(history["loss"]))
        ]
        runs.write_csv(metrics_path, METRIC_COLUMNS, rows)
        draw_curves(curves_png, history)
        on_event(Preview(str(curves_png), f"training curves, epoch {len(rows)}"))

    steps = int(np.ceil(len(x_train) / config.batch_size))
    bridge = EventBridge(config.epochs, steps, config.batch_size, on_event, should_stop, after_epoch)
    target = TargetAccuracy(config.target_accuracy)
    early = keras.callbacks.EarlyStopping("val_loss", patience=config.patience, restore_best_weights=True)
    callbacks: list[keras.callbacks.Callback] = [bridge, early]
    if config.target_accuracy < 1.0:
        callbacks.insert(1, target)
    started = time.perf_counter()
    trainer.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=config.epochs,
        batch_size=config.batch_size,
        callbacks=callbacks,
        shuffle=True,
        verbose=0,
    )
    epochs = len(bridge.history["loss"])
    reason = _stop_reason(bridge, target, early, epochs, config.epochs)
    on_event(Message(f"trained {epochs} epochs in {time.perf_counter() - started:.0f}s; stopped by {reason}"))

    model_path = run_dir / MODEL_NAME
    _save(model, model_path, data.classes, config)
    if output is not None:
        _save(model, output, data.classes, config)
    scored = _evaluate(model, config.batch_size, run_dir, data.classes, (x_train, y_train), (x_val, y_val))
    report_path = run_dir / "report.json"
    runs.write_json(
        report_path,
        {
            "classes": data.classes,
            "accuracy": scored.accuracy,
            "val_accuracy": scored.val_accuracy,
            "per_class": [asdict(score) for score in scored.scores],
            "confusion": scored.matrix.tolist(),
            "train_count": len(train_idx),
            "val_count": len(val_idx),
            "skipped": len(data.skipped),
            "epochs": epochs,
            "stop_reason": reason,
        },
    )
    on_event(Preview(str(run_dir / "confusion.png"), "validation confusion matrix"))
    on_event(Message(f"accuracy {scored.accuracy:.4f}, validation accuracy {scored.val_accuracy:.4f}"))
    return ClassifyResult(
        run_dir=run_dir,
        model_path=model_path,
        output_path=output,
        classes=tuple(data.classes),
        accuracy=scored.accuracy,
        val_accuracy=scored.val_accuracy,
        scores=tuple(scored.scores),
        confusion=tuple(tuple(int(v) for v in row) for row in scored.matrix),
        confusion_png=run_dir / "confusion.png",
        curves_png=curves_png,
        metrics_path=metrics_path,
        report_path=report_path,
        train_count=len(train_idx),
        val_count=len(val_idx),
        skipped=len(data.skipped),
        epochs=epochs,
        stop_reason=reason,
    )


def _check_output(config: ClassifyConfig) -> Path | None:
    """Refuse to replace a user's file before spending any time training."""
    if config.output is None:
        return None
    output = Path(config.output)
    if not config.overwrite:
        for path in (output, classes_path(output)):
            if path.exists():
                raise InputError(f"{path} exists; choose another -o or add --overwrite")
    if output.is_dir():
        raise InputError(f"{output} is a folder; -o takes a file name ending in .keras")
    return output


def _report_dataset(data: ClassData, config: ClassifyConfig, on_event: OnEvent) -> None:
    counts = np.bincount(data.labels, minlength=len(data.classes))
    listed = ", ".join(f"{name} {count}" for name, count in zip(data.classes, counts, strict=True))
    on_event(Message(f"{len(data.labels)} images, {len(data.classes)} classes, {config.size}px: {listed}"))
    if data.skipped:
        names = ", ".join(f"{Path(path).name} ({reason})" for path, reason in data.skipped[:3])
        more = f" and {len(data.skipped) - 3} more" if len(data.skipped) > 3 else ""
        on_event(Message(f"skipped {len(data.skipped)} unusable files: {names}{more}", "warning"))


def _prepare_run_dir(config: ClassifyConfig) -> Path:
    if config.run_dir is None:
        return runs.new_run_dir(config.runs_root, f"classify-{Path(config.data_dir).resolve().name}")
    run_dir = Path(config.run_dir)
    if run_dir.exists() and any(run_dir.iterdir()):
        raise RunDirError(f"{run_dir} is not empty; choose a new --run-dir")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def _stop_reason(bridge: EventBridge, target: TargetAccuracy, early, epochs: int, most: int) -> str:
    if bridge.stopped_by_user:
        return "stopped"
    if target.reached_at is not None:
        return "target accuracy"
    if early.stopped_epoch > 0:
        return "early stopping"
    return "epochs" if epochs >= most else "stopped"


def _save(model: keras.Model, path: Path, classes: list[str], config: ClassifyConfig) -> None:
    with runs.atomic_path(path) as tmp:
        model.save(tmp)
    info = {"classes": classes, "size": config.size, "background": config.background}
    runs.write_json(classes_path(path), info)


@dataclass(frozen=True)
class _Scored:
    accuracy: float
    val_accuracy: float
    matrix: np.ndarray
    scores: list[ClassScore]


def _evaluate(
    model: keras.Model,
    batch_size: int,
    run_dir: Path,
    classes: list[str],
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
) -> _Scored:
    """Score the saved model on both splits as it will predict: no augmentation, no dropout."""

    def predicted(x: np.ndarray) -> np.ndarray:
        probabilities = model.predict(x, batch_size=max(batch_size, 128), verbose=0)
        return np.argmax(keras.ops.convert_to_numpy(probabilities), axis=1)

    accuracy = float(np.mean(predicted(train[0]) == train[1]))
    val_predicted = predicted(val[0])
    matrix = confusion_matrix(val[1], val_predicted, len(classes))
    draw_confusion(run_dir / "confusion.png", matrix, classes)
    return _Scored(accuracy, float(np.mean(val_predicted == val[1])), matrix, class_scores(matrix, classes))
