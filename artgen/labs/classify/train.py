"""Train the classifier on class folders: a run directory out, events on the side.

Layout of a run directory::

    config.json           the ClassifyConfig, with size, base and augmentation as chosen
    metrics.csv           per epoch: loss, accuracy, val_loss, val_accuracy, img/s
    curves.png            accuracy and loss per epoch (redrawn after every epoch)
    confusion.png         the validation confusion matrix
    report.json           accuracies, per-class precision/recall/F1, the matrix, split sizes
    model.keras           the model with the best validation loss
    model.classes.json    its class names and input size (``artgen classify predict`` reads both)
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np

from artgen import images as image_io
from artgen import runs
from artgen.events import Message, OnEvent, Preview, ShouldStop, ignore_events, never_stop
from artgen.labs.classify.callbacks import EPOCH_KEYS, EventBridge, TargetAccuracy
from artgen.labs.classify.config import MAX_AUTO_SIZE, ClassifyConfig
from artgen.labs.classify.data import ClassData, load_classes, native_size, stratified_split
from artgen.labs.classify.features import pooled_features
from artgen.labs.classify.inference import MODEL_NAME, classes_path
from artgen.labs.classify.model import (
    build_classifier,
    feature_extractor,
    for_training,
    head_on_features,
    resolve_base,
    unfreeze_last_block,
)
from artgen.labs.classify.report import (
    ClassScore,
    ConfusedPair,
    class_scores,
    confusion_matrix,
    draw_confusion,
    draw_curves,
    most_confused,
)

__all__ = ["ClassifyResult", "train_classifier"]

METRIC_COLUMNS = ("epoch", *EPOCH_KEYS, "img_per_s")


@dataclass(frozen=True)
class ClassifyResult:
    run_dir: Path
    model_path: Path
    output_path: Path | None  # the -o copy, when one was asked for
    classes: tuple[str, ...]
    size: int  # as trained (the images' own size when --size was left out)
    base: str  # "vgg16" or "none", as chosen
    features: str  # VGG16 features: "computed" once, from the "cache", "on the fly", or "none"
    accuracy: float  # the saved model on the training split, without augmentation
    val_accuracy: float  # the saved model on the held-out validation split
    scores: tuple[ClassScore, ...]  # per class, on the validation split
    most_confused: tuple[ConfusedPair, ...]  # the commonest validation mistakes, most first
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
    """Split DIR, train until a callback stops it, evaluate, and save the model with its class names.

    ``-o`` and its class names are held from the start until both are in place.
    """
    with contextlib.ExitStack() as held:
        output = _reserve_output(config, held)
        config = _resolve(config, on_event)
        settings = {"engine": "classify", **config.to_dict()}
        # Refused before the images load; the folder is made only once they are valid.
        runs.check_run_dir(config.run_dir, config.runs_root, settings, resumable=False)
        data = load_classes(
            config.data_dir, config.size, image_io.parse_color(config.background), config.limit, on_event
        )
        _report_dataset(data, config, on_event)
        train_idx, val_idx = stratified_split(data.labels, config.val_split, config.seed)
        on_event(Message(f"split: {len(train_idx)} training, {len(val_idx)} validation images (stratified)"))
        name = f"classify-{Path(config.data_dir).resolve().name}"
        with runs.open_run(config.run_dir, config.runs_root, name, settings, resumable=False) as run_dir:
            return _fit(config, run_dir, data, (train_idx, val_idx), output, on_event, should_stop)


def _fit(
    config: ClassifyConfig,
    run_dir: Path,
    data: ClassData,
    split: tuple[np.ndarray, np.ndarray],
    output: Path | None,
    on_event: OnEvent,
    should_stop: ShouldStop,
) -> ClassifyResult:
    """Train, evaluate and save into ``run_dir`` (held by this process)."""
    train_idx, val_idx = split
    y_train, y_val = data.labels[train_idx], data.labels[val_idx]
    model = build_classifier(config, len(data.classes), config.size, config.base)
    curves_png, metrics_path = run_dir / "curves.png", run_dir / "metrics.csv"

    def after_epoch(history: dict[str, list[float]]) -> None:
        rows = [
            [epoch + 1, *(history[key][epoch] for key in METRIC_COLUMNS[1:])]
            for epoch in range(len(history["loss"]))
        ]
        runs.write_csv(metrics_path, METRIC_COLUMNS, rows)
        draw_curves(curves_png, history)
        on_event(Preview(str(curves_png), f"training curves, epoch {len(rows)}"))

    fine_tune = config.fine_tune and config.base == "vgg16"
    total_epochs = config.epochs + (config.fine_tune_epochs if fine_tune else 0)
    stages = _Stages(config, total_epochs, on_event, should_stop)
    started = time.perf_counter()
    features, feature_source = None, "on the fly" if config.base == "vgg16" else "none"
    if config.base == "vgg16" and not config.augment:
        features, reused = pooled_features(feature_extractor(model), data.images, on_event, should_stop)
        feature_source = "cache" if reused else "computed"
        if features is not None:
            note = "reused from the cache" if reused else "computed once and cached"
            on_event(Message(f"VGG16 features {note}; training the head on them"))
            head = head_on_features(model)
            stages.fit(head, (features[train_idx], y_train), (features[val_idx], y_val), after_epoch)
        else:
            stages.stopped_by_user = True
    else:
        trainer = for_training(config, model, config.augment)
        x_train, x_val = data.images[train_idx], data.images[val_idx]
        stages.fit(trainer, (x_train, y_train), (x_val, y_val), after_epoch)
    if fine_tune and not stages.stopped_by_user:
        unfrozen = unfreeze_last_block(model)
        on_event(Message(f"fine-tuning VGG16's last block ({unfrozen} layers) at learning rate / 10"))
        trainer = for_training(config, model, config.augment)
        x_train, x_val = data.images[train_idx], data.images[val_idx]
        stages.fit(trainer, (x_train, y_train), (x_val, y_val), after_epoch, fine_tune=True)
        features = None  # the base changed: predict from images again
    epochs = stages.epochs
    reason = stages.reason()
    on_event(Message(f"trained {epochs} epochs in {time.perf_counter() - started:.0f}s; stopped by {reason}"))

    model_path = run_dir / MODEL_NAME
    _save(model, model_path, data.classes, config)
    if output is not None:
        _save(model, output, data.classes, config)
    if features is not None:
        head = head_on_features(model)
        predict_rows = _predictor(head, features, config.batch_size)  # same numbers, no VGG16 pass
    else:
        predict_rows = _predictor(model, data.images, config.batch_size)
    scored = _evaluate(predict_rows, run_dir, data.classes, (train_idx, y_train), (val_idx, y_val))
    report_path = run_dir / "report.json"
    runs.write_json(
        report_path,
        {
            "classes": data.classes,
            "size": config.size,
            "base": config.base,
            "features": feature_source,
            "accuracy": scored.accuracy,
            "val_accuracy": scored.val_accuracy,
            "per_class": [asdict(score) for score in scored.scores],
            "most_confused": [asdict(pair) for pair in scored.confused],
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
    if scored.confused:
        listed = "; ".join(f"{p.true} as {p.predicted} ({p.count})" for p in scored.confused)
        on_event(Message(f"most confused: {listed}"))
    return ClassifyResult(
        run_dir=run_dir,
        model_path=model_path,
        output_path=output,
        classes=tuple(data.classes),
        size=config.size,
        base=config.base,
        features=feature_source,
        accuracy=scored.accuracy,
        val_accuracy=scored.val_accuracy,
        scores=tuple(scored.scores),
        most_confused=tuple(scored.confused),
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


def _resolve(config: ClassifyConfig, on_event: OnEvent) -> ClassifyConfig:
    """Fill in what the config leaves to the data: size, base, augmentation (stored in config.json)."""
    size = config.size or native_size(config.data_dir, MAX_AUTO_SIZE)
    base = resolve_base(config.base, size)
    augment = base == "none" if config.augment is None else config.augment
    if config.fine_tune and base != "vgg16":
        on_event(Message("--fine-tune applies to --base vgg16 only; ignored", "warning"))
    chosen = [f"{size}px" + (" (the images' own size)" if config.size is None else "")]
    chosen.append({"vgg16": "on the bundled VGG16", "none": "a small CNN"}[base])
    chosen.append("augmented" if augment else "no augmentation")
    on_event(Message("training " + ", ".join(chosen)))
    return dataclasses.replace(config, size=size, base=base, augment=augment)


class _Stages:
    """Runs ``fit`` once or twice (head, then fine-tuning) with one history and one event stream."""

    def __init__(self, config: ClassifyConfig, total_epochs: int, on_event: OnEvent, should_stop: ShouldStop):
        self.config, self.total_epochs = config, total_epochs
        self.on_event, self.should_stop = on_event, should_stop
        self.history: dict[str, list[float]] | None = None
        self.stopped_by_user = False
        self.target_reached = self.early_stopped = False

    @property
    def epochs(self) -> int:
        return 0 if self.history is None else len(self.history["loss"])

    def fit(
        self,
        trainer: keras.Model,
        train: tuple[np.ndarray, np.ndarray],
        val: tuple[np.ndarray, np.ndarray],
        after_epoch: Callable[[dict[str, list[float]]], None],
        fine_tune: bool = False,
    ) -> None:
        config = self.config
        epochs = config.fine_tune_epochs if fine_tune else config.epochs
        peak = config.learning_rate / 10 if fine_tune else config.learning_rate
        steps = int(np.ceil(len(train[0]) / config.batch_size))
        trainer.compile(
            optimizer=keras.optimizers.AdamW(_one_cycle(peak, steps * epochs), config.weight_decay),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        bridge = EventBridge(
            self.total_epochs, steps, config.batch_size, self.on_event, self.should_stop, after_epoch
        )
        if self.history is not None:
            bridge.continue_from(self.history)
        target = TargetAccuracy(config.target_accuracy)
        early = keras.callbacks.EarlyStopping("val_loss", patience=config.patience, restore_best_weights=True)
        callbacks: list[keras.callbacks.Callback] = [bridge, early]
        if config.target_accuracy < 1.0:
            callbacks.insert(1, target)
        trainer.fit(
            *train,
            validation_data=val,
            epochs=epochs,
            batch_size=config.batch_size,
            callbacks=callbacks,
            shuffle=True,
            verbose=0,
        )
        self.history = bridge.history
        self.stopped_by_user |= bridge.stopped_by_user
        self.target_reached |= target.reached_at is not None
        self.early_stopped |= early.stopped_epoch > 0

    def reason(self) -> str:
        if self.stopped_by_user:
            return "stopped"
        if self.target_reached:
            return "target accuracy"
        if self.early_stopped:
            return "early stopping"
        return "epochs"


def _one_cycle(peak: float, total_steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """Warm up from peak/10 over the first ~5% of steps, then cosine decay to zero."""
    warmup = max(1, total_steps // 20)
    return keras.optimizers.schedules.CosineDecay(
        peak / 10, max(1, total_steps - warmup), warmup_target=peak, warmup_steps=warmup
    )


def _reserve_output(config: ClassifyConfig, held: contextlib.ExitStack) -> Path | None:
    """Hold ``-o`` and its class names before any time is spent training: never a user's file replaced."""
    if config.output is None:
        return None
    output = Path(config.output)
    for path in (output, classes_path(output)):
        held.enter_context(runs.reserve(path, overwrite=config.overwrite))
    return output


