"""Events: how engines report to whoever runs them.

Engines never print. They call ``on_event(event)`` with one of the small
frozen dataclasses below; the CLI renders them with rich, the job runner
sends them as they are across a process boundary (they pickle), and the TUI
draws them. ``should_stop()`` is the reverse channel: the caller's
way to ask an engine to checkpoint and return at its next step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Progress",
    "Metrics",
    "Preview",
    "Message",
    "Event",
    "OnEvent",
    "ShouldStop",
    "ignore_events",
    "never_stop",
    "Ticker",
]


@dataclass(frozen=True)
class Progress:
    """How far a job is. ``total`` is None when the end is open."""

    step: int
    total: int | None
    unit: str = "step"
    rate: float | None = None  # items per second, e.g. images/s while training
    rate_unit: str = "it/s"
    stage: str = ""  # e.g. "epoch 3/20" or "scale 2/3"


@dataclass(frozen=True)
class Metrics:
    """Scalar values measured at ``step`` (losses, accuracies, ...)."""

    step: int
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    """An image worth showing now: the newest sample grid or stylised frame."""

    path: str
    caption: str = ""


@dataclass(frozen=True)
class Message:
    """A line for the log. ``level`` is ``info``, ``warning``, or ``detail``: a note for whoever
    wants every figure (timings, compilation), which the CLI shows only with ``--verbose``."""

    text: str
    level: Literal["info", "warning", "detail"] = "info"


Event = Progress | Metrics | Preview | Message
OnEvent = Callable[[Event], None]
ShouldStop = Callable[[], bool]


def ignore_events(event: Event) -> None:
    """An ``on_event`` for callers that do not care (tests, notebooks)."""


def never_stop() -> bool:
    """A ``should_stop`` for callers that never interrupt."""
    return False


class Ticker:
    """Progress of a step that is usually quick and sometimes is not (a large folder, a cold cache).

    It says nothing until the step has taken :attr:`AFTER` seconds, then
    sends ``Progress`` at most every :attr:`EVERY` seconds and once at the
    end: a long step is never silent, and a short one adds no line to a log.
    """

    AFTER = 1.0
    EVERY = 0.1

    def __init__(self, on_event: OnEvent, total: int | None, unit: str, stage: str) -> None:
        self.on_event, self.total, self.unit, self.stage = on_event, total, unit, stage
        self.started = time.monotonic()
        self.sent = -float("inf")

    def __call__(self, step: int) -> None:
        now = time.monotonic()
        end = self.total is not None and step >= self.total
        if now - self.started < self.AFTER or (now - self.sent < self.EVERY and not end):
            return
        self.sent = now
        rate = step / max(now - self.started, 1e-9)
        self.on_event(
            Progress(step, self.total, self.unit, rate=rate, rate_unit=f"{self.unit}s/s", stage=self.stage)
        )
