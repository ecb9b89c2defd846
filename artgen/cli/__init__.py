"""The ``artgen`` command.

Each subcommand is a module in this package with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules import their
engine inside ``run`` only, so ``artgen --help`` never loads TensorFlow.
``artgen`` with no arguments opens the terminal studio (``artgen.tui``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType

from artgen import __version__, environment, images
from artgen.cli.common import STOP_SIGNALS, note, set_verbosity
from artgen.cli.options import add_flag
from artgen.cli.parser import Parser, set_completion, subcommands
from artgen.configs import EngineConfig, ImageEngineConfig
from artgen.errors import MACHINE_ERRNOS, ArtgenError, InputError, exit_status, os_error_reason
from artgen.schema import option, options

__all__ = ["main", "build_parser"]

COMMANDS = (
    "train",
    "sample",
    "walk",
    "project",
    "eval",
    "jobs",
    "style",
    "texture",
    "toy",
    "classify",
    "serve",
    "completion",
)
RUNS_HERE = ("eval", "serve")  # refused with --cluster: eval is no job kind, serve serves this machine


def _cluster(text: str) -> str:
    try:
        return environment.parse_cluster(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _device(text: str) -> str:
    from artgen.jobs.devices import parse_device  # no GPU probe here: only the spelling is checked

    try:
        parse_device(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--device ")) from None
    return text


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"artgen.cli.{name}") for name in COMMANDS]


def build_parser() -> Parser:
    parser = Parser(
        prog="artgen",
        description="Generative art and style transfer from the terminal. "
        "Run with no arguments to open the terminal studio.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n  artgen train faces/\n  artgen sample out.png\n"
        "  artgen walk --frames 120 out.gif\n  artgen style content.jpg style.jpg\n\n"
        "Run 'artgen COMMAND --help' for a command's options, and 'artgen completion --help' to have\n"
        "your shell complete them.",
    )
    parser.add_argument("--version", action="version", version=f"artgen {__version__}")
    # Every engine command takes --backend too; here, it also stands for the studio's jobs and eval.
    add_flag(parser, option(EngineConfig, "backend"))
    device = parser.add_argument(
        "--device",
        type=_device,
        default="auto",
        help="where the engines run: auto (a GPU when there is one), cpu, gpu, or gpu:N for one GPU "
        "(default auto)",
    )
    set_completion(device, "choices", ("auto", "cpu", "gpu"))
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        type=_cluster,
        help="run the command (or the studio's jobs) as a job on a Ray cluster: ray://HOST:PORT "
        "(Ray Client), HOST:PORT or auto (default: $ARTGEN_RAY_ADDRESS; needs pip install "
        "'artgen[cluster]'); outputs must be on storage the cluster shares",
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
    _add_output_flags(parser)
    return parser


def _add_output_flags(parser: argparse.ArgumentParser) -> None:
    """``-q`` and ``-v`` on ``parser`` and every parser below it: before or after the command name."""
    group = parser.add_argument_group("terminal output").add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,  # absent from a subcommand's namespace: an earlier -q stays
        help="only results (stdout) and errors: no progress, messages or hints",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="every message, the engines' detail notes and timings included",
    )
    for _, parsers in subcommands(parser):
        for sub in parsers.values():
            _add_output_flags(sub)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # A decoder's note on a damaged file ("Tag data larger than file") would be lines beside the one
    # a command promises: the file is read as well as it can be, or skipped with its reason.
    warnings.filterwarnings("ignore", module=r"PIL\.")
    with _stop_signals_as_interrupt():
        return _guarded(lambda: _dispatch(argv))


def _dispatch(argv: list[str]) -> int:
    set_verbosity()  # an earlier in-process command's -q or -v does not carry over
    if not argv:
        return _studio(None)
    args = build_parser().parse_args(argv)
    set_verbosity(getattr(args, "quiet", False), getattr(args, "verbose", False))
    if args.command is None and (args.cluster or hasattr(args, "backend")):
        return _studio(getattr(args, "backend", None), args.cluster)
    if args.command is None:
        build_parser().print_help()
        return 2
    if args.cluster and args.command in RUNS_HERE:
        raise InputError(f"{args.command} runs on this machine only; leave out --cluster")
    _shared_settings(args)
    _use_device(args.device)
    started = time.perf_counter()
    status = int(args.handler(args) or 0)
    note(f"{args.command} took {time.perf_counter() - started:.1f} s", "detail")
    return status


@contextlib.contextmanager
def _stop_signals_as_interrupt() -> Iterator[None]:
    """SIGTERM (kill, systemd, Docker, Slurm) and SIGHUP (a closed terminal) end a command as Ctrl-C does.

    Python turns only SIGINT into ``KeyboardInterrupt``; the others would end the
    process at once, past every ``finally``, leaving temporaries and locks. Raised
    as ``KeyboardInterrupt`` they take Ctrl-C's path: cleanup, "interrupted", 130.
    An engine's :class:`~artgen.cli.common.StopRequest` takes all three over while it runs.
    """
    previous = {}
    for signum in STOP_SIGNALS:
        if signum != signal.SIGINT:
            with contextlib.suppress(ValueError):  # not the main thread (an embedding app): leave them
                previous[signum] = signal.signal(signum, signal.default_int_handler)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _guarded(command: Callable[[], int]) -> int:
    """Run ``command``; whatever ends it becomes one line on stderr and an exit status."""
    try:
        return command()
    except BaseException as exc:  # noqa: BLE001  every way out is one line and a status, never a traceback
        if isinstance(exc, SystemExit):
            raise
        if isinstance(exc, BrokenPipeError) and _stdout_closed():
            return 141  # the reader went away (| head): quiet, as Unix tools are
        if not isinstance(exc, (ArtgenError, KeyboardInterrupt)) and environment.debug():
            raise
        message, status = describe_failure(exc)
        with contextlib.suppress(OSError, ValueError):  # the terminal may be gone (SIGHUP)
            print(f"artgen: {message}", file=sys.stderr)
        return status


def _stdout_closed() -> bool:
    """Whether standard output's reader has gone (a closed pipe polls as an error); if so, the exit's
    flush is pointed at /dev/null so that Python adds no second complaint."""
    import select

    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        closed = any(events & select.POLLERR for _, events in poller.poll(0))
        if closed:
            os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
    except (OSError, ValueError, AttributeError):
        return False
    return closed


def describe_failure(exc: BaseException) -> tuple[str, int]:
    """The one line and exit status for whatever ended a command.

    2: the user can fix it by changing the command (bad input, a path that
    cannot be used). 1: a fault outside their control (full disk, I/O error,
    out of memory, a bug), with the last good state kept. 130: interrupted.
    """
    if isinstance(exc, ArtgenError):
        return f"error: {exc}", exit_status(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", 130
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        code, reason = os_error_reason(exc)
        if code in MACHINE_ERRNOS:
            return f"error: {where}{reason}; files already written are unchanged", 1
        return f"error: {where}{reason}", 2
    if isinstance(exc, MemoryError):
        return "error: out of memory; lower the size, batch size or frame count", 1
    report = _save_traceback(exc)
    bug = f"{type(exc).__name__}: {_first_line(exc)}"
    return f"internal error: {bug} (traceback in {report}; please report it)", 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else "no message"


def _save_traceback(exc: BaseException) -> str:
    """A bug's traceback goes to a file, not the terminal: the user sees one line naming it."""
    import tempfile
    import traceback

    try:
        with tempfile.NamedTemporaryFile(
            "w", prefix="artgen-traceback-", suffix=".txt", delete=False, encoding="utf-8"
        ) as handle:
            handle.write("".join(traceback.format_exception(exc)))
            return handle.name
    except OSError:
        return "nowhere: the temporary folder is not writable; set ARTGEN_DEBUG=1 to see it"


