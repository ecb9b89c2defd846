"""Job history: one SQLite file in the user's data directory.

SQLite because every write is a transaction: a kill mid-write leaves the
previous state, never a torn file, and two studios open at once do not
corrupt each other. The log of each job is kept too, so a finished job's
view still shows what happened.

A history that cannot be read (damaged, truncated, not SQLite) must not keep
the studio or ``artgen jobs`` from opening: it is moved aside, kept under a
name that says so, and a fresh one started, with a ``notice`` to show. A
history locked by another process is waited for briefly, then named.

A readable SQLite file that is not artgen's (another program's database at
this path) is never written to: artgen marks its own with
``PRAGMA application_id`` when it creates one, and opens a file only if it
bears that mark, or holds exactly artgen's tables (made before the mark), or
nothing at all.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from artgen import environment, runs, stored
from artgen.errors import DamagedFile, InputError, RunInUse, WriteFailed
from artgen.jobs.owners import Owner
from artgen.jobs.records import ACTIVE_STATES, JobRecord, ending_line, planned_outputs

__all__ = ["data_dir", "HistoryStore", "orphaned"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL, device TEXT NOT NULL,
    state TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL,
    step INTEGER NOT NULL, total INTEGER, stage TEXT NOT NULL, outputs TEXT NOT NULL,
    error TEXT, preview TEXT, resumable INTEGER NOT NULL, placement TEXT, owner TEXT,
    updated REAL, changed INTEGER
);
CREATE TABLE IF NOT EXISTS log (
    job_id TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, level TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_job ON log (job_id);
"""
# After the columns an older history gains on open (``changed`` may be one of them).
_INDEXES = "CREATE INDEX IF NOT EXISTS jobs_changed ON jobs (changed);"
_COLUMNS = (
    "id",
    "kind",
    "config",
    "device",
    "state",
    "created",
    "started",
    "finished",
    "step",
    "total",
    "stage",
    "outputs",
    "error",
    "preview",
    "resumable",
    "placement",
    "owner",
)
# Columns added since the first release, with their SQL types: an older history gains them on open.
# ``updated`` (when a row was last written) and ``changed`` (a number that grows with every write to
# any row) are the store's own: readers in other processes ask for the rows changed since they last looked.
_ADDED_COLUMNS = {"placement": "TEXT", "owner": "TEXT", "updated": "REAL", "changed": "INTEGER"}
APPLICATION_ID = 0x61727467  # "artg": the mark in an SQLite header that says the file is artgen's
_TABLES = {"jobs": set(_COLUMNS) - set(_ADDED_COLUMNS), "log": {"job_id", "seq", "level", "text"}}
LOG_LIMIT = 500  # lines kept per job; a long training run logs far fewer
LOCK_WAIT = 5.0  # seconds to wait for another process's write before saying who holds the history


