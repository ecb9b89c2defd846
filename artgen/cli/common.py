"""Helpers shared by subcommands: rendering engine events, stopping, an argument type.

Streams: results (paths written, tables, ``--json``) go to stdout through
:func:`show_result` and :func:`result_console`, so ``artgen ... > list.txt`` keeps
only them; progress, messages and errors go to stderr (:data:`console`).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as ProgressBar
from rich.progress import ProgressColumn, Task, TaskID
from rich.text import Text

from artgen import environment
from artgen.cli.progress import Line, clock, layout
from artgen.events import Event, Message, Metrics, Preview, Progress

__all__ = [
    "console",
    "set_verbosity",
    "verbosity",
    "shows",
    "note",
    "QUIET",
    "NORMAL",
    "VERBOSE",
    "show_result",
    "result_console",
    "EventRenderer",
    "StopRequest",
    "positive_int",
    "quiet_backend_import",
]

console = Console(stderr=True, soft_wrap=True)  # progress and messages; never cut at 80 columns

WIDE = 10_000  # a table's width limit when stdout is a file or a pipe: rows stay whole

QUIET, NORMAL, VERBOSE = 0, 1, 2
_LEVELS = {"warning": NORMAL, "info": NORMAL, "detail": VERBOSE}  # the least verbosity that shows a message
_verbosity = [NORMAL]


def set_verbosity(quiet: bool = False, verbose: bool = False) -> None:
    """``--quiet``: results and errors only; ``--verbose``: every message, detail notes and timings too."""
    _verbosity[0] = QUIET if quiet else VERBOSE if verbose else NORMAL
    console.quiet = quiet  # progress, messages and hints all go through it


def verbosity() -> int:
    return _verbosity[0]


def shows(level: str) -> bool:
    """Whether a message of ``level`` (info, warning, detail) is shown at the current verbosity."""
    return verbosity() >= _LEVELS.get(level, NORMAL)


def note(text: str, level: str = "info") -> None:
    """A line about the work (not its result) on stderr, if the verbosity shows ``level``."""
    if shows(level):
        style = {"warning": "yellow", "detail": "dim italic"}.get(level, "dim")
        console.print(f"[{style}]{escape(text)}[/]", highlight=False)


def show_result(text: str) -> None:
    """One line of a command's result (a path written, a score) on stdout, as plain text."""
    print(text, flush=True)


def result_console() -> Console:
    """Rich tables for stdout: the terminal's width there, whole rows in a file or a pipe."""
    return Console(width=None if sys.stdout.isatty() else WIDE)


