"""The ``artgen`` command.

Each subcommand is a module in this package with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules import their
engine inside ``run`` only, so ``artgen --help`` never loads TensorFlow.
``artgen`` with no arguments opens the terminal studio (``tui``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from artgen import __version__
from artgen.errors import ArtgenError, InputError

__all__ = ["main", "build_parser"]

COMMANDS = ("train", "sample", "walk", "eval", "jobs", "style", "toy", "classify")


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"artgen.cli.{name}") for name in COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="artgen",
        description="Generative art and style transfer from the terminal. "
        "Run with no arguments to open the terminal studio.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n  artgen train faces/\n  artgen sample out.png\n"
        "  artgen walk --frames 120 out.gif\n  artgen style content.jpg style.jpg\n\n"
        "Run 'artgen COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"artgen {__version__}")
    parser.add_argument(
        "--backend",
        choices=("tensorflow", "jax"),
        help="Keras backend for the engines (default: $KERAS_BACKEND, else tensorflow)",
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "gpu"),
        default="auto",
        help="where the engines run: auto (a GPU when there is one), cpu, or gpu (default auto)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _modules():
        sub = commands.add_parser(
            module.NAME,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            epilog=getattr(module, "EXAMPLES", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return _open_studio()
    args = build_parser().parse_args(argv)
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend  # read when an engine first imports Keras
    if args.command is None:
        build_parser().print_help()
        return 2
    try:
        _use_device(args.device)
        return int(args.handler(args) or 0)
    except ArtgenError as exc:
        print(f"artgen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("artgen: interrupted", file=sys.stderr)
        return 130


def _use_device(device: str) -> None:
    if device == "auto":  # nothing to change, so no import of the jobs package on every command
        return
    from artgen.jobs.devices import probe_devices, use_device

    if device == "gpu" and not probe_devices().has_gpu:
        raise InputError("--device gpu was asked for, but no GPU was found; use --device cpu or auto")
    use_device(device)


def _open_studio() -> int:
    try:
        from tui.app import main as studio
    except ImportError:
        build_parser().print_help()
        return 0
    return studio()
