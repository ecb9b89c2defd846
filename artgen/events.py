"""Events: how engines report to whoever runs them.

Engines never print. They call ``on_event(event)`` with one of the small
frozen dataclasses below; the CLI renders them with rich, the job runner
sends them as they are across a process boundary (they pickle), and the TUI
draws them. ``should_stop()`` is the reverse channel: the caller's
way to ask an engine to checkpoint and return at its next step.
"""

from __future__ import annotations

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
    """A line for the log. ``level`` is ``info`` or ``warning``."""

    text: str
    level: Literal["info", "warning"] = "info"


Event = Progress | Metrics | Preview | Message
OnEvent = Callable[[Event], None]
ShouldStop = Callable[[], bool]


def ignore_events(event: Event) -> None:
    """An ``on_event`` for callers that do not care (tests, notebooks)."""


def never_stop() -> bool:
    """A ``should_stop`` for callers that never interrupt."""
    return False