def data_dir() -> Path:
    """``$ARTGEN_DATA_DIR``, else ``$XDG_DATA_HOME/artgen`` (``~/.local/share/artgen``)."""
    if folder := environment.read("ARTGEN_DATA_DIR"):
        return folder
    return (environment.read("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "artgen"


class HistoryStore:
    """Reads and writes job records; safe to call from the runner's thread and the UI's."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, wait: float | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / "jobs.sqlite"
        self.wait = LOCK_WAIT if wait is None else wait
        self.notice: str | None = None  # set when a damaged history was moved aside
        self._where = f" in the job history {self.path}"  # how a damaged record is named
        try:
            runs.output_dir(self.path.parent)
        except InputError as exc:
            raise InputError(f"the job history cannot be kept: {exc} (see $ARTGEN_DATA_DIR)") from None
        if self.path.is_dir():
            raise InputError(f"the job history {self.path} is a folder; move it or set $ARTGEN_DATA_DIR")
        self._lock = threading.Lock()
        try:
            with self._connect() as db:
                if not _is_artgen(db):
                    raise InputError(
                        f"{self.path} is not an artgen job history (another program's database); "
                        "move it elsewhere or set $ARTGEN_DATA_DIR to another folder"
                    )
                _create(db)
                _add_new_columns(db)
                db.executescript(_INDEXES)
                _check(db)
        except sqlite3.DatabaseError as exc:  # damaged, truncated, or not SQLite at all
            kept = self._move_aside()
            self.notice = (
                f"the job history {self.path} could not be read ({exc}); it was kept as {kept.name} "
                "and a new history started"
            )
            with self._connect() as db:
                _create(db)
                _add_new_columns(db)
                db.executescript(_INDEXES)

    def _move_aside(self) -> Path:
        """Rename the damaged history (and SQLite's files beside it) to a name nothing holds yet."""
        stamp = f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
        suffixes = ("", "-journal", "-wal", "-shm")
        kept = self.path.with_name(stamp)
        for number in range(2, 1000):
            if not any(Path(f"{kept}{suffix}").exists() for suffix in suffixes):
                break
            kept = self.path.with_name(f"{stamp}-{number}")
        for suffix in suffixes:
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                os.replace(source, Path(f"{kept}{suffix}"))
        return kept

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                db = sqlite3.connect(self.path, timeout=self.wait)
            except sqlite3.OperationalError as exc:
                raise _fault(exc, self.path) from None
            try:
                with db:  # commit on success, roll back on error
                    yield db
            except sqlite3.OperationalError as exc:
                raise _fault(exc, self.path) from None
            finally:
                db.close()

    def save(self, record: JobRecord) -> None:
        row = _to_row(record)
        marks = ", ".join("?" for _ in _COLUMNS)
        with self._connect() as db:
            db.execute(
                f"INSERT OR REPLACE INTO jobs ({', '.join(_COLUMNS)}, updated, changed) VALUES ({marks}, ?, "
                "(SELECT COALESCE(MAX(changed), 0) + 1 FROM jobs))",
                (*row, time.time()),
            )

    def get(self, job_id: str) -> JobRecord | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {_SELECTED} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _from_row(row, self._where) if row else None

    def all(self, limit: int | None = None) -> list[JobRecord]:
        """Newest first."""
        query = f"SELECT {_SELECTED} FROM jobs ORDER BY created DESC, id DESC"
        with self._connect() as db:
            rows = db.execute(query + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
        return [_from_row(row, self._where) for row in rows]

    def marks(self) -> tuple[int, int]:
        """Where the history is now: its newest change and newest log line, for :meth:`since`."""
        with self._connect() as db:
            changed = db.execute("SELECT COALESCE(MAX(changed), 0) FROM jobs").fetchone()[0]
            logged = db.execute("SELECT COALESCE(MAX(seq), 0) FROM log").fetchone()[0]
        return int(changed), int(logged)

    def since(
        self, marks: tuple[int, int]
    ) -> tuple[list[JobRecord], list[tuple[str, str, str]], tuple[int, int]]:
        """The records written and the ``(job_id, level, text)`` log lines added after ``marks``,
        oldest first, and the new marks: how a process sees what others wrote to the history."""
        changed, logged = marks
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_SELECTED}, changed FROM jobs WHERE changed > ? ORDER BY changed", (changed,)
            ).fetchall()
            lines = db.execute(
                "SELECT seq, job_id, level, text FROM log WHERE seq > ? ORDER BY seq", (logged,)
            ).fetchall()
        if rows:
            changed = int(rows[-1][-1])
        if lines:
            logged = int(lines[-1][0])
        records = [_from_row(row[:-1], self._where) for row in rows]
        return records, [(job_id, level, text) for _, job_id, level, text in lines], (changed, logged)

    def close_orphans(
        self, finish: Callable[[JobRecord], JobRecord] = lambda record: record
    ) -> list[JobRecord]:
        """Write down, as interrupted, every active job whose process is gone; ``finish`` may add to
        each record (whether it can be resumed) before it is saved. Returns the records written.

        Reading already shows such a job as interrupted; writing it down ends it for good, with its
        reason as the last line of its log, so ``artgen jobs ID`` and every studio tell the same story.
        """
        active = ", ".join(f"'{state}'" for state in ACTIVE_STATES)
        with self._connect() as db:
            rows = db.execute(f"SELECT {_SELECTED} FROM jobs WHERE state IN ({active})").fetchall()
        records = (_from_row(row, self._where) for row in rows)
        closed = [finish(record) for record in records if not record.active]
        for record in closed:
            self.save(record)
            self.add_log(record.id, [("warning", ending_line(record))])
        return closed

    def add_log(self, job_id: str, lines: list[tuple[str, str]]) -> None:
        """Append ``(level, text)`` lines, keeping the newest :data:`LOG_LIMIT`."""
        if not lines:
            return
        with self._connect() as db:
            db.executemany(
                "INSERT INTO log (job_id, level, text) VALUES (?, ?, ?)",
                [(job_id, level, text) for level, text in lines],
            )
            db.execute(
                "DELETE FROM log WHERE job_id = ? AND seq NOT IN "
                "(SELECT seq FROM log WHERE job_id = ? ORDER BY seq DESC LIMIT ?)",
                (job_id, job_id, LOG_LIMIT),
            )

    def log(self, job_id: str) -> list[tuple[str, str]]:
        with self._connect() as db:
            query = "SELECT level, text FROM log WHERE job_id = ? ORDER BY seq"
            rows = db.execute(query, (job_id,)).fetchall()
        return [(level, text) for level, text in rows]


def _is_artgen(db: sqlite3.Connection) -> bool:
    """The file bears artgen's mark, or holds exactly artgen's tables (an older history), or nothing."""
    mark = db.execute("PRAGMA application_id").fetchone()[0]
    if mark == APPLICATION_ID:
        return True
    if mark != 0 or db.execute("PRAGMA user_version").fetchone()[0] != 0:
        return False  # another program's mark
    if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        return True  # a new, empty file
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables - {"sqlite_sequence"} != set(_TABLES):
        return False
    return all(
        needed <= {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for table, needed in _TABLES.items()
    )


def _create(db: sqlite3.Connection) -> None:
    """artgen's tables, and its mark, so that no other program's database is ever taken for it.

    Both only where missing: a damaged history must be moved aside as it was, not written to.
    """
    if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.executescript(_SCHEMA)


def _add_new_columns(db: sqlite3.Connection) -> None:
    """A history written by an older artgen lacks the newer columns; their values start empty."""
    have = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    for name, sql_type in _ADDED_COLUMNS.items():
        if name not in have:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {sql_type}")


def _check(db: sqlite3.Connection) -> None:
    """Raise ``DatabaseError`` unless the file reads back whole, every record and log line of its types."""
    result = db.execute("PRAGMA quick_check").fetchone()
    if result is None or result[0] != "ok":
        raise sqlite3.DatabaseError(f"integrity check: {result[0] if result else 'no answer'}")
    try:
        for row in db.execute(f"SELECT {_SELECTED} FROM jobs"):
            _from_row(row, "")
    except DamagedFile as exc:
        raise sqlite3.DatabaseError(str(exc)) from None
    db.execute(f"SELECT {_SELECTED}, changed FROM jobs LIMIT 1").fetchall()
    not_text = " OR ".join(f"typeof({column}) != 'text'" for column in ("job_id", "level", "text"))
    if db.execute(f"SELECT count(*) FROM log WHERE {not_text}").fetchone()[0]:
        raise sqlite3.DatabaseError("a log line is not text")


def _fault(exc: sqlite3.OperationalError, path: Path) -> Exception:
    """A locked or full history as one line; anything else stays a ``DatabaseError`` (damage)."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return RunInUse(f"the job history {path} is locked by {_holder(path)}; close it or try again")
    if "full" in text:
        return WriteFailed(f"cannot write the job history {path}: the disk is full")
    if "unable to open" in text:
        return WriteFailed(f"cannot open the job history {path}; check the permissions of {path.parent}")
    return exc


def _holder(path: Path) -> str:
    """Which process holds SQLite's lock on ``path``, from /proc/locks (Linux); else "another process"."""
    try:
        stat = path.stat()
        key = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return "another process"
    pids = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 6 and fields[5] == key and fields[4].isdigit() and fields[4] not in pids:
            pids.append(fields[4])
    if not pids:
        return "another process"
    return ", ".join(f"process {pid} ({_command(pid)})" for pid in pids)


def _command(pid: str) -> str:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    command = " ".join(word.decode(errors="replace") for word in words if word)
    return " ".join(command.split())[:80] or "unknown"  # one line, however the command was written


_SELECTED = ", ".join((*_COLUMNS, "updated"))


def _to_row(record: JobRecord) -> tuple[object, ...]:
    values = {name: getattr(record, name) for name in _COLUMNS}
    values["config"] = json.dumps(record.config, sort_keys=True)
    values["outputs"] = json.dumps(record.outputs, sort_keys=True)
    values["resumable"] = int(record.resumable)
    return tuple(values[name] for name in _COLUMNS)


def _from_row(row: tuple[object, ...], where: str) -> JobRecord:
    """The record of one row, every column of its type (:func:`artgen.stored.record`), and as it
    truly is: one its process left active, and that process is gone, reads as interrupted at the
    time it was last written."""
    *fields, updated = row
    values = dict(zip(_COLUMNS, fields, strict=True))
    source = f"job {values['id']!r}{where}"
    for name in ("config", "outputs"):
        try:
            values[name] = json.loads(str(values[name]))
        except ValueError:
            raise DamagedFile(f"{source}: its {name} is not JSON") from None
    if values["resumable"] in (0, 1):  # SQLite has no booleans
        values["resumable"] = bool(values["resumable"])
    record = stored.record(JobRecord, values, source)
    return orphaned(record, updated if isinstance(updated, float) else None) or record


def orphaned(record: JobRecord, last_written: float | None = None) -> JobRecord | None:
    """``record`` as interrupted if it is active and the process that keeps it is gone; else None.

    A record with no owner was written by an artgen that did not name one; it is
    taken to be gone, as a studio of that version would have taken it.
    """
    if not record.active:
        return None
    owner = Owner.parse(record.owner)
    if owner is not None and owner.alive():
        return None
    who = owner.describe() if owner is not None else "the program that ran it"
    return record.replace(
        state="cancelled",
        finished=record.finished or last_written or record.started or record.created,
        error=f"interrupted: {who} ended while this job was {record.state}",
        outputs=record.outputs or planned_outputs(record.config),
    )
