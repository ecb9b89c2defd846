"""The parser every ``artgen`` command is built with: a mistake in the command line is one line.

argparse answers a typo with the whole usage block (a dozen lines for a
command with many options) above a line in its own words ("invalid int
value"). Here every refusal of every command is one line that names the
option and what it accepts, then where the help is:

    artgen walk: error: --frames: 'abc' is not a whole number; see artgen walk --help

with exit status 2, as for any other bad input. An unknown option or
choice close to a known one is suggested.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

__all__ = ["Parser", "actions", "command_help", "subcommands", "set_completion", "completion"]

_REQUIRED = "the following arguments are required: "
_CHOSEN = "_artgen_parser"  # the namespace attribute naming the innermost parser that took part
_NOUNS = {"int": "a whole number", "float": "a number"}


class _Swallowed(Exception):
    """The last ``count`` words, taken by an option of several words, were a command's arguments."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line ending in ``see PROG --help``."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """argparse's, but where an option taking several words took a command's last arguments too
        (``walk --keyframes a.npz b.npz out.gif``), those are read as the arguments they were meant as."""
        self.words = list(sys.argv[1:] if args is None else args)  # what error() may look back at
        try:
            parsed, extras = super().parse_known_args(self.words, copy.copy(namespace))
        except _Swallowed as retry:
            words = self.words[: -retry.count] + ["--"] + self.words[-retry.count :]
            parsed, extras = super().parse_known_args(words, namespace)
        if not hasattr(parsed, _CHOSEN):  # a subcommand's parser ran first and set itself
            setattr(parsed, _CHOSEN, self)
        return parsed, extras

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        chosen: Parser = getattr(parsed, _CHOSEN)
        delattr(parsed, _CHOSEN)
        if extras:
            chosen.error(chosen.unexpected(extras))
        return parsed

    def error(self, message: str) -> NoReturn:
        if message.startswith(_REQUIRED):
            missing = len(message.removeprefix(_REQUIRED).split(", "))
            if self._swallowed(missing):
                raise _Swallowed(missing)
        self.exit(2, f"{self.prog}: error: {self.explain(message)}; see {self.prog} --help\n")

    def unexpected(self, extras: list[str]) -> str:
        """What to say about the words this command did not take: an unknown option first."""
        unknown = self._unknown_option(extras)
        return unknown if unknown is not None else f"unexpected argument {extras[0]!r}"

    def _unknown_option(self, words: list[str]) -> str | None:
        """The first of ``words`` that looks like an option and is none of this command's, said so."""
        known = [option for action in actions(self) for option in action.option_strings]
        for word in words:
            flag = word.partition("=")[0]
            if len(flag) < 2 or not flag.startswith("-") or re.fullmatch(r"-[\d.]+", flag):
                continue  # a value, or a negative number
            if not any(option.startswith(flag) for option in known):  # argparse takes a unique prefix
                return f"unknown option {flag}" + _did_you_mean(flag, known)
        return None

    def explain(self, message: str) -> str:
        """argparse's message in artgen's words: the option first, then what it accepts."""
        if message.startswith(_REQUIRED):
            # a mistyped option is the mistake to name, not the arguments it kept from being read
            unknown = self._unknown_option(getattr(self, "words", []))
            return unknown or self._missing(message.partition(": ")[2].split(", "))
        found = re.fullmatch(r"argument (?P<name>.+?): (?P<rest>.*)", message, re.DOTALL)
        if found is None:
            return message
        name, rest = found["name"], found["rest"]
        if invalid := re.fullmatch(r"invalid (?P<type>\S+) value: (?P<value>.*)", rest):
            noun = _NOUNS.get(invalid["type"], f"a valid {invalid['type']}")
            return f"{name}: {invalid['value']} is not {noun}"
        if choice := re.fullmatch(r"invalid choice: (?P<value>.*?) \(choose from (?P<choices>.*)\)", rest):
            return self._bad_choice(name, choice["value"], choice["choices"])
        if rest.startswith("expected"):
            return f"{name} needs a value" if "one argument" in rest else f"{name}: {rest}"
        if rest.startswith("not allowed with argument "):
            return f"{name} cannot be used with {rest.removeprefix('not allowed with argument ')}"
        if rest.startswith("ignored explicit argument "):
            return f"{name} takes no value (given {rest.removeprefix('ignored explicit argument ')})"
        return f"{name}: {rest}"

    def _bad_choice(self, name: str, value: str, choices: str) -> str:
        options = [choice.strip().strip("'") for choice in choices.split(",")]
        typed = value.strip("'")
        hint = _did_you_mean(typed, options)
        if name in ("COMMAND", "ACTION"):  # a subcommand: list them, as a person would
            return f"{value} is not a command of {self.prog}: {', '.join(options)}{hint}"
        return f"{name}: {value} is not one of {', '.join(options)}{hint}"

    def _missing(self, names: list[str]) -> str:
        """Say what each missing argument is, from its help: 'give OUT (output .gif, ...)'."""
        helps = {}
        for action in actions(self):
            label = action.metavar if isinstance(action.metavar, str) else action.dest
            helps["/".join(action.option_strings) or label] = action.help
        parts = []
        for name in names:
            text = helps.get(name)
            parts.append(f"{name} ({_first_clause(text)})" if text and text != argparse.SUPPRESS else name)
        return "give " + " and ".join(parts)

    def _swallowed(self, missing: int) -> bool:
        """Whether an option taking several words (``--keyframes a.npz b.npz``) is the last option and
        took the ``missing`` positional arguments at the end with at least one word of its own left."""
        lists = {flag for action in actions(self) if action.nargs == "+" for flag in action.option_strings}
        words = getattr(self, "words", [])
        flags = [index for index, word in enumerate(words) if word.startswith("-")]
        if not flags or words[flags[-1]] not in lists or "--" in words:
            return False
        return len(words) - flags[-1] - 1 > missing


