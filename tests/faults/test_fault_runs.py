"""Run folders: never taken over, held by one process, resumable from a damaged or moved state."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from corpus import TINY, hashes, refused, unchanged
from PIL import Image

from artgen import runs
from artgen.errors import RunInUse


def _metrics(run_dir: Path) -> np.ndarray:
    return np.loadtxt(run_dir / "metrics.csv", delimiter=",", skiprows=1, ndmin=2)


def test_a_run_folder_is_not_taken_over_without_resume(
    artgen, run_copy: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-data"
    shutil.copytree(shapes_dir, other)
    before = hashes(run_copy)
    outcome = artgen("train", other, *TINY, "--run-dir", run_copy)
    refused(outcome, 2, "already holds a training run", "--resume")
    unchanged(before)
    assert sorted(p.name for p in (run_copy / "checkpoints").iterdir()) == sorted(
        Path(name).name for name in before if "/checkpoints/" in name
    )


def test_a_run_folder_with_other_settings_names_the_setting(run_copy: Path, shapes_dir: Path) -> None:
    """What the studio and scripts reach (they pass a run folder, not --resume): the setting is named."""
    from artgen.dcgan import train
    from artgen.dcgan.config import TrainConfig
    from artgen.errors import RunDirError

    before = hashes(run_copy)
    config = TrainConfig.tiny(str(shapes_dir), latent_dim=16, run_dir=str(run_copy))
    with pytest.raises(RunDirError, match=r"latent_dim 8 \(now 16\)"):
        train(config)
    unchanged(before)


def test_an_edited_config_json_names_the_setting_that_no_longer_fits(artgen, run_copy: Path) -> None:
    config = json.loads((run_copy / "config.json").read_text())
    (run_copy / "config.json").write_text(json.dumps({**config, "width": 16}))
    before = hashes(run_copy)
    outcome = artgen("train", "--resume", run_copy, "--steps", "6")
    refused(outcome, 2, "does not fit", "width 8 (now 16)", alone=False)
    unchanged(before)


def test_a_run_held_by_a_live_process_is_refused_naming_it(artgen, run_copy: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = {"pid": holder.pid, "host": socket.gethostname(), "since": "now", "command": "artgen train"}
        (run_copy / runs.LOCK_NAME).write_text(json.dumps(lock))
        before = hashes(run_copy)
        line = refused(artgen("train", "--resume", run_copy, "--steps", "6"), 1, "is in use by")
        assert f"process {holder.pid} on {socket.gethostname()}" in line
        unchanged(before)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
def test_a_stale_lock_and_stale_temporaries_are_cleared_on_resume(artgen, run_copy: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (run_copy / runs.LOCK_NAME).write_text(json.dumps({"pid": gone.pid, "host": socket.gethostname()}))
    # what kill -9 leaves
    (run_copy / "checkpoints" / f"{runs.TMP_PREFIX}step-00000006-x1y2z3w4.npz").write_bytes(b"")
    (run_copy / f"{runs.TMP_PREFIX}generator-a1b2c3d4.keras").write_bytes(b"")
    outcome = artgen("train", "--resume", run_copy, "--steps", "6")
    assert outcome.status == 0, outcome.err
    assert not list(run_copy.rglob(f"{runs.TMP_PREFIX}*")) and not (run_copy / runs.LOCK_NAME).exists()
    assert _metrics(run_copy)[-1, 0] == 6


@pytest.mark.slow
def test_a_truncated_newest_checkpoint_is_skipped_by_name(artgen, run_copy: Path, tmp_path: Path) -> None:
    (run_copy / "generator.keras").unlink()  # a run stopped before its end: sample reads checkpoints
    newest = run_copy / "checkpoints" / "step-00000004.npz"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    older = hashes(run_copy / "checkpoints" / "step-00000002.npz")

    outcome = artgen("sample", "--model", run_copy, "-n", "4", tmp_path / "grid.png")
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    err = outcome.err.replace("\n", "")
    assert "skipped checkpoint step-00000004.npz (truncated or damaged)" in err, err
    assert Image.open(tmp_path / "grid.png").size[0] > 64

    unchanged(older)

    outcome = artgen("train", "--resume", run_copy, "--steps", "6")
    assert outcome.status == 0, outcome.err
    err = outcome.err.replace("\n", "")
    assert "skipped checkpoint step-00000004.npz" in err and "from step 2" in err, err
    assert _metrics(run_copy)[-1, 0] == 6


def test_no_readable_checkpoint_is_one_line(artgen, run_copy: Path, tmp_path: Path) -> None:
    (run_copy / "generator.keras").unlink()
    for path in (run_copy / "checkpoints").glob("*.npz"):
        path.write_bytes(b"PK\x03\x04 cut")
    before = hashes(run_copy)
    refused(artgen("train", "--resume", run_copy, "--steps", "6"), 2, "no readable checkpoint", alone=False)
    refused(artgen("sample", "--model", run_copy, tmp_path / "g.png"), 2, "no readable checkpoint")
    unchanged(before)


def test_a_damaged_checkpoint_fails_its_digest(run_copy: Path) -> None:
    """A flipped byte inside an array that still unzips is caught by the digest, not used."""
    from artgen.dcgan import checkpoint

    path = run_copy / "checkpoints" / "step-00000004.npz"
    arrays = dict(np.load(path, allow_pickle=False))
    key = next(k for k in arrays if k.startswith("generator/"))
    arrays[key] = arrays[key] + 1.0
    np.savez(path, **arrays)
    found, _ = checkpoint.newest_readable(run_copy)
    assert found.name == "step-00000002.npz"


@pytest.mark.slow
def test_a_moved_dataset_resumes_with_data(
    artgen, shapes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(shapes_dir, tmp_path / "pics")
    assert artgen("train", "pics", *TINY, "--steps", "2", "--run-dir", "run").status == 0
    stored = json.loads((tmp_path / "run" / "config.json").read_text())
    assert stored["data_dir"] == str(tmp_path / "pics")  # absolute: resumable from any folder

    (tmp_path / "pics").rename(tmp_path / "moved")
    monkeypatch.chdir(tmp_path / "moved")
    before = hashes(tmp_path / "run")
    refused(artgen("train", "--resume", "../run", "--steps", "4"), 2, "which is gone", "--data NEW_DIR")
    unchanged(before)
    outcome = artgen("train", "--resume", "../run", "--steps", "4", "--data", ".")
    assert outcome.status == 0, outcome.err
    assert json.loads((tmp_path / "run" / "config.json").read_text())["data_dir"] == str(tmp_path / "moved")


@pytest.mark.slow
def test_large_photos_name_the_limit_in_training_and_are_downscaled_for_style(
    artgen, shapes_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(shapes_dir, data)
    Image.new("RGB", (1600, 1200), (10, 200, 30)).save(data / "huge.png")
    run_dir = tmp_path / "run"
    outcome = artgen("train", data, *TINY, "--steps", "1", "--run-dir", run_dir, "--max-pixels", "1e6")
    assert outcome.status == 0, outcome.err
    assert "huge.png (too large" in outcome.err and "--max-pixels" in outcome.err

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (1600, 1200), (200, 120, 30)).save(photo, quality=85)
    style = tmp_path / "style.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(style)
    out = tmp_path / "out.png"
    argv = ("style", photo, style, "-o", out, "--size", "48", "--iterations", "2", "--scales", "1")
    outcome = artgen(*argv, "--max-pixels", "1e6")
    assert outcome.status == 0, outcome.err
    assert max(Image.open(out).size) == 48


def test_run_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with runs.run_lock(tmp_path) as lock:
        holder = json.loads(lock.read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(RunInUse, match=f"process {os.getpid()}"), runs.run_lock(tmp_path):
            pass
        assert lock.exists()
    assert not lock.exists()
