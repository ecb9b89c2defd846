"""The child process side of a job: run one engine call and stream what happens to the parent.

Messages on the pipe are ``(tag, payload)`` tuples: ``("event", event)``
for each engine event (the event dataclass itself; the pipe pickles it, and
the parent gets it back whole, rate and unit included), then exactly one of
``("result", {"outputs": ..., "stopped": ..., "value": ...})`` (``value``: the engine's
result pickled, for a command that shows it as it would have run here; None if it does
not pickle) or ``("error", {"message": ..., "traceback": ..., "status": ...})`` (the exit
status the CLI would give it: 2 for bad input, 1 for a fault or a bug). If the parent goes away
(the app was killed), sending fails and the job stops as if cancelled, so a
training run still checkpoints; SIGTERM (a scheduler, ``kill``) and SIGHUP
do the same.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from artgen import backends, environment, images
from artgen.configs import EngineConfig, ImageEngineConfig
from artgen.errors import ArtgenError, exit_status
from artgen.events import Event, Message
from artgen.jobs.devices import use_device

__all__ = ["run_job", "execute", "use_settings", "result_outputs"]

DEVICE_VIEWS = {"tensorflow": "artgen.jobs.device_tensorflow"}  # what a backend sees, for the job's log
JOB_NICENESS = 10


def run_job(
    engine_path: str,
    config_class: type,
    config: dict[str, Any],
    device: str,
    conn: Connection,
    stop: Any,  # a multiprocessing Event
    log_path: str | None = None,
    visible: str | None = None,
) -> None:
    """Entry point of the spawned child; ``visible`` is the one GPU it may see (``CUDA_VISIBLE_DEVICES``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the app, which cancels gracefully
    terminated: list[int] = []
    for name in ("SIGTERM", "SIGHUP"):  # kill, a scheduler, a closed terminal: stop as if cancelled
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda signum, frame: terminated.append(signum))
    # A job may use every core; at a lower priority it still gets them all on an idle
    # machine, but the studio's key presses no longer wait behind its train steps.
    os.nice(JOB_NICENESS)
    if log_path:
        _redirect_output(log_path)
    use_device(device, visible)
    parent_gone = False

    def send(tag: str, payload: Any) -> None:
        nonlocal parent_gone
        if parent_gone:
            return
        try:
            conn.send((tag, payload))
        except (BrokenPipeError, EOFError, OSError):
            parent_gone = True

    def should_stop() -> bool:
        return parent_gone or bool(terminated) or stop.is_set()

    try:
        execute(engine_path, config_class, config, device, send, should_stop)
    finally:
        conn.close()


def execute(
    engine_path: str,
    config_class: type,
    config: dict[str, Any],
    device: str,
    send: Callable[[str, Any], None],
    should_stop: Callable[[], bool],
) -> None:
    """Run one engine call, sending its events, then exactly one ``result`` or ``error``.

    Shared by a local child (over a pipe) and a cluster task (over its channel), so a job
    reports the same way wherever it runs.
    """

    def on_event(event: Event) -> None:
        send("event", event)

    from artgen.jobs.kinds import resolve

    try:
        settings = config_class.from_dict(config)
        use_settings(settings)  # before the engine's import loads Keras
        engine = resolve(engine_path)
        _report_backend(device, on_event)
        result = engine(settings, on_event, should_stop)
        stopped = bool(getattr(result, "stopped", False))
        send("result", {"outputs": result_outputs(result), "stopped": stopped, "value": _pickled(result)})
    except ArtgenError as exc:
        send("error", {"message": str(exc), "traceback": None, "status": exit_status(exc)})
    except BaseException as exc:  # a bug: keep the traceback for the job's log
        message = f"{type(exc).__name__}: {exc}"
        send("error", {"message": message, "traceback": traceback.format_exc(), "status": 1})


def use_settings(config: Any) -> None:
    """Apply what ``config`` sets for the whole process that runs its engine: the Keras backend (before
    Keras loads) and the largest image decoded. They come with the config, never from a variable the
    parent set; a test's fake engine, whose config is neither kind, keeps the process's own."""
    if isinstance(config, EngineConfig):
        environment.use_backend(config.backend)
    if isinstance(config, ImageEngineConfig):
        images.limit_pixels(config.max_pixels)


def _pickled(result: Any) -> bytes | None:
    """The result as bytes: sent so, only the caller that asks for it imports the engine to read it
    (a cluster's message channel would otherwise import Keras just to pass it on)."""
    try:
        return pickle.dumps(result)
    except Exception:  # noqa: BLE001  a result that does not pickle: its outputs still go
        return None


def _redirect_output(log_path: str) -> None:
    """TensorFlow writes to fds 1 and 2; in the app's terminal that would tear the screen."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _report_backend(device: str, on_event: Any) -> None:
    """Log what the backend sees, once the engine has loaded Keras (fake engines never do), where
    the backend has a view of its own (so far TensorFlow's)."""
    if "keras" not in sys.modules:
        return
    view = backends.implementation(DEVICE_VIEWS)
    if view is None:
        return
    if device == "gpu":
        view.require_gpu()
    on_event(Message(view.describe()))


def result_outputs(result: Any) -> dict[str, str]:
    """The result's paths, by field name: what the job list and history point at."""
    if not dataclasses.is_dataclass(result):
        return {}
    outputs = {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, Path):
            outputs[field.name] = str(value)
        elif isinstance(value, str) and field.name in ("out", "path", "run_dir"):
            outputs[field.name] = value
    return outputs
