"""The style form, with the picture before any job starts: the fast method's, redrawn as you change it.

Each change to the photo, the paintings, their blend, the strength or the
colour switch asks the app's preview worker (:mod:`artgen.jobs.preview`)
for the ``--method fast`` picture at preview size, once the changes pause
for :data:`SETTLE` seconds. The worker answers in a thread, off the event
loop; only the newest request's answer is drawn, and a request overtaken
while it waited is never sent.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Select, Static, Switch

from artgen.images import IMAGE_EXTENSIONS
from artgen.jobs import JobKind
from artgen.jobs.preview import PREVIEW_SIDE, Painter, PreviewAnswer, PreviewRequest
from artgen.tui.screens.form import FormScreen
from artgen.tui.widgets.preview import Preview

__all__ = ["StyleFormScreen", "SETTLE"]

SETTLE = 0.3  # seconds without a change before the preview is asked for: typing "0.75" asks once
# what the preview depends on
READ = ("content", "styles", "style_blend", "strength", "preserve_colors", "backend", "max_pixels")


class PreviewPainted(Message):
    """The worker's answer to request number ``serial``, posted from the asking thread."""

    def __init__(self, serial: int, answer: PreviewAnswer, seconds: float) -> None:
        super().__init__()
        self.serial = serial
        self.answer = answer
        self.seconds = seconds  # the round trip, as the user waited for it


class StyleFormScreen(FormScreen):
    def __init__(self, kind: JobKind, values: dict[str, Any] | None = None) -> None:
        super().__init__(kind, values)
        self.serial = 0  # the newest request's number; answers to older ones are dropped
        self.asked: PreviewRequest | None = None
        self._settle: Timer | None = None
        self._asking = threading.Lock()  # one request at a time from this form

    def beside(self) -> ComposeResult:
        with Vertical(id="form-preview"):
            yield Preview(halfcell=self.app.halfcell_previews or self.app.is_web, id="preview")
            yield Static("", id="preview-status")

    def on_mount(self) -> None:
        super().on_mount()
        self._changed_preview()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def _changed_preview(self) -> None:
        if self._settle is not None:
            self._settle.stop()
        self._settle = self.set_timer(SETTLE, self.ask)

    def request(self) -> PreviewRequest | None:
        """The preview the form's entries describe, or None (and why, in the status) if they describe none."""
        values = self.values()
        wrong = [spec.label for spec in self.fields if spec.name in READ and spec.name in self.errors]
        if wrong:
            self._status(f"no preview until {wrong[0]} is usable")
            return None
        content = Path(values["content"]).expanduser()
        if content.suffix.lower() not in IMAGE_EXTENSIONS:
            self._status("the preview shows a single photo (not a folder or a clip)")
            return None
        return PreviewRequest(
            content=str(content),
            styles=tuple(str(Path(style).expanduser()) for style in values["styles"]),
            style_blend=values.get("style_blend"),
            strength=values["strength"],
            preserve_colors=values["preserve_colors"],
            backend=values["backend"],
            max_pixels=values["max_pixels"],
        )

    def ask(self) -> None:
        """Ask for the preview of what the form holds now, unless that is what was asked last."""
        request = self.request()
        if request is None:
            self.asked = None
            self.serial += 1  # whatever is still on its way is stale
            return
        if request == self.asked:
            return
        self.asked = request
        self.serial += 1
        painter = self.app.preview_painter()
        self._status("painting…" if painter.ready else "loading the network… (the first preview only)")
        serial = self.serial
        self.run_worker(lambda: self._paint(painter, serial, request), thread=True, exit_on_error=False)

    def _paint(self, painter: Painter, serial: int, request: PreviewRequest) -> None:
        with self._asking:
            if serial != self.serial:  # overtaken while waiting: its answer would be dropped anyway
                return
            started = time.perf_counter()
            answer = painter.paint(request)
        self.post_message(PreviewPainted(serial, answer, time.perf_counter() - started))

    def on_preview_painted(self, message: PreviewPainted) -> None:
        if message.serial != self.serial:
            return
        answer = message.answer
        if answer.path is None:
            self.asked = None  # the same entries may work once a file is fixed: ask again on a change
            self._status(f"no preview: {answer.error}", error=True)
            return
        self.query_one(Preview).show(answer.path, caption=f"--method fast at {PREVIEW_SIDE} px")
        self._status(f"painted in {message.seconds:.2f} s")

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#preview-status", Static)
        status.update(self.words(text))
        status.set_class(error, "error")
