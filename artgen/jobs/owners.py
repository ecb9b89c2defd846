"""Which process keeps a job's record, and whether it is still there to keep it.

A job's record is written by one process only: the studio that queued it, or
the command (``artgen train`` ...) that runs it. When that process is gone,
the record will never change again, so a job it left "running" is not running:
every reader of the history (a studio, ``artgen jobs``) must see that for
itself, since the process may have been killed without a word.

A process is named by its id *and* its start time, because ids are reused: a
job whose studio died last week must not look alive because some new process
got the same id.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

__all__ = ["Owner", "Role", "this_process", "process_start"]

Role = Literal["studio", "cli"]
ROLE_NAMES = {"studio": "the studio", "cli": "the command"}


@dataclass(frozen=True)
class Owner:
    """A process that writes job records: what it is, its id and start time, and its machine."""

    role: Role
    pid: int
    start: str  # the process's start time as its system counts it; "" where that cannot be read
    host: str

    def text(self) -> str:
        """The form kept in the history: ``role pid start host``."""
        return f"{self.role} {self.pid} {self.start or '-'} {self.host}"

    @classmethod
    def parse(cls, text: str | None) -> Owner | None:
        """An owner from :meth:`text`; None for an empty or foreign text (an older history)."""
        parts = (text or "").split(" ", 3)
        if len(parts) != 4 or parts[0] not in ROLE_NAMES or not parts[1].isdigit():
            return None
        role, pid, start, host = parts
        return cls(role, int(pid), "" if start == "-" else start, host)  # type: ignore[arg-type]

    @property
    def local(self) -> bool:
        """It runs on this machine (a history on a shared disk holds other machines' jobs too)."""
        return self.host == _hostname()

    def alive(self) -> bool:
        """Whether the process is still there; a process on another machine is taken to be."""
        if not self.local:
            return True  # a history shared between machines: only its own machine can tell
        started = process_start(self.pid)
        if started is None:
            return False
        return not self.start or not started or started == self.start

    def describe(self) -> str:
        """``the command (process 4242)``: who ran a job, for the line that says it is gone."""
        where = "" if self.local else f" on {self.host}"
        return f"{ROLE_NAMES[self.role]} (process {self.pid}{where})"


def this_process(role: Role) -> Owner:
    return Owner(role, os.getpid(), process_start(os.getpid()) or "", _hostname())


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, from ``/proc``); "" where the
    system does not say (then only its id is checked); None when there is no such process.

    A zombie (exited, not yet reaped by its parent) counts as gone: it runs nothing.
    """
    stat = Path(f"/proc/{pid}/stat")
    try:
        text = stat.read_text()
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else _exists(pid)
    except OSError:
        return _exists(pid)
    fields = text[text.rfind(")") + 2 :].split()  # after "pid (name) ": the name may hold spaces
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]  # the 22nd field of the whole line: starttime


def _exists(pid: int) -> str | None:
    """ "" when a process ``pid`` exists (its start time unknown), else None."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return ""
    except OSError:
        return ""
    return ""


@cache
def _hostname() -> str:
    return socket.gethostname() or "localhost"
