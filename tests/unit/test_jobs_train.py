"""The runner with the real DCGAN engine: a tiny training job, cancelled with a checkpoint, then resumed.

Each job's child imports TensorFlow (~5 s), so this file runs just two jobs.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from artgen.dcgan.config import TrainConfig
from artgen.events import Preview, Progress
from artgen.jobs import HistoryStore, Runner


@pytest.fixture
def faces(tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(16):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"{index:02d}.png")
    return folder


@pytest.mark.slow
def test_training_job_cancels_with_a_checkpoint_and_resumes_to_done(tmp_path, faces, monkeypatch):
    monkeypatch.setenv("ARTGEN_CACHE_DIR", str(tmp_path / "cache"))
    runner = Runner(HistoryStore(tmp_path / "jobs.sqlite"), stop_timeout=60)
    updates = []
    runner.subscribe(updates.append)
    try:
        config = TrainConfig.tiny(str(faces), steps=60, runs_root=str(tmp_path / "runs")).to_dict()
        job = runner.submit("train", config, device="cpu")
        run_dir = job.config["run_dir"]  # fixed at submit, so even a killed job can be resumed
        deadline = time.monotonic() + 120
        while not _train_steps(updates, job.id):
            assert time.monotonic() < deadline and runner.get(job.id).active, runner.get(job.id).error
            time.sleep(0.05)
        runner.cancel(job.id)
        stopped = runner.wait(job.id, timeout=120)
        assert stopped.state == "cancelled" and stopped.resumable, stopped.error
        assert list((tmp_path / "runs").glob("*/checkpoints/step-*.npz"))
        assert stopped.outputs["run_dir"] == run_dir
        stopped_at = _train_steps(updates, job.id)[-1]

        resumed = runner.resume(job.id)
        done = runner.wait(resumed.id, timeout=300)
        assert done.state == "done", done.error
        assert done.outputs["generator_path"].endswith("generator.keras")
        assert any("resuming" in text for _, text in runner.log(resumed.id))
        steps = _train_steps(updates, resumed.id)
        assert steps == sorted(steps) and steps[0] >= stopped_at and steps[-1] == 60  # [0]: where it resumed
        assert any(isinstance(u.event, Preview) for u in updates if u.record.id == resumed.id)
    finally:
        runner.shutdown(timeout=30)


def _train_steps(updates, job_id):
    return [
        u.event.step
        for u in updates
        if u.record.id == job_id and isinstance(u.event, Progress) and u.event.unit == "step"
    ]
