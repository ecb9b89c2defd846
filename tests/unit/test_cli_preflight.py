"""A typo in a path, or an output already there, is refused before the backend loads: in a
moment, not after TensorFlow's import, by every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]

# command line, the phrase its one line must hold; {root} is a scratch folder with the files below
CASES = [
    (["train", "{root}/missing"], "missing does not exist"),
    (["train", "{root}/empty"], "has no images"),
    (["train", "--resume", "{root}/missing"], "missing does not exist"),
    (["train", "{root}/data", "--run-dir", "{root}/notes.txt"], "is a file, not a folder"),
    (["sample", "--model", "{root}/missing.keras", "{root}/new.png"], "does not exist"),
    (["sample", "{root}/taken.png"], "taken.png exists; pass --overwrite"),
    (["walk", "--model", "{root}/missing.keras", "{root}/new.gif"], "does not exist"),
    (["walk", "{root}/taken.gif"], "taken.gif exists; pass --overwrite"),
    (["walk", "--style", "{root}/missing.jpg", "{root}/new.gif"], "no such file"),
    (["walk", "--audio", "{root}/missing.wav", "{root}/new.mp4"], "missing.wav: no such file"),
    (["walk", "--audio", "{root}/notes.wav", "{root}/new.mp4"], "not a readable WAV track"),
    (["walk", "--audio", "{root}/pipe.wav", "{root}/new.mp4"], "not a regular file (a named pipe)"),
    (["walk", "--audio", "{root}/nothing.wav", "{root}/new.mp4"], "nothing.wav: the file is empty"),
    (["walk", "--audio", "{root}/silent.wav", "{root}/new.mp4"], "silent.wav: the track is empty"),
    (["walk", "--audio", "{root}/notes.txt", "{root}/new.mp4"], "is not an audio file"),
    (["walk", "--audio", "{root}/silent.wav", "{root}/new.gif"], "--audio plays only in an .mp4"),
    (["eval", "{root}/missing.keras", "{root}/data"], "does not exist"),
    (["eval", "{root}/data", "{root}/missing"], "missing does not exist"),
    (["style", "{root}/missing.jpg", "{root}/paint.png"], "missing.jpg: no such file"),
    (["style", "{root}/photo.png", "{root}/missing.jpg"], "missing.jpg: no such file"),
    (["style", "{root}/photo.png", "{root}/notes.txt"], "not an image"),
    (
        ["style", "{root}/photo.png", "{root}/paint.png", "-o", "{root}/taken.png"],
        "taken.png exists; pass --overwrite",
    ),
    (["style", "{root}/photo.png", "{root}/paint.png", "--mask", "{root}/missing.png"], "--mask"),
    (["texture", "{root}/missing.jpg"], "missing.jpg: no such file"),
    (["texture", "{root}/paint.png", "-o", "{root}/taken.png"], "taken.png exists; pass --overwrite"),
    (["toy", "--run-dir", "{root}/notes.txt"], "is a file, not a folder"),
    (["toy", "--run-dir", "{root}/full"], "is not empty"),
    (["classify", "train", "{root}/missing"], "missing does not exist"),
    (["classify", "train", "{root}/data"], "needs at least two class folders"),
    (
        ["classify", "train", "{root}/classes", "-o", "{root}/taken.keras"],
        "taken.keras exists; pass --overwrite",
    ),
    (["classify", "predict", "{root}/missing.keras", "{root}/photo.png"], "is not a classifier model"),
    (["classify", "predict", "{root}/model.keras", "{root}/missing.png"], "missing.png: no such file"),
]

# Each case in turn in one fresh interpreter, which reports after each what it had imported by then.
CHILD = """
import contextlib, io, json, sys, time
from artgen.cli import main
report = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    heavy = sorted(name for name in ("tensorflow", "keras", "jax") if name in sys.modules)
    report.append([argv, status, err.getvalue(), heavy, time.perf_counter() - started])
print(json.dumps(report))
"""


def _world(root: Path) -> None:
    picture = Image.fromarray(np.full((40, 40, 3), 120, np.uint8))
    for name in ("photo.png", "paint.png", "taken.png", "data/a.png", "classes/a/1.png", "classes/b/1.png"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        picture.save(root / name)
    (root / "empty").mkdir()
    (root / "full").mkdir()
    (root / "full" / "mine.txt").write_text("mine\n")
    (root / "notes.txt").write_text("a user's notes\n")
    (root / "notes.wav").write_text("a user's notes, not a track\n")
    os.mkfifo(root / "pipe.wav")
    (root / "nothing.wav").write_bytes(b"")
    with wave.open(str(root / "silent.wav"), "wb") as track:  # a header and no sound
        track.setnchannels(1)
        track.setsampwidth(2)
        track.setframerate(44100)
    (root / "taken.gif").write_bytes(b"GIF89a a user's animation")
    (root / "taken.keras").write_bytes(b"a user's model")
    (root / "model.keras").write_bytes(b"a classifier")
    (root / "model.classes.json").write_text(json.dumps({"classes": ["a", "b"], "size": 32}))


@pytest.mark.slow
def test_every_command_refuses_a_bad_path_before_importing_the_backend(tmp_path: Path) -> None:
    _world(tmp_path)
    argvs = [[arg.replace("{root}", str(tmp_path)) for arg in argv] for argv, _ in CASES]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(argvs)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "ARTGEN_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for (argv, status, err, heavy, seconds), (_, phrase) in zip(report, CASES, strict=True):
        lines = err.splitlines()
        assert status == 2 and len(lines) == 1 and phrase in lines[0], (argv, err)
        assert heavy == [], f"{' '.join(argv)} imported {heavy} before refusing ({seconds:.1f} s)"
    commands = {argv[0] for argv, _ in CASES} | {
        " ".join(argv[:2]) for argv, _ in CASES if argv[0] == "classify"
    }
    assert commands >= {
        "train",
        "sample",
        "walk",
        "eval",
        "style",
        "texture",
        "toy",
        "classify train",
        "classify predict",
    }
