"""A command's options, generated from its config class's settings (:mod:`artgen.schema`).

Every subcommand adds its config's fields with :func:`add_options` and reads
what the user typed back with :func:`typed`; flags that are not config fields
(``--resume``, ``--which``, ``--json``) stay hand-written beside them. An
option's text is read by :func:`artgen.schema.parse_text`, as the studio's
form reads an entry, and the engine's config checks the values, so a bad one
is the same one line (exit 2) from the CLI as from the studio.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Mapping
from typing import Any

from artgen.cli.parser import set_completion
from artgen.errors import InputError
from artgen.schema import PATH_WIDGETS, Option, default_text, iter_groups, options, parse_text, show

__all__ = ["add_options", "add_flag", "typed", "help_text"]


def help_text(opt: Option) -> str:
    """The field's help with its default appended, escaped for argparse's %-formatting."""
    text = opt.setting.help
    if opt.setting.bare is not None:
        text += f"; {opt.flag} alone: {show(opt, opt.setting.bare)}"
    if default := default_text(opt):
        text += f" ({default})"
    return text.replace("%", "%%")


def add_options(
    parser: argparse.ArgumentParser,
    cls: type,
    *,
    skip: Collection[str] = (),
    nargs: Mapping[str, str] | None = None,
    defaults: bool = False,
) -> None:
    """One argument per CLI field of config ``cls``, in ``--help`` sections by the fields' groups.

    ``defaults``: unset options hold the field's default (for commands that read
    ``args`` directly); otherwise they are left out of ``args``, so only what the
    user typed reaches the config (which may then lay a recipe or preset under it).
    An option whose default a variable gives (``--backend``) is always left out
    unset: the command line fills it in from the variable.
    ``nargs``: per positional field, e.g. ``{"data_dir": "?"}`` where another
    flag may stand in for it.
    """
    nargs = nargs or {}
    for group, opts in iter_groups(cls):
        section: Any = parser if group is None else None
        for opt in opts:
            if opt.name in skip:
                continue
            if opt.setting.positional:
                _positional(parser, opt, nargs.get(opt.name), defaults)
                continue
            if section is None:
                section = parser.add_argument_group(group)
            add_flag(section, opt, defaults)


def typed(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The values of ``cls``'s fields that ``args`` holds, lists as tuples."""
    values = {}
    for opt in options(cls):
        if hasattr(args, opt.name):
            value = getattr(args, opt.name)
            values[opt.name] = tuple(value) if isinstance(value, list) else value
    return values


def _positional(parser: argparse.ArgumentParser, opt: Option, nargs: str | None, defaults: bool) -> None:
    kwargs: dict[str, Any] = {"metavar": opt.metavar, "help": help_text(opt)}
    if opt.widget == "images":
        kwargs["nargs"] = "+"
    if nargs:
        kwargs["nargs"] = nargs
        kwargs["default"] = None if defaults else argparse.SUPPRESS
    set_completion(parser.add_argument(opt.name, **kwargs), _completion(opt))


def add_flag(section: Any, opt: Option, defaults: bool = False) -> None:
    """The option of field ``opt`` on ``section`` (a parser or a group of one); ``defaults`` as in
    :func:`add_options`."""
    spec = opt.setting
    flags = sorted((opt.flag, *spec.aliases), key=lambda flag: flag.startswith("--"))  # -o before --out
    kwargs: dict[str, Any] = {
        "dest": opt.name,
        "help": help_text(opt),
        "default": opt.default if defaults and spec.variable is None else argparse.SUPPRESS,
    }
    if opt.kind is bool:
        kwargs["action"] = argparse.BooleanOptionalAction if spec.negatable else "store_true"
    else:
        kwargs["type"] = _parser(opt)
        if spec.choices and opt.kind is not tuple:
            kwargs["choices"] = spec.choices
        elif spec.metavar or opt.kind is tuple:
            kwargs["metavar"] = spec.metavar or "LIST"
        if spec.bare is not None:
            kwargs.update(nargs="?", const=spec.bare)
        if spec.repeatable:
            kwargs["action"] = "extend"
        if spec.many:
            kwargs.update(nargs="+", action=_Words, parse=kwargs.pop("type"))
    set_completion(section.add_argument(*flags, **kwargs), _completion(opt))
    if spec.negation is not None:
        section.add_argument(
            "--no-" + opt.flag.removeprefix("--"),
            dest=opt.name,
            action="store_const",
            const=spec.negation,
            default=argparse.SUPPRESS,
            help=f"the same as {opt.flag} {spec.negation}",
        )


class _Words(argparse.Action):
    """A flag's several words (``--keyframes a.npz b.npz``) read as the one entry ``a.npz,b.npz`` is."""

    def __init__(self, *args: Any, parse: Callable[[str], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parse = parse

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option: Any = None) -> None:
        try:
            setattr(namespace, self.dest, self.parse(",".join(values)))
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise argparse.ArgumentError(self, str(exc)) from None


def _completion(opt: Option) -> str:
    """What a shell completes for the field: a folder, a file, or nothing (a number, a name)."""
    if opt.widget in ("folder", "outdir"):
        return "dir"
    return "file" if opt.widget in PATH_WIDGETS else "none"


def _parser(opt: Option) -> Callable[[str], Any]:
    """An argparse type for the field: :func:`artgen.schema.parse_text`, its refusal argparse's."""

    def parse(text: str) -> Any:
        try:
            return parse_text(opt, text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = opt.name  # argparse names the type in "invalid ... value"
    return parse
