"""Classifying images as a job: ``artgen classify predict``, with a config the runner can ship to a child.

Each image's likeliest classes become a line of the job's log, so the studio's
classifier lab can try a model it trained on pictures it has not seen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from artgen.configs import ImageEngineConfig
from artgen.events import Message, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.schema import check, setting

__all__ = ["PredictConfig", "PredictResult", "classify_images"]


@dataclass(frozen=True)
class PredictConfig(ImageEngineConfig):
    model: str = setting(
        help="a .keras file from classify train, or its run folder",
        positional=True,
        metavar="MODEL",
        widget="classifier",
        label="classifier",
    )
    images: tuple[str, ...] = setting(
        help="images to classify", positional=True, metavar="IMAGE", widget="images", label="images"
    )
    # images per call: in the studio the log moves on between calls, and a stop is heard there
    batch_size: int = setting(32, help="images per model call", min=1, max=4_096, advanced=True)

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class PredictResult:
    counts: dict[str, int]  # images per predicted class
    stopped: bool


def classify_images(
    config: PredictConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> PredictResult:
    """Each image's likeliest class and the runners-up, a log line per image, as they are classified."""
    from artgen.labs.classify.inference import load_classifier, predict

    classifier = load_classifier(config.model)
    on_event(Message(f"{len(classifier.classes)} classes: {', '.join(classifier.classes)}"))
    counts: Counter[str] = Counter()
    total = len(config.images)
    on_event(Progress(0, total, unit="image", stage="classify"))
    for start in range(0, total, config.batch_size):
        if should_stop():
            return PredictResult(dict(counts), stopped=True)
        batch = config.images[start : start + config.batch_size]
        for prediction in predict(classifier, batch, batch_size=config.batch_size):
            others = ", ".join(f"{label} {chance:.2f}" for label, chance in prediction.top[1:])
            name = Path(prediction.path).name
            on_event(
                Message(f"{name}: {prediction.label} {prediction.probability:.2f}  (then {others})")
                if others
                else Message(f"{name}: {prediction.label} {prediction.probability:.2f}")
            )
            on_event(Preview(prediction.path, f"{name}: {prediction.label}"))
            counts[prediction.label] += 1
        done = min(start + config.batch_size, total)
        on_event(Progress(done, total, unit="image", stage="classify"))
    on_event(Message("predicted: " + ", ".join(f"{label} {count}" for label, count in counts.most_common())))
    return PredictResult(dict(counts), stopped=False)
