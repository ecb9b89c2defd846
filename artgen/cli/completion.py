"""``artgen completion bash|zsh|fish``: a shell completion script, written from artgen's own parser.

The script holds every command, option and choice as the parser has them
now, so it is never stale: re-run the command after an upgrade. Values that
are paths complete as files (folders where a folder is wanted); numbers and
names complete nothing rather than offering files.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from artgen.cli.common import show_result
from artgen.cli.parser import actions, command_help, completion, subcommands

NAME = "completion"
HELP = "print a shell completion script (bash, zsh or fish)"
DESCRIPTION = (
    "Print a script that completes artgen's commands, options, choices and paths in your shell.\n"
    "It is written from artgen's own options, so run it again after upgrading artgen."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen completion bash > ~/.local/share/bash-completion/completions/artgen\n"
    '  eval "$(artgen completion bash)"                 in ~/.bashrc, instead\n'
    '  eval "$(artgen completion zsh)"                  in ~/.zshrc, after compinit\n'
    "  artgen completion fish > ~/.config/fish/completions/artgen.fish"
)
SHELLS = ("bash", "zsh", "fish")
_SAFE = re.compile(r"[A-Za-z0-9_.:+,/=@%-]+")  # words written into a script without quoting


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def run(args: argparse.Namespace) -> int:
    from artgen.cli import build_parser

    show_result(script(args.shell, build_parser()))
    return 0


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    kind: str  # flag, choices, file, dir, none
    choices: tuple[str, ...]
    help: str


@dataclass(frozen=True)
class Command:
    """One parser of the tree: its path of subcommand names from ``artgen``, and what it takes."""

    path: str  # "", "walk", "classify train"
    commands: dict[str, str]  # subcommand -> its help
    options: tuple[Option, ...]
    positional: str  # what its positional arguments complete as: file, dir, none or "choices A B"


def tree(parser: argparse.ArgumentParser, path: str = "") -> Iterator[Command]:
    """Every parser below ``parser`` (itself first), read into what a completion script needs."""
    options, kinds, commands = [], [], {}
    for action in actions(parser):
        if action.help == argparse.SUPPRESS:
            continue  # an old name kept working, not offered
        if isinstance(action.choices, dict):
            commands = {name: command_help(action, name) for name in action.choices}
            continue
        kind, offered = completion(action)
        choices = tuple(str(choice) for choice in offered if _SAFE.fullmatch(str(choice)))
        if action.option_strings:
            options.append(Option(tuple(action.option_strings), kind, choices, _one_line(action.help)))
        else:
            kinds.append("choices " + " ".join(choices) if kind == "choices" else kind)
    # the first that offers anything: words to choose from, else paths, files before folders
    offered = [kind for kind in kinds if kind.startswith("choices ")]
    positional = next(iter(offered), "file" if "file" in kinds else "dir" if "dir" in kinds else "none")
    yield Command(path, commands, tuple(options), positional)
    for _, parsers in subcommands(parser):
        for name, sub in parsers.items():
            yield from tree(sub, f"{path} {name}".strip())


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    commands = list(tree(parser))
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](commands)


def _one_line(text: str | None) -> str:
    return " ".join((text or "").replace("%%", "%").split())


def _spec_cases(commands: list[Command]) -> list[str]:
    """``case`` branches (the same in bash and zsh) answering "what is there at this point"."""
    lines = []
    for command in commands:
        path = command.path
        valued = [flag for option in command.options if option.kind != "flag" for flag in option.flags]
        every = [flag for option in command.options for flag in option.flags]
        lines.append(f"        {shlex.quote('commands|' + path)}) echo {_words(command.commands)} ;;")
        lines.append(f"        {shlex.quote('options|' + path)}) echo {_words(every)} ;;")
        lines.append(f"        {shlex.quote('valued|' + path)}) echo {_words(valued)} ;;")
        positional = shlex.quote(command.positional)
        lines.append(f"        {shlex.quote('positional|' + path)}) echo {positional} ;;")
        for option in command.options:
            if option.kind == "flag":
                continue
            value = "choices " + " ".join(option.choices) if option.kind == "choices" else option.kind
            for flag in option.flags:
                lines.append(f"        {shlex.quote(f'value|{path}|{flag}')}) echo {shlex.quote(value)} ;;")
    return lines


def _words(words: object) -> str:
    return shlex.quote(" ".join(str(word) for word in words))


_BASH = r"""# bash completion for artgen; written by `artgen completion bash` from artgen's own options
_artgen_spec() {
    case "$1" in
%(cases)s
    esac
}

_artgen_complete() {  # $1: file, dir, none or "choices A B C"; $2: the word so far
    case "$1" in
        file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$2") ;;
        dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$2") ;;
        "choices "*) mapfile -t COMPREPLY < <(compgen -W "${1#choices }" -- "$2") ;;
        *) COMPREPLY=() ;;
    esac
}

