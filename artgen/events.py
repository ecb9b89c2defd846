"""Events: how engines report to whoever runs them.

Engines never print. They call ``on_event(event)`` with one of the small
frozen dataclasses below; the CLI renders them with rich, the job runner
sends them across a process boundary (hence ``to_dict``/``from_dict``), and
the TUI draws them. ``should_stop()`` is the reverse channel: the caller's
way to ask an engine to checkpoint and return at its next step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

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
    "to_dict",
    "from_dict",
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

_TYPES: dict[str, type] = {cls.__name__: cls for cls in (Progress, Metrics, Preview, Message)}


def ignore_events(event: Event) -> None:
    """An ``on_event`` for callers that do not care (tests, notebooks)."""


def never_stop() -> bool:
    """A ``should_stop`` for callers that never interrupt."""
    return False


def to_dict(event: Event) -> dict[str, Any]:
    """A JSON-safe form, tagged with the event's type, for pipes and files."""
    return {"type": type(event).__name__, **dataclasses.asdict(event)}


def from_dict(data: dict[str, Any]) -> Event:
    """Inverse of :func:`to_dict`."""
    fields = dict(data)
    cls = _TYPES[fields.pop("type")]
    return cls(**fields)
