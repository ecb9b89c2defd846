"""Helpers shared by subcommands: rendering engine events, stopping, argument types."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import (
    Progress as ProgressBar,
)

from artgen.events import Event, Message, Metrics, Preview, Progress

__all__ = [
    "console",
    "EventRenderer",
    "StopRequest",
    "positive_int",
    "positive_float",
    "non_negative_int",
    "non_negative_float",
    "quiet_backend_import",
]

console = Console(stderr=True)


class EventRenderer:
    """Shows engine events on the terminal: one live progress bar, log lines above it."""

    def __init__(self, metric_names: tuple[str, ...] = ()) -> None:
        self.metric_names = metric_names
        self.bar = ProgressBar(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.metrics = ""
        self.last_preview: str | None = None

    def __enter__(self) -> EventRenderer:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress):
            self._progress(event)
        elif isinstance(event, Metrics):
            shown = self.metric_names or tuple(event.values)
            self.metrics = "  ".join(
                f"{name} {event.values[name]:.4g}" for name in shown if name in event.values
            )
        elif isinstance(event, Message):
            style = "yellow" if event.level == "warning" else "dim"
            self.bar.console.print(f"[{style}]{event.text}[/]", highlight=False)
        elif isinstance(event, Preview):
            self.last_preview = event.path

    def _progress(self, event: Progress) -> None:
        key = event.unit
        description = event.stage or event.unit
        rate = f"{event.rate:.1f} {event.rate_unit}" if event.rate else ""
        if key not in self.tasks:
            self.tasks[key] = self.bar.add_task(description, total=event.total, rate=rate, metrics="")
        self.bar.update(
            self.tasks[key],
            completed=event.step,
            total=event.total,
            description=description,
            rate=rate,
            metrics=self.metrics,
        )


# Ways a command is asked to end: Ctrl-C; kill, systemd, Docker, Slurm (SIGTERM); a closed terminal (SIGHUP)
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class StopRequest:
    """Ctrl-C, SIGTERM or SIGHUP asks the engine to stop at its next step (a training run
    checkpoints first); a second one aborts at once."""

    def __init__(self) -> None:
        self.requested = False
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested, self.signal = True, signum
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        with contextlib.suppress(Exception):  # the terminal may be gone (SIGHUP)
            console.print(f"[yellow]{name}: stopping after this step ({name} again to abort)…[/]")

    def __enter__(self) -> StopRequest:
        for signum in STOP_SIGNALS:
            with contextlib.suppress(ValueError):  # not the main thread: leave signals to the caller
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)


@contextlib.contextmanager
def quiet_backend_import() -> Iterator[None]:
    """Import Keras with TensorFlow's native log lines kept off the terminal.

    TensorFlow writes start-up notices straight to file descriptor 2 at import
    and again at first use, before it reads ``TF_CPP_MIN_LOG_LEVEL``. So fd 2
    goes to /dev/null for the rest of the command, while Python's
    ``sys.stderr`` (our progress display, errors, tracebacks) keeps the real
    terminal through a duplicate of it. ``ARTGEN_DEBUG=1`` leaves fd 2 alone.
    """
    if not os.environ.get("ARTGEN_DEBUG") and not _muted:
        _mute_native_stderr()
    import keras  # noqa: F401

    yield


_muted: list[bool] = []


def _mute_native_stderr() -> None:
    if sys.stderr is not sys.__stderr__:
        return  # someone (a test harness, an embedding app) already redirected it
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return  # no real fd 2: nothing to protect
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=getattr(sys.stderr, "encoding", None))
    _muted.append(True)


def _number(kind: type[int] | type[float], minimum: float, above: bool = False) -> Callable[[str], Any]:
    """An argparse type: ``kind`` parsed from the text, at least ``minimum`` (or above it)."""
    noun = "whole number" if kind is int else "number"
    bound = f"more than {minimum:g}" if above else f"at least {minimum:g}"

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {noun}") from None
        if not (value > minimum if above else value >= minimum):  # NaN fails both
            raise argparse.ArgumentTypeError(f"must be {bound}, not {value}")
        return value

    return parse


positive_int = _number(int, 1)
positive_float = _number(float, 0, above=True)
non_negative_int = _number(int, 0)
non_negative_float = _number(float, 0)
