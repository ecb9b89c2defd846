"""The screens that show jobs: the app tells the visible one of each job change."""

from __future__ import annotations

from textual.screen import Screen

from artgen.events import Event
from artgen.jobs import JobRecord

__all__ = ["JobView"]


class JobView(Screen):
    """A screen about jobs. The app calls :meth:`job_changed` while it is shown, and its job
    actions (cancel, resume, re-run, open the output) act on :attr:`selected_job`."""

    @property
    def selected_job(self) -> str | None:
        """The job the screen points at, if any."""
        return None

    def job_changed(self, record: JobRecord, event: Event | None) -> None:
        """``record`` changed, because of ``event`` (None for a state change)."""
