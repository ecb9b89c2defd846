"""Fixtures of the fault and bad-input corpus; the tools they use are in corpus.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import TINY, FullDisk, Outcome, try_mount

from artgen.cli import main


@pytest.fixture
def artgen(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run ``artgen ARGS`` in this process; returns its status and what it printed."""
    # The user's variables stay out of a case; and the Keras backend main() gives this process before Keras
    # loads (KERAS_BACKEND) goes back as it was, for the next case and the jobs' children it may start.
    monkeypatch.setenv("ARTGEN_MAX_PIXELS", "")
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "tensorflow"))

    def run(*argv: str) -> Outcome:
        capsys.readouterr()
        try:
            status = main([str(arg) for arg in argv])
        except SystemExit as exc:  # argparse's own refusals
            status = int(exc.code or 0)
        captured = capsys.readouterr()
        return Outcome(status, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, shapes_dir: Path) -> Path:
    """A finished tiny run (4 steps, checkpoints at 2 and 4): copy it before changing it."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    argv = ["train", str(shapes_dir), *TINY, "--steps", "4", "--checkpoint-every", "2"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARTGEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        assert main([*argv, "--run-dir", str(run_dir)]) == 0
    assert len(list((run_dir / "checkpoints").glob("step-*.npz"))) == 2
    return run_dir


@pytest.fixture
def run_copy(trained_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    return copy


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FullDisk]:
    folder = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    mounted = os.environ.get("ARTGEN_FAULTS_NO_MOUNT") is None and try_mount(folder, "4m")
    try:
        yield FullDisk(folder, mounted, monkeypatch)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=20)
