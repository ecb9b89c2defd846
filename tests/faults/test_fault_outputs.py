"""artgen deletes only what it wrote, and an output name is taken by one writer only.

Deletion: checkpoint and sample rotation, the temporaries sweep and the job
history meet a user's files with near names, an archive linked into a run,
and another program's database; each must come out byte for byte as it was.
Reservation: a name another artgen holds is refused in one line (exit 2),
its holder's result kept; a name the command picks itself is the next free
one; ``--overwrite`` replaces the old file only with a whole new one.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from corpus import hashes, refused, spawn, unchanged
from PIL import Image

from artgen import runs

STYLE_FAST = ("--size", "32", "--iterations", "2", "--scales", "1")
TEXTURE_FAST = ("--size", "32", "--iterations", "2", "--scales", "1")
HANG_SECONDS = 240  # far beyond any case here: an artgen that waits on itself fails, not hangs


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Every case ends within :data:`HANG_SECONDS`, or fails saying it hung."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"artgen did not finish within {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def leftovers(*roots: Path) -> list[Path]:
    """artgen's temporaries under ``roots`` (links to folders not followed)."""
    return [path for root in roots for path in root.rglob(f"{runs.TMP_PREFIX}*")]


def _resume(artgen, run_dir: Path, steps: int, *more: str):
    return artgen("train", "--resume", run_dir, "--steps", str(steps), *more)


# -- deletion: only names artgen writes, only inside the run, never through a link -----------------------


@pytest.mark.slow
def test_rotation_deletes_only_artgens_own_checkpoints_grids_and_temporaries(
    artgen, run_copy: Path, tmp_path: Path
) -> None:
    checkpoints, grids = run_copy / "checkpoints", run_copy / "images"
    grids.mkdir(exist_ok=True)
    users = {
        checkpoints / "step-00000020-mine.npz": (checkpoints / "step-00000002.npz").read_bytes(),  # a copy
        checkpoints / "step-1.npz": b"a user's file",
        checkpoints / "notes.txt": b"which step was good",
        grids / "step-00000001-best.png": b"a user's favourite grid",
        run_copy / ".tmp-notes.txt": b"a user's notes",
        tmp_path / "elsewhere" / f"{runs.TMP_PREFIX}frame-abcd1234.png": b"not this run's",
    }
    (tmp_path / "elsewhere").mkdir()
    for path, data in users.items():
        path.write_bytes(data)
    (run_copy / "linked").symlink_to(tmp_path / "elsewhere")  # a folder linked into the run: never swept
    ours = run_copy / f"{runs.TMP_PREFIX}generator-a1b2c3d4.keras"
    ours.write_bytes(b"")  # what a kill -9 leaves: swept
    before = hashes(*users)

    keep = ("--keep-checkpoints", "1", "--sample-every", "2", "--keep-samples", "1")
    outcome = _resume(artgen, run_copy, 12, "--checkpoint-every", "2", *keep)
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    unchanged(before)
    assert not ours.exists() and not leftovers(run_copy)
    own = sorted(p.name for p in checkpoints.iterdir())
    assert own == ["notes.txt", "step-00000012.npz", "step-00000020-mine.npz", "step-1.npz"]
    steps = sorted(p.name for p in grids.glob("step-*"))
    assert steps == ["step-00000001-best.png", "step-00000010.png"]  # grids 6 and 8 rotated out


@pytest.mark.slow
def test_a_checkpoints_folder_linked_to_an_archive_loses_nothing(
    artgen, run_copy: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.move(run_copy / "checkpoints", archive)
    (archive / "step-00000001.npz").write_bytes((archive / "step-00000002.npz").read_bytes())
    (archive / "keep.txt").write_text("my archive\n")
    (run_copy / "checkpoints").symlink_to(archive)
    before = hashes(archive)

    outcome = _resume(artgen, run_copy, 8, "--checkpoint-every", "2", "--keep-checkpoints", "1")
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    unchanged(before)  # read and written through the link, but nothing deleted there
    assert (archive / "step-00000008.npz").is_file() and not leftovers(archive, run_copy)


@pytest.mark.parametrize("name", [".tmp-notes.txt", ".lock", ".artgen-tmp-notes.txt", ".artgen-lock-mine"])
def test_a_user_file_with_an_artgen_like_name_makes_a_run_folder_not_empty(
    artgen, tmp_path: Path, name: str
) -> None:
    folder = tmp_path / "new-run"
    folder.mkdir()
    (folder / name).write_text("a user's notes\n")
    before = hashes(folder)
    refused(artgen("toy", "--run-dir", folder), 2, "is not empty")
    unchanged(before)
    assert sorted(p.name for p in folder.iterdir()) == [name]


def _notes_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('a note')")


def _marked_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 305419896")  # another program's mark, no tables yet


def _lookalike_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, owner TEXT)")
        db.execute("CREATE TABLE log (line TEXT)")


