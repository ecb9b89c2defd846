"""The job runner: a queue of engine calls, each in its own child process or cluster task.

A child per job means the app never freezes, TensorFlow's memory goes back
to the system when the job ends, and a crash takes down only that job. An
executor starts them (:mod:`artgen.jobs.executors`: local child processes by
default, or Ray tasks on a cluster). One monitor thread watches every job's
messages, turns them into record updates and tells subscribers (the app
posts them to its event loop; the CLI could print them).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from artgen.errors import ArtgenError, InputError
from artgen.events import Event, Message, Metrics, Preview, Progress
from artgen.jobs import kinds as job_kinds
from artgen.jobs.devices import DeviceInfo, DeviceProbe, parse_device, visible_devices
from artgen.jobs.executors import Execution, Executor, Launch, LocalExecutor
from artgen.jobs.history import RunHistory
from artgen.jobs.owners import Owner, Role, this_process
from artgen.jobs.prepare import next_free
from artgen.jobs.records import JobRecord, ending_line, new_job_id, planned_outputs
from artgen.jobs.store import HistoryStore

__all__ = ["Runner", "JobUpdate", "Listener"]

METRICS_KEPT = 5000  # points per job kept for the live chart
SAVE_EVERY = 1.0  # seconds between progress writes to the history
DEVICE_REFRESH = 2.0  # seconds between device probes (memory, utilisation) while a probe is given
HISTORY_POLL = 1.0  # seconds between looks at what other processes wrote to the history


@dataclass(frozen=True)
class JobUpdate:
    """A job changed: its new record and the event that changed it (None for a state change)."""

    record: JobRecord
    event: Event | None = None


Listener = Callable[[JobUpdate], None]


@dataclass
class _Live:
    """What the monitor thread tracks for a running job."""

    execution: Execution
    slot: str
    outcome: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    kill_at: float | None = None
    last_save: float = 0.0
    log: list[tuple[str, str]] = field(default_factory=list)  # every line this job has logged
    saved: int = 0  # how many of ``log`` are in the history
    concluded: bool = False  # its final state is known (the result came); the process may still be exiting
    stop_asked: bool = False


class Runner:
    """Queues jobs, runs them in child processes, and keeps their history.

    ``slots`` bounds how many jobs run at once per device: one job per GPU
    (two TensorFlow processes fighting over one GPU's memory helps nobody),
    each child seeing only its own GPU, so a machine's GPUs run jobs side by
    side; and, by default, one CPU job, since a training run already uses
    every core. A job asking for ``auto`` or ``gpu`` gets the free GPU with
    the most free memory; ``gpu:N`` waits for GPU N. The rest wait in the
    order they were queued, and a job that cannot start does not hold back
    one behind it that can.

    ``probe`` (e.g. :func:`artgen.jobs.devices.probe_devices`) is asked for
    fresh device facts on the monitor thread, every :data:`DEVICE_REFRESH`
    seconds and before a GPU is picked, so ``devices`` stays live for the
    studio without a probe on its UI thread.

    Other processes share the history: another studio, a command run in a
    shell (``artgen train`` records its run there). The monitor thread reads
    what they wrote every :data:`HISTORY_POLL` seconds and tells subscribers,
    so every studio lists every job; a job whose process is gone is written
    down as interrupted by whichever reader sees it first.

    The lock guards only the runner's own dictionaries and lists, and is
    never held across slow work: spawning a process, writing the history,
    reading a file or calling a listener all happen outside it, so the
    studio's queries (on its UI thread) never wait behind a job starting.
    """

    def __init__(
        self,
        store: HistoryStore | None = None,
        devices: DeviceInfo | None = None,
        *,
        probe: DeviceProbe | None = None,
        executor: Executor | None = None,
        slots: dict[str, int] | None = None,
        stop_timeout: float = 30.0,
        logs_dir: str | Path | None = None,
        role: Role = "studio",
    ) -> None:
        self.store = store or HistoryStore()
        self.devices = devices or DeviceInfo()
        self.probe = probe
        self._probed = float("-inf")
        self.slots = {"cpu": 1, "gpu": 1, **(slots or {})}
        self.stop_timeout = stop_timeout
        self.logs_dir = Path(logs_dir) if logs_dir else self.store.path.parent / "logs"
        self.executor: Executor = executor or LocalExecutor()
        # The tracker that cleans up the children's semaphores is started by handing it our stderr; a
        # Textual app replaces sys.stderr with an object that has no real file descriptor, so start it now.
        resource_tracker.ensure_running()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._records: dict[str, JobRecord] = {}
        self._queue: list[str] = []
        self._starting: dict[str, str] = {}  # job id -> slot, while its process is being spawned
        self._cancel_on_start: set[str] = set()  # cancelled while being spawned
        self._live: dict[str, _Live] = {}
        self._metrics: dict[str, list[Metrics]] = {}
        self._progress: dict[str, Progress] = {}
        self._history = RunHistory()
        self._listeners: tuple[Listener, ...] = ()
        self.owner = this_process(role)  # a command driving a cluster job records itself as one
        self._own: set[str] = set()  # the jobs this runner queued; the others' records are read
        self._polled = float("-inf")
        self._marks = self.store.marks()  # before the first read: what changes after it is read again
        self._outcomes: dict[str, dict[str, Any]] = {}  # per job ended in this session: its result or error
        self._recover()
        self._thread = threading.Thread(target=self._monitor, name="artgen-jobs", daemon=True)
        self._thread.start()

    # -- queries -------------------------------------------------------------------------------------

    @property
    def notice(self) -> str | None:
        """A line for the user about the history (e.g. a damaged one was moved aside), once."""
        return self.store.notice

    @property
    def runs_on(self) -> str | None:
        """The cluster jobs are sent to, in a line; None when they run on this machine."""
        return self.executor.where

    def jobs(self) -> list[JobRecord]:
        """Every job, newest first."""
        with self._lock:
            records = list(self._records.values())
        return sorted(records, key=lambda r: (r.created, r.id), reverse=True)

    def get(self, job_id: str) -> JobRecord:
        with self._lock:
            record = self._records.get(job_id)
        if record is None:
            raise InputError(f"no job {job_id}")
        return record

    def log(self, job_id: str) -> list[tuple[str, str]]:
        """``(level, text)`` lines, oldest first: a live job's from memory, a past one's from the history."""
        with self._lock:
            live = self._live.get(job_id)
            if live is not None:
                return list(live.log)
        return self.store.log(job_id)

    def progress(self, job_id: str) -> Progress | None:
        """The newest progress the job's engine reported in this session, with its own rate and unit."""
        with self._lock:
            return self._progress.get(job_id)

    def metrics(self, job_id: str) -> list[Metrics]:
        """The job's metrics, after its run's earlier ones: a resume continues the same chart.

        Earlier points come from the run directory's ``metrics.csv`` (read
        outside the lock: it is a file), so a resumed job, or one from a past
        session, shows the run's whole history, not just what this process saw.
        """
        with self._lock:
            live = list(self._metrics.get(job_id, ()))
            record = self._records.get(job_id)
        if record is None or record.run_dir is None:
            return live
        return self._history.before(Path(record.run_dir), live)

    def outcome(self, job_id: str) -> dict[str, Any] | None:
        """How a job of this session ended, as its worker said: the ``result`` or ``error`` message's
        payload (see :mod:`artgen.jobs.worker`); None while it runs, or if it died without a word."""
        with self._lock:
            return self._outcomes.get(job_id)

    def log_file(self, job_id: str) -> Path:
        """The child's stdout/stderr (TensorFlow's own messages, tracebacks)."""
        return self.logs_dir / f"{job_id}.txt"

    def gpu_jobs(self) -> dict[int, str]:
        """Which job holds each busy GPU, by the GPU's index."""
        with self._lock:
            slots = {job_id: live.slot for job_id, live in self._live.items()}
            slots.update(self._starting)
        return {index: job_id for job_id, slot in slots.items() if (index := _gpu_index(slot)) is not None}

    def pid(self, job_id: str) -> int | None:
        with self._lock:
            live = self._live.get(job_id)
            return live.execution.pid if live else None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` (from the monitor thread) on every update; returns an unsubscribe."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = tuple(other for other in self._listeners if other is not listener)

        return unsubscribe

    # -- actions -------------------------------------------------------------------------------------

    def submit(self, kind: str, config: dict[str, Any], device: str = "auto") -> JobRecord:
        """Validate ``config`` now (so a form's error shows at once) and queue the job."""
        spec = job_kinds.get(kind)
        parse_device(device)
        self.executor.check_device(device, self.devices)
        settings = job_kinds.build_config(spec, config)
        # Absolute paths: the history is read from other folders (artgen jobs, a studio started elsewhere).
        values = job_kinds.prepare(spec, job_kinds.absolute_paths(spec, settings.to_dict()))
        self.executor.check_outputs(_output_folders(values))
        record = JobRecord(
            new_job_id(),
            kind,
            values,
            device=device,
            outputs=planned_outputs(values),
            owner=self.owner.text(),
        )
        with self._lock:
            while record.id in self._records:
                record = record.replace(id=new_job_id())
            self._records[record.id] = record
            self._own.add(record.id)
        # Saved and announced before the monitor can see it queued, so its later states come after.
        self._save_and_emit(record)
        with self._lock:
            self._queue.append(record.id)
        self._wake.set()
        return record

    def cancel(self, job_id: str) -> None:
        """Queued: dropped. Running: "stopping" at once, asked to stop at its next step, killed after
        ``stop_timeout``. A job another process runs: see :func:`_stop_elsewhere`."""
        dropped = stopping = None
        with self._lock:
            record = self._records.get(job_id)
            if record is None:
                raise InputError(f"no job {job_id}")
            own = job_id in self._own
            if own and job_id in self._queue:
                self._queue.remove(job_id)
                dropped = record
            elif own and job_id in self._starting:
                self._cancel_on_start.add(job_id)  # the launch asks it to stop once it runs
            elif own and job_id in self._live:
                stopping = self._ask_to_stop(job_id)
        if not own:
            _stop_elsewhere(record)
            return
        if dropped is not None:
            self._finish(dropped, "cancelled", error=None)
        if stopping is not None:
            self._save_and_emit(stopping, Message("cancelling: stopping at the next step…"))
        self._wake.set()

    def _ask_to_stop(self, job_id: str) -> JobRecord | None:
        """Under the lock: tell a running job to stop; its new record, or None if it was already told."""
        live, record = self._live[job_id], self._records[job_id]
        if live.kill_at is not None or not record.active:
            return None
        live.stop_asked = True
        live.execution.stop()
        live.kill_at = time.monotonic() + self.stop_timeout
        live.log.append(("info", "cancelling: stopping at the next step…"))
        record = self._records[job_id] = record.replace(state="stopping")
        return record

    def resume(self, job_id: str) -> JobRecord:
        """Continue a stopped resumable job from its checkpoint, as a new job with the same config.

        Whether there is a checkpoint is looked at now, not when the job ended: a job whose
        studio was killed writes its checkpoint after the next studio has started.
        """
        record = self.get(job_id)
        if not self._resumable(record):
            raise InputError(f"job {job_id} cannot be resumed (only stopped training runs with a checkpoint)")
        return self.submit(record.kind, record.config, record.device)

    def rerun(self, job_id: str) -> JobRecord:
        """The same settings again, into fresh outputs: a new run directory where the kind makes one,
        the next free name for an output file (``walk-2.gif`` after ``walk-1.gif``) unless the job
        was told to overwrite it."""
        record = self.get(job_id)
        spec = job_kinds.get(record.kind)
        config = {key: value for key, value in record.config.items() if key not in spec.fresh}
        if not config.get("overwrite"):
            with self._lock:
                taken = {
                    path for job in self._records.values() if job.active for path in job.outputs.values()
                }
            for name in job_kinds.output_fields(spec):
                if config.get(name):
                    config[name] = next_free(str(config[name]), taken)
        return self.submit(record.kind, config, record.device)

    def waiting_for(self, job_id: str) -> str | None:
        """What a queued job waits for, in a line; None when it is not waiting."""
        with self._lock:
            record = self._records.get(job_id)
            if record is None or job_id not in self._queue:
                return None
            ahead = [self._records[other] for other in self._queue[: self._queue.index(job_id)]]
            holders = {live.slot: other for other, live in self._live.items()} | {
                slot: other for other, slot in self._starting.items()
            }
        if self.executor.schedules_itself:
            return f"waits to be sent to the {self.executor.where}"
        if not self._wants_gpu(record):
            if running := holders.get("cpu"):
                return f"waits for the CPU: job {running} runs there"
            first = next((job.id for job in ahead if not self._wants_gpu(job)), None)
            return f"waits for the CPU: job {first} goes first" if first else "waits for the CPU"
        index = parse_device(record.device)
        if index is not None:
            busy = holders.get(f"gpu:{index}")
            return f"waits for GPU {index}" + (f": job {busy} holds it" if busy else "")
        gpus = sorted(slot for slot in holders if slot.startswith("gpu:"))
        return "waits for a free GPU" + (f" ({len(gpus)} busy)" if gpus else "")

    def wait(self, job_id: str, timeout: float | None = None) -> JobRecord:
        """Block until the job ends (for tests and scripts)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.get(job_id).active:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {self.get(job_id).state} after {timeout}s")
            time.sleep(0.02)
        return self.get(job_id)

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop everything: queued jobs are cancelled, running ones stop gracefully (then forcefully)."""
        with self._lock:
            waiting = list(self._queue)
        for job_id in waiting:
            self.cancel(job_id)
        with self._lock:
            running = [*self._starting, *self._live]
        for job_id in running:
            self.cancel(job_id)
            if timeout is not None:
                with self._lock:
                    if job_id in self._live:
                        self._live[job_id].kill_at = time.monotonic() + timeout
        deadline = time.monotonic() + (timeout if timeout is not None else self.stop_timeout) + 5
        while (self._live or self._starting) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=2)
        self.executor.close()

    # -- the monitor thread --------------------------------------------------------------------------

    def _recover(self) -> None:
        """Load the history, writing down as interrupted the jobs whose process is gone (a studio or a
        command that was killed); the jobs of processes still running stay theirs."""
        self.store.close_orphans(self._with_resumable)
        for record in self.store.all():
            self._records[record.id] = record

    def _with_resumable(self, record: JobRecord) -> JobRecord:
        return record.replace(resumable=self._resumable(record))

    def _poll_history(self) -> None:
        """Tell subscribers what other processes wrote since the last look (monitor thread only)."""
        if time.monotonic() - self._polled < HISTORY_POLL:
            return
        self._polled = time.monotonic()
        try:
            self.store.close_orphans(self._with_resumable)
            records, lines, self._marks = self.store.since(self._marks)
        except (ArtgenError, sqlite3.Error, OSError):  # locked, or gone for now: the next look may do better
            return
        updates: list[JobUpdate] = []
        with self._lock:
            for record in records:
                if record.id in self._own:
                    continue
                before = self._records.get(record.id)
                self._records[record.id] = record
                moved = before is not None and before.state == record.state
                event = Progress(record.step, record.total, stage=record.stage) if moved else None
                updates.append(JobUpdate(record, event))
            for job_id, level, text in lines:
                if job_id not in self._own and job_id in self._records:
                    updates.append(JobUpdate(self._records[job_id], Message(text, _level(level))))
        for update in updates:
            self._emit(update.record, update.event)

    def _monitor(self) -> None:
        while not self._closed:
            self._refresh_devices(DEVICE_REFRESH)
            self._poll_history()
            self._start_ready()
            with self._lock:
                waitables: list[Any] = [w for live in self._live.values() for w in live.execution.waitables()]
                polled_only = any(not live.execution.waitables() for live in self._live.values())
            if waitables and not polled_only:
                wait(waitables, timeout=0.1)
            else:
                self._wake.wait(0.1)
                self._wake.clear()
            with self._lock:
                polled = list(self._live.items())
            for job_id, live in polled:
                self._poll(job_id, live)

    def _refresh_devices(self, max_age: float) -> None:
        """Ask the probe again if its answer is older than ``max_age`` seconds (monitor thread only)."""
        if self.probe is None or time.monotonic() - self._probed < max_age:
            return
        self._probed = time.monotonic()
        self.devices = self.probe()

    def _start_ready(self) -> None:
        """Launch the queued jobs that have a free slot, in queue order; the spawns happen unlocked."""
        with self._lock:
            wants_gpu = any(self._wants_gpu(self._records[job_id]) for job_id in self._queue)
        if wants_gpu:
            self._refresh_devices(0.5)  # the free memory a GPU is picked by should be fresh
        ready = []
        with self._lock:
            busy: dict[str, int] = {}
            for slot in [live.slot for live in self._live.values()] + list(self._starting.values()):
                busy[slot] = busy.get(slot, 0) + 1
            for job_id in list(self._queue):
                record = self._records[job_id]
                slot = self._slot_for(record, busy)
                if slot is None or busy.get(slot, 0) >= self._capacity(slot):
                    continue
                self._queue.remove(job_id)
                self._starting[job_id] = slot
                busy[slot] = busy.get(slot, 0) + 1
                ready.append((record, job_kinds.get(record.kind), slot))
        for record, spec, slot in ready:
            self._launch(record, spec, slot)

    def _wants_gpu(self, record: JobRecord) -> bool:
        if self.executor.schedules_itself:
            return False  # a cluster places its own GPU jobs
        return job_kinds.get(record.kind).uses_gpu and self.devices.resolve(record.device) != "cpu"

    def _slot_for(self, record: JobRecord, busy: dict[str, int]) -> str | None:
        """``cpu`` or ``gpu:N`` for a queued job, or None while every GPU it may use is taken;
        an executor that schedules itself takes every job (``cluster``)."""
        if self.executor.schedules_itself:
            return "cluster"
        if not self._wants_gpu(record):
            return "cpu"
        index = parse_device(record.device)
        if index is not None:
            return f"gpu:{index}"
        limit = self._capacity("gpu")
        full = {gpu.index for gpu in self.devices.gpus if busy.get(f"gpu:{gpu.index}", 0) >= limit}
        gpu = self.devices.pick(full)
        return f"gpu:{gpu.index}" if gpu is not None else None

    def _capacity(self, slot: str) -> float:
        if slot == "cluster":
            return float("inf")
        return self.slots.get("cpu" if slot == "cpu" else "gpu", 1)

    def _launch(self, record: JobRecord, spec: job_kinds.JobKind, slot: str) -> None:
        index = _gpu_index(slot)
        gpu = self.devices.gpu(index) if index is not None else None
        if slot == "cluster":  # the cluster's choice: a GPU when the kind uses one and one was not refused
            device = "cpu" if not spec.uses_gpu or record.device == "cpu" else record.device
        else:
            device = "gpu" if index is not None else "cpu"
        launch = Launch(
            record.id,
            spec.engine,
            spec.config,
            record.config,
            device,
            visible_devices(gpu) if index is not None else None,
            str(self.log_file(record.id)),
        )
        try:
            execution = self.executor.start(launch, slot)
        except Exception as exc:  # OSError, a spawn or a task refused: that job fails, the monitor goes on
            with self._lock:
                del self._starting[record.id]
                self._cancel_on_start.discard(record.id)
            self._finish(record, "failed", error=f"could not start the job: {exc}")
            return
        live = _Live(execution, slot)
        if slot == "cluster":  # it says where it runs once it has landed ("placed")
            live.log.append(("info", f"sent to the {self.executor.where}"))
        else:
            live.log.append(("info", f"running on {gpu.describe() if gpu else 'the CPU'}"))
        with self._lock:
            del self._starting[record.id]
            self._live[record.id] = live
            record = self._records[record.id] = record.replace(
                state="running", started=time.time(), placement=execution.placement
            )
            cancelled = record.id in self._cancel_on_start
            self._cancel_on_start.discard(record.id)
            stopping = self._ask_to_stop(record.id) if cancelled else None
        self._save_and_emit(record)
        if stopping is not None:
            self._save_and_emit(stopping, Message("cancelling: stopping at the next step…"))

    def _poll(self, job_id: str, live: _Live) -> None:
        finished = live.execution.finished()  # first: once it has ended, every message it sent is here
        for message in live.execution.receive():
            self._handle(job_id, live, *message)
        if finished:
            self._end(job_id, live)
        elif live.kill_at is not None and time.monotonic() > live.kill_at:
            if not live.concluded:
                self._append_log(job_id, live, "warning", f"no stop after {self.stop_timeout:g}s; killing it")
            live.execution.kill()
            live.kill_at = float("inf")

    def _handle(self, job_id: str, live: _Live, tag: str, payload: Any) -> None:
        if tag in ("result", "error"):
            with self._lock:
                self._outcomes[job_id] = payload
        if tag == "result":
            live.outcome = payload
            self._conclude(job_id, live)  # now, not when the process has finished exiting (seconds)
            return
        if tag == "error":
            live.error = payload
            if payload.get("traceback"):
                self._append_log(job_id, live, "warning", payload["traceback"].rstrip())
                self._keep_traceback(job_id, payload["traceback"])
            self._conclude(job_id, live)
            return
        if tag == "placed":  # a cluster task says where it landed
            with self._lock:
                record = self._records[job_id] = self._records[job_id].replace(placement=payload)
                live.log.append(("info", f"running on {payload}"))
            self._save_and_emit(record)
            return
        event: Event = payload
        with self._lock:
            record = self._records[job_id]
            if isinstance(event, Progress):
                record = record.replace(step=event.step, total=event.total, stage=event.stage)
                self._progress[job_id] = event
            elif isinstance(event, Preview):
                record = record.replace(preview=event.path)
            elif isinstance(event, Metrics):
                points = self._metrics.setdefault(job_id, [])
                points.append(event)
                del points[:-METRICS_KEPT]
            elif isinstance(event, Message):
                live.log.append((event.level, event.text))
            self._records[job_id] = record
        now = time.monotonic()
        if now - live.last_save > SAVE_EVERY or isinstance(event, (Preview, Message)):
            live.last_save = now
            self.store.save(record)
            self._save_log(job_id, live)
        self._emit(record, event)

    def _keep_traceback(self, job_id: str, text: str) -> None:
        """A bug's traceback, after the child's own output in its log file, where the job's view points."""
        try:
            with open(self.log_file(job_id), "a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError:
            pass  # the log in the history has it too

    def _end(self, job_id: str, live: _Live) -> None:
        """The process is gone: its slot is free, and its state final if no result said so."""
        if not live.concluded:
            self._conclude(job_id, live)
        self._save_log(job_id, live)  # before it stops being live, so ``log`` never misses a line
        with self._lock:
            del self._live[job_id]
        self._wake.set()

    def _conclude(self, job_id: str, live: _Live) -> None:
        live.concluded = True
        with self._lock:
            record = self._records[job_id]
        requested = live.stop_asked
        if live.outcome is not None:
            record = record.replace(outputs=live.outcome["outputs"])
            state = "cancelled" if live.outcome["stopped"] else "done"
            error = None
        elif live.error is not None:
            state, error = "failed", live.error["message"]
        elif requested:
            state, error = "cancelled", "stopped by force (it did not stop in time)"
        else:
            state, error = "failed", live.execution.death()
        self._save_log(job_id, live)
        self._finish(record, state, error)

    def _finish(self, record: JobRecord, state: str, error: str | None) -> None:
        """The job's final state, and its last log line saying so (with why, if it did not end well)."""
        record = record.replace(state=state, error=error, finished=time.time())
        record = record.replace(resumable=self._resumable(record))  # looks for a checkpoint: unlocked
        line = ("info" if state == "done" else "warning", ending_line(record))
        with self._lock:
            self._records[record.id] = record
            live = self._live.get(record.id)
            if live is not None:
                live.log.append(line)
        self._save_and_emit(record)
        if live is not None:
            self._save_log(record.id, live)
        else:
            self.store.add_log(record.id, [line])
        self._emit(record, Message(line[1], line[0]))

    def _resumable(self, record: JobRecord) -> bool:
        spec = job_kinds.KINDS.get(record.kind)
        return bool(
            spec
            and spec.resumable
            and record.state in ("cancelled", "failed")
            and job_kinds.resume_path(record.config) is not None
        )

    def _save_log(self, job_id: str, live: _Live) -> None:
        """Write the lines the history lacks (the monitor thread is the only writer)."""
        with self._lock:
            lines = live.log[live.saved :]
            live.saved += len(lines)
        if lines:
            self.store.add_log(job_id, lines)

    def _append_log(self, job_id: str, live: _Live, level: str, text: str) -> None:
        with self._lock:
            live.log.append((level, text))
            record = self._records[job_id]
        self._emit(record, Message(text, "warning" if level == "warning" else "info"))

    def _save_and_emit(self, record: JobRecord, event: Event | None = None) -> None:
        self.store.save(record)
        self._emit(record, event)

    def _emit(self, record: JobRecord, event: Event | None = None) -> None:
        for listener in self._listeners:
            listener(JobUpdate(record, event))


def _level(level: str) -> str:
    return "warning" if level == "warning" else "info"


def _stop_elsewhere(record: JobRecord) -> None:
    """Cancel a job another process runs: a command is asked to stop as Ctrl-C would (it stops at its
    next step, a training run with a checkpoint); another studio's jobs are that studio's to cancel."""
    if not record.active:
        return
    owner = Owner.parse(record.owner)
    if owner is None or not owner.alive():
        raise InputError(f"job {record.id} is no longer running")
    if owner.role != "cli" or not owner.local:
        raise InputError(f"job {record.id} runs in {owner.describe()}; cancel it there")
    try:
        os.kill(owner.pid, signal.SIGTERM)
    except OSError as exc:
        raise InputError(f"cannot ask {owner.describe()} to stop: {exc.strerror}") from None


def _gpu_index(slot: str) -> int | None:
    return int(slot.removeprefix("gpu:")) if slot.startswith("gpu:") else None


def _output_folders(config: dict[str, Any]) -> list[Path]:
    """The folders a job will write into: a run directory itself, an output file's parent."""
    folders = []
    for key, value in planned_outputs(config).items():
        path = Path(value)
        folders.append(path if key == "run_dir" else path.parent)
    return folders