def _report_dataset(data: ClassData, config: ClassifyConfig, on_event: OnEvent) -> None:
    counts = np.bincount(data.labels, minlength=len(data.classes))
    listed = ", ".join(f"{name} {count}" for name, count in zip(data.classes, counts, strict=True))
    on_event(Message(f"{len(data.labels)} images, {len(data.classes)} classes, {config.size}px: {listed}"))
    if data.skipped:
        on_event(Message(image_io.describe_skipped(data.skipped), "warning"))


def _save(model: keras.Model, path: Path, classes: list[str], config: ClassifyConfig) -> None:
    with runs.atomic_path(path) as tmp:
        model.save(tmp)
    info = {"classes": classes, "size": config.size, "background": config.background, "base": config.base}
    runs.write_json(classes_path(path), info)


@dataclass(frozen=True)
class _Scored:
    accuracy: float
    val_accuracy: float
    matrix: np.ndarray
    scores: list[ClassScore]
    confused: list[ConfusedPair]


def _predictor(model: keras.Model, inputs: np.ndarray, batch_size: int) -> Callable[[np.ndarray], np.ndarray]:
    """Predicted classes for rows of ``inputs`` (images, or their cached features for the head)."""

    def predicted(rows: np.ndarray) -> np.ndarray:
        probabilities = model.predict(inputs[rows], batch_size=max(batch_size, 128), verbose=0)
        return np.argmax(keras.ops.convert_to_numpy(probabilities), axis=1)

    return predicted


def _evaluate(
    predicted: Callable[[np.ndarray], np.ndarray],
    run_dir: Path,
    classes: list[str],
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
) -> _Scored:
    """Score the saved model on both splits as it will predict: no augmentation, no dropout."""
    accuracy = float(np.mean(predicted(train[0]) == train[1]))
    val_predicted = predicted(val[0])
    matrix = confusion_matrix(val[1], val_predicted, len(classes))
    draw_confusion(run_dir / "confusion.png", matrix, classes)
    return _Scored(
        accuracy,
        float(np.mean(val_predicted == val[1])),
        matrix,
        class_scores(matrix, classes),
        most_confused(matrix, classes),
    )
