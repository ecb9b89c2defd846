"""The job history (jobs.sqlite) damaged, cut short, locked or in the wrong place.

``artgen jobs`` and the studio must still open: a history that cannot be
read is moved aside (kept, byte for byte, under a name that says so) and a
fresh one started; a locked one is waited for briefly, then its holder named.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import refused

from artgen import cli
from artgen.jobs import store as store_module
from artgen.jobs.records import JobRecord
from artgen.jobs.store import HistoryStore


def _history() -> Path:
    return Path(os.environ["ARTGEN_DATA_DIR"]) / "jobs.sqlite"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _filled_history() -> Path:
    store = HistoryStore()
    for index in range(40):
        record = JobRecord(id=f"job-{index:03d}", kind="demo", config={"steps": index, "pad": "x" * 500})
        store.save(record)
        store.add_log(record.id, [("info", f"line {n} " * 20) for n in range(20)])
    return store.path


def _moved_aside(history: Path) -> Path:
    kept = sorted(history.parent.glob("jobs.sqlite.damaged-*"))
    assert len(kept) == 1, list(history.parent.iterdir())
    return kept[0]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"this is not an SQLite database" * 100), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:5000]), id="truncated"),
        pytest.param(
            lambda path: path.write_bytes(
                path.read_bytes()[:100] + b"\xff" * 3000 + path.read_bytes()[3100:]
            ),  # noqa: E501
            id="overwritten-pages",
        ),
    ],
)
def test_a_damaged_history_is_kept_aside_and_jobs_still_opens(artgen, damage) -> None:
    history = _filled_history()
    damage(history)
    digest = _digest(history)
    outcome = artgen("jobs")
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    text = " ".join(outcome.err.split())
    assert "could not be read" in text and "a new history started" in text, text
    kept = _moved_aside(history)
    assert kept.name in text and _digest(kept) == digest  # the damaged file, unchanged
    again = artgen("jobs")  # the fresh history works and says nothing more
    assert again.status == 0 and "could not be read" not in again.err and "no jobs yet" in again.err


def test_the_studio_opens_on_a_damaged_history_and_says_so() -> None:
    import asyncio

    from artgen.jobs import Runner
    from artgen.tui.app import make_app

    history = _history()
    history.parent.mkdir(parents=True, exist_ok=True)
    history.write_bytes(b"\x00garbage" * 500)
    runner = Runner(HistoryStore(), stop_timeout=2)
    notices: list[str] = []

    async def open_studio() -> None:
        app = make_app(runner, probe=None)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            notices.extend(str(note.message) for note in app._notifications)

    try:
        asyncio.run(open_studio())
    finally:
        runner.shutdown(timeout=2)
    assert any("could not be read" in note for note in notices), notices
    _moved_aside(history)


@pytest.mark.slow
def test_a_locked_history_waits_then_names_its_holder(artgen, monkeypatch: pytest.MonkeyPatch) -> None:
    history = _filled_history()
    monkeypatch.setattr(store_module, "LOCK_WAIT", 0.3)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
            str(history),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        digest = _digest(history)
        line = refused(artgen("jobs"), 1, "is locked by")
        if sys.platform == "linux":
            assert f"process {holder.pid}" in line
        assert _digest(history) == digest and not list(history.parent.glob("*.damaged-*"))
        monkeypatch.setattr(cli, "_has_terminal", lambda: True)  # as if run in one: the studio opens
        refused(artgen(), 1, "is locked by")  # the studio too: one line, not a traceback
    finally:
        holder.kill()
        holder.wait()
    assert artgen("jobs").status == 0  # released: it opens again, nothing was moved


def test_a_data_dir_that_is_a_file_is_one_line(
    artgen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spot = tmp_path / "data"
    spot.write_text("a user's file\n")
    monkeypatch.setenv("ARTGEN_DATA_DIR", str(spot))
    refused(artgen("jobs"), 2, "is a file, not a folder", "ARTGEN_DATA_DIR")
    assert spot.read_text() == "a user's file\n"


@pytest.mark.parametrize(
    ("sql", "phrase"),
    [
        pytest.param(
            "UPDATE jobs SET state = 'weird' WHERE id = 'job-007'", "job 'job-007': state must be one of"
        ),
        pytest.param(
            "UPDATE jobs SET config = '[1' WHERE id = 'job-007'", "job 'job-007': its config is not JSON"
        ),
        pytest.param("UPDATE jobs SET config = '[1, 2]' WHERE id = 'job-007'", "config must be an object"),
        pytest.param(
            "UPDATE jobs SET step = 'abc' WHERE id = 'job-007'", 'step must be a whole number, not "abc"'
        ),
        pytest.param("UPDATE jobs SET outputs = '{\"out\": 5}' WHERE id = 'job-007'", 'outputs entry "out"'),
        pytest.param("UPDATE log SET text = x'00ff' WHERE seq = 3", "a log line is not text"),
    ],
)
def test_a_history_with_a_damaged_record_is_kept_aside_naming_it(artgen, sql: str, phrase: str) -> None:
    history = _filled_history()
    db = sqlite3.connect(history)
    with db:
        db.execute(sql)
    db.close()
    digest = _digest(history)
    outcome = artgen("jobs")
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    text = " ".join(outcome.err.split())
    assert "could not be read" in text and phrase in text, text
    assert _digest(_moved_aside(history)) == digest
