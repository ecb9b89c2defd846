"""Job history: one SQLite file in the user's data directory.

SQLite because every write is a transaction: a kill mid-write leaves the
previous state, never a torn file, and two studios open at once do not
corrupt each other. The log of each job is kept too, so a finished job's
view still shows what happened.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from artgen.jobs.records import JobRecord

__all__ = ["data_dir", "HistoryStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL, device TEXT NOT NULL,
    state TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL,
    step INTEGER NOT NULL, total INTEGER, stage TEXT NOT NULL, outputs TEXT NOT NULL,
    error TEXT, preview TEXT, resumable INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    job_id TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, level TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_job ON log (job_id);
"""
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
)
LOG_LIMIT = 500  # lines kept per job; a long training run logs far fewer


def data_dir() -> Path:
    """``$ARTGEN_DATA_DIR``, else ``$XDG_DATA_HOME/artgen`` (``~/.local/share/artgen``)."""
    if env := os.environ.get("ARTGEN_DATA_DIR"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "artgen"


class HistoryStore:
    """Reads and writes job records; safe to call from the runner's thread and the UI's."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / "jobs.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self.path, timeout=10)
            try:
                with db:  # commit on success, roll back on error
                    yield db
            finally:
                db.close()

    def save(self, record: JobRecord) -> None:
        row = _to_row(record)
        marks = ", ".join("?" for _ in _COLUMNS)
        with self._connect() as db:
            db.execute(f"INSERT OR REPLACE INTO jobs ({', '.join(_COLUMNS)}) VALUES ({marks})", row)

    def get(self, job_id: str) -> JobRecord | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _from_row(row) if row else None

    def all(self, limit: int | None = None) -> list[JobRecord]:
        """Newest first."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM jobs ORDER BY created DESC, id DESC"
        with self._connect() as db:
            rows = db.execute(query + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
        return [_from_row(row) for row in rows]

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


def _to_row(record: JobRecord) -> tuple[object, ...]:
    values = {name: getattr(record, name) for name in _COLUMNS}
    values["config"] = json.dumps(record.config, sort_keys=True)
    values["outputs"] = json.dumps(record.outputs, sort_keys=True)
    values["resumable"] = int(record.resumable)
    return tuple(values[name] for name in _COLUMNS)


def _from_row(row: tuple[object, ...]) -> JobRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["config"] = json.loads(str(values["config"]))
    values["outputs"] = json.loads(str(values["outputs"]))
    values["resumable"] = bool(values["resumable"])
    return JobRecord(**values)  # type: ignore[arg-type]
