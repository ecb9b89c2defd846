"""A mistake on the command line, in any command: one line naming the option and what it accepts,
then where the help is, exit 2; no usage block."""

from __future__ import annotations

import argparse

import pytest

from artgen.cli import build_parser, main
from artgen.cli.parser import actions, subcommands


def _refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every command that takes options, as (its words, its parser), nested ones included."""
    nested = [(name, sub) for _, parsers in subcommands(parser) for name, sub in parsers.items()]
    if path and not nested:
        yield path, parser
    for name, sub in nested:
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(build_parser()))


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["walk", "--frames", "abc", "out.gif"],
            "artgen walk: error: --frames: 'abc' is not a whole number; see artgen walk --help",
        ),
        (
            ["toy", "--mean", "four"],
            "artgen toy: error: --mean: 'four' is not a number; see artgen toy --help",
        ),
        (
            ["walk", "--ease", "fast", "out.gif"],
            "artgen walk: error: --ease: 'fast' is not one of linear, smooth; see artgen walk --help",
        ),
        (
            ["walk", "--fames", "3", "out.gif"],
            "artgen walk: error: unknown option --fames (did you mean --frames?); see artgen walk --help",
        ),
        (["walk", "--frames"], "artgen walk: error: --frames needs a value; see artgen walk --help"),
        (
            ["walk"],
            "artgen walk: error: give OUT (output .gif, .webp, .mp4, or a folder for PNG frames); "
            "see artgen walk --help",
        ),
        (
            ["wlak", "out.gif"],
            "artgen: error: 'wlak' is not a command of artgen: train, sample, walk, project, eval, jobs, "
            "style, texture, toy, classify, serve, completion (did you mean walk?); see artgen --help",
        ),
        (
            ["classify", "trian", "photos/"],
            "artgen classify: error: 'trian' is not a command of artgen classify: train, predict "
            "(did you mean train?); see artgen classify --help",
        ),
        (
            ["classify", "predict", "model.keras"],
            "artgen classify predict: error: give IMAGE (images to classify); "
            "see artgen classify predict --help",
        ),
        (
            ["walk", "out.gif", "extra"],
            "artgen walk: error: unexpected argument 'extra'; see artgen walk --help",
        ),
        (
            ["walk", "-q", "-v", "out.gif"],
            "artgen walk: error: -v/--verbose cannot be used with -q/--quiet; see artgen walk --help",
        ),
        (
            ["--backend", "torch", "walk", "out.gif"],
            "artgen: error: --backend: 'torch' is not a backend artgen runs on: give tensorflow or jax; "
            "see artgen --help",
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_a_mistake_is_one_line_naming_the_option(argv, line, capsys) -> None:
    assert _refusal(capsys, *argv) == line


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_every_command_refuses_an_unknown_option_in_one_line(path, capsys) -> None:
    line = _refusal(capsys, *path, "--no-such-option")
    prog = " ".join(("artgen", *path))
    assert line == f"{prog}: error: unknown option --no-such-option; see {prog} --help"


def _typed(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """(flag, a value it refuses in parsing): a word not among its choices, or text for a number."""
    cases = []
    for action in actions(parser):
        if not action.option_strings or action.nargs == 0 or action.help == argparse.SUPPRESS:
            continue
        flag = action.option_strings[-1]
        if action.choices is not None:
            cases.append((flag, "no-such-choice"))
        elif action.type in (int, float):
            cases.append((flag, "abc"))
    return cases


CHOICES = [(path, flag, value) for path, parser in COMMANDS.items() for flag, value in _typed(parser)]


@pytest.mark.parametrize(
    ("path", "flag", "value"), CHOICES, ids=[f"{' '.join(p)} {f}" for p, f, _ in CHOICES]
)
def test_every_choice_and_number_of_every_command_is_refused_in_one_line(path, flag, value, capsys) -> None:
    line = _refusal(capsys, *path, f"{flag}={value}")
    prog = " ".join(("artgen", *path))
    assert line.startswith(f"{prog}: error: ") and line.endswith(f"; see {prog} --help")
    assert flag in line and f"'{value}' is not" in line


def test_the_cases_cover_every_engine_command() -> None:
    names = {path[0] for path, _, _ in CHOICES}
    assert {"train", "sample", "walk", "eval", "style", "texture", "toy", "classify"} <= names


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["--cluster", "auto", "eval", "model.keras", "real/"], "eval runs on this machine only"),
        (["--cluster", "auto", "classify", "predict", "m.keras", "a.png"], "classify predict runs on this"),
        (["--cluster", "auto", "sample", "--separate", "frames/"], "--separate is written here only"),
    ],
)
def test_what_cannot_run_on_a_cluster_says_so(argv, phrase, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and phrase in err[0]
