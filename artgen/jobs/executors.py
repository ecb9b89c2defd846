"""Where the runner's jobs execute: this machine's child processes (the default) or a cluster.

The runner owns the queue, the records and the history; an executor only
starts a job somewhere and carries its messages back. Messages are the
worker's ``(tag, payload)`` tuples (see :mod:`artgen.jobs.worker`), so a job
reads the same to the studio and ``artgen jobs`` wherever it ran.
"""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventFlag
from pathlib import Path
from typing import Any, Protocol

from artgen.jobs.devices import DeviceInfo
from artgen.jobs.worker import run_job

__all__ = ["Launch", "Execution", "Executor", "LocalExecutor", "LocalExecution", "death"]


@dataclass(frozen=True)
class Launch:
    """One engine call to start: what the runner hands an executor."""

    job_id: str
    engine: str  # "module:function"
    config_class: type  # the kind's config dataclass
    config: dict[str, Any]
    device: str  # "cpu" or "gpu"
    visible: str | None = None  # the one local GPU the child may see (CUDA_VISIBLE_DEVICES)
    log_path: str | None = None  # the child's stdout and stderr


class Execution(Protocol):
    """A started job, polled by the runner's monitor thread (never blocking it)."""

    placement: str  # where it runs, for the job list: "gpu:1", "cpu", "ray gpu:0 @ 10.0.0.7"
    pid: int | None

    def finished(self) -> bool:
        """Its process or task has ended; every message it sent can then be received."""

    def receive(self) -> list[tuple[str, Any]]:
        """The messages that have arrived since the last call, oldest first."""

    def stop(self) -> None:
        """Ask the engine to stop at its next step (a training run checkpoints)."""

    def kill(self) -> None:
        """End it now: the job did not stop in time."""

    def death(self) -> str:
        """Why it ended without a result, in a line for the user."""

    def waitables(self) -> list[Any]:
        """Objects ``multiprocessing.connection.wait`` can wake on; empty: the runner polls."""


class Executor(Protocol):
    """Starts jobs. ``schedules_itself``: it queues jobs for its own resources (a cluster), so the
    runner hands it every job at once instead of keeping one per local GPU."""

    name: str
    schedules_itself: bool
    where: str | None  # a line naming the cluster jobs go to; None for this machine

    def check_device(self, device: str, local: DeviceInfo) -> None:
        """Raise :class:`InputError` unless jobs may ask for ``device`` here."""

    def check_outputs(self, folders: list[Path]) -> None:
        """Raise :class:`InputError` unless a job can write ``folders`` where the user will read them."""

    def start(self, launch: Launch, placement: str) -> Execution: ...

    def close(self) -> None: ...


class LocalExecution:
    """A spawned child process and the read end of its pipe."""

    def __init__(self, process: BaseProcess, conn: Connection, stop_flag: EventFlag, placement: str) -> None:
        self.process = process
        self.conn = conn
        self.stop_flag = stop_flag
        self.placement = placement

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def finished(self) -> bool:
        if self.process.is_alive():
            return False
        self.process.join()
        return True

    def receive(self) -> list[tuple[str, Any]]:
        messages = []
        try:
            while self.conn.poll():
                messages.append(self.conn.recv())
        except (EOFError, OSError):
            pass
        return messages

    def stop(self) -> None:
        self.stop_flag.set()

    def kill(self) -> None:
        self.process.kill()

    def death(self) -> str:
        return death(self.process.exitcode)

    def waitables(self) -> list[Any]:
        return [self.conn, self.process.sentinel]


class LocalExecutor:
    """Each job in a spawned child process on this machine: the app never freezes, a backend's
    memory goes back to the system when the job ends, and a crash takes down only that job."""

    name = "local"
    schedules_itself = False
    where = None

    def __init__(self) -> None:
        self._context = mp.get_context("spawn")

    def check_device(self, device: str, local: DeviceInfo) -> None:
        local.check(device)

    def check_outputs(self, folders: list[Path]) -> None:
        """This machine writes its own outputs."""

    def start(self, launch: Launch, placement: str) -> LocalExecution:
        reader, writer = self._context.Pipe(duplex=False)
        stop_flag = self._context.Event()
        process = self._context.Process(
            target=run_job,
            args=(
                launch.engine,
                launch.config_class,
                launch.config,
                launch.device,
                writer,
                stop_flag,
                launch.log_path,
                launch.visible,
            ),
            name=f"artgen-job-{launch.job_id}",
        )
        try:
            process.start()
        finally:
            writer.close()  # the child holds the only writer now, so its death reads as EOF
        return LocalExecution(process, reader, stop_flag, placement)

    def close(self) -> None:
        """Nothing outlives the jobs."""


def death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"the job's process was killed (signal {-exitcode})"
    return f"the job's process exited unexpectedly (exit code {exitcode})"
