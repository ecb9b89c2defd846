"""A command run in a shell, kept in the job history like a studio's job.

``artgen train`` and the other engine commands write their run into the
history as it goes: a record when it starts, its progress every few seconds,
its log, and how it ended. So ``artgen jobs`` lists it, every open studio
shows it within a second or two, and a studio can re-run or resume it. The
record names this process (:mod:`artgen.jobs.owners`), so a run that was
killed reads as interrupted, not as running forever.

Keeping the history must never cost the run itself: a history that cannot be
opened or is busy is passed over (said once), and writes are few.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from artgen.errors import ArtgenError
from artgen.events import Event, Message, OnEvent, Preview, Progress
from artgen.jobs import kinds as job_kinds
from artgen.jobs.owners import this_process
from artgen.jobs.records import JobRecord, ending_line, new_job_id, planned_outputs
from artgen.jobs.store import HistoryStore
from artgen.jobs.worker import result_outputs

__all__ = ["Recording", "SAVE_EVERY", "HISTORY_WAIT"]

SAVE_EVERY = 2.0  # seconds between progress writes: a command may report hundreds of steps a second
HISTORY_WAIT = 0.5  # seconds to wait for a busy history before passing over one write


class Recording:
    """The history record of one command's run; a context manager around the engine call.

    ``config`` is the engine's config; :attr:`config` is the one to run, which
    differs only where the kind names an output before it starts (a training
    run's directory, as the studio names it), so the record can point there
    while the run goes on. ``describe`` turns the exception that ended a run
    into the line the user was shown.
    """

    def __init__(
        self,
        kind: str,
        config: Any,
        *,
        device: str = "auto",
        enabled: bool = True,
        describe: Callable[[BaseException], str] = str,
    ) -> None:
        self.kind = job_kinds.get(kind)
        self.enabled = enabled
        self.describe = describe
        self.device = device
        self.notice: str | None = None  # a line for the user about the history (why the run is not in it)
        self.config = self._named(config) if enabled else config
        self._store: HistoryStore | None = None
        self._record: JobRecord | None = None
        self._lines: list[tuple[str, str]] = []
        self._saved = float("-inf")
        self._result: Any = None

    def _named(self, config: Any) -> Any:
        """The config with the outputs the kind names before a job starts (its run directory)."""
        named = job_kinds.prepare(self.kind, config.to_dict())
        fixed = {key: value for key, value in named.items() if getattr(config, key, None) in (None, "")}
        return dataclasses.replace(config, **fixed) if fixed else config

    def __enter__(self) -> Recording:
        if not self.enabled:
            return self
        values = job_kinds.absolute_paths(self.kind, self.config.to_dict())
        now = time.time()
        record = JobRecord(
            new_job_id(),
            self.kind.name,
            values,
            device=self.device,
            state="running",
            created=now,
            started=now,
            outputs=planned_outputs(values),
            placement="command line",
            owner=this_process("cli").text(),
        )
        try:
            self._store = HistoryStore(wait=HISTORY_WAIT)
        except ArtgenError as exc:
            self.notice = f"this run is not kept in the job history: {exc}"
            return self
        self.notice = self._store.notice  # a damaged history was moved aside
        self._record = record
        self._write(force=True)
        return self

    def relay(self, on_event: OnEvent) -> OnEvent:
        """``on_event`` that also keeps the run's progress, previews and log lines."""

        def relayed(event: Event) -> None:
            on_event(event)
            self.note(event)

        return relayed

    def note(self, event: Event) -> None:
        if self._record is None:
            return
        if isinstance(event, Progress):
            self._record = self._record.replace(step=event.step, total=event.total, stage=event.stage)
        elif isinstance(event, Preview):
            self._record = self._record.replace(preview=event.path)
        elif isinstance(event, Message):
            self._lines.append((event.level, event.text))
        self._write()

    def finished(self, result: Any) -> None:
        """The engine's result: what it wrote, and whether it was stopped before the end."""
        self._result = result

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self._record is None:
            return
        if exc is None:
            stopped = bool(getattr(self._result, "stopped", False))
            # absolute, as the studio's are: the history is read from other folders
            written = {name: os.path.abspath(path) for name, path in result_outputs(self._result).items()}
            outputs = written or self._record.outputs
            state, error = ("cancelled", None) if stopped else ("done", None)
            self._record = self._record.replace(outputs=outputs)
        elif isinstance(exc, KeyboardInterrupt):
            state, error = "cancelled", "interrupted"
        else:
            state, error = "failed", self.describe(exc)
        self._record = self._record.replace(state=state, error=error, finished=time.time())
        self._lines.append(("info" if state == "done" else "warning", ending_line(self._record)))
        self._write(force=True)

    def _write(self, force: bool = False) -> None:
        """Save the record and new log lines, at most every :data:`SAVE_EVERY` seconds unless ``force``."""
        now = time.monotonic()
        if self._store is None or self._record is None or (not force and now - self._saved < SAVE_EVERY):
            return
        self._saved = now
        try:
            self._store.save(self._record)
            self._store.add_log(self._record.id, self._lines)
        except (ArtgenError, sqlite3.Error, OSError):
            return  # busy or gone for now: the next write brings the record up to date
        self._lines = []
