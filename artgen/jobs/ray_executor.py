"""Jobs as Ray tasks on a cluster (``pip install 'artgen[cluster]'``; ``artgen --cluster ADDRESS``).

Ray places each job where its resources are free (one GPU for a GPU job,
CPUs otherwise) and queues it until then, so the runner hands it every job at
once. A task runs the same :func:`artgen.jobs.worker.execute` a local child
does; its messages come back through a small actor per job (the channel),
which also carries the stop request the engine's ``should_stop`` reads. A
cancel asks the engine to stop (a training run checkpoints), and cancels the
task only if it has not stopped within the runner's stop timeout.

Outputs are written by the task, on whatever node it landed on, and read by
the user here: their folders must be on storage every node shares. That is
checked when a job is submitted, by having a task on each node write a probe
file there and reading it back on this machine.

Only this module imports Ray, and only the runner's ``--cluster`` path imports it.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from artgen import files, runs
from artgen.errors import InputError
from artgen.jobs.devices import DeviceInfo, parse_device
from artgen.jobs.executors import Launch

__all__ = ["RayExecutor", "RayExecution", "connect"]

FLUSH_EVERY = 0.05  # seconds: events are sent in batches, one actor call per batch
STOP_CHECK_EVERY = 0.25  # seconds between a task's looks at its stop request
PROBE_NAME = re.compile(r"\.artgen-shared-[0-9a-f]{12}")  # the probe file's whole name
PROBE_TIMEOUT = 60.0  # seconds for the shared-storage probe (a busy cluster schedules it late)
REACH_TIMEOUT = 5.0  # seconds to open a connection to the cluster's address before giving up on it
RAY_CLIENT_PORT, RAY_GCS_PORT = 10001, 6379  # Ray's defaults for ray://HOST and HOST


def connect(address: str | None, **init_options: Any) -> None:
    """Join the cluster at ``address`` (``ray://HOST:PORT``, ``HOST:PORT``, ``auto``) once per process.

    Worker output stays in Ray's own logs (``log_to_driver=False``): printed here it would
    tear the studio's screen.
    """
    if ray.is_initialized():
        return
    _check_reachable(address)
    try:
        with warnings.catch_warnings():  # Ray Client warns of a timeout before raising it: say it once
            warnings.simplefilter("ignore")
            ray.init(address=address, log_to_driver=False, configure_logging=False, **init_options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot reach the Ray cluster at {address}: {reason}") from None


def _check_reachable(address: str | None) -> None:
    """Refuse an address nothing answers at within seconds: Ray itself retries for minutes, logging."""
    if not address or address == "auto":  # auto finds a cluster started on this machine, or fails at once
        return
    client = address.startswith("ray://")
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():  # ray://HOST without a port: Ray Client's own
        host, port = address.removeprefix("ray://"), str(RAY_CLIENT_PORT if client else RAY_GCS_PORT)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_TIMEOUT).close()
    except OSError as exc:
        reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
        raise InputError(f"cannot reach the Ray cluster at {address}: {reason}") from None


@ray.remote(num_cpus=0)
class JobChannel:
    """One job's mailbox: messages up from the task, the stop request down to it."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Any]] = []
        self.stop = False

    def put(self, batch: list[tuple[str, Any]]) -> None:
        self.messages.extend(batch)

    def take(self) -> list[tuple[str, Any]]:
        messages, self.messages = self.messages, []
        return messages

    def ask_to_stop(self) -> None:
        self.stop = True

    def stopping(self) -> bool:
        return self.stop


class _Outbox:
    """The task's side of the channel: events go in batches (a thread flushes stragglers);
    results, errors and log lines go at once. Actor calls from one caller run in order."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.pending: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.last = 0.0
        self.sent: Any = None
        self.done = threading.Event()
        threading.Thread(target=self._flusher, daemon=True).start()

    def send(self, tag: str, payload: Any) -> None:
        with self.lock:
            self.pending.append((tag, payload))
            urgent = tag != "event" or time.monotonic() - self.last > FLUSH_EVERY
        if urgent:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
            if batch:
                self.sent = self.channel.put.remote(batch)
            self.last = time.monotonic()

    def _flusher(self) -> None:
        while not self.done.wait(FLUSH_EVERY):
            self.flush()

    def close(self) -> None:
        """Everything sent is in the channel before the task returns (the runner relies on it)."""
        self.done.set()
        self.flush()
        if self.sent is not None:
            ray.get(self.sent)


class _StopCheck:
    """``should_stop`` for a task: the channel's flag, looked at a few times a second, not every step."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.checked = 0.0
        self.answer = False

    def __call__(self) -> bool:
        if not self.answer and time.monotonic() - self.checked > STOP_CHECK_EVERY:
            self.checked = time.monotonic()
            try:
                self.answer = bool(ray.get(self.channel.stopping.remote()))
            except ray.exceptions.RayError:  # the driver (studio) is gone: stop, keeping a checkpoint
                self.answer = True
        return self.answer


def _run_task(launch: Launch, channel: Any) -> None:
    """The task: say where it landed, then run the engine call as a local child would."""
    from artgen.jobs.devices import use_device
    from artgen.jobs.worker import execute

    if launch.device == "cpu":
        use_device("cpu")  # Ray shows a GPU task only its own GPUs; a CPU task must see none
    gpus = ray.get_runtime_context().get_accelerator_ids().get("GPU", [])
    where = f"gpu:{','.join(gpus)}" if gpus else "cpu"
    outbox = _Outbox(channel)
    outbox.send("placed", f"ray {where} @ {ray.util.get_node_ip_address()}")
    try:
        execute(
            launch.engine, launch.config_class, launch.config, launch.device, outbox.send, _StopCheck(channel)
        )
    finally:
        outbox.close()


def _write_probe(path: str, token: str) -> None:
    """Write ``token`` to ``path`` on this node; its folder must already exist (it does where shared)."""
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(token)


# A fresh worker process per job (``max_calls=1``), as locally: a backend's memory goes back when it ends,
# and the device a job may see is set before its backend is imported. No retries: a job is not idempotent.
_job_task = ray.remote(max_calls=1, max_retries=0)(_run_task)
_probe_task = ray.remote(num_cpus=0, max_retries=0)(_write_probe)


class RayExecution:
    """A job's task and channel, seen from the driver."""

    pid = None

    def __init__(self, ref: Any, channel: Any, placement: str) -> None:
        self.ref = ref
        self.channel = channel
        self.placement = placement
        self._ended = False
        self._failure: str | None = None

    def finished(self) -> bool:
        if not self._ended:
            ready, _ = ray.wait([self.ref], timeout=0)
            if ready:
                self._ended = True
                try:
                    ray.get(self.ref)
                except ray.exceptions.TaskCancelledError:
                    self._failure = "the Ray task was cancelled"
                except ray.exceptions.RayError as exc:
                    self._failure = f"the Ray task failed: {_first_line(exc)}"
        return self._ended

    def receive(self) -> list[tuple[str, Any]]:
        try:
            messages = ray.get(self.channel.take.remote())
        except ray.exceptions.RayError:
            messages = []
        if self._ended:
            ray.kill(self.channel)  # everything was taken: the mailbox is no longer needed
        return messages

    def stop(self) -> None:
        self.channel.ask_to_stop.remote()

    def kill(self) -> None:
        ray.cancel(self.ref, force=True)

    def death(self) -> str:
        return self._failure or "the Ray task ended without a result"

    def waitables(self) -> list[Any]:
        return []


class RayExecutor:
    """Sends jobs to a Ray cluster as tasks asking for ``num_gpus=1`` (GPU jobs) or CPUs."""

    name = "ray"
    schedules_itself = True

    def __init__(self, address: str | None = None, *, cpus_per_job: float = 1, **init_options: Any) -> None:
        self._owns_connection = not ray.is_initialized()  # else a test (or the caller) started Ray
        connect(address, **init_options)
        self.address = address
        resources = ray.cluster_resources()
        self.where = (
            f"Ray cluster at {address or 'a local instance'}: {resources.get('CPU', 0):g} CPUs, "
            f"{resources.get('GPU', 0):g} GPUs"
        )
        self.cpus_per_job = cpus_per_job
        self._shared: set[Path] = set()  # folders already shown to be shared
        self.probe_task = _probe_task  # what writes a probe file on a node (tests give a stand-in)

    def cluster_gpus(self) -> float:
        return float(ray.cluster_resources().get("GPU", 0))

    def check_device(self, device: str, local: DeviceInfo) -> None:
        if parse_device(device) is not None:
            raise InputError(
                f"--device {device} names a GPU of this machine; on a Ray cluster use gpu or auto"
            )
        if device == "gpu" and not self.cluster_gpus():
            raise InputError("--device gpu was asked for, but the Ray cluster has no GPU; use cpu or auto")

    def check_outputs(self, folders: list[Path]) -> None:
        """A task on every node writes a probe file into each folder; this machine must read each back."""
        for folder in folders:
            base = _existing(folder)
            if base is None or base in self._shared:
                continue
            nodes = [node["NodeID"] for node in ray.nodes() if node.get("Alive")]
            probes = {
                node: (base / f".artgen-shared-{secrets.token_hex(6)}", secrets.token_hex(8))
                for node in nodes
            }
            try:
                self._probe(probes)
                unseen = [node for node, (path, token) in probes.items() if _read(path) != token]
            finally:
                for path, _ in probes.values():
                    runs.remove_own(path, base, PROBE_NAME)
            if unseen:
                raise InputError(
                    f"{folder} is not on storage the Ray cluster shares: a file a task wrote there on node "
                    f"{unseen[0][:8]} is not visible here; put outputs on a folder every node mounts at the "
                    "same path (NFS, a cluster filesystem)"
                )
            self._shared.add(base)

    def _probe(self, probes: dict[str, tuple[Path, str]]) -> None:
        refs = [
            self.probe_task.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)
            ).remote(str(path), token)
            for node, (path, token) in probes.items()
        ]
        try:
            ray.get(refs, timeout=PROBE_TIMEOUT)
        except ray.exceptions.GetTimeoutError:
            raise InputError(
                f"the Ray cluster did not answer the shared-storage check within {PROBE_TIMEOUT:g}s"
            ) from None
        except ray.exceptions.RayTaskError as exc:
            folder = next(iter(probes.values()))[0].parent
            raise InputError(
                f"{folder} is not on storage the Ray cluster shares: a task could not write there "
                f"({_first_line(exc.cause) if exc.cause else _first_line(exc)}); put outputs on a folder "
                "every node mounts at the same path"
            ) from None

    def start(self, launch: Launch, placement: str) -> RayExecution:
        gpu = launch.device == "gpu" or (launch.device == "auto" and self.cluster_gpus() > 0)
        # Ray shows the task its GPU itself; its output goes to Ray's logs on that node.
        launch = dataclasses.replace(launch, device="gpu" if gpu else "cpu", visible=None, log_path=None)
        channel = JobChannel.remote()
        ref = _job_task.options(num_gpus=1 if gpu else 0, num_cpus=self.cpus_per_job).remote(launch, channel)
        return RayExecution(ref, channel, f"ray {'gpu' if gpu else 'cpu'} (waiting)")

    def close(self) -> None:
        """The driver leaves the cluster; the cluster itself keeps running."""
        if self._owns_connection:
            ray.shutdown()


def _existing(folder: Path) -> Path | None:
    """``folder`` or its nearest existing ancestor (a run directory may not exist yet)."""
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            return candidate
    return None


def _read(path: Path) -> str | None:
    try:
        return files.read_text(path)
    except OSError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