def _first_clause(text: str) -> str:
    """The help's first clause, without argparse's %-escapes: enough to say what is wanted."""
    return text.replace("%%", "%").split(" (", 1)[0].split(";", 1)[0]


def _did_you_mean(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every argument of ``parser``, in the order added.

    argparse keeps them in ``_actions`` and offers no public view; completion
    and error messages both read them here, so the one private read is in one place.
    """
    return list(parser._actions)


def command_help(action: argparse.Action, name: str) -> str:
    """The help line of subcommand ``name`` of a subparsers ``action`` (argparse keeps it privately)."""
    for choice in action._choices_actions:  # type: ignore[attr-defined]
        if choice.dest == name:
            return " ".join((choice.help or "").split())
    return ""


def subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[argparse.Action, dict[str, Any]]]:
    """``parser``'s subcommand arguments, each with its ``{name: parser}`` map."""
    for action in actions(parser):
        if isinstance(action.choices, dict):  # only a subparsers action maps names to parsers
            yield action, action.choices


_COMPLETION = "artgen_completion"  # the attribute an argument's completion kind is kept in


def set_completion(action: argparse.Action, kind: str, choices: Sequence[str] = ()) -> argparse.Action:
    """Say what a shell completes for ``action``'s value: ``file``, ``dir``, ``none``, or
    ``choices`` (words a value parsed by a function of its own may take)."""
    setattr(action, _COMPLETION, (kind, tuple(choices)))
    return action


def completion(action: argparse.Action) -> tuple[str, tuple[str, ...]]:
    """What a shell offers for ``action``: (``choices``, ``file``, ``dir``, ``none`` or ``flag``
    for no value, and the choices).

    Arguments say so with :func:`set_completion`; the rest are read from how they parse: a
    typed value (a number) completes nothing, a text whose name ends in DIR a folder, other
    text a path, the most common kind of untyped argument here.
    """
    if action.nargs == 0:
        return "flag", ()
    if action.choices is not None:
        return "choices", tuple(str(choice) for choice in action.choices)
    if hasattr(action, _COMPLETION):
        return getattr(action, _COMPLETION)
    if action.type is not None:
        return "none", ()
    name = action.metavar if isinstance(action.metavar, str) else action.dest
    return ("dir" if name.upper().endswith("DIR") else "file"), ()
