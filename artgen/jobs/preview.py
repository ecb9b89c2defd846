"""The style form's picture before any job starts: the fast network, kept loaded in a child process.

The studio never imports TensorFlow itself (it starts in under a second and
stays responsive), so the network lives in :mod:`artgen.jobs.preview_worker`,
started on the first request and kept until the studio closes. Requests and
answers are JSON lines on its stdin and stdout: the first answer pays for
starting Python and TensorFlow, later ones for one pass of the network at
preview size. The child paints on the CPU, so the GPUs stay the jobs'.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from artgen.configs import MAX_PIXELS

__all__ = ["PREVIEW_SIDE", "PreviewRequest", "PreviewAnswer", "Painter", "PreviewWorker"]

PREVIEW_SIDE = 256  # the preview's long side: the network answers in a fraction of a second at this size
LOG_NAME = "worker.log"  # the child's stderr, in its folder: its last line says why it stopped
STOP_WAIT = 2.0  # seconds a closing studio waits for the child to end before killing it


@dataclass(frozen=True)
class PreviewRequest:
    """What the preview depends on: the photo, the paintings and how they are mixed, and the settings
    of the process that paints it (the style form's, as a job's would be)."""

    content: str
    styles: tuple[str, ...]
    style_blend: tuple[float, ...] | None = None
    strength: float = 1.0
    preserve_colors: bool = False
    size: int = PREVIEW_SIDE
    backend: str = "tensorflow"
    max_pixels: int = MAX_PIXELS

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, line: str) -> PreviewRequest:
        data: dict[str, Any] = json.loads(line)
        blend = data.get("style_blend")
        return cls(
            content=str(data["content"]),
            styles=tuple(str(style) for style in data["styles"]),
            style_blend=None if blend is None else tuple(float(w) for w in blend),
            strength=float(data.get("strength", 1.0)),
            preserve_colors=bool(data.get("preserve_colors", False)),
            size=int(data.get("size", PREVIEW_SIDE)),
            backend=str(data.get("backend", "tensorflow")),
            max_pixels=int(data.get("max_pixels", MAX_PIXELS)),
        )


@dataclass(frozen=True)
class PreviewAnswer:
    """A painted preview's PNG, or the one line that says why there is none; ``seconds`` the child's."""

    path: str | None = None
    error: str | None = None
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, line: str) -> PreviewAnswer:
        data: dict[str, Any] = json.loads(line)
        return cls(path=data.get("path"), error=data.get("error"), seconds=float(data.get("seconds", 0.0)))


class Painter(Protocol):
    """What the style form needs of a preview worker: the real one, or a test's fake."""

    @property
    def ready(self) -> bool: ...  # has answered once: the network is loaded

    def paint(self, request: PreviewRequest) -> PreviewAnswer: ...

    def close(self) -> None: ...


class PreviewWorker:
    """The child process, started on the first :meth:`paint` and again after it stops; thread-safe.

    ``paint`` blocks until the answer (call it off the event loop); requests
    are answered one at a time, in order. ``close`` may be called from any
    thread, while a request is in flight: that request gets an error. A request
    on another backend than the child's starts a new child: Keras loads one
    backend per process.
    """

    def __init__(self, command: list[str] | None = None) -> None:
        self._command = command or [sys.executable, "-m", "artgen.jobs.preview_worker"]
        self._lock = threading.Lock()  # one request on the pipe at a time
        self._process: subprocess.Popen[str] | None = None
        self._folder: Path | None = None
        self._closed = False
        self._ready = False
        self._backend: str | None = None  # the running child's

    @property
    def ready(self) -> bool:
        return self._ready

    def paint(self, request: PreviewRequest) -> PreviewAnswer:
        with self._lock:
            if self._closed:
                return PreviewAnswer(error="the studio is closing")
            if self._process is not None and request.backend != self._backend:
                self._stopped()
            process = self._process or self._start(request.backend)
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(request.to_json() + "\n")
                process.stdin.flush()
                line = process.stdout.readline()
            except (BrokenPipeError, OSError, ValueError):  # ValueError: closed meanwhile
                line = ""
            if not line:
                return PreviewAnswer(error=self._stopped())
            self._ready = True
            return PreviewAnswer.from_json(line)

    def _start(self, backend: str) -> subprocess.Popen[str]:
        self._backend = backend
        self._folder = Path(tempfile.mkdtemp(prefix="artgen-preview-"))
        with open(self._folder / LOG_NAME, "w") as log:
            self._process = subprocess.Popen(
                [*self._command, str(self._folder)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                bufsize=1,
            )
        return self._process

    def _stopped(self) -> str:
        """Why the child went away (its log's last line), with it reaped; the next request starts anew."""
        process, folder = self._process, self._folder
        self._process, self._ready = None, False
        if process is not None:
            _end(process)
        reason = _last_line(folder / LOG_NAME) if folder else ""
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        self._folder = None
        return "the preview worker stopped" + (f": {reason}" if reason and not self._closed else "")

    def close(self) -> None:
        """Stop the child and remove its folder (the previews in it were this worker's own)."""
        self._closed = True
        process = self._process
        if process is not None:
            _end(process)
        with self._lock:  # the request in flight, if any, has seen the end of the pipe
            if self._process is not None:
                self._stopped()


def _end(process: subprocess.Popen[str]) -> None:
    """Stop the child at once (it holds nothing to keep: each preview was written whole), then insist.

    Its output is closed last: a thread may be reading it, and closing it would wait for that read.
    """
    _close_quietly(process.stdin)
    process.terminate()
    try:
        process.wait(STOP_WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _close_quietly(process.stdout)


def _close_quietly(stream: IO[str] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""
