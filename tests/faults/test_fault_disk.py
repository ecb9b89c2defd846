"""A full disk in train, sample and walk: exit 1, one line naming the folder, the last good state kept.

The disk is a small tmpfs filled to the brim where this machine lets the test
mount one (root on Linux), else every atomic write is patched to fail with
ENOSPC as a full disk would make it: the case runs either way, never skipped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from corpus import hashes, refused, unchanged


def test_sample_onto_a_full_disk(artgen, full_disk) -> None:
    out = full_disk.folder / "grid.png"
    full_disk.fill()
    before = hashes(full_disk.folder)
    line = refused(artgen("sample", "-n", "4", out), 1, "no space left on device", alone=False)
    assert str(full_disk.folder.resolve()) in line
    unchanged(before)
    assert not out.exists() and not list(full_disk.folder.glob(".tmp-*"))


def test_walk_onto_a_full_disk(artgen, full_disk) -> None:
    out = full_disk.folder / "walk.gif"
    full_disk.fill()
    before = hashes(full_disk.folder)
    line = refused(artgen("walk", "--frames", "6", "--size", "128", out), 1, "no space left", alone=False)
    assert str(full_disk.folder.resolve()) in line
    unchanged(before)
    assert not out.exists() and not list(full_disk.folder.glob(".tmp-*"))


def test_training_on_a_full_disk_keeps_its_checkpoints(artgen, full_disk, trained_run: Path) -> None:
    run_dir = full_disk.folder / "run"
    shutil.copytree(trained_run, run_dir)
    full_disk.fill(spare_pages=2)  # room for the lock and config.json, not for a checkpoint
    before = hashes(run_dir)
    del before[str(run_dir / "config.json")]  # a resume may record its new length (--steps 8) there
    line = refused(artgen("train", "--resume", run_dir, "--steps", "8"), 1, "no space left", alone=False)
    assert str(run_dir.resolve()) in line  # the run folder, or its checkpoints/ below it
    unchanged(before)
    assert not list(run_dir.rglob(".tmp-*")) and not (run_dir / ".lock").exists()
    assert json.loads((run_dir / "config.json").read_text())["engine"] == "dcgan"


def test_the_full_disk_case_knows_how_it_ran(full_disk) -> None:
    """Say which way the disk was full, so a CI log shows the case ran (never silently skipped)."""
    print(f"full disk simulated by {'a mounted tmpfs' if full_disk.mounted else 'patched writes'}")
    full_disk.fill()
    from artgen import runs
    from artgen.errors import WriteFailed

    try:
        runs.write_bytes(full_disk.folder / "x.bin", b"\1" * 65536)
    except WriteFailed as exc:
        assert "no space left on device" in str(exc)
    else:
        raise AssertionError("the full disk accepted a write")
