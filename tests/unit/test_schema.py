"""A setting is written once, in its config field: the CLI, the studio's form and the checks read it."""

from __future__ import annotations

import argparse
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from artgen.cli import build_parser, main
from artgen.cli.options import add_options, help_text, typed
from artgen.configs import ConfigDict
from artgen.errors import InputError
from artgen.jobs import kinds
from artgen.schema import check, options, setting
from artgen.tui.screens.form import check_field

COMMANDS = {
    "train": ("train",),
    "sample": ("sample",),
    "walk": ("walk",),
    "project": ("project",),
    "style": ("style",),
    "texture": ("texture",),
    "toy": ("toy",),
    "classify": ("classify", "train"),
    "predict": ("classify", "predict"),
}
# What each command needs besides the option under test, to reach its config's checks.
REQUIRED_ARGS = {
    "train": ["{dir}"],
    "sample": ["{dir}/out.png"],
    "walk": ["{dir}/w.gif"],
    "project": ["{dir}/photo.png"],
    "style": ["{dir}/photo.png", "{dir}/painting.png"],
    "texture": ["{dir}/painting.png"],
    "toy": [],
    "classify": ["{dir}"],
    "predict": ["{dir}/model.keras", "{dir}/photo.png"],
}


def _subparser(*words: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in words:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[word]
    return parser


def test_every_command_kind_pair_is_covered():
    assert set(COMMANDS) == set(kinds.KINDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_cli_options_and_form_fields_are_generated_from_the_settings(name):
    kind = kinds.KINDS[name]
    parser = _subparser(*COMMANDS[name])
    actions = {}
    for action in parser._actions:  # the option itself, not its hidden alias (--force) or --no-tile
        if action.help != argparse.SUPPRESS and action.dest not in actions:
            actions[action.dest] = action
    fields = {spec.name: spec for spec in kinds.form_fields(kind)}
    for opt in options(kind.config):
        spec = opt.setting
        assert spec.help and not re.search(r"\bdefault\b", spec.help), f"{name}.{opt.name} states a default"
        form = fields[opt.name]
        assert form.help.startswith(spec.help) and form.advanced == spec.advanced
        assert form.choices == spec.choices and form.kind == opt.widget
        if not spec.cli:
            assert opt.name not in actions
            continue
        action = actions[opt.name]
        assert action.help == help_text(opt)
        assert opt.flag in action.option_strings or spec.positional
        if spec.choices and opt.kind is not tuple and opt.kind is not bool:
            assert tuple(action.choices) == spec.choices


def _two_versions():
    """The same config written twice, with one field's default, bounds and help changed."""

    def version(default: int, high: int, words: str) -> type:
        @dataclass(frozen=True)
        class Config(ConfigDict):
            count: int = setting(default, help=words, min=1, max=high)

            def __post_init__(self) -> None:
                check(self)

        return Config

    return version(5, 10, "images to draw"), version(7, 20, "pictures to paint")


def test_a_change_to_one_field_shows_in_the_cli_the_form_and_the_checks():
    for cls, default, high, words in zip(
        _two_versions(), (5, 7), (10, 20), ("images", "pictures"), strict=True
    ):
        parser = argparse.ArgumentParser()
        add_options(parser, cls)
        assert f"{words}" in parser.format_help() and f"(default {default})" in parser.format_help()
        kind = kinds.JobKind("x", "X", "x", cls, "nowhere:engine")
        (field,) = kinds.form_fields(kind)
        assert field.help.startswith(words) and kinds.defaults(kind) == {"count": default}
        assert check_field(field, str(high)) == (high, None)
        assert check_field(field, str(high + 1)) == (None, f"must be between 1 and {high}, not {high + 1}")
        with pytest.raises(InputError, match=f"^--count must be between 1 and {high}, not {high + 1}$"):
            cls(**typed(parser.parse_args(["--count", str(high + 1)]), cls))
        assert cls(**typed(parser.parse_args([]), cls)).count == default


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_option_out_of_bounds_exits_2_with_one_line(name, tmp_path, capsys):
    opt = next(o for o in options(kinds.KINDS[name].config) if o.setting.cli and o.setting.max is not None)
    value = opt.setting.max * 2 if opt.kind is float else int(opt.setting.max) + 1
    argv = [*COMMANDS[name], opt.flag, str(value), *(arg.format(dir=tmp_path) for arg in REQUIRED_ARGS[name])]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert lines == [f"artgen: error: {opt.flag} must be {lines[0].split(' must be ', 1)[1]}"]
    assert lines[0].endswith(f"not {value:g}" if isinstance(value, float) else f"not {value}")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_required_field_left_empty_is_one_line_before_any_job(name, runner):
    kind = kinds.KINDS[name]
    required = [opt for opt in options(kind.config) if opt.required]
    if not required:
        assert kinds.build_config(kind, {}) == kind.config()
        return
    for opt in required:
        with pytest.raises(InputError) as refused:
            kinds.build_config(kind, {opt.name: None})
        message = str(refused.value)
        assert message.startswith(f"{name} needs ") and f"{opt.metavar}: {opt.setting.help}" in message
        assert "\n" not in message
    with pytest.raises(InputError, match=f"^{name} needs "):
        runner.submit(name, {})
    assert runner.jobs() == []


def test_required_fields_stay_required_in_the_form_defaults():
    train = kinds.KINDS["train"]
    assert "data_dir" not in kinds.defaults(train)
    with pytest.raises(InputError, match="^train needs DIR: folder of training images"):
        kinds.build_config(train, {})
    style = kinds.KINDS["style"]
    with pytest.raises(
        InputError,
        match="^style needs CONTENT: the photo to repaint, or a folder of photos.*; STYLE: one or more",
    ):
        kinds.build_config(style, {})


def test_form_entries_are_checked_against_the_settings_as_you_type(tmp_path: Path):
    fields = {spec.name: spec for spec in kinds.form_fields(kinds.KINDS["train"])}
    assert check_field(fields["epochs"], "0") == (None, "must be between 1 and 1000000, not 0")
    assert check_field(fields["epochs"], "") == (None, None)  # empty: 20 unless steps
    assert check_field(fields["learning_rate"], "2") == (None, "must be more than 0 and at most 1, not 2")
    assert check_field(fields["augment"], "blur")[1].startswith("has unknown blur")
    assert check_field(fields["augment"], "color,cutout") == (("color", "cutout"), None)
    walk = {spec.name: spec for spec in kinds.form_fields(kinds.KINDS["walk"])}
    assert check_field(walk["grid"], "3x2") == ((3, 2), None)
    assert "ROWSxCOLUMNS" in check_field(walk["grid"], "3,2")[1]
    assert check_field(walk["keyframes"], "6") == (6, None)
    assert check_field(walk["keyframes"], "1") == (None, "must be between 2 and 1000, not 1")
    keys = tmp_path / "keys.npz"
    assert check_field(walk["keyframes"], f"{keys}, {keys}") == (None, f"no file {keys}")
    keys.write_bytes(b"checked against the generator when the walk runs")
    assert check_field(walk["keyframes"], f"{keys},{keys}") == ((str(keys), str(keys)), None)


def test_a_bare_flag_and_its_negation_come_from_the_setting(tmp_path):
    parser = _subparser("style")
    pair = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert parser.parse_args([*pair, "--tile"]).tile == "on"
    assert parser.parse_args([*pair, "--no-tile"]).tile == "off"
    assert not hasattr(parser.parse_args(pair), "tile")  # only what was typed reaches the config
    train = _subparser("train")
    assert train.parse_args(["d", "--augment"]).augment == ("translation", "color", "cutout")


def test_every_field_of_every_config_is_declared_with_a_setting():
    for kind in kinds.KINDS.values():
        for field in dataclasses.fields(kind.config):
            assert "setting" in field.metadata, f"{kind.name}.{field.name} has no setting(...)"
