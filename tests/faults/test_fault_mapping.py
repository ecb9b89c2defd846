"""The one place every failure becomes a line and a status: ``artgen.cli.main``.

Whatever escapes a command (ours or a library's) is mapped here, so these
cases raise each kind from inside a command and check the line and status.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest
from corpus import refused

from artgen.cli import jobs as jobs_command


@pytest.mark.parametrize(
    ("raised", "status", "phrase"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/a.png"), 1, "/data/a.png: no space left"),
        (OSError(errno.EIO, "Input/output error"), 1, "input/output error"),
        (OSError(errno.EACCES, "Permission denied", "/root/x"), 2, "/root/x: permission denied"),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/a/file/b"), 2, "not a directory"),
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), 1, "broken pipe"),
        (MemoryError(), 1, "out of memory"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
    ids=["ENOSPC", "EIO", "EACCES", "ENOTDIR", "EPIPE", "memory", "interrupt"],
)
def test_every_escape_is_one_line_and_a_status(
    artgen, monkeypatch: pytest.MonkeyPatch, raised: BaseException, status: int, phrase: str
) -> None:
    def command(args) -> int:
        raise raised

    monkeypatch.setattr(jobs_command, "run", command)
    outcome = artgen("jobs")
    text = outcome.out + outcome.err
    assert outcome.status == status and "Traceback" not in text and len(outcome.lines) == 1, text
    assert phrase in text


def test_a_bug_is_one_line_naming_its_traceback_file(artgen, monkeypatch: pytest.MonkeyPatch) -> None:
    def command(args) -> int:
        return {}["missing"]

    monkeypatch.setattr(jobs_command, "run", command)
    line = refused(artgen("jobs"), 1, "internal error: KeyError", "please report it")
    report = Path(re.search(r"traceback in (\S+);", line).group(1))
    assert "Traceback" in report.read_text() and "KeyError" in report.read_text()
    report.unlink()


def test_argparse_refusals_are_one_error_line(artgen) -> None:
    refused(artgen("walk", "--frames", "many", "w.gif"), 2, "--frames: 'many' is not a whole number")
