"""Faults outside the user's control: a full disk in train, sample and walk, and a killed writer.

Each is exit 1 and one line naming the file or folder, with the last good state kept.

The disk is a small tmpfs filled to the brim where this machine lets the test
mount one (root on Linux), else every atomic write is patched to fail with
ENOSPC as a full disk would make it: the case runs either way, never skipped.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from corpus import hashes, refused, unchanged

from artgen import runs


def test_sample_onto_a_full_disk(artgen, full_disk) -> None:
    out = full_disk.folder / "grid.png"
    full_disk.fill()
    before = hashes(full_disk.folder)
    line = refused(artgen("sample", "-n", "4", out), 1, "no space left on device", alone=False)
    assert str(full_disk.folder.resolve()) in line
    unchanged(before)
    assert not out.exists() and not list(full_disk.folder.glob(f"{runs.TMP_PREFIX}*"))


def test_walk_onto_a_full_disk(artgen, full_disk) -> None:
    out = full_disk.folder / "walk.gif"
    full_disk.fill()
    before = hashes(full_disk.folder)
    line = refused(artgen("walk", "--frames", "6", "--size", "128", out), 1, "no space left", alone=False)
    assert str(full_disk.folder.resolve()) in line
    unchanged(before)
    assert not out.exists() and not list(full_disk.folder.glob(f"{runs.TMP_PREFIX}*"))


def test_an_mp4_onto_a_full_disk_is_a_full_disk(artgen, full_disk) -> None:
    """ffmpeg writes the file, and may meet the full disk only after the last frame, at the index."""
    out = full_disk.folder / "walk.mp4"
    full_disk.fill()
    before = hashes(full_disk.folder)
    line = refused(
        artgen("walk", "--frames", "6", "--size", "64", out), 1, "no space left on device", alone=False
    )
    assert str(full_disk.folder.resolve()) in line and "ended before" not in line
    unchanged(before)
    assert not out.exists() and not list(full_disk.folder.glob(".artgen-tmp-*"))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux), a device always full")
def test_ffmpeg_on_a_full_device_says_so_as_any_write_would(tmp_path: Path) -> None:
    """ffmpeg's exit status read back as its error: a full device, whatever the size of the walk."""
    from artgen.media import write_mp4
    from artgen.runs import write_error

    frames = np.zeros((6, 32, 32, 3), np.uint8)
    with pytest.raises(OSError) as raised:
        write_mp4(Path("/dev/full"), [frames], 24)
    assert raised.value.errno == errno.ENOSPC
    assert "no space left on device" in str(write_error(raised.value, tmp_path / "walk.mp4"))


@pytest.mark.slow
def test_training_on_a_full_disk_keeps_its_checkpoints(artgen, full_disk, trained_run: Path) -> None:
    run_dir = full_disk.folder / "run"
    shutil.copytree(trained_run, run_dir)
    full_disk.fill(spare_pages=2)  # room for the lock and config.json, not for a checkpoint
    before = hashes(run_dir)
    del before[str(run_dir / "config.json")]  # a resume may record its new length (--steps 8) there
    line = refused(artgen("train", "--resume", run_dir, "--steps", "8"), 1, "no space left", alone=False)
    assert str(run_dir.resolve()) in line  # the run folder, or its checkpoints/ below it
    unchanged(before)
    assert not list(run_dir.rglob(f"{runs.TMP_PREFIX}*")) and not (run_dir / runs.LOCK_NAME).exists()
    assert json.loads((run_dir / "config.json").read_text())["engine"] == "dcgan"


def test_the_full_disk_case_knows_how_it_ran(full_disk) -> None:
    """Say which way the disk was full, so a CI log shows the case ran (never silently skipped)."""
    print(f"full disk simulated by {'a mounted tmpfs' if full_disk.mounted else 'patched writes'}")
    full_disk.fill()
    from artgen.errors import WriteFailed

    try:
        runs.write_bytes(full_disk.folder / "x.bin", b"\1" * 65536)
    except WriteFailed as exc:
        assert "no space left on device" in str(exc)
    else:
        raise AssertionError("the full disk accepted a write")


def _kill_child_named(name: bytes, after: float) -> threading.Thread:
    """Kill -9 this process's child whose command line has ``name``, ``after`` seconds once it runs."""

    def hunt() -> None:
        me = str(os.getpid())
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    command = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if stat[stat.rfind(")") + 2 :].split()[1] == me and name in command:
                    time.sleep(after)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)
                        return
            time.sleep(0.02)

    thread = threading.Thread(target=hunt, daemon=True)
    thread.start()
    return thread


@pytest.mark.slow
def test_a_killed_ffmpeg_is_one_line_and_leaves_nothing(artgen, tmp_path: Path) -> None:
    """The video writer is a child process; killed mid-file, the walk is a fault (exit 1), not a traceback."""
    (tmp_path / "keep.mp4").write_bytes(b"an older video")
    before = hashes(tmp_path)
    hunter = _kill_child_named(b"rawvideo", after=0.3)  # the encoder, not imageio's version probe
    outcome = artgen("walk", "--frames", "1000", "--size", "128", tmp_path / "walk.mp4")
    hunter.join(timeout=5)
    refused(outcome, 1, "walk.mp4", "ended before the file was complete", alone=False)
    unchanged(before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]
