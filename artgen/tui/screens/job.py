"""The live view of one job: progress with the engine's own rate, an ETA, metrics chart, preview, log.

A job that did not end well says why at the top: its error, where its
traceback was kept, and the ``artgen`` command that runs it again from a
shell; its bar stands still and no output is pointed at that was never written.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Label, ProgressBar, RichLog, Static

from artgen import events
from artgen.jobs import JobRecord
from artgen.jobs.format import command_text, duration, eta, rate, state_text
from artgen.jobs.history import latest_picture
from artgen.tui.screens.base import JobView
from artgen.tui.screens.jobs import JOB_BINDINGS
from artgen.tui.widgets.footer import KeysFooter
from artgen.tui.widgets.loss_chart import LossChart
from artgen.tui.widgets.preview import Preview

__all__ = ["JobScreen", "problem_text"]

CHART_EVERY = 0.5  # seconds between looks at the metrics: plotting costs tens of ms, a step can take less
CLOCK_EVERY = 1.0  # seconds between redraws of a live job's time, which moves while no event comes
TRACEBACK = "Traceback (most recent call last)"


class JobScreen(JobView):
    BINDINGS = JOB_BINDINGS

    def __init__(self) -> None:
        super().__init__()
        self.job_id = ""
        self._pace_mark: tuple[float, int] | None = None  # (time, step) of the first progress seen
        self._steps_per_second: float | None = None  # for the ETA only: engines' rates count their own units
        self._traceback = False  # the job's log holds a traceback (kept in its log file too)
        self._earlier_picture: str | None = None  # what the job's run drew before it (a resume's grids)

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
            yield Static("", id="job-output")
            yield Static("", id="job-problem")
            with Horizontal(id="job-progress"):
                yield ProgressBar(total=None, show_eta=False, id="bar")
                yield Label("", id="job-stats")
            with Horizontal(id="job-panes"):
                yield LossChart(id="chart")
                # a browser (artgen serve) draws text cells only: pictures as coloured half-blocks there
                halfcell = self.app.halfcell_previews or self.app.is_web
                yield Preview(halfcell=halfcell, id="preview")
            yield RichLog(id="log", wrap=True, markup=False, max_lines=1000)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_interval(CHART_EVERY, self._update_chart)
        self.set_interval(CLOCK_EVERY, self._tick)

    def on_screen_resume(self) -> None:
        """Only the visible screen hears about jobs, so catch up each time this one comes back."""
        self._fill()

    def _fill(self) -> None:
        """Everything about the job so far: its log (ending with how it ended), state, metrics, preview."""
        log = self.query_one(RichLog)
        log.clear()
        lines = self.app.runner.log(self.job_id)
        for level, text in lines:
            log.write(_styled(level, text))
        self._traceback = any(TRACEBACK in text for _, text in lines)
        self.query_one(ProgressBar).update(total=None, progress=0)
        record = self.app.runner.get(self.job_id)
        earlier = latest_picture(record.run_dir) if record.run_dir and not record.preview else None
        self._earlier_picture = str(earlier) if earlier else None
        if not (record.preview or earlier):  # else redraw shows it (and keeps it, if it is the one drawn)
            self.query_one(Preview).clear()
        self.redraw(record)
        self._update_chart()

    def _update_chart(self) -> None:
        """The chart when there are metrics; without any (a walk, a style job's first seconds) its
        space goes to the preview and the log rather than to an empty box."""
        points = self.app.runner.metrics(self.job_id)
        self.query_one("#job").set_class(not points, "no-metrics")
        self.query_one(LossChart).show(points)

    def _tick(self) -> None:
        """A running job's time and a queued one's wait, which change with no event to say so."""
        if self.job_id and self.is_current:
            record = self.app.runner.get(self.job_id)
            if record.active:
                self._show_stats(record)

    def job_changed(self, record: JobRecord, event: events.Event | None) -> None:
        if record.id != self.job_id:
            return
        if isinstance(event, events.Message):
            self.query_one(RichLog).write(_styled(event.level, event.text))
            self._traceback = self._traceback or TRACEBACK in event.text
        self.redraw(record)

    def redraw(self, record: JobRecord) -> None:
        title = state_text(record)
        title.append(f"  {record.kind}  {record.id}", style="bold")
        self.query_one("#job-title", Label).update(title)
        output = self.query_one("#job-output", Static)
        shown = _output_line(record)
        output.update(shown)
        output.display = bool(shown)
        problem = self.query_one("#job-problem", Static)
        text = problem_text(record, self._traceback_file(record))
        problem.update(text or "")
        problem.display = text is not None
        problem.set_class(record.state == "failed", "failed")
        self._show_bar(record)
        self._measure(record)
        self._show_stats(record)
        picture = record.preview or self._earlier_picture
        if picture:
            self.query_one(Preview).show(picture, Path(picture).name)
        no_picture = not record.active and self.query_one(Preview).path is None
        self.query_one("#job").set_class(no_picture, "no-preview")

    def _traceback_file(self, record: JobRecord) -> Path | None:
        """Where the job's traceback was kept, if it left one."""
        if not self._traceback or record.active:
            return None
        path = self.app.runner.log_file(record.id)
        return path if path.is_file() else None

    def _show_bar(self, record: JobRecord) -> None:
        """Live: the job's progress (an animation while its length is unknown); ended: standing still."""
        bar = self.query_one(ProgressBar)
        if record.active:
            if record.total:
                bar.update(total=record.total, progress=record.step)
            return
        total = record.total or max(record.step, 1)
        bar.update(total=total, progress=total if record.state == "done" else min(record.step, total))

    def _show_stats(self, record: JobRecord) -> None:
        if record.state == "queued":
            stats = [self.app.runner.waiting_for(record.id) or "queued"]
        else:
            stats = [f"{record.step}/{record.total or '?'}", record.stage]
            if record.state == "running":
                stats.append(rate(self.app.runner.progress(record.id)))
                stats.append(f"eta {eta(record.step, record.total, self._steps_per_second)}")
            stats.append(duration(record.duration(self.app.now())))
        self.query_one("#job-stats", Label).update("  ".join(part for part in stats if part))

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


def _output_line(record: JobRecord) -> str:
    """Where the job writes; for one that ended badly, only an output that is there."""
    output = record.output
    if not output:
        return ""
    if record.active:
        return f"output: {output}"
    if record.state != "done" and not Path(output).exists():
        return ""
    return f"output: {output}"


def problem_text(record: JobRecord, traceback: Path | None = None) -> Text | None:
    """Why a job did not end well, where its traceback is, and the command that runs it from a shell."""
    if record.active or not record.error:
        return None
    text = Text()
    text.append("error: ", style="bold").append(record.error)
    if traceback is not None:
        text.append("\ntraceback: ", style="bold").append(str(traceback))
    if command := command_text(record):
        text.append("\nfrom a shell: ", style="bold").append(command)
    return text


def _styled(level: str, text: str) -> Text:
    return Text(text, style="yellow" if level == "warning" else "")
