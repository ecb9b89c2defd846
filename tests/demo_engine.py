"""A stand-in engine with no TensorFlow: a test fake, not part of the shipped package.

It behaves like a training run in miniature (progress, falling loss and its
metrics.csv, preview images, a checkpoint on stop, resume) in a fraction of a second, so
the runner and the app can be tested end to end without paying for a
TensorFlow import in every child process. ``tests/conftest.py`` registers it as a job
kind (see :data:`DEMO_KIND`). Its module name is ``demo_engine``: pytest puts ``tests/``
on ``sys.path`` (it holds the root ``conftest.py`` and no ``__init__.py``), and a job's
spawned child inherits the parent's ``sys.path``, so the child imports it by the same name.
"""

from __future__ import annotations

import atexit
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgen import images, runs
from artgen.configs import ConfigDict, ImageEngineConfig
from artgen.errors import InputError
from artgen.events import Message, Metrics, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.jobs.history import read_metrics_csv
from artgen.jobs.kinds import JobKind
from artgen.schema import setting

__all__ = [
    "DemoConfig",
    "DemoResult",
    "run_demo",
    "DEMO_KIND",
    "PictureConfig",
    "read_picture",
    "PICTURE_KIND",
]


@dataclass(frozen=True)
class DemoConfig(ConfigDict):
    # No bounds in the settings: the checks below stand for an engine's own, which the form shows on Start.
    run_dir: str = setting("demo-run", help="", label="run folder")
    steps: int = setting(20, help="steps to run")
    delay: float = setting(0.02, help="seconds per step")
    preview_every: int = setting(5, help="steps between previews")
    fail_at: int | None = setting(
        None, help="raise an InputError at this step, to test failures", advanced=True
    )
    bug_at: int | None = setting(None, help="raise a RuntimeError at this step: a bug", advanced=True)
    # seconds the process takes to exit after returning, like TensorFlow's teardown
    linger: float = setting(0.0, help="seconds the process lingers after returning", advanced=True)

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise InputError("steps must be at least 1")
        if self.delay < 0:
            raise InputError("delay must not be negative")
        if self.preview_every < 1:
            raise InputError("preview every must be at least 1")


@dataclass(frozen=True)
class DemoResult:
    run_dir: Path
    step: int
    stopped: bool


def run_demo(
    config: DemoConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> DemoResult:
    run_dir = Path(config.run_dir)
    if config.linger:
        atexit.register(time.sleep, config.linger)
    state = run_dir / "checkpoints" / "state.json"
    start = json.loads(state.read_text())["step"] if state.exists() else 0
    rows = [[p.step, p.values["loss"], p.values["score"]] for p in read_metrics_csv(run_dir / "metrics.csv")]
    rows = [row for row in rows if row[0] <= start]
    if start:
        on_event(Message(f"resuming from step {start}"))
    if os.environ.get("ARTGEN_DEMO_REPORT_DEVICES"):  # which GPUs the runner let this child see
        on_event(Message(f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')}"))
    on_event(Progress(start, config.steps, stage="demo"))
    for step in range(start, config.steps):
        if should_stop():
            runs.write_json(state, {"step": step})
            on_event(Message(f"stopped at step {step}"))
            return DemoResult(run_dir, step, stopped=True)
        if config.fail_at is not None and step == config.fail_at:
            raise InputError(f"demo failure at step {step}")
        if config.bug_at is not None and step == config.bug_at:
            raise RuntimeError(f"demo bug at step {step}")
        time.sleep(config.delay)
        done = step + 1
        on_event(Metrics(done, {"loss": 1.0 / done, "score": 1.0 - 1.0 / done}))
        rows.append([done, 1.0 / done, 1.0 - 1.0 / done])
        runs.write_csv(run_dir / "metrics.csv", ("step", "loss", "score"), rows)
        on_event(Progress(done, config.steps, rate=1.0 / max(config.delay, 1e-3), stage="demo"))
        if done % config.preview_every == 0 or done == config.steps:
            path = run_dir / "images" / f"step-{done:04d}.png"
            images.save_png(path, _picture(done))
            on_event(Preview(str(path), f"step {done}"))
    on_event(Message("demo finished"))
    return DemoResult(run_dir, config.steps, stopped=False)


def _picture(step: int) -> np.ndarray:
    """A gradient that changes with ``step``, so each preview differs."""
    ramp = np.linspace(0, 255, 32, dtype=np.float32)
    red = np.tile(ramp, (32, 1))
    green = red.T
    blue = np.full((32, 32), (step * 37) % 256, dtype=np.float32)
    return np.stack([red, green, blue], axis=-1).astype(np.uint8)


DEMO_KIND = JobKind(
    "demo",
    "Demo job",
    "d",
    DemoConfig,
    "demo_engine:run_demo",
    resumable=True,
    uses_gpu=False,
    description="a stand-in engine for tests",
)


@dataclass(frozen=True)
class PictureConfig(ImageEngineConfig):
    """An engine that reads one picture, as every image engine does, and says what its process was given."""

    picture: str = setting(help="the picture to read", widget="image")


def read_picture(
    config: PictureConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> tuple[int, int]:
    """The picture's size, or its refusal as an engine's (``InputError``), after one message naming the
    variables and the image limit this process runs with."""
    seen = {name: os.environ.get(name) for name in ("KERAS_BACKEND", "ARTGEN_MAX_PIXELS")}
    on_event(Message(f"environment {json.dumps(seen)}; limit {images.max_pixels()}"))
    try:
        return images.open_rgb(config.picture).size
    except images.UnusableImage as exc:
        raise InputError(f"{config.picture}: {exc}") from None


PICTURE_KIND = JobKind(
    "picture",
    "Read a picture",
    "e",
    PictureConfig,
    "demo_engine:read_picture",
    uses_gpu=False,
    description="a stand-in image engine for tests",
)
