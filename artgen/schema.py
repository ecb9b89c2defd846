"""What a config field says about itself: help, flag, group, form widget, choices and bounds.

Each engine's config dataclass declares its fields with :func:`setting`, and
everything that shows or checks a setting reads it from there: the CLI's
options (``artgen.cli.options``), the studio's form and its as-you-type checks
(``artgen.jobs.kinds``), and the config's own ``__post_init__`` through
:func:`check`. So a default, a bound or a line of help is written once, in
the field, and a new setting is one new field.

Help never states a default: the generated text appends it, read from the
field. A field whose default is ``None`` says what ``None`` means in ``unset``
("the generator's own size"). A field without a default is required.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from artgen.errors import InputError

__all__ = [
    "Widget",
    "PATH_WIDGETS",
    "Setting",
    "setting",
    "Option",
    "options",
    "option",
    "check",
    "check_values",
    "problem",
    "type_problem",
    "range_text",
    "default_text",
    "parse_text",
    "show",
    "iter_groups",
    "inherited",
]

Widget = Literal[
    "folder",
    "outdir",
    "image",
    "images",
    "generator",  # a generator: a .keras file or a training run's folder
    "classifier",  # a classifier: a .keras file with its class names, or a classify run's folder
    "latents",  # latents files (.npz) from artgen project or walk --save-latents
    "output",
    "source",  # an image file or a folder of them (a batch)
    "destination",  # a file or a folder to write, as the source is one or the other
    "audio",  # a music track: .wav, .mp3, .flac or .ogg
    "int",
    "float",
    "text",
    "choice",
    "bool",
    "list",
]
PATH_WIDGETS: tuple[Widget, ...] = (
    "folder",
    "outdir",
    "image",
    "images",
    "generator",
    "classifier",
    "latents",
    "output",
    "source",
    "destination",
    "audio",
)


@dataclass(frozen=True)
class Setting:
    """How one config field is offered and checked. Every part but ``help`` has a derived default."""

    help: str
    flag: str | None = None  # the CLI flag; None: "--" and the field name with dashes
    aliases: tuple[str, ...] = ()  # more flags for the same option (-o, --lr)
    group: str | None = None  # the section of --help it is listed in; None: the command's own options
    advanced: bool = False  # in the studio's form, under the "advanced" fold
    widget: Widget | None = None  # the form's widget; None: from the field's type and choices
    label: str = ""  # the form's label; empty: the field name with spaces
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    above: bool = False  # ``min`` itself is refused (a rate must be more than 0)
    below: bool = False  # ``max`` itself is refused
    unset: str = ""  # what None means, for a field whose default is None
    positional: bool = False  # a CLI argument without a flag (DIR, CONTENT)
    metavar: str | None = None
    bare: Any = None  # the value of the flag given alone (``--augment``: every augmentation)
    negation: Any = None  # the value ``--no-FLAG`` gives (``--no-tile``: "off")
    negatable: bool = True  # a bool gets ``--no-FLAG``; False: a plain switch (``--overwrite``)
    parse: Callable[[str], Any] | None = None  # text to value, for types without a generic parser
    format: Callable[[Any], str] | None = None  # value to text, the inverse of ``parse``
    cli: bool = True  # offered by the CLI (False: set by the studio or tests only)
    repeatable: bool = False  # a list flag that may be given again to add items (``--mask a --mask b``)
    many: bool = (
        False  # the flag takes several words, read as one comma-separated entry (``--keyframes a b``)
    )
    resumable: bool = False  # may change when a stopped run continues (``--resume``, the studio's resume)
    # An environment variable that gives the default where a person starts artgen (the command line,
    # the studio), which then puts the value in the config: a job's child reads the config, not the variable.
    variable: str | None = None


def resumable_fields(config: type) -> frozenset[str]:
    """The fields of ``config`` that a continued run may change; every other one must stay as it was."""
    return frozenset(
        field.name for field in dataclasses.fields(config) if field.metadata["setting"].resumable
    )


def setting(default: Any = dataclasses.MISSING, *, help: str, **parts: Any) -> Any:
    """A dataclass field carrying its :class:`Setting`; without ``default`` the field is required."""
    return dataclasses.field(default=default, metadata={"setting": Setting(help, **parts), "help": help})


@dataclass(frozen=True)
class Option:
    """A config field with its setting and what its type says: the view every generator reads."""

    name: str
    setting: Setting
    kind: type  # the value's type: int, float, str, bool, or tuple for lists
    item: type | None  # a list's item type
    default: Any
    required: bool
    optional: bool  # None is a valid value ("use the engine's choice")

    @property
    def flag(self) -> str:
        return self.setting.flag or "--" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        return self.setting.label or self.name.replace("_", " ")

    @property
    def metavar(self) -> str:
        return self.setting.metavar or self.name.upper()

    @property
    def widget(self) -> Widget:
        if self.setting.widget is not None:
            return self.setting.widget
        if self.kind is bool:
            return "bool"
        if self.setting.choices and self.kind is not tuple:
            return "choice"
        if self.kind is tuple:
            return "list"
        if self.kind is int:
            return "int"
        if self.kind is float:
            return "float"
        return "text"


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (hint, False)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return args[0], len(args) < len(typing.get_args(hint))
    return hint, False


@functools.cache
def options(cls: type) -> tuple[Option, ...]:
    """Every field of config class ``cls`` as an :class:`Option`, in the dataclass's order, but for the
    keyword-only fields (the settings every engine shares, :class:`artgen.configs.EngineConfig`'s), which
    come last: a command's and a form's own options first.

    A field declared without :func:`setting` (a test's fake config) gets a
    setting with no help, so it still shows in a form.
    """
    hints = typing.get_type_hints(cls)
    found = []
    for field in sorted(dataclasses.fields(cls), key=lambda field: field.kw_only is True):
        hint, optional = _unwrap(hints[field.name])
        origin = typing.get_origin(hint)
        item = None
        if origin is tuple:
            args = [arg for arg in typing.get_args(hint) if arg is not Ellipsis]
            item, kind = (args[0] if args else str), tuple
        else:
            kind = hint if isinstance(hint, type) else str
        if field.default is not dataclasses.MISSING:
            default, required = field.default, False
        elif field.default_factory is not dataclasses.MISSING:
            default, required = field.default_factory(), False
        else:
            default, required = None, True
        found.append(
            Option(
                field.name,
                field.metadata.get("setting") or Setting(""),
                kind,
                item,
                default,
                required,
                optional or field.default is None and not required,
            )
        )
    return tuple(found)


def option(cls: type, name: str) -> Option:
    return next(opt for opt in options(cls) if opt.name == name)


def _number(value: float) -> str:
    """An int as written (4294967295), a float short (0.001, 1e+06)."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def range_text(spec: Setting) -> str:
    """``between 1 and 100``, ``more than 0 and at most 1``, ``at least 0``: the field's bounds in words."""
    low, high = spec.min, spec.max
    if low is not None and high is not None and not spec.above and not spec.below:
        return f"between {_number(low)} and {_number(high)}"
    words = []
    if low is not None:
        words.append(f"{'more than' if spec.above else 'at least'} {_number(low)}")
    if high is not None:
        words.append(f"{'less than' if spec.below else 'at most'} {_number(high)}")
    return " and ".join(words)


def _in_range(spec: Setting, value: float) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if spec.min is not None and (value <= spec.min if spec.above else value < spec.min):
        return False
    return spec.max is None or (value < spec.max if spec.below else value <= spec.max)


def problem(opt: Option, value: Any) -> str | None:
    """What is wrong with ``value`` for ``opt`` ("must be between 2 and 100, not 1"), or None."""
    spec = opt.setting
    if value is None:
        return None if opt.optional else "is required"
    if opt.kind is tuple:
        unknown = [str(item) for item in value if spec.choices and item not in spec.choices]
        if unknown:
            choices = ",".join(map(str, spec.choices))
            return f"has unknown {', '.join(unknown)}; {opt.label} choices are {choices}"
        bad = [item for item in value if isinstance(item, (int, float)) and not _in_range(spec, item)]
        if bad:
            return f"values must each be {range_text(spec)}, not {_number(bad[0])}"
        return None
    if spec.choices and value not in spec.choices:
        shown = value if isinstance(value, (int, float)) else repr(value)
        return f"must be one of {', '.join(map(str, spec.choices))}, not {shown}"
    bounded = spec.min is not None or spec.max is not None
    if bounded and isinstance(value, (int, float)) and not _in_range(spec, value):
        return f"must be {range_text(spec)}, not {_number(value) if math.isfinite(value) else value}"
    return None


def type_problem(hint: Any, value: Any) -> str | None:
    """Why ``value``, as JSON gives it, is not a ``hint`` ("must be a whole number, not "8""), or None.

    What artgen reads back from its own files (a run's config.json, a job record)
    passes here before any code trusts it, so an edited or damaged value is one
    line naming it rather than a failure deep inside an engine. JSON has lists
    where Python has tuples, and an integer is a valid float.
    """
    if hint is Any or hint is object:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        problems = [type_problem(arg, value) for arg in args if arg is not type(None)]
        if None in problems:
            return None
        return problems[0] if len(problems) == 1 else f"must be {_type_name(hint)}, not {_shown_json(value)}"
    if origin is Literal:
        if any(value == arg and type(value) is type(arg) for arg in args):
            return None
        return f"must be {_type_name(hint)}, not {_shown_json(value)}"
    if origin in (tuple, list) or hint in (tuple, list):
        return _items_problem(hint, value)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            return f"must be {_type_name(hint)}, not {_shown_json(value)}"
        key_hint, value_hint = args or (str, Any)
        for key, item in value.items():
            if wrong := type_problem(key_hint, key) or type_problem(value_hint, item):
                return f"entry {_shown_json(key)} {wrong}"
        return None
    if hint is float:
        fits = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif hint is int:
        fits = isinstance(value, int) and not isinstance(value, bool)
    else:
        fits = isinstance(value, hint)
    return None if fits else f"must be {_type_name(hint)}, not {_shown_json(value)}"


def _items_problem(hint: Any, value: Any) -> str | None:
    if not isinstance(value, (list, tuple)):
        return f"must be {_type_name(hint)}, not {_shown_json(value)}"
    args = typing.get_args(hint)
    if (len(args) == 2 and args[1] is Ellipsis) or typing.get_origin(hint) is list:
        hints = [args[0] if args else Any] * len(value)
    elif args:
        if len(value) != len(args):
            return f"must be a list of {len(args)} values, not {_shown_json(value)}"
        hints = list(args)
    else:
        hints = [Any] * len(value)
    for index, (item_hint, item) in enumerate(zip(hints, value, strict=True), start=1):
        if wrong := type_problem(item_hint, item):
            return f"item {index} {wrong}"
    return None


def _type_name(hint: Any) -> str:
    """A type in a reader's words: "a whole number", "a list of numbers", "one of "ns", "hinge"."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in args)
    if origin is Literal:
        return "one of " + ", ".join(map(_shown_json, args))
    if origin in (tuple, list) or hint in (tuple, list):
        return "a list"
    if origin is dict or hint is dict:
        return "an object"
    names = {int: "a whole number", float: "a number", str: "text", bool: "true or false", type(None): "null"}
    return names.get(hint, f"a {getattr(hint, '__name__', hint)}")


def _shown_json(value: Any) -> str:
    """``value`` as its file spells it, cut short: ``"abc"``, ``[1, 2]``, ``null``."""
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):  # keys JSON cannot hold
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check(config: Any) -> None:
    """Refuse a config whose fields break their settings' choices or bounds: one line naming the flag.

    Configs call this in ``__post_init__``; checks that relate two fields stay there.
    """
    check_values(type(config), {opt.name: getattr(config, opt.name) for opt in options(type(config))})


def check_values(cls: type, values: Mapping[str, Any]) -> None:
    """:func:`check` for some of ``cls``'s fields, before a whole config can be built."""
    for opt in options(cls):
        if opt.name in values and (message := problem(opt, values[opt.name])):
            raise InputError(f"{opt.flag} {message}")


def _shown_default(opt: Option) -> str:
    value = opt.default
    if opt.setting.format is not None:
        return opt.setting.format(value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "none"
    if isinstance(value, float):
        return _number(value) if value >= 1e-3 or value == 0 else repr(value)
    return str(value)


def default_text(opt: Option) -> str:
    """``default 64``, ``default: the generator's own size``, ``default: $KERAS_BACKEND, else tensorflow``,
    or empty where there is none to state."""
    if opt.required or opt.setting.positional:
        return ""
    if opt.setting.variable is not None:
        return f"default: ${opt.setting.variable}, else {_shown_default(opt)}"
    if opt.default is None:
        return f"default: {opt.setting.unset}" if opt.setting.unset else ""
    if opt.default == "" or (opt.kind is bool and not opt.setting.negatable):
        return ""
    return f"default {_shown_default(opt)}"


def parse_text(opt: Option, text: str) -> Any:
    """The value that ``text``, as typed for ``opt``, stands for; :class:`InputError` with one line if none.

    The one reading of a setting's text: the command line's options (their argparse ``type``) and
    the studio's form entries both come here, so a mistake reads the same in both. The line
    names the text, not the option: each caller says which option it was typed for. Bounds
    and choices are the config's to check (:func:`problem`), for a value from anywhere.
    """
    if opt.setting.parse is not None:
        return opt.setting.parse(text)
    if opt.kind is tuple:
        return _parse_list(opt.item or str, text)
    if opt.kind in (int, float):
        return _parse_number(opt.kind, text)
    return text


def _parse_number(kind: type, text: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise InputError(f"{text!r} is not {'a whole number' if kind is int else 'a number'}") from None


def _parse_list(item: type, text: str) -> tuple[Any, ...]:
    """A comma-separated entry as a tuple of ``item`` (``0.7,0.3`` -> (0.7, 0.3))."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        return tuple(item(part) for part in parts)
    except ValueError:
        noun = "whole numbers" if item is int else "numbers"
        raise InputError(f"{text!r} is not a list of {noun} like 1,2") from None


def show(opt: Option, value: Any) -> str:
    """A value as the text a user would type for it: lists comma separated, None empty."""
    if opt.setting.format is not None and value is not None:
        return opt.setting.format(value)
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


def iter_groups(cls: type) -> Iterator[tuple[str | None, list[Option]]]:
    """The CLI options of ``cls`` by --help section, sections in the order they first appear."""
    groups: dict[str | None, list[Option]] = {}
    for opt in options(cls):
        if opt.setting.cli:
            groups.setdefault(opt.setting.group, []).append(opt)
    yield from groups.items()


def inherited(cls: type, name: str, default: Any = dataclasses.MISSING, **changes: Any) -> Any:
    """A field declared as config ``cls``'s field ``name`` is (help, bounds, group, widget), with ``changes``.

    So a second command offering the same setting (``artgen texture``'s
    ``--size``, from ``artgen style``) restates nothing but what differs.
    """
    field = next(field for field in dataclasses.fields(cls) if field.name == name)
    spec = dataclasses.replace(field.metadata["setting"], **changes)
    value = field.default if default is dataclasses.MISSING else default
    return dataclasses.field(default=value, metadata={"setting": spec, "help": spec.help})
