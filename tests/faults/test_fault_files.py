"""Only regular files are read: a pipe, socket, device, dangling link or link loop is never waited on.

Each case puts such a name where artgen reads (a data folder, the photo,
the style, a mask, a checkpoint, config.json, metrics.csv, a model, the
dataset cache, a classify or evaluation folder) and checks the promise: a
folder skips it and counts it, a single file is refused in one line with
exit status 2, nothing that was there changes, and nothing hangs. A pipe
that a regression would wait on is given an empty writer after a while
(:func:`unblocked`), so the case fails by name instead of holding the suite.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from corpus import TINY, hashes, refused, unchanged
from PIL import Image

from artgen import images

WAIT = 45.0  # seconds before a case still waiting on a pipe is released and failed

# name -> (how to make it, the reason a reader gives for it)
ODD = {
    "pipe.png": (lambda path: os.mkfifo(path), "not a regular file (a named pipe)"),
    "device.png": (lambda path: path.symlink_to(os.devnull), "not a regular file (a device)"),
    "endless.jpg": (lambda path: path.symlink_to("/dev/zero"), "not a regular file (a device)"),
    "dangling.png": (lambda path: path.symlink_to(path.parent / "gone.png"), "no such file or directory"),
    "loop.png": (lambda path: path.symlink_to(path.name), "too many levels of symbolic links"),
    "dds.png": (lambda path: path.write_bytes(b"DDS |\x00\x00\x00\x07\x10\x00\x00\x28"), "not an image"),
    "poster.png": (lambda path: path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\nshowpage\n"), "not an image"),
}


@contextlib.contextmanager
def unblocked(*pipes: Path, after: float = WAIT) -> Iterator[list[str]]:
    """Yields the pipes a reader was found waiting on after ``after`` seconds (each then given EOF)."""
    waited: list[str] = []
    done = threading.Event()

    def release() -> None:
        if done.wait(after):
            return
        while not done.is_set():
            for pipe in pipes:
                try:
                    fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO unless someone waits to read
                except OSError:
                    continue
                waited.append(pipe.name)
                os.close(fd)
            done.wait(0.2)

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    try:
        yield waited
    finally:
        done.set()
        thread.join()


@pytest.fixture
def odd_names(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """Every odd kind of name in ``tmp_path/odd``, plus a bound socket (kept open for the case)."""
    folder = tmp_path / "odd"
    folder.mkdir()
    made = {}
    for name, (make, _) in ODD.items():
        make(folder / name)
        made[name] = folder / name
    listener = socket.socket(socket.AF_UNIX)
    here = Path.cwd()
    os.chdir(folder)  # a socket's path has a short length limit: bind by its name
    try:
        listener.bind("socket.png")
    finally:
        os.chdir(here)
    made["socket.png"] = folder / "socket.png"
    with listener:
        yield made


SOCKET_REASON = "not a regular file (a socket)"
REASONS = {name: reason for name, (_, reason) in ODD.items()} | {"socket.png": SOCKET_REASON}


def _no_temporaries(root: Path) -> None:
    assert not [p for p in root.rglob(".artgen-tmp-*")], list(root.rglob(".artgen-tmp-*"))


@pytest.mark.slow
def test_a_folder_with_every_odd_name_trains_on_the_rest_and_counts_them(
    artgen, tmp_path: Path, shapes_dir: Path, odd_names: dict[str, Path]
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(shapes_dir, folder)
    for name, path in odd_names.items():
        os.replace(path, folder / name)
    before = hashes(folder)

    with unblocked(folder / "pipe.png") as waited:
        outcome = artgen("train", folder, *TINY, "--steps", "1", "--run-dir", tmp_path / "run")

    assert waited == [] and outcome.status == 0 and "Traceback" not in outcome.err, (waited, outcome.err)
    assert f"skipped {len(REASONS)} unusable files" in outcome.err.replace("\n", " "), outcome.err
    skipped = dict(images.load_folder(folder, 32).skipped)  # the run's report, from its cache
    assert {Path(path).name: reason for path, reason in skipped.items()} == REASONS
    unchanged(before)
    _no_temporaries(tmp_path)


@pytest.fixture
def pictures(tmp_path: Path) -> dict[str, Path]:
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (40, 48, 3), np.uint8)).save(photo)
    Image.fromarray(rng.integers(0, 255, (48, 48, 3), np.uint8)).save(painting)
    return {"photo": photo, "painting": painting}


ROLES = {
    "content": lambda odd, p: ["style", odd, p["painting"]],
    "style": lambda odd, p: ["style", p["photo"], odd],
    "second-style": lambda odd, p: ["style", p["photo"], p["painting"], odd],
    "mask": lambda odd, p: ["style", p["photo"], p["painting"], "--mask", odd],
}


@pytest.mark.parametrize("name", sorted(REASONS))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_single_odd_file_is_refused_in_one_line(
    artgen,
    tmp_path: Path,
    odd_names: dict[str, Path],
    pictures: dict[str, Path],
    role: str,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    before, entries = hashes(tmp_path), sorted(p.name for p in tmp_path.iterdir())
    odd = odd_names[name]
    argv = [*ROLES[role](odd, pictures), "--size", "32", "--iterations", "1", "--scales", "1"]

    with unblocked(odd_names["pipe.png"]) as waited:
        outcome = artgen(*argv)

    assert waited == []
    refused(outcome, 2, f"{odd}: " if role != "mask" else f"--mask {odd}: ", REASONS[name])
    unchanged(before)
    assert sorted(p.name for p in tmp_path.iterdir()) == entries
    _no_temporaries(tmp_path)


def test_a_pipe_named_as_a_video_never_reaches_ffmpeg(artgen, tmp_path: Path, pictures) -> None:
    pipe = tmp_path / "clip.mp4"
    os.mkfifo(pipe)
    with unblocked(pipe) as waited:
        outcome = artgen("style", pipe, pictures["painting"], "--size", "32")
    assert waited == []
    refused(outcome, 2, f"{pipe}: not a regular file (a named pipe)")


def test_a_pipe_named_as_a_track_never_reaches_ffmpeg(artgen, tmp_path: Path) -> None:
    pipe = tmp_path / "track.wav"
    os.mkfifo(pipe)
    before = hashes(tmp_path)
    with unblocked(pipe) as waited:
        outcome = artgen("walk", "--audio", pipe, tmp_path / "walk.mp4")
    assert waited == []
    refused(outcome, 2, f"{pipe}: not a regular file (a named pipe)")
    unchanged(before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["track.wav"]


def test_a_folder_of_frames_skips_odd_names_and_refuses_when_too_few_remain(
    artgen, tmp_path: Path, odd_names: dict[str, Path], pictures: dict[str, Path]
) -> None:
    from artgen.style.clips import open_clip

    frames = odd_names["pipe.png"].parent
    for index in range(3):
        shutil.copy(pictures["photo"], frames / f"frame-{index}.png")
    with unblocked(odd_names["pipe.png"]) as waited:
        clip = open_clip(frames, sequence=True)
    assert waited == [] and clip is not None
    assert [path.name for path in clip.files] == ["frame-0.png", "frame-1.png", "frame-2.png"]
    assert {Path(path).name: reason for path, reason in clip.skipped} == REASONS

    for index in range(1, 3):
        (frames / f"frame-{index}.png").unlink()
    before = hashes(tmp_path)
    with unblocked(odd_names["pipe.png"]) as waited:
        outcome = artgen("style", frames, pictures["painting"], "--sequence", "-o", tmp_path / "out")
    assert waited == []
    refused(outcome, 2, "at least 2 frames, found 1", "skipped 8 unusable files")
    unchanged(before)
    assert not (tmp_path / "out").exists()


# -- a run's own files ---------------------------------------------------------------------------


def _pipe_in_place_of(path: Path) -> Path:
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


@pytest.mark.slow
def test_a_pipe_named_like_the_newest_checkpoint_is_skipped_by_name(
    artgen, run_copy: Path, tmp_path: Path
) -> None:
    pipe = _pipe_in_place_of(run_copy / "checkpoints" / "step-00000099.npz")
    before = hashes(run_copy)

    with unblocked(pipe) as waited:
        outcome = artgen("sample", "--model", run_copy, "--which", "latest", tmp_path / "grid.png")

    assert waited == [] and outcome.status == 0 and "Traceback" not in outcome.err, (waited, outcome.err)
    text = outcome.err.replace("\n", "")
    assert "skipped checkpoint step-00000099.npz (not a regular file (a named pipe))" in text, text
    assert "using step-00000004.npz" in text, text
    unchanged(before)
    _no_temporaries(run_copy)


@pytest.mark.parametrize(
    ("name", "argv", "phrase"),
    [
        ("generator.keras", ["sample", "--model", "{run}", "{out}"], "not a regular file (a named pipe)"),
        ("generator.json", ["sample", "--info", "--model", "{run}"], "not a regular file (a named pipe)"),
        ("config.json", ["train", "--resume", "{run}", "--steps", "6"], "is not an artgen training run"),
        (
            "metrics.csv",
            ["train", "--resume", "{run}", "--steps", "6"],
            "metrics.csv: not a regular file (a named pipe)",
        ),
    ],
    ids=["generator", "provenance", "config", "metrics"],
)
def test_a_pipe_in_place_of_a_run_file_is_refused_in_one_line(
    artgen, run_copy: Path, tmp_path: Path, name: str, argv: list[str], phrase: str
) -> None:
    pipe = _pipe_in_place_of(run_copy / name)
    before = hashes(run_copy)
    argv = [arg.format(run=run_copy, out=tmp_path / "grid.png") for arg in argv]

    with unblocked(pipe) as waited:
        outcome = artgen(*argv)

    assert waited == []
    refused(outcome, 2, phrase, alone=False)
    unchanged(before)
    assert not (tmp_path / "grid.png").exists()
    _no_temporaries(run_copy)


def test_a_pipe_given_as_a_model_file_is_refused(artgen, tmp_path: Path) -> None:
    pipe = _pipe_in_place_of(tmp_path / "model.keras")
    with unblocked(pipe) as waited:
        outcome = artgen("sample", "--model", pipe, tmp_path / "grid.png")
    assert waited == []
    refused(outcome, 2, f"cannot load model {pipe}: not a regular file (a named pipe)")


def test_a_pipe_in_the_dataset_cache_is_passed_by_and_the_cache_rebuilt(shapes_dir: Path) -> None:
    cache = Path(os.environ["ARTGEN_CACHE_DIR"])
    assert images.load_folder(shapes_dir, 32).images.shape[0] == 24
    pipes = [_pipe_in_place_of(path) for path in sorted(cache.glob("*.np*")) + sorted(cache.glob("*.json"))]
    assert len(pipes) == 2
    before = hashes(shapes_dir)

    with unblocked(*pipes) as waited:
        data = images.load_folder(shapes_dir, 32)

    assert waited == [] and not data.from_cache and data.images.shape[0] == 24
    assert all(path.is_file() for path in pipes)  # rebuilt in their place
    unchanged(before)
    _no_temporaries(cache)


def test_classify_and_evaluation_folders_pass_odd_names_by(
    artgen, tmp_path: Path, shapes_dir: Path, odd_names: dict[str, Path]
) -> None:
    from artgen.labs.classify.data import load_classes, native_size

    root = tmp_path / "classes"
    for label in ("a", "b"):
        shutil.copytree(shapes_dir, root / label)
    for name, path in odd_names.items():
        os.replace(path, root / "a" / name)
    pipe = root / "a" / "pipe.png"
    with unblocked(pipe) as waited:
        assert native_size(root / "a", largest=64) == 40
        data = load_classes(root, 32)
        outcome = artgen("eval", root / "b", root / "a", "-n", "8", "--size", "32")
    assert waited == []
    assert data.classes == ["a", "b"] and len(data.images) == 48
    assert {Path(path).name: reason for path, reason in data.skipped} == REASONS
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
