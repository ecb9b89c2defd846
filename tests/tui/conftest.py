"""The studio tests' fake runner and fixed records; the demo kind and real runner are in tests/conftest.py."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen.events import Message, Metrics
from artgen.jobs import DeviceInfo, JobRecord
from artgen.jobs.preview import PreviewAnswer

FIXED_NOW = 1_800_000_000.0


@pytest.fixture(autouse=True)
def _demo(demo_kind):
    """Every studio test may run the demo engine (a fake that trains in milliseconds)."""


class FakePainter:
    """A preview worker without TensorFlow: a flat grey picture as light as the strength asked for.

    ``gate`` holds each request until the test lets it through; ``requests`` is every one painted.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requests = []
        self.ready = False
        self.closed = False
        self.gate = threading.Event()
        self.gate.set()

    def paint(self, request):
        self.requests.append(request)
        assert self.gate.wait(20), "the test never let the request through"
        path = self.folder / f"fake-preview-{len(self.requests)}.png"
        Image.new("RGB", (16, 12), (round(255 * request.strength),) * 3).save(path)
        self.ready = True
        return PreviewAnswer(path=str(path), seconds=0.01)

    def close(self):
        self.closed = True


@pytest.fixture(autouse=True)
def painter(tmp_path, monkeypatch):
    """The studio's preview worker in every studio test: the style form never starts TensorFlow here."""
    fake = FakePainter(tmp_path)
    monkeypatch.setattr("artgen.tui.app.PreviewWorker", lambda: fake)
    return fake


class FakeRunner:
    """Fixed records and no processes: what snapshot tests need to be identical on every run."""

    def __init__(self, records: list[JobRecord], metrics=None, log=None) -> None:
        self.records = {record.id: record for record in records}
        self._metrics = metrics or {}
        self._log = log or {}
        self.devices = DeviceInfo()
        self.notice = None
        self.runs_on = None
        self.submitted: list[tuple[str, dict, str]] = []

    def jobs(self):
        return sorted(self.records.values(), key=lambda r: (r.created, r.id), reverse=True)

    def get(self, job_id):
        return self.records[job_id]

    def log(self, job_id):
        return self._log.get(job_id, [])

    def metrics(self, job_id):
        return self._metrics.get(job_id, [])

    def progress(self, job_id):
        return None

    def log_file(self, job_id):
        return Path("/nonexistent") / f"{job_id}.txt"

    def waiting_for(self, job_id):
        return None

    def gpu_jobs(self):
        placed = [(record.placement or "", record.id) for record in self.records.values() if record.active]
        return {int(where[4:]): job_id for where, job_id in placed if where.startswith("gpu:")}

    def subscribe(self, listener):
        return lambda: None

    def submit(self, kind, config, device="auto"):
        self.submitted.append((kind, config, device))
        return next(iter(self.records.values()))

    def cancel(self, job_id):
        pass

    def shutdown(self, timeout=None):
        pass


def _grid_png(path: Path) -> str:
    y, x = np.mgrid[0:32, 0:48]
    picture = np.stack([x * 5, y * 7, (x + y) * 3], axis=-1).astype(np.uint8)
    Image.fromarray(picture).save(path)
    return str(path)


@pytest.fixture
def fake_runner(tmp_path):
    """A running training job with losses and a preview, plus finished ones."""
    preview = _grid_png(tmp_path / "epoch-0003.png")
    running = JobRecord(
        "20260101-120000-aaaa",
        "train",
        {"data_dir": "faces"},
        state="running",
        created=FIXED_NOW - 100,
        started=FIXED_NOW - 90,
        step=30,
        total=100,
        stage="epoch 3/10",
        preview=preview,
        outputs={},
        placement="gpu:1",
    )
    done = JobRecord(
        "20260101-110000-bbbb",
        "sample",
        {"out": "grid.png"},
        state="done",
        created=FIXED_NOW - 3000,
        started=FIXED_NOW - 2990,
        finished=FIXED_NOW - 2980,
        step=1,
        total=1,
        outputs={"out": "grid.png"},
        placement="gpu:0",
    )
    failed = JobRecord(
        "20260101-100000-cccc",
        "train",
        {"data_dir": "empty"},
        state="failed",
        created=FIXED_NOW - 6000,
        started=FIXED_NOW - 5995,
        finished=FIXED_NOW - 5990,
        error="no images found in empty/",
        placement="cpu",
    )
    losses = [{"d_loss": 1.4 - step / 100, "g_loss": 0.7 + step / 80} for step in range(1, 31)]
    metrics = [Metrics(step, values) for step, values in enumerate(losses, start=1)]
    log = [("info", "16 images at 32px from faces (disk)"), ("info", "TensorFlow sees no GPU")]
    return FakeRunner([running, done, failed], {running.id: metrics}, {running.id: log})


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(3):
        _grid_png(folder / f"{index}.png")
    return folder


__all__ = ["FakeRunner", "FakePainter", "FIXED_NOW", "Message"]
