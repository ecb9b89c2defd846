"""Atomic writes: a failure part-way leaves the old file whole and no debris."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from artgen import runs
from artgen.errors import RunDirError


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "metrics.csv"
    runs.write_text(target, "old\n")
    with pytest.raises(RuntimeError), runs.atomic_path(target) as tmp:
        tmp.write_text("half a new fi")
        raise RuntimeError("killed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.csv"]


def test_temporary_keeps_the_suffix_writers_choose_formats_by(tmp_path: Path) -> None:
    with runs.atomic_path(tmp_path / "model.keras") as tmp:
        assert tmp.suffix == ".keras" and tmp.name.startswith(runs.TMP_PREFIX)
        tmp.write_bytes(b"x")
    assert (tmp_path / "model.keras").read_bytes() == b"x"


def test_new_run_dirs_never_collide(tmp_path: Path) -> None:
    first = runs.new_run_dir(tmp_path, "My Faces!")
    second = runs.new_run_dir(tmp_path, "My Faces!")
    assert first != second and first.name.startswith("my-faces-")


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        runs.write_text(tmp_path / "out.txt", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644


def test_a_queued_training_job_names_its_run_folder_without_making_it(tmp_path: Path) -> None:
    """A refused studio job must leave no empty run folder: the engine makes it once inputs are valid."""
    from artgen.dcgan import TrainConfig, train
    from artgen.errors import InputError
    from artgen.jobs.prepare import fix_run_dir

    empty = tmp_path / "no-images"
    empty.mkdir()
    first = fix_run_dir({"data_dir": str(empty), "runs_root": str(tmp_path / "runs")})
    second = fix_run_dir({"data_dir": str(empty), "runs_root": str(tmp_path / "runs")})
    assert first["run_dir"] != second["run_dir"]  # two jobs queued in the same second
    assert not Path(first["run_dir"]).exists()
    with pytest.raises(InputError):
        train(TrainConfig.tiny(str(empty), run_dir=first["run_dir"]))
    assert not Path(first["run_dir"]).exists()


@pytest.mark.parametrize("engine", ["toy_gan", "classify"])
def test_engines_that_cannot_continue_a_run_refuse_its_folder(tmp_path: Path, engine: str) -> None:
    settings = {"engine": engine, "seed": 0}
    with runs.open_run(tmp_path / "run", tmp_path, engine, settings, resumable=False) as run_dir:
        runs.write_json(run_dir / "config.json", settings)
        assert (run_dir / runs.LOCK_NAME).exists()
    with pytest.raises(RunDirError, match="cannot be continued"):
        runs.check_run_dir(tmp_path / "run", tmp_path, settings, resumable=False)
    with runs.open_run(tmp_path / "run", tmp_path, engine, settings) as again:  # one that can continue: may
        assert again == tmp_path / "run"


def test_deletion_takes_only_artgens_names_inside_the_run_never_through_a_link(tmp_path: Path) -> None:
    run, archive = tmp_path / "run", tmp_path / "archive"
    (run / "checkpoints").mkdir(parents=True)
    archive.mkdir()
    (run / "linked").symlink_to(archive)
    ours = run / f"{runs.TMP_PREFIX}config-a1b2c3d4.json"
    building = run / f"{runs.TMP_PREFIX}frames-a1b2c3d4"  # a folder of frames being written
    near = [
        run / ".tmp-notes.txt",
        run / f"{runs.TMP_PREFIX}notes.txt",
        archive / f"{runs.TMP_PREFIX}x-a1b2c3d4.png",
    ]
    building.mkdir()
    (building / "frame-00000.png").write_bytes(b"x")
    for path in [ours, *near]:
        path.write_bytes(b"x")
    assert runs.clean_temporaries(run) == [ours, building]
    assert all(path.exists() for path in near)

    checkpoint = re.compile(r"step-\d{8}\.npz")
    for name in ("step-00000002.npz", "step-00000002-mine.npz"):
        (archive / name).write_bytes(b"x")
    assert not runs.remove_own(run / "linked" / "step-00000002.npz", run, checkpoint)  # through the link
    assert not runs.remove_own(run / "linked" / "step-00000002-mine.npz", run, checkpoint)
    assert not runs.remove_own(archive / "step-00000002.npz", run, checkpoint)  # outside the run
    (run / "checkpoints" / "step-00000004.npz").symlink_to(archive / "step-00000002.npz")
    assert not runs.remove_own(run / "checkpoints" / "step-00000004.npz", run, checkpoint)  # a link
    assert sorted(p.name for p in archive.iterdir()) == [
        f"{runs.TMP_PREFIX}x-a1b2c3d4.png",
        "step-00000002-mine.npz",
        "step-00000002.npz",
    ]
    (run / "checkpoints" / "step-00000006.npz").write_bytes(b"x")
    assert runs.remove_own(run / "checkpoints" / "step-00000006.npz", run, checkpoint)
