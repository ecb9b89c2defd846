"""Reading a path only when it is a regular file.

A name in a folder can be a named pipe (opening it waits for a writer that
never comes), a device (opening it can rewind a tape or arm a watchdog), a
socket, or a symlink to any of these. Every reader of a user's file (images,
videos, checkpoints, models, JSON, CSV, caches) goes through this module:
the path's type is checked after symlinks are resolved and before anything
opens it, and the opened descriptor is checked again, so a file swapped for
a pipe in between is refused instead of waited on.

A refusal is a :class:`NotRegularFile`, an ``OSError`` like the
``IsADirectoryError`` that ``open()`` raises for a folder: readers that
already turn an unreadable file into a reason (a skipped image, an older
checkpoint) do so for these too.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = ["NotRegularFile", "regular_file", "open_regular", "read_bytes", "read_text"]

_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


class NotRegularFile(OSError):
    """``path`` names a pipe, socket or device: reading it could wait forever or act on hardware."""


def _refuse(mode: int, path: str | os.PathLike[str]) -> OSError:
    if stat.S_ISDIR(mode):
        return IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    kind = next((name for test, name in _KINDS if test(mode)), "not a plain file")
    return NotRegularFile(None, f"not a regular file ({kind})", str(path))


def regular_file(path: str | os.PathLike[str]) -> Path:
    """``path`` if it is (or links to) a regular file; raises ``OSError`` otherwise, having opened nothing.

    For readers that must hand a library a path (Keras, ffmpeg) rather than an open file.
    """
    mode = os.stat(path).st_mode  # follows symlinks: FileNotFoundError when dangling, ELOOP for a loop
    if not stat.S_ISREG(mode):
        raise _refuse(mode, path)
    return Path(path)


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for binary reading, only if it is a regular file; raises ``OSError`` otherwise.

    Opened without blocking, then checked again on the descriptor itself.
    """
    regular_file(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse(mode, path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The whole of a regular file."""
    with open_regular(path) as handle:
        return handle.read()


def read_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
    """The whole of a regular file as text (``UnicodeDecodeError`` when it is not ``encoding``)."""
    with open_regular(path) as handle, io.TextIOWrapper(handle, encoding=encoding, newline=None) as text:
        return text.read()
