"""User-facing errors.

Every failure a user can cause by what they type or point artgen at is an
``ArtgenError``. The CLI turns one into a single line on stderr and exit
status 2; the job runner stores its message as the job's error. A ``Fault``
is the other kind of one-line error: something outside the user's control
(a full disk, an I/O error, a run held by another process), exit status 1.
"""

from __future__ import annotations

import errno
import re

__all__ = [
    "ArtgenError",
    "InputError",
    "ModelError",
    "RunDirError",
    "DamagedFile",
    "TrainingDiverged",
    "DependencyError",
    "OutOfMemory",
    "Fault",
    "WriteFailed",
    "RunInUse",
    "exit_status",
    "MACHINE_ERRNOS",
    "os_error_reason",
]


class ArtgenError(Exception):
    """Base class: the message is written for the user and fits on one line."""


class InputError(ArtgenError):
    """A file, folder or value the user gave cannot be used."""


class ModelError(ArtgenError):
    """A model file or run directory cannot be loaded."""


class RunDirError(ArtgenError):
    """A run directory is missing, incomplete or would be overwritten."""


class DamagedFile(RunDirError):
    """A file artgen wrote and reads back was damaged or edited; the message names it and what is wrong."""


class TrainingDiverged(ArtgenError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


class DependencyError(ArtgenError):
    """An optional package needed for the requested feature is not installed."""


class OutOfMemory(ArtgenError):
    """The device ran out of memory; the message says which option to lower."""


class Fault(ArtgenError):
    """Not the user's doing (full disk, I/O error, a busy file); the last good state is kept."""


class WriteFailed(Fault):
    """A file could not be written (full disk, read-only or failing device); the old file is intact."""


class RunInUse(Fault):
    """Another process holds the run directory or history file; the message names it."""


def exit_status(error: ArtgenError) -> int:
    """2 for what the user can fix by changing the command, 1 for a fault outside their control."""
    return 1 if isinstance(error, Fault) else 2


# errno values that mean the machine, not the path the user gave, is at fault (EPIPE: a writer
# process such as ffmpeg was killed)
MACHINE_ERRNOS = frozenset(
    code
    for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EIO, errno.EROFS, errno.EFBIG)
    + (errno.EPIPE,)
    if code is not None
)


def os_error_reason(exc: OSError) -> tuple[int | None, str]:
    """(errno, one lower-case line) of ``exc``, also for libraries that put "[Errno N]" in a message."""
    code, text = exc.errno, exc.strerror or str(exc) or type(exc).__name__
    if code is None and (found := re.match(r"\[Errno (\d+)\]\s*(.*)", text)):
        code, text = int(found[1]), found[2]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return code, (lines[0] if lines else type(exc).__name__).lower()
