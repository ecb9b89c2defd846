"""Tools of the fault and bad-input corpus (the fixtures are in conftest.py).

Every case runs ``artgen`` (in-process through ``artgen.cli.main`` where it
can, a child process only where a signal or a kill needs one) and checks the
promise: the right exit status, one line on the terminal and never a
traceback, and every file that was there before left byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

TINY = ("--size", "32", "--width", "8", "--latent-dim", "8", "--batch-size", "8", "--eval-every", "0")
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    status: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return [line for line in (self.out + self.err).splitlines() if line.strip()]


def refused(outcome: Outcome, status: int, *phrases: str, alone: bool = True) -> str:
    """Assert the corpus promise for a refused command; returns its one error line.

    ``alone``: the error is all it printed (bad input is refused before any
    work starts). A fault met mid-run may follow the run's own progress lines.
    """
    text = outcome.out + outcome.err
    assert "Traceback" not in text, text
    assert outcome.status == status, text
    errors = [line for line in outcome.lines if "error" in line]
    assert len(errors) == 1, text
    if alone:
        assert len(outcome.lines) == 1, text
    for phrase in phrases:
        assert phrase in errors[0], errors[0]
    return errors[0]


def hashes(*roots: Path) -> dict[str, str]:
    """Every file below ``roots`` with its SHA-256: what must be unchanged after a refusal or a fault."""
    found = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def unchanged(before: dict[str, str]) -> None:
    for name, digest in before.items():
        path = Path(name)
        assert path.is_file(), f"{name} was removed"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name} was changed"


def spawn(*argv: str) -> subprocess.Popen[str]:
    """``python -m artgen ARGS`` in a child, for the cases that need a signal or a kill."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-m", "artgen", *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def wait_for(condition, process: subprocess.Popen[str], timeout: float = 180, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"artgen ended early ({process.returncode}): {process.communicate()[1]}")
        assert time.monotonic() < deadline, "timed out waiting for the child"
        time.sleep(poll)


# -- a full disk: a small tmpfs where this machine lets us mount one, a patched write where not --------


def try_mount(folder: Path, size: str) -> bool:
    if sys.platform != "linux" or shutil.which("mount") is None:
        return False
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "artgen-faults", str(folder)],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def fill(folder: Path, spare_pages: int = 0) -> None:
    """Write until the device is full, then free ``spare_pages`` 4 KiB pages (room for small files)."""
    chunk = b"\0" * 4096
    index = 0
    while True:
        try:
            (folder / f"filler-{index:06d}").write_bytes(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
            break
        index += 1
    with contextlib.suppress(FileNotFoundError):  # the last, partly written file
        (folder / f"filler-{index:06d}").unlink()
    for spare in range(max(0, index - spare_pages), index):
        (folder / f"filler-{spare:06d}").unlink()


@dataclass
class FullDisk:
    """A folder whose writes fail with ENOSPC: a real full tmpfs (``mounted``) or patched writes."""

    folder: Path
    mounted: bool
    _patch: pytest.MonkeyPatch

    def fill(self, spare_pages: int = 0) -> None:
        if self.mounted:
            fill(self.folder, spare_pages)
            return
        from artgen import runs

        real_fsync = runs._fsync

        def no_space(path: Path) -> None:
            if self.folder in Path(path).parents:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            real_fsync(path)

        self._patch.setattr(runs, "_fsync", no_space)  # atomic writes into the folder fail as on a full disk
