"""Commands that run an engine keep their run in the job history; ``--no-history`` opts out.

See :mod:`artgen.jobs.recording`: the studio and ``artgen jobs`` then list the
run as it goes, and a studio can re-run or resume it.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from artgen.cli.common import console

if TYPE_CHECKING:
    from artgen.jobs.recording import Recording

__all__ = ["add_history_flag", "recorded"]


def add_history_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="leave this run out of the job history (artgen jobs, the studio's job list)",
    )


@contextlib.contextmanager
def recorded(args: argparse.Namespace, kind: str, config: Any, *, keep: bool = True) -> Iterator[Recording]:
    """The run of ``config`` as job ``kind``, in the history unless ``--no-history`` (or not ``keep``).

    Run the engine with ``recording.config`` and ``recording.relay(on_event)``, and hand its
    result to ``recording.finished``.
    """
    from artgen.jobs.recording import Recording

    enabled = keep and not getattr(args, "no_history", False)
    with Recording(
        kind, config, device=getattr(args, "device", "auto"), enabled=enabled, describe=_one_line
    ) as recording:
        if recording.notice:
            console.print(f"[yellow]{recording.notice}[/]", highlight=False)
        yield recording


def _one_line(exc: BaseException) -> str:
    """The line the user sees for ``exc``, without a second copy of a bug's traceback file."""
    from artgen.cli import describe_failure
    from artgen.errors import ArtgenError

    if isinstance(exc, (ArtgenError, OSError, MemoryError)):
        return describe_failure(exc)[0].removeprefix("error: ")
    text = str(exc).strip().splitlines()
    return f"internal error: {type(exc).__name__}: {text[0] if text else 'no message'}"
