"""Keras callbacks that connect ``model.fit`` to artgen: events out, stop requests in, the target stop."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras

from artgen.events import Metrics, OnEvent, Progress, ShouldStop

__all__ = ["TargetAccuracy", "EventBridge", "EPOCH_KEYS"]

EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
PROGRESS_SECONDS = 0.5  # at most two progress events a second: enough for a bar, cheap for a pipe


class TargetAccuracy(keras.callbacks.Callback):
    """Stop once training and validation accuracy both reach ``target``."""

    def __init__(self, target: float) -> None:
        super().__init__()
        self.target = target
        self.reached_at: int | None = None  # 1-based epoch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if logs.get("accuracy", 0.0) >= self.target and logs.get("val_accuracy", 0.0) >= self.target:
            self.reached_at = epoch + 1
            self.model.stop_training = True


class EventBridge(keras.callbacks.Callback):
    """Turns fit's logs into artgen events and ``should_stop()`` into ``stop_training``.

    ``on_epoch`` runs after each epoch's events with the history so far (the
    trainer writes metrics.csv and the curves there).
    """

    def __init__(
        self,
        epochs: int,
        steps_per_epoch: int,
        batch_size: int,
        on_event: OnEvent,
        should_stop: ShouldStop,
        on_epoch: Callable[[dict[str, list[float]]], None],
    ) -> None:
        super().__init__()
        self.epochs, self.steps_per_epoch, self.batch_size = epochs, steps_per_epoch, batch_size
        self.on_event, self.should_stop, self.on_epoch = on_event, should_stop, on_epoch
        self.history: dict[str, list[float]] = {key: [] for key in (*EPOCH_KEYS, "img_per_s")}
        self.first_epoch = 0
        self.stopped_by_user = False
        self._epoch = 0
        self._epoch_start = self._last_report = time.perf_counter()

    def continue_from(self, history: dict[str, list[float]]) -> None:
        """A second stage (fine-tuning) numbers its epochs on from the first's and extends its history;
        ``epochs`` then counts both stages."""
        self.history = history
        self.first_epoch = len(history["loss"])

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = self.first_epoch + epoch
        self._epoch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.should_stop():
            self.stopped_by_user = True
            self.model.stop_training = True
        now = time.perf_counter()
        if now - self._last_report >= PROGRESS_SECONDS:
            self._last_report = now
            rate = (batch + 1) * self.batch_size / max(now - self._epoch_start, 1e-9)
            self._progress(self._epoch + 1, self._epoch * self.steps_per_epoch + batch + 1, rate)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        epoch += self.first_epoch
        elapsed = max(time.perf_counter() - self._epoch_start, 1e-9)
        rate = self.steps_per_epoch * self.batch_size / elapsed
        values = {key: float(logs[key]) for key in EPOCH_KEYS if key in logs}
        for key in EPOCH_KEYS:
            self.history[key].append(values.get(key, float("nan")))
        self.history["img_per_s"].append(rate)
        self.on_event(Metrics(epoch + 1, {**values, "img_per_s": rate}))
        self._progress(epoch + 1, (epoch + 1) * self.steps_per_epoch, rate)
        self.on_epoch(self.history)

    def _progress(self, epoch: int, step: int, rate: float) -> None:
        self.on_event(
            Progress(
                step,
                self.epochs * self.steps_per_epoch,
                unit="batch",
                rate=rate,
                rate_unit="img/s",
                stage=f"epoch {epoch}/{self.epochs}",
            )
        )
