"""``artgen serve``: the studio in a web browser, for the machine with the GPUs.

textual-serve runs the studio (``artgen`` with no arguments) once per browser
tab, each in its own process on this machine, and draws it in the page; every
tab is a studio of its own over the one job history, so each sees the others'
jobs. Jobs run here, with this machine's GPUs and files.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import logging
import shlex
import socket
import sys
from typing import Any

from artgen.cli.common import console
from artgen.errors import InputError

NAME = "serve"
HELP = "open the studio in a web browser (served from this machine)"
DESCRIPTION = (
    "Serve the studio to a web browser: open the address it prints, and each tab is a studio\n"
    "running here, on this machine's GPUs and files. There is no password: by default only this\n"
    "machine can open it; from another one, forward the port over ssh rather than listen on a\n"
    "network address (anyone who reaches the port can run jobs and read files as you)."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen serve                          http://127.0.0.1:8000, this machine only\n"
    "  ssh -L 8000:127.0.0.1:8000 gpu-box    then, on gpu-box: artgen serve; open http://127.0.0.1:8000\n"
    "  artgen serve --port 8123"
)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: every network)",
    )
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")


def loopback(host: str) -> bool:
    """Whether only this machine can reach ``host``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may stand for any address


def reach_note(host: str, port: int) -> str:
    """Who can open the studio at ``host:port``, in a line."""
    if loopback(host):
        return (
            f"only this machine can open it; from another, forward the port: "
            f"ssh -L {port}:127.0.0.1:{port} THIS_MACHINE"
        )
    return (
        f"listening on {host}: anyone who can reach port {port} there can run jobs and read files as you "
        "(there is no password); --host 127.0.0.1 and an ssh tunnel keep it to you"
    )


def run(args: argparse.Namespace) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        raise InputError("artgen serve needs textual-serve: pip install 'artgen[serve]'") from None

    class StudioServer(Server):
        """textual-serve, saying where the studio is and who can open it instead of its banner."""

        def initialize_logging(self) -> None:
            logging.basicConfig(level=logging.WARNING)  # not a line per request

        async def on_startup(self, app: Any) -> None:
            console.print(f"artgen studio on [bold]{self.public_url}[/] (Ctrl-C stops it)", highlight=False)
            console.print(f"[yellow]{reach_note(args.host, args.port)}[/]", highlight=False)

    host = f"[{args.host}]" if ":" in args.host and not args.host.startswith("[") else args.host
    server = StudioServer(
        # each tab's studio on this command's backend: given on its command line, as a setting is
        shlex.join([sys.executable, "-m", "artgen", "--backend", args.backend]),
        host=args.host,
        port=args.port,
        title="artgen studio",
        public_url=f"http://{host}:{args.port}",
    )
    try:
        server.serve()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(f"port {args.port} is taken on {args.host}; choose another --port") from None
        if isinstance(exc, socket.gaierror) or exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            raise InputError(f"cannot listen on {args.host}: {exc.strerror or exc}") from None
        raise
    return 0