_artgen() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local command="" word i skip=0
    for ((i = 1; i < COMP_CWORD; i++)); do  # the subcommands typed so far, past options and their values
        word="${COMP_WORDS[i]}"
        if [[ $word == "=" ]]; then skip=1; continue; fi  # bash splits --option=value at the =
        if ((skip)); then skip=0; continue; fi
        if [[ $word == -* ]]; then
            [[ " $(_artgen_spec "valued|$command") " == *" $word "* ]] && skip=1
        elif [[ " $(_artgen_spec "commands|$command") " == *" $word "* ]]; then
            command="${command:+$command }$word"
        fi
    done
    if [[ $cur == "=" ]]; then cur=""; elif [[ $prev == "=" ]]; then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi
    if [[ $cur == -*=* ]]; then prev="${cur%%%%=*}"; cur="${cur#*=}"; fi
    if [[ $prev == -* && " $(_artgen_spec "valued|$command") " == *" $prev "* ]]; then
        _artgen_complete "$(_artgen_spec "value|$command|$prev")" "$cur"
    elif [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_artgen_spec "options|$command")" -- "$cur")
    elif [[ -n $(_artgen_spec "commands|$command") ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_artgen_spec "commands|$command")" -- "$cur")
    else
        _artgen_complete "$(_artgen_spec "positional|$command")" "$cur"
    fi
}

complete -F _artgen artgen
"""

_ZSH = r"""#compdef artgen
# zsh completion for artgen; written by `artgen completion zsh` from artgen's own options
_artgen_spec() {
    case "$1" in
%(cases)s
    esac
}

_artgen() {
    local command="" word kind cur prev
    local -i i skip=0
    for ((i = 2; i < CURRENT; i++)); do  # the subcommands typed so far, past options and their values
        word=${words[i]}
        if ((skip)); then skip=0; continue; fi
        if [[ $word == -* ]]; then
            [[ $word != *=* && " $(_artgen_spec "valued|$command") " == *" $word "* ]] && skip=1
        elif [[ " $(_artgen_spec "commands|$command") " == *" $word "* ]]; then
            command="${command:+$command }$word"
        fi
    done
    cur=${words[CURRENT]} prev=${words[CURRENT-1]}
    if [[ $cur == -*=* ]]; then prev=${cur%%%%=*}; compset -P '*='; cur=${cur#*=}; fi
    if [[ $prev == -* && " $(_artgen_spec "valued|$command") " == *" $prev "* ]]; then
        kind=$(_artgen_spec "value|$command|$prev")
    elif [[ $cur == -* ]]; then
        compadd -- ${=$(_artgen_spec "options|$command")}
        return
    elif [[ -n $(_artgen_spec "commands|$command") ]]; then
        compadd -- ${=$(_artgen_spec "commands|$command")}
        return
    else
        kind=$(_artgen_spec "positional|$command")
    fi
    case $kind in
        file) _files ;;
        dir) _files -/ ;;
        "choices "*) compadd -- ${=${kind#choices }} ;;
    esac
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _artgen "$@"  # autoloaded from a file named _artgen in $fpath
else
    compdef _artgen artgen  # eval "$(artgen completion zsh)"
fi
"""

_FISH_HEAD = r"""# fish completion for artgen; written by `artgen completion fish` from artgen's own options
function __artgen_spec
    switch "$argv[1]"
%(cases)s
    end
end

function __artgen_command --description 'the artgen subcommands typed so far'
    set -l words (commandline -opc)
    set -e words[1]
    set -l command ""
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $word
            set -l valued (string split -- ' ' (__artgen_spec "valued|$command"))
            if not string match -q -- '*=*' $word; and contains -- $word $valued
                set skip 1
            end
        else if contains -- $word (string split -- ' ' (__artgen_spec "commands|$command"))
            set command (string trim -- "$command $word")
        end
    end
    echo $command
end

complete -c artgen -f
"""


def _bash(commands: list[Command]) -> str:
    return _BASH % {"cases": "\n".join(_spec_cases(commands))}


def _zsh(commands: list[Command]) -> str:
    return _ZSH % {"cases": "\n".join(_spec_cases(commands))}


def _fish(commands: list[Command]) -> str:
    cases = []
    for command in commands:
        valued = [flag for option in command.options if option.kind != "flag" for flag in option.flags]
        for key, words in (("commands", list(command.commands)), ("valued", valued)):
            cases.append(f"        case {_fish_quote(f'{key}|{command.path}')}")
            cases.append(f"            echo {_fish_quote(' '.join(words))}")
    lines = [_FISH_HEAD % {"cases": "\n".join(cases)}]
    for command in commands:
        when = f"-n {_fish_quote(f'test (__artgen_command) = {_fish_quote(command.path)}')}"
        for name, text in command.commands.items():
            lines.append(f"complete -c artgen {when} -a {_fish_quote(name)} -d {_fish_quote(text)}")
        for option in command.options:
            names = " ".join(
                f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}" for flag in option.flags
            )
            what = {
                "flag": "",
                "choices": f" -x -a {_fish_quote(' '.join(option.choices))}",
                "file": " -r -F",
                "dir": " -x -a '(__fish_complete_directories)'",
                "none": " -x",
            }[option.kind]
            lines.append(f"complete -c artgen {when} {names}{what} -d {_fish_quote(option.help)}")
        if not command.commands and command.positional != "none":
            what = {"file": "-F", "dir": "-a '(__fish_complete_directories)'"}.get(command.positional)
            if what is None:  # choices
                what = f"-a {_fish_quote(command.positional.removeprefix('choices '))}"
            lines.append(f"complete -c artgen {when} {what}")
    return "\n".join(lines) + "\n"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