class EventRenderer:
    """Shows engine events on stderr, as much as the verbosity asks for (:func:`set_verbosity`).

    On a terminal: one live progress line per unit, log lines above it, each
    line laid out to the terminal's width (:mod:`artgen.cli.progress`): the
    count, percentage and time left always whole, the metrics giving way
    first. Anywhere else (a pipe, ``tee``, CI, a log file), rich's live
    display would print its bar once at the end, cut at 80 columns and after
    every log line; so there each event becomes one whole plain line, in the
    order it happened: each message, and a progress line per log interval
    (each time new metrics arrived, else every tenth of the way; at most one
    a second, for engines that measure every step) and at the end.
    ``--quiet`` shows none of it; ``--verbose`` adds the engines' detail notes.
    """

    PLAIN_FRACTION = 0.1  # without metrics, a progress line every tenth of the way
    PLAIN_SECONDS = 1.0  # the least time between two progress lines, but for the first and last

    def __init__(
        self, metric_names: tuple[str, ...] = (), *, live: bool | None = None, width: int | None = None
    ) -> None:
        self.metric_names = metric_names
        self.quiet = verbosity() == QUIET
        self.live = (console.is_terminal if live is None else live) and not self.quiet
        self._fresh_metrics = False
        self._printed: dict[str, int] = {}  # per unit, the step of its last plain line
        self._printed_at = -math.inf
        self._started: dict[str, tuple[float, int]] = {}  # per unit, when and at which step it was first seen
        self.bar = ProgressBar(_LineColumn(width), console=console, transient=False)
        self.tasks: dict[str, TaskID] = {}
        self.metrics: tuple[str, ...] = ()
        self.last_preview: str | None = None

    def __enter__(self) -> EventRenderer:
        if self.live:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bar.__exit__(*exc)

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress):
            if self.quiet:
                return
            self._progress(event) if self.live else self._plain_progress(event)
        elif isinstance(event, Metrics):
            shown = self.metric_names or tuple(event.values)
            self.metrics = tuple(f"{name} {event.values[name]:.4g}" for name in shown if name in event.values)
            self._fresh_metrics = True
        elif isinstance(event, Message):
            self._message(event)
        elif isinstance(event, Preview):
            self.last_preview = event.path

    def _message(self, event: Message) -> None:
        if not shows(event.level):
            return
        if self.live:  # printed above the live lines
            note(event.text, event.level)
        else:
            _plain(("warning: " if event.level == "warning" else "") + event.text)

    def _plain_progress(self, event: Progress) -> None:
        """A whole line when the engine logged new metrics, at a tenth of the way, or at the end."""
        now = time.monotonic()
        self._started.setdefault(event.unit, (now, event.step))
        last = self._printed.get(event.unit)
        if last == event.step:
            return
        every = max(1, int((event.total or 0) * self.PLAIN_FRACTION))
        interval_ended = self._fresh_metrics or (
            bool(event.total) and not self.metrics and event.step // every > (last or 0) // every
        )
        due = last is None or event.step == event.total
        if not due and not (interval_ended and now - self._printed_at >= self.PLAIN_SECONDS):
            return
        self._printed[event.unit], self._printed_at = event.step, now
        self._fresh_metrics = False
        parts = [event.stage or event.unit, f"{event.step}/{event.total or '?'}"]
        if event.total:
            parts.append(f"{100 * min(event.step, event.total) / event.total:.0f}%")
            parts.append(f"eta {clock(self._remaining(event, now))}")
        if event.rate:
            parts.append(f"{event.rate:.1f} {event.rate_unit}")
        parts.extend(self.metrics)
        _plain("  ".join(parts))

    def _remaining(self, event: Progress, now: float) -> float | None:
        """Seconds left at the pace since this unit was first seen; None until it has moved."""
        since, first = self._started[event.unit]
        if event.total is None or event.step <= first or now <= since:
            return 0.0 if event.total is not None and event.step >= event.total else None
        return (now - since) / (event.step - first) * (event.total - event.step)

    def _progress(self, event: Progress) -> None:
        key = event.unit
        description = event.stage or event.unit
        rate = f"{event.rate:.1f} {event.rate_unit}" if event.rate else ""
        if key not in self.tasks:
            self.tasks[key] = self.bar.add_task(
                description, total=event.total, rate=rate, metrics=(), completed=event.step
            )
        self.bar.update(
            self.tasks[key],
            completed=event.step,
            total=event.total,
            description=description,
            rate=rate,
            metrics=self.metrics,
        )


class _LineColumn(ProgressColumn):
    """The whole progress line as one column, laid out to the console's width as it is now."""

    def __init__(self, width: int | None = None) -> None:
        super().__init__()
        self.width = width  # fixed, for tests; None: the terminal's, read at every refresh

    def render(self, task: Task) -> Text:
        line = Line(
            stage=task.description,
            step=int(task.completed),
            total=int(task.total) if task.total else None,
            elapsed=task.elapsed,
            remaining=task.time_remaining if not task.finished else 0.0,
            rate=task.fields.get("rate", ""),
            metrics=tuple(task.fields.get("metrics", ())),
        )
        return layout(line, self.width or console.width)


# Ways a command is asked to end: Ctrl-C; kill, systemd, Docker, Slurm (SIGTERM); a closed terminal (SIGHUP)
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _plain(text: str) -> None:
    """One line on stderr, read at call time (quiet_backend_import may have replaced it)."""
    print(text, file=sys.stderr, flush=True)


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
def quiet_backend_import(backend: str) -> Iterator[None]:
    """Import Keras on ``backend`` (the command's ``--backend``), with TensorFlow's native log lines kept
    off the terminal.

    The command's engine runs in this process, so this process takes the backend
    its config names, just before Keras loads (a later call finds it loaded).
    TensorFlow writes start-up notices straight to file descriptor 2 at import
    and again at first use, before it reads ``TF_CPP_MIN_LOG_LEVEL``. So fd 2
    goes to /dev/null for the rest of the command, while Python's
    ``sys.stderr`` (our progress display, errors, tracebacks) keeps the real
    terminal through a duplicate of it. ``ARTGEN_DEBUG=1`` leaves fd 2 alone.
    """
    if not environment.debug() and not _muted:
        _mute_native_stderr()
    loaded, started = "keras" in sys.modules, time.perf_counter()
    environment.use_backend(backend)
    import keras

    if not loaded:
        took = time.perf_counter() - started
        note(f"Keras {keras.__version__} on {keras.backend.backend()} loaded in {took:.1f} s", "detail")
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


positive_int = _number(int, 1)  # options that are not config fields (-n of artgen jobs and eval)
