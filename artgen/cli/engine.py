"""Where a command's engine runs: in this process, or as a job on a Ray cluster.

``--cluster ADDRESS`` (or ``$ARTGEN_RAY_ADDRESS``) sends the engine call to
the cluster through the job runner and its Ray executor, the studio's own
path, so the job is in the history (``artgen jobs``) like one started there.
The terminal sees what it would see of a local run: the engine's progress
and messages as they come, the same result lines on stdout, the same exit
status. Ctrl-C asks the job to stop at its next step (a training run
checkpoints); a second one cancels the Ray task at once.
"""

from __future__ import annotations

import argparse
import pickle
import queue
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from artgen import environment
from artgen.cli.common import EventRenderer, StopRequest, note, quiet_backend_import
from artgen.cli.history import recorded
from artgen.errors import DependencyError, Fault, InputError
from artgen.events import Event, OnEvent

if TYPE_CHECKING:
    from artgen.jobs import JobRecord, JobUpdate, Runner

__all__ = ["cluster", "run_engine", "Remote"]

WAIT = 0.1  # seconds between looks at Ctrl-C while a cluster job runs


def cluster(args: argparse.Namespace) -> str | None:
    """The Ray address to send this command's engine to: ``--cluster``, else ``$ARTGEN_RAY_ADDRESS``."""
    return getattr(args, "cluster", None) or environment.read("ARTGEN_RAY_ADDRESS")


def run_engine(
    args: argparse.Namespace,
    kind: str,
    config: Any,
    metrics: tuple[str, ...] = (),
    shown: Callable[[Event], bool] | None = None,
) -> Any:
    """The engine of job kind ``kind`` called on ``config``, here or on the cluster; its result.

    Either way the run is in the job history: here as this command's record (unless
    ``--no-history``), on a cluster as the runner's job. ``metrics``: the metric names the
    progress line shows, in order of importance. ``shown``: which events reach the terminal
    (default: all).
    """
    from artgen.jobs.kinds import get, resolve

    address = cluster(args)
    # Connecting and importing come first: until the engine runs, Ctrl-C ends the command at once.
    remote = Remote(address) if address is not None else None
    if remote is None:
        with quiet_backend_import(config.backend):
            engine = resolve(get(kind).engine)
    with StopRequest() as stop, EventRenderer(metrics) as render:
        on_event = render if shown is None else lambda event: shown(event) and render(event)
        if remote is not None:
            return remote.run(kind, config, on_event, stop, getattr(args, "device", "auto"))
        with recorded(args, kind, config) as history:
            result = engine(history.config, history.relay(on_event), stop)
            history.finished(result)
        return result


class Remote:
    """One command's job on a Ray cluster, followed from here until it ends."""

    def __init__(self, address: str) -> None:
        try:
            from artgen.jobs.ray_executor import RayExecutor
        except ImportError:
            raise DependencyError(
                "--cluster needs Ray on this machine: pip install 'artgen[cluster]'"
            ) from None
        from artgen.jobs import HistoryStore, Runner

        note(f"connecting to the Ray cluster at {address}…")
        self.runner: Runner = Runner(HistoryStore(), executor=RayExecutor(address), role="cli")
        if self.runner.notice:
            note(self.runner.notice, "warning")

    def run(self, kind: str, config: Any, render: OnEvent, stop: StopRequest, device: str) -> Any:
        updates: queue.Queue[JobUpdate] = queue.Queue()
        unsubscribe = self.runner.subscribe(updates.put)
        try:
            record = self.runner.submit(kind, config.to_dict(), device)
            note(f"job {record.id} sent to the {self.runner.runs_on}")
            record = self._follow(record, updates, render, stop)
            return self._result(record, config.backend)
        finally:
            unsubscribe()
            self.runner.shutdown(timeout=0 if stop.requested else None)

    def _follow(
        self, record: JobRecord, updates: queue.Queue[JobUpdate], render: OnEvent, stop: StopRequest
    ) -> JobRecord:
        """Show the job's events until it ends; Ctrl-C asks it to stop (a second one raises here)."""
        placement, asked = record.placement, False
        while record.active:
            if stop.requested and not asked:
                self.runner.cancel(record.id)
                asked = True
            try:
                update = updates.get(timeout=WAIT)
            except queue.Empty:
                continue
            if update.record.id != record.id:
                continue
            record = update.record
            if update.event is not None:
                render(update.event)
            if record.placement != placement and not record.placement.endswith("(waiting)"):
                placement = record.placement
                note(f"running on {placement}")
        return record

    def _result(self, record: JobRecord, backend: str) -> Any:
        """The engine's result, as a local call would have returned it; a failure as the error it was."""
        outcome = self.runner.outcome(record.id) or {}
        if record.state == "failed" or "message" in outcome:
            message = outcome.get("message") or record.error or "the job failed"
            if outcome.get("traceback"):  # a bug: its traceback is in the job's log
                raise Fault(
                    f"internal error in job {record.id}: {message} (its log: artgen jobs {record.id})"
                )
            raise (InputError if outcome.get("status", 1) == 2 else Fault)(message)
        value = outcome.get("value")
        if value is None:
            raise Fault(
                f"job {record.id} ended ({record.state}) without a result; see artgen jobs {record.id}"
            )
        with quiet_backend_import(backend):  # the result's class may live beside its engine, with Keras
            return pickle.loads(value)
