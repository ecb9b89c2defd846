"""A table of jobs, shared by the home screen (recent jobs) and the job list."""

from __future__ import annotations

from textual.widgets import DataTable

from artgen.jobs import JobRecord
from artgen.jobs.format import duration, state_text, where_text

__all__ = ["JobTable", "by_run"]

RESUME_MARK = "↳ "
CLOCK_EVERY = 1.0  # seconds between redraws of running jobs' times, which move with no event to say so


class JobTable(DataTable):
    """One row per job, keyed by job id, so updates change rows in place.

    Jobs that continue one run (resumes) sit under the job that started it,
    marked ``↳``; runs are ordered by their newest job. Columns grow with
    their content ("running 100%", a long path), never cutting it.
    """

    COLUMNS = ("job", "kind", "state", "where", "took", "output")

    def __init__(self, *, limit: int | None = None, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.limit = limit
        self._running: dict[str, JobRecord] = {}  # the rows whose time moves

    def on_mount(self) -> None:
        for column in self.COLUMNS:
            self.add_column(column, key=column)
        self.set_interval(CLOCK_EVERY, self._tick)

    def _tick(self) -> None:
        if not self.screen.is_current:
            return
        now = self.app.now()
        for job_id, record in list(self._running.items()):
            if job_id in self.rows:
                self.update_cell(job_id, "took", duration(record.duration(now)), update_width=True)

    def show(self, records: list[JobRecord], now: float | None = None) -> None:
        """Redraw with ``records`` (newest first), keeping the cursor on the same job."""
        selected = self.selected_id
        self.clear()
        self._running = {}
        ordered = by_run(records)
        for record, resumes in ordered[: self.limit] if self.limit else ordered:
            self.add_row(*self._cells(record, now, resumes), key=record.id)
            self._keep_time(record)
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected))

    def update_record(self, record: JobRecord, now: float | None = None) -> None:
        if record.id not in self.rows:
            return
        resumes = str(self.get_cell(record.id, "kind")).startswith(RESUME_MARK)
        for column, value in zip(self.COLUMNS, self._cells(record, now, resumes), strict=True):
            self.update_cell(record.id, column, value, update_width=True)
        self._keep_time(record)

    def _keep_time(self, record: JobRecord) -> None:
        if record.state in ("running", "stopping"):
            self._running[record.id] = record
        else:
            self._running.pop(record.id, None)

    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return key.value

    @staticmethod
    def _cells(record: JobRecord, now: float | None, resumes: bool = False) -> tuple[object, ...]:
        output = record.error if record.state == "failed" else record.output or ""
        kind = RESUME_MARK + record.kind if resumes else record.kind
        where = where_text(record)
        return (record.id, kind, state_text(record), where, duration(record.duration(now)), output or "")


def by_run(records: list[JobRecord]) -> list[tuple[JobRecord, bool]]:
    """``(record, is_a_resume)`` with each run's jobs together, oldest first under the one that
    started it; runs ordered by their newest job, as ``records`` (newest first) are."""
    runs: dict[str, list[JobRecord]] = {}
    for record in records:
        runs.setdefault(record.run_dir or record.id, []).append(record)
    ordered = []
    for jobs in runs.values():
        jobs = sorted(jobs, key=lambda job: (job.created, job.id))
        ordered += [(job, index > 0) for index, job in enumerate(jobs)]
    return ordered
