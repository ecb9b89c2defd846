"""What the runner knows about a job, as plain data the UI and the history share."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "JobState",
    "JobRecord",
    "ACTIVE_STATES",
    "FINAL_STATES",
    "new_job_id",
    "planned_outputs",
    "ending_line",
]

# "stopping": asked to stop, not yet stopped (a training run is writing its checkpoint)
JobState = Literal["queued", "running", "stopping", "done", "failed", "cancelled"]
ACTIVE_STATES: tuple[JobState, ...] = ("queued", "running", "stopping")
FINAL_STATES: tuple[JobState, ...] = ("done", "failed", "cancelled")


def new_job_id() -> str:
    """Sortable and readable: ``20261123-101500-3f2a``."""
    import secrets

    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


@dataclass(frozen=True)
class JobRecord:
    """One job: its engine call, where it got to, and what it left behind.

    Frozen so a record handed to the UI thread can never change under it;
    the runner replaces records instead of mutating them.
    """

    id: str
    kind: str
    config: dict[str, Any]
    device: str = "auto"
    state: JobState = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    step: int = 0
    total: int | None = None
    stage: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    preview: str | None = None
    resumable: bool = False
    placement: str | None = None  # where it runs or ran: "cpu", "gpu:1", "ray gpu:0 @ 10.0.0.7"
    owner: str | None = None  # the process that keeps this record (artgen.jobs.owners.Owner.text())

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def duration(self, now: float | None = None) -> float | None:
        """Seconds it ran (so far, while running); None before it starts."""
        if self.started is None:
            return None
        end = self.finished if self.finished is not None else (now if now is not None else time.time())
        return max(0.0, end - self.started)

    @property
    def run_dir(self) -> str | None:
        """The run directory this job writes, if its kind has one: resumes share their run's."""
        value = self.config.get("run_dir")
        return str(value) if value else None

    @property
    def output(self) -> str | None:
        """The output worth pointing at first: a run directory, else the first file."""
        for key in ("run_dir", "out", "path"):
            if key in self.outputs:
                return self.outputs[key]
        return next(iter(self.outputs.values()), None)

    def replace(self, **changes: Any) -> JobRecord:
        return dataclasses.replace(self, **changes)


def planned_outputs(config: dict[str, Any]) -> dict[str, str]:
    """Where a job will write, known before it starts: shown while it runs, and after a crash."""
    return {key: str(config[key]) for key in ("run_dir", "out", "output") if config.get(key)}


def ending_line(record: JobRecord) -> str:
    """The last line of a finished job's log: how it ended, and why if it did not end well."""
    return f"job {record.state}" + (f": {record.error}" if record.error else "")