@pytest.mark.parametrize("make", [_notes_db, _marked_db, _lookalike_db], ids=["notes", "marked", "lookalike"])
def test_another_programs_database_at_the_history_path_is_never_written(artgen, make, monkeypatch) -> None:
    from artgen import cli

    monkeypatch.setattr(cli, "_has_terminal", lambda: True)  # as if run in one: the studio opens
    history = Path(os.environ["ARTGEN_DATA_DIR"]) / "jobs.sqlite"
    history.parent.mkdir(parents=True, exist_ok=True)
    make(history)
    before = hashes(history.parent)
    for argv in (("jobs",), ()):  # artgen jobs, and the studio
        refused(artgen(*argv), 2, f"{history} is not an artgen job history", "ARTGEN_DATA_DIR")
    unchanged(before)
    assert sorted(p.name for p in history.parent.iterdir()) == ["jobs.sqlite"]  # nothing moved aside


OLD_HISTORY = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL, device TEXT NOT NULL,
    state TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL,
    step INTEGER NOT NULL, total INTEGER, stage TEXT NOT NULL, outputs TEXT NOT NULL,
    error TEXT, preview TEXT, resumable INTEGER NOT NULL
);
CREATE TABLE log (
    job_id TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, level TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX log_job ON log (job_id);
"""  # the history of an artgen from before the placement column and the mark


def test_an_artgen_history_from_before_the_mark_still_opens(artgen) -> None:
    """A history made by an older artgen holds exactly artgen's tables: it is recognised and marked."""
    from artgen.jobs.store import APPLICATION_ID

    history = Path(os.environ["ARTGEN_DATA_DIR"]) / "jobs.sqlite"
    history.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(history) as db:
        db.executescript(OLD_HISTORY)
    outcome = artgen("jobs")
    assert outcome.status == 0 and "no jobs yet" in outcome.err, outcome.err
    with sqlite3.connect(history) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


# -- reservation: one writer per name ----------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shapes_dir: Path) -> Path:
    """Inputs every command can use; the working directory, where default names land."""
    root = tmp_path / "world"
    root.mkdir()
    monkeypatch.chdir(root)
    shutil.copytree(shapes_dir, root / "data")
    classes = root / "classes"
    for index, name in enumerate(("discs", "blanks")):
        (classes / name).mkdir(parents=True)
        for number in range(6):
            picture = np.full((24, 24, 3), 40 + 160 * index + number, np.uint8)
            Image.fromarray(picture).save(classes / name / f"{number}.png")
    Image.fromarray(np.full((40, 48, 3), 200, np.uint8)).save(root / "photo.png")
    (root / "album").mkdir()
    for number in range(2):
        Image.fromarray(np.full((32, 40, 3), 60 + 90 * number, np.uint8)).save(
            root / "album" / f"{number}.png"
        )
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (48, 48, 3), np.uint8)).save(root / "painting.png")
    frames = [Image.fromarray(rng.integers(0, 255, (24, 24, 3), np.uint8)) for _ in range(2)]
    frames[0].save(root / "clip.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return root


# (command, the output it writes, what kind of output that is)
WRITERS = {
    "sample-grid": (["sample", "-n", "1", "{out}"], "grid.png", "file"),
    "sample-separate": (["sample", "-n", "2", "--separate", "{out}"], "each", "into"),
    "walk-gif": (["walk", "--frames", "2", "{out}"], "walk.gif", "file"),
    "walk-webp": (["walk", "--frames", "2", "{out}"], "walk.webp", "file"),
    "walk-frames": (["walk", "--frames", "2", "{out}"], "frames", "folder"),
    "style-still": (["style", "photo.png", "painting.png", "-o", "{out}", *STYLE_FAST], "still.png", "file"),
    "style-batch": (["style", "album", "painting.png", "-o", "{out}", *STYLE_FAST], "painted", "into"),
    "style-clip": (["style", "clip.gif", "painting.png", "-o", "{out}", *STYLE_FAST], "clip_out.gif", "file"),
    "style-clip-figures": (
        ["style", "clip.gif", "painting.png", "-o", "clip_out.gif", *STYLE_FAST],
        "clip_out.gif.json",
        "file",
    ),
    "texture": (["texture", "painting.png", "-o", "{out}", *TEXTURE_FAST], "tile.png", "file"),
    "classify-output": (
        ["classify", "train", "classes", "-o", "{out}", "--epochs", "1"],
        "cats.keras",
        "file",
    ),
    "classify-classes": (
        ["classify", "train", "classes", "-o", "cats.keras", "--epochs", "1"],
        "cats.classes.json",
        "file",
    ),
}


def _held(path: Path, kind: str):
    if kind == "folder":
        return runs.reserve(path, kind="folder", replaces=runs.TEMPORARY)
    return runs.reserve(path, kind=kind)


def _first_writers_result(path: Path, kind: str) -> None:
    """What the holder writes once the second writer has been refused."""
    if kind == "file":
        runs.write_bytes(path, b"the first writer's result")
    elif kind == "folder":
        with runs.atomic_path(path, folder=True) as tmp:
            (tmp / "frame-00000.png").write_bytes(b"the first writer's frame")
    else:
        runs.write_bytes(path / "0000-00000.png", b"the first writer's image")


@pytest.mark.parametrize("case", WRITERS, ids=list(WRITERS))
@pytest.mark.slow
def test_a_name_another_artgen_holds_is_refused_and_its_result_kept(artgen, world: Path, case: str) -> None:
    argv, name, kind = WRITERS[case]
    out = world / name
    before, entries = hashes(world), sorted(p.name for p in world.iterdir())
    with _held(out, kind):
        line = refused(
            artgen(*[arg.format(out=out) for arg in argv]), 2, "is being written by another artgen"
        )
        assert name in line
        _first_writers_result(out, kind)
    unchanged(before)
    assert sorted(p.name for p in world.iterdir()) == sorted([*entries, name])  # nothing else appeared
    written = [path for path in ([out] if out.is_file() else out.iterdir())]
    assert len(written) == 1 and written[0].read_bytes().startswith(b"the first writer's")
    assert not leftovers(world)


# (command, the name it picks itself, how that name is numbered when taken, kind)
DEFAULT_NAMES = {
    "style-still": (["style", "photo.png", "painting.png", *STYLE_FAST], "photo_painting.png", "file"),
    "style-batch": (["style", "album", "painting.png", *STYLE_FAST], "album_painting", "into"),
    "texture": (["texture", "painting.png", *TEXTURE_FAST], "painting_texture.png", "file"),
    "style-clip": (
        ["style", "clip.gif", "painting.png", *STYLE_FAST, "--frame-iterations", "1"],
        "clip_painting.gif",
        "file",
    ),
}


def _numbered(name: str) -> str:
    stem, dot, suffix = name.partition(".")
    return f"{stem}-2{dot}{suffix}"


@pytest.mark.slow
@pytest.mark.parametrize("case", DEFAULT_NAMES, ids=list(DEFAULT_NAMES))
def test_without_a_name_the_next_free_one_is_taken(artgen, world: Path, case: str) -> None:
    argv, name, kind = DEFAULT_NAMES[case]
    before = hashes(world)
    with _held(world / name, kind):
        placeholder = os.stat(world / name)
        outcome = artgen(*argv)
        assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
        now = os.stat(world / name)
        assert (now.st_ino, now.st_size) == (placeholder.st_ino, placeholder.st_size)  # the holder's, intact
    unchanged(before)
    assert not (world / name).exists()  # the holder wrote nothing: its placeholder went with it
    assert (world / _numbered(name)).exists() and not leftovers(world)


@pytest.mark.slow
def test_overwrite_replaces_the_old_file_only_with_a_whole_new_one(artgen, world: Path) -> None:
    old = world / "old.png"
    Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(old)
    (world / "cut.keras").write_bytes(b"PK\x03\x04 cut short")
    before = hashes(old)
    refused(
        artgen("sample", "-n", "1", "--overwrite", "--model", "cut.keras", old), 2, "not a readable Keras"
    )
    unchanged(before)  # a run that fails keeps the old file whole: never deleted at the start

    from artgen.walk.config import WalkConfig
    from artgen.walk.engine import render_walk

    gif = world / "old.gif"
    gif.write_bytes(b"GIF89a a user's animation")
    before = hashes(gif)
    stopped = render_walk(WalkConfig(out=str(gif), frames=4, overwrite=True), should_stop=lambda: True)
    assert stopped.stopped and stopped.frames == 0
    unchanged(before)  # a stopped run too
    assert artgen("sample", "-n", "1", "--overwrite", old).status == 0
    assert Image.open(old).size[0] > 8 and not leftovers(world)


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda out, mine: out.symlink_to(mine), "is a symbolic link"),
        (lambda out, mine: os.mkfifo(out), "is not a regular file"),
        (lambda out, mine: out.mkdir(), "is a folder"),
    ],
    ids=["link-to-a-users-file", "fifo", "folder"],
)
@pytest.mark.parametrize("command", ["sample", "walk", "texture"])
def test_an_output_that_is_not_a_regular_file_is_refused_even_with_overwrite(
    artgen, world: Path, make, phrase: str, command: str
) -> None:
    suffix = {"sample": ".png", "walk": ".gif", "texture": ".png"}[command]
    out, mine = world / f"out{suffix}", world / "mine.txt"
    mine.write_text("a user's file\n")
    make(out, mine)
    argv = {
        "sample": ["sample", "-n", "1", "--overwrite", out],
        "walk": ["walk", "--frames", "2", "--overwrite", out],
        "texture": ["texture", "painting.png", "-o", out, "--overwrite", *TEXTURE_FAST],
    }[command]
    before, entries = hashes(world), sorted(p.name for p in world.iterdir())
    refused(artgen(*argv), 2, phrase)
    unchanged(before)
    assert sorted(p.name for p in world.iterdir()) == entries and not leftovers(world)