def _shared_settings(args: argparse.Namespace) -> None:
    """Every variable checked, and in ``args`` the settings every engine shares, for the configs the
    command builds: as typed (``--backend``), else as their variables say (``$KERAS_BACKEND``), else
    their defaults. This process decodes images as they say (eval, and the checks before an engine)."""
    shared = [opt.name for opt in options(ImageEngineConfig)]
    given = {name: getattr(args, name) for name in shared if hasattr(args, name)}
    environment.check(given)
    for name, value in environment.shared_settings(given).items():
        setattr(args, name, value)
    images.limit_pixels(args.max_pixels)


def _use_device(device: str) -> None:
    if device == "auto":  # nothing to change, so no import of the jobs package on every command
        return
    from artgen.jobs.devices import parse_device, probe_devices, use_device, visible_devices

    if device == "cpu":
        use_device(device)
        return
    devices = probe_devices()
    devices.check(device)
    index = parse_device(device)
    use_device(device, visible_devices(devices.gpu(index)) if index is not None else None)


def _studio(backend: str | None, cluster: str | None = None) -> int:
    """The terminal studio (``artgen`` alone), refused where it could not be drawn or used; its forms
    start from ``backend`` (``--backend``) and the variables of the settings every engine shares."""
    given = {"backend": backend} if backend else {}
    environment.check(given)
    settings = environment.shared_settings(given)
    if not _has_terminal():
        raise InputError(
            "the studio needs a terminal: run artgen in one, or use a command such as "
            "artgen walk out.gif (artgen --help lists them)"
        )
    try:
        from artgen.tui.app import main as studio
    except ImportError:
        build_parser().print_help()
        return 0
    return studio(cluster or environment.read("ARTGEN_RAY_ADDRESS"), settings)


def _has_terminal() -> bool:
    """Standard input and output both a terminal, where the studio reads keys and draws its screen, or
    a driver Textual was given that draws elsewhere (``artgen serve``: textual-serve's web driver)."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return True
    return all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout))
