"""Signals and kills: Ctrl-C, SIGTERM and SIGHUP checkpoint then exit; kill -9 resumes identically.

These are the corpus cases that need a child process: a signal or a kill
must reach a real ``artgen`` while it trains. Everything after (resuming,
comparing losses, a second process on the same run) runs in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from corpus import REPO, TINY, hashes, refused, spawn, unchanged, wait_for

from artgen import runs

pytestmark = pytest.mark.slow  # real signals, several devices or a cluster: CI runs them


def _metrics(run_dir: Path) -> np.ndarray:
    return np.loadtxt(run_dir / "metrics.csv", delimiter=",", skiprows=1, ndmin=2)


def _checkpoints(run_dir: Path) -> list[str]:
    return sorted(path.name for path in (run_dir / "checkpoints").glob("step-*.npz"))


def _stop(process: subprocess.Popen[str], signum: int) -> str:
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    return err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_checkpoints_then_exits(
    signum: signal.Signals, artgen, shapes_dir: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    endless = ("--steps", "100000", "--checkpoint-every", "100000")  # only the stop itself checkpoints
    process = spawn("train", shapes_dir, *TINY, *endless, "--run-dir", run_dir)
    try:
        wait_for(lambda: (run_dir / "images").is_dir(), process)  # an epoch in: past the start-up
        if signum == signal.SIGTERM:  # meanwhile, a second process on the same run is refused
            before = hashes(run_dir / "config.json")
            line = refused(artgen("train", "--resume", run_dir, "--steps", "200000"), 1, "is in use by")
            assert f"process {process.pid}" in line
            unchanged(before)
        time.sleep(0.5)
        err = _stop(process, signum)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err and f"artgen train --resume {run_dir}" in " ".join(err.split()), err
    saved = _checkpoints(run_dir)
    assert len(saved) == 1 and not (run_dir / runs.LOCK_NAME).exists()
    assert not list(run_dir.rglob(f"{runs.TMP_PREFIX}*"))
    step = int(saved[0][5:13])
    assert step >= 3
    if signum == signal.SIGTERM:  # what SIGTERM saved resumes
        outcome = artgen("train", "--resume", run_dir, "--steps", str(step + 2))
        assert outcome.status == 0, outcome.err
        assert _metrics(run_dir)[-1, 0] == step + 2


def test_kill_9_then_resume_gives_the_losses_of_an_unbroken_run(
    artgen, shapes_dir: Path, tmp_path: Path
) -> None:
    settings = (*TINY, "--checkpoint-every", "4", "--log-every", "1")
    killed = tmp_path / "killed"
    process = spawn("train", shapes_dir, *settings, "--steps", "100000", "--run-dir", killed)
    try:
        wait_for(lambda: (killed / "checkpoints" / "step-00000008.npz").exists(), process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        process.kill()
    last = int(_checkpoints(killed)[-1][5:13])
    total = last + 4
    assert (killed / runs.LOCK_NAME).exists()  # kill -9 leaves its lock: the resume finds it stale
    outcome = artgen("train", "--resume", killed, "--steps", str(total))
    assert outcome.status == 0, outcome.err
    assert not list(killed.rglob(f"{runs.TMP_PREFIX}*")) and not (killed / runs.LOCK_NAME).exists()

    unbroken = tmp_path / "unbroken"
    assert artgen("train", shapes_dir, *settings, "--steps", str(total), "--run-dir", unbroken).status == 0
    resumed, reference = _metrics(killed), _metrics(unbroken)
    assert resumed[:, 0].tolist() == reference[:, 0].tolist() == list(range(1, total + 1))
    np.testing.assert_allclose(resumed[:, 1:5], reference[:, 1:5], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_job_child_stops_gracefully_on_a_stop_signal(
    signum: signal.Signals, runner, demo_kind, tmp_path: Path
) -> None:
    """A scheduler's SIGTERM, or a closed terminal's SIGHUP, to a studio job's process: it saves its
    state and ends as stopped."""
    run_dir = tmp_path / "demo"
    record = runner.submit("demo", {"steps": 100000, "delay": 0.01, "run_dir": str(run_dir)})
    deadline = time.monotonic() + 60
    while runner.get(record.id).step < 3:
        assert time.monotonic() < deadline and runner.get(record.id).active, runner.get(record.id)
        time.sleep(0.05)
    os.kill(runner.pid(record.id), signum)
    done = runner.wait(record.id, timeout=60)
    assert done.state == "cancelled" and done.error is None, done
    assert (run_dir / "checkpoints" / "state.json").is_file()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_ends_a_command_without_steps_as_ctrl_c_does(
    signum: signal.Signals, trained_run: Path, tmp_path: Path
) -> None:
    """``sample --separate`` writes file after file, with no step to stop at: SIGTERM or SIGHUP ends it
    where it is, through the same cleanup as Ctrl-C (no temporary left, the files written whole)."""
    folder = tmp_path / "each"
    (tmp_path / "keep.png").write_bytes(b"a user's picture")
    before = hashes(tmp_path)
    process = spawn("sample", "--model", trained_run, "-n", "4000", "--separate", folder)  # a tiny generator
    try:
        wait_for(lambda: folder.is_dir() and any(folder.glob("*.png")), process, poll=0.01)
        err = _stop(process, signum)
    finally:
        process.kill()
    assert process.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]  # "using ... (final)", then the end
    assert "Traceback" not in err and lines[-1] == "artgen: interrupted" and len(lines) <= 2, err
    unchanged(before)
    assert not list(tmp_path.rglob(".artgen-tmp-*"))


KILLED_WRITER = """
import os, signal, sys
from artgen import runs
with runs.atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"the first half of a video")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_temporary_of_a_killed_writer_is_removed_by_the_next_write(artgen, tmp_path: Path) -> None:
    """kill -9 leaves the temporary of an MP4 being written; the next artgen writing there removes it,
    and only it: not a live process's temporary, nor a file of the same look that artgen did not write."""
    out = tmp_path / "walk.mp4"
    (tmp_path / ".tmp-notes.txt").write_text("a user's file")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(out)], env=env)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    (left,) = tmp_path.glob(f"{runs.TMP_PREFIX}*.mp4")
    assert f"-{killed.pid}-" in left.name  # whose it was: the writer's PID is in its name
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        in_use = tmp_path / left.name.replace(f"-{killed.pid}-", f"-{live.pid}-", 1)
        in_use.write_bytes(b"another artgen's video, still being written")
        before = hashes(tmp_path / ".tmp-notes.txt", in_use)
        outcome = artgen("walk", "--frames", "4", "--size", "64", tmp_path / "other.gif")
        assert outcome.status == 0, outcome.err
        unchanged(before)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            [".tmp-notes.txt", in_use.name, "other.gif"]
        )
    finally:
        live.kill()
        live.wait()
