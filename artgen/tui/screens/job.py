"""The live view of one job: progress with the engine's own rate, an ETA, metrics chart, preview, log."""

from __future__ import annotations

import time
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Label, ProgressBar, RichLog

from artgen import events
from artgen.jobs import JobRecord
from artgen.jobs.format import duration, eta, rate, state_text
from artgen.tui.screens.base import JobView
from artgen.tui.screens.jobs import JOB_BINDINGS
from artgen.tui.widgets.footer import KeysFooter
from artgen.tui.widgets.loss_chart import LossChart
from artgen.tui.widgets.preview import Preview

__all__ = ["JobScreen"]

CHART_EVERY = 0.5  # seconds between looks at the metrics: plotting costs tens of ms, a step can take less


class JobScreen(JobView):
    BINDINGS = JOB_BINDINGS

    def __init__(self) -> None:
        super().__init__()
        self.job_id = ""
        self._pace_mark: tuple[float, int] | None = None  # (time, step) of the first progress seen
        self._steps_per_second: float | None = None  # for the ETA only: engines' rates count their own units

    @property
    def selected_job(self) -> str:
        return self.job_id

    def show_job(self, job_id: str) -> None:
        """Point the view at ``job_id`` (the app keeps one job view and retargets it)."""
        self.job_id = job_id
        self._pace_mark = None
        self._steps_per_second = None
        if self.is_current:  # a resume or re-run started from this view: no screen change to wait for
            self._fill()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="job"):
            yield Label("", id="job-title")
            with Horizontal(id="job-progress"):
                yield ProgressBar(total=None, show_eta=False, id="bar")
                yield Label("", id="job-stats")
            with Horizontal(id="job-panes"):
                yield LossChart(id="chart")
                yield Preview(halfcell=self.app.halfcell_previews, id="preview")
            yield RichLog(id="log", wrap=True, markup=False, max_lines=1000)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_interval(CHART_EVERY, self._update_chart)

    def on_screen_resume(self) -> None:
        """Only the visible screen hears about jobs, so catch up each time this one comes back."""
        self._fill()

    def _fill(self) -> None:
        """Everything about the job so far: its log, state, metrics and newest preview."""
        log = self.query_one(RichLog)
        log.clear()
        for level, text in self.app.runner.log(self.job_id):
            log.write(_styled(level, text))
        self.query_one(ProgressBar).update(total=None, progress=0)
        record = self.app.runner.get(self.job_id)
        if not record.preview:  # else redraw shows it (and keeps it, if it is the one already drawn)
            self.query_one(Preview).clear()
        self.redraw(record)
        self._update_chart()

    def _update_chart(self) -> None:
        """The chart when there are metrics; without any (a walk, a style job's first seconds) its
        space goes to the preview and the log rather than to an empty box."""
        points = self.app.runner.metrics(self.job_id)
        self.query_one("#job").set_class(not points, "no-metrics")
        self.query_one(LossChart).show(points)

    def job_changed(self, record: JobRecord, event: events.Event | None) -> None:
        if record.id != self.job_id:
            return
        if isinstance(event, events.Message):
            self.query_one(RichLog).write(_styled(event.level, event.text))
        if event is None and not record.active:
            ending = f"job {record.state}" + (f": {record.error}" if record.error else "")
            self.query_one(RichLog).write(_styled("info" if record.state == "done" else "warning", ending))
        self.redraw(record)

    def redraw(self, record: JobRecord) -> None:
        title = state_text(record)
        title.append(f"  {record.kind}  {record.id}", style="bold")
        if record.output:
            title.append(f"  → {record.output}")
        self.query_one("#job-title", Label).update(title)
        bar = self.query_one(ProgressBar)
        if record.total:
            bar.update(total=record.total, progress=record.step)
        self._measure(record)
        stats = [f"{record.step}/{record.total or '?'}", record.stage]
        if record.state == "running":
            stats.append(rate(self.app.runner.progress(record.id)))
            stats.append(f"eta {eta(record.step, record.total, self._steps_per_second)}")
        stats.append(duration(record.duration(self.app.now())))
        self.query_one("#job-stats", Label).update("  ".join(part for part in stats if part))
        if record.preview:
            self.query_one(Preview).show(record.preview, Path(record.preview).name)

    def _measure(self, record: JobRecord) -> None:
        """Steps per second since the first progress this view saw: what the ETA needs, whatever
        unit the engine's own rate counts (images, iterations, frames)."""
        if record.state != "running" or not record.step:
            return
        now = time.monotonic()
        if self._pace_mark is None:
            self._pace_mark = (now, record.step)
        elif now > self._pace_mark[0] and record.step > self._pace_mark[1]:
            self._steps_per_second = (record.step - self._pace_mark[1]) / (now - self._pace_mark[0])


def _styled(level: str, text: str) -> str | object:
    from rich.text import Text

    return Text(text, style="yellow" if level == "warning" else "")
