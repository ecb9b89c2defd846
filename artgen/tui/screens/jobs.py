"""Every job: state, duration, output; keys to cancel, resume, re-run and open the output."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Header

from artgen.events import Event
from artgen.jobs import JobRecord
from artgen.tui.screens.base import JobView
from artgen.tui.widgets.footer import KeysFooter
from artgen.tui.widgets.job_table import JobTable

__all__ = ["JobsScreen", "JOB_BINDINGS"]


# The keys of every screen that points at a job (the app's actions read ``screen.selected_job``).
JOB_BINDINGS = [
    ("escape", "app.back", "Back"),
    ("c", "app.cancel_job", "Cancel"),
    ("r", "app.resume_job", "Resume"),
    ("e", "app.rerun_job", "Re-run"),
    ("o", "app.open_output", "Open"),  # its folder; short, so every key fits 80 columns
]


class JobsScreen(JobView):
    BINDINGS = JOB_BINDINGS

    def compose(self) -> ComposeResult:
        yield Header()
        yield JobTable(id="all-jobs")
        yield KeysFooter()

    @property
    def selected_job(self) -> str | None:
        return self.query_one(JobTable).selected_id

    def on_mount(self) -> None:
        self.refresh_jobs()

    def on_screen_resume(self) -> None:
        self.refresh_jobs()

    def refresh_jobs(self) -> None:
        self.query_one(JobTable).show(self.app.runner.jobs(), self.app.now())

    def job_changed(self, record: JobRecord, event: Event | None) -> None:
        table = self.query_one(JobTable)
        if record.id in table.rows:
            table.update_record(record, self.app.now())
        else:
            self.refresh_jobs()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_job(str(event.row_key.value))
