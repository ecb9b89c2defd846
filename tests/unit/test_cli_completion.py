"""``artgen completion bash|zsh|fish``: each script is printed, and completes commands, options,
choices and paths when the shell runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from artgen.cli import main


def _script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_written_from_the_parser(shell, capsys) -> None:
    script = _script(shell, capsys)
    for word in ("walk", "ease", "smooth", "classify", "predict", "quiet", "completion"):
        assert word in script, word


# (words typed, the word being completed is the last) -> what bash offers
BASH_CASES = [
    (["artgen", "wa"], ["walk"]),
    (["artgen", "walk", "--ea"], ["--ease"]),
    (["artgen", "walk", "--ease", ""], ["linear", "smooth"]),
    (["artgen", "walk", "--ease", "=", "s"], ["smooth"]),  # --ease=s: bash splits at the =
    (["artgen", "-q", "walk", "--fr"], ["--frames", "--frame-iterations"]),
    (["artgen", "walk", "--frames", ""], []),  # a number: no files offered
    (["artgen", "--backend", ""], ["tensorflow", "jax"]),
    (["artgen", "--backend", "jax", "cl"], ["classify"]),
    (["artgen", "classify", ""], ["train", "predict"]),
    (["artgen", "classify", "train", "--base", ""], ["auto", "vgg16", "none"]),
    (["artgen", "completion", ""], ["bash", "zsh", "fish"]),
    (["artgen", "style", "ph"], ["photo.jpg"]),
    (["artgen", "train", ""], ["faces"]),  # a folder is wanted: not photo.jpg
    (["artgen", "train", "--resume", "fa"], ["faces"]),
    (["artgen", "walk", "--model", "ph"], ["photo.jpg"]),
]


def test_bash_completes_commands_options_choices_and_paths(tmp_path: Path, capsys) -> None:
    script = tmp_path / "artgen.bash"
    script.write_text(_script("bash", capsys))
    (tmp_path / "photo.jpg").write_bytes(b"")
    (tmp_path / "faces").mkdir()
    calls = [f"source {script}"]
    for words, _ in BASH_CASES:
        quoted = " ".join(f"'{word}'" for word in words)
        calls.append(
            f"COMP_WORDS=({quoted}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMPREPLY=(); _artgen; "
            'printf "%s\\n" "${COMPREPLY[*]}"'
        )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", "\n".join(calls)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    offered = [line.split() for line in done.stdout.splitlines()]
    assert len(offered) == len(BASH_CASES)
    for (words, expected), got in zip(BASH_CASES, offered, strict=True):
        assert got == expected, (words, got)


def _shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed here: install it (apt-get install {name}; .ci/run does)")
    return found


def test_zsh_completes_with_the_same_answers(tmp_path: Path, capsys) -> None:
    zsh = _shell("zsh")
    script = tmp_path / "_artgen"
    script.write_text(_script("zsh", capsys))
    (tmp_path / "faces").mkdir()
    # zsh's completion widgets need a terminal; these stand-ins print what they were given instead
    stubs = (
        "compdef() { : }\n"
        'compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -r -- "$*" }\n'
        '_files() { print -r -- "<files $*>" }\n'
        "compset() { : }\n"
    )
    cases = {
        "artgen walk --ease ''": "linear smooth",
        "artgen walk --ease=s": "linear smooth",  # compadd itself filters by what is typed
        "artgen classify ''": "train predict",
        "artgen --backend jax classify train --base ''": "auto vgg16 none",
        "artgen train ''": "<files -/>",
        "artgen style ph": "<files >",
        "artgen completion ''": "bash zsh fish",
    }
    calls = [stubs, f"source {script}"]
    calls += [f"words=({typed}); CURRENT=${{#words}}; _artgen" for typed in cases]
    done = subprocess.run(
        [zsh, "-f", "-c", "\n".join(calls)], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.splitlines() == list(cases.values())


def test_fish_completes_with_the_same_answers(tmp_path: Path, capsys) -> None:
    fish = _shell("fish")
    script = tmp_path / "artgen.fish"
    script.write_text(_script("fish", capsys))
    (tmp_path / "photo.jpg").write_bytes(b"")
    (tmp_path / "faces").mkdir()
    cases = {
        "artgen wa": "walk",
        "artgen walk --ea": "--ease",
        "artgen walk --ease ": "linear smooth",
        "artgen classify ": "predict train",
        "artgen --backend jax classify train --base ": "auto none vgg16",
        "artgen train ": "faces/",
        "artgen style ph": "photo.jpg",
        "artgen completion ": "bash fish zsh",
        "artgen walk --frames ": "",
    }
    calls = [f"source {script}"]
    calls += [f"echo (complete -C '{typed}' | cut -f1)" for typed in cases]
    done = subprocess.run(
        [fish, "--no-config", "-c", "\n".join(calls)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.splitlines() == list(cases.values())


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """``artgen completion bash | head -1``: a closed pipe ends it as Unix tools end, silently."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "artgen", "completion", "bash"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141