@pytest.mark.slow
def test_an_old_folder_of_frames_is_replaced_only_if_artgen_wrote_all_of_it(artgen, world: Path) -> None:
    frames = world / "frames"
    assert artgen("walk", "--frames", "4", frames).status == 0
    assert sorted(p.name for p in frames.iterdir()) == [f"frame-{i:05d}.png" for i in range(4)]
    (frames / "notes.txt").write_text("a user's notes\n")
    before = hashes(frames)
    refused(artgen("walk", "--frames", "2", frames), 2, "already has files", "--overwrite")
    refused(artgen("walk", "--frames", "2", "--overwrite", frames), 2, "holds notes.txt", "did not write")
    unchanged(before)

    (frames / "notes.txt").unlink()
    assert artgen("walk", "--frames", "2", "--overwrite", frames).status == 0
    assert sorted(p.name for p in frames.iterdir()) == ["frame-00000.png", "frame-00001.png"]
    assert not leftovers(world)


def test_a_placeholder_is_removed_only_while_it_is_the_empty_one_artgen_made(tmp_path: Path) -> None:
    out = tmp_path / "grid.png"
    with pytest.raises(RuntimeError), runs.reserve(out):
        assert out.stat().st_size == 0
        raise RuntimeError("the command failed")
    assert not out.exists()  # its own placeholder: removed

    with pytest.raises(RuntimeError), runs.reserve(out):
        out.unlink()
        out.write_bytes(b"a user's file, put there meanwhile")
        raise RuntimeError("the command failed")
    assert out.read_bytes() == b"a user's file, put there meanwhile"  # another inode: kept

    other = tmp_path / "other.png"
    from artgen.errors import WriteFailed

    with pytest.raises(WriteFailed, match="changed by another program"), runs.reserve(other):
        other.unlink()
        other.write_bytes(b"a user's file")
        runs.write_bytes(other, b"artgen's result")  # never placed over the user's file
    assert other.read_bytes() == b"a user's file" and not leftovers(tmp_path)


@pytest.mark.slow
def test_two_walks_started_together_never_replace_each_other(tmp_path: Path) -> None:
    """The real race, two processes: one writes, the other is refused in one line; the file is whole."""
    out = tmp_path / "same.gif"
    first, second = (spawn("walk", "--frames", "48", out) for _ in range(2))
    outcomes = []
    for process in (first, second):
        try:
            _, err = process.communicate(timeout=HANG_SECONDS - 20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        outcomes.append((process.returncode, err))
    assert sorted(status for status, _ in outcomes) == [0, 2], outcomes
    err = next(err for status, err in outcomes if status == 2)
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    assert "is being written by another artgen" in lines[0] or "exists; pass --overwrite" in lines[0]
    with Image.open(out) as gif:
        assert gif.n_frames == 48
    assert not leftovers(tmp_path)
