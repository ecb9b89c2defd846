"""A table of jobs, shared by the home screen (recent jobs) and the job list."""

from __future__ import annotations

from textual.widgets import DataTable

from artgen.jobs import JobRecord
from tui.format import duration, state_text

__all__ = ["JobTable"]


class JobTable(DataTable):
    """One row per job, keyed by job id, so updates change rows in place."""

    COLUMNS = ("job", "kind", "state", "took", "output")

    def __init__(self, *, limit: int | None = None, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.limit = limit

    def on_mount(self) -> None:
        for column in self.COLUMNS:
            self.add_column(column, key=column)

    def show(self, records: list[JobRecord], now: float | None = None) -> None:
        """Redraw with ``records`` (newest first), keeping the cursor on the same job."""
        selected = self.selected_id
        self.clear()
        for record in records[: self.limit] if self.limit else records:
            self.add_row(*self._cells(record, now), key=record.id)
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected))

    def update_record(self, record: JobRecord, now: float | None = None) -> None:
        if record.id not in self.rows:
            return
        for column, value in zip(self.COLUMNS, self._cells(record, now), strict=True):
            self.update_cell(record.id, column, value)

    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return key.value

    @staticmethod
    def _cells(record: JobRecord, now: float | None) -> tuple[object, ...]:
        output = record.error if record.state == "failed" else record.output or ""
        return (record.id, record.kind, state_text(record), duration(record.duration(now)), output or "")
