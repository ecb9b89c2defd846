"""What the studio needs of a job runner: :class:`artgen.jobs.Runner`, or a test's fake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from artgen.events import Metrics, Progress
from artgen.jobs import DeviceInfo, JobRecord, JobUpdate

__all__ = ["StudioRunner"]


class StudioRunner(Protocol):
    """The runner's public face, typed, so the app and its screens call it without guessing.

    Every query returns at once: the real runner never holds its lock across a spawn, a
    history write or a listener call, so the UI thread never waits on a job starting.
    """

    devices: DeviceInfo

    @property
    def notice(self) -> str | None: ...

    @property
    def runs_on(self) -> str | None: ...

    def jobs(self) -> list[JobRecord]: ...

    def get(self, job_id: str) -> JobRecord: ...

    def log(self, job_id: str) -> list[tuple[str, str]]: ...

    def progress(self, job_id: str) -> Progress | None: ...

    def gpu_jobs(self) -> dict[int, str]: ...

    def metrics(self, job_id: str) -> list[Metrics]: ...

    def log_file(self, job_id: str) -> Path: ...

    def waiting_for(self, job_id: str) -> str | None: ...

    def subscribe(self, listener: Callable[[JobUpdate], None]) -> Callable[[], None]: ...

    def submit(self, kind: str, config: dict[str, Any], device: str = "auto") -> JobRecord: ...

    def cancel(self, job_id: str) -> None: ...

    def resume(self, job_id: str) -> JobRecord: ...

    def rerun(self, job_id: str) -> JobRecord: ...

    def shutdown(self, timeout: float | None = None) -> None: ...
