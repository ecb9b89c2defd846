"""Run directories and atomic writes.

Everything a run produces lives in one directory, and every file in it is
written to a temporary name beside its destination and renamed into place,
so a kill at any moment leaves either the old file or the new one, never a
torn one. Temporary names start with ``.tmp-`` and are ignored by readers.

A run directory belongs to one process at a time: :func:`open_run` takes a
lock file naming the holder (PID and host) for the run's life, refuses a
folder that holds a different run, and clears temporaries a killed run left.
Write failures leave as one-line errors that name the file: a full or failing
disk is a :class:`~artgen.errors.WriteFailed` fault, a bad path the user's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from artgen import stored
from artgen.errors import ArtgenError, InputError, RunDirError, RunInUse, WriteFailed

__all__ = [
    "atomic_path",
    "write_bytes",
    "write_text",
    "write_json",
    "write_csv",
    "new_run_dir",
    "untaken",
    "unused_run_dir",
    "slug",
    "output_dir",
    "write_error",
    "os_error_reason",
    "run_lock",
    "lock_holder",
    "holds_no_run",
    "clean_temporaries",
    "differing_settings",
    "open_run",
    "check_run_dir",
    "check_free",
    "usable_dir",
]

TMP_PREFIX = ".tmp-"
LOCK_NAME = ".lock"
# errno values that mean the machine, not the path the user gave, is at fault (EPIPE: a writer
# process such as ffmpeg was killed)
MACHINE_ERRNOS = frozenset(
    code
    for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EIO, errno.EROFS, errno.EFBIG)
    + (errno.EPIPE,)
    if code is not None
)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary keeps ``path``'s suffix (or ``suffix``) because some writers
    (Keras, imageio, Pillow) choose their format from it. On any exception
    the temporary is removed and ``path`` is left untouched.
    """
    path = Path(path)
    output_dir(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f"{TMP_PREFIX}{path.stem}-", suffix=suffix or path.suffix, dir=path.parent
        )
    except OSError as exc:
        raise write_error(exc, path) from None
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get a normal file's mode
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            if tmp.is_dir():
                shutil.rmtree(tmp)
            else:
                tmp.unlink()
        if isinstance(exc, OSError):
            raise write_error(exc, path) from None
        raise


def write_error(exc: OSError, path: str | os.PathLike[str]) -> ArtgenError:
    """The one line for an ``OSError`` met while writing ``path``.

    A full, read-only or failing device is a fault (exit 1) and names the
    folder to free; anything else (no permission, a file where a folder
    should be) is about the path the user chose (exit 2).
    """
    path = Path(path)
    code, reason = os_error_reason(exc)
    if code == errno.EPIPE:
        return WriteFailed(
            f"cannot write {path}: the process writing it (ffmpeg) ended before the file was complete"
        )
    if code in MACHINE_ERRNOS:
        return WriteFailed(
            f"cannot write {path.name}: {reason} in {path.parent.resolve()}; "
            "files already there are unchanged"
        )
    return InputError(f"cannot write {path}: {reason}")


def usable_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` if it is, or can become, a folder: a file in the way is the user's error."""
    path = Path(path)
    for folder in (path, *path.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise InputError(f"{folder} is a file, not a folder; choose another place to write")
            break
    return path


def os_error_reason(exc: OSError) -> tuple[int | None, str]:
    """(errno, one lower-case line) of ``exc``, also for libraries that put "[Errno N]" in a message."""
    code, text = exc.errno, exc.strerror or str(exc) or type(exc).__name__
    if code is None and (found := re.match(r"\[Errno (\d+)\]\s*(.*)", text)):
        code, text = int(found[1]), found[2]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return code, (lines[0] if lines else type(exc).__name__).lower()


def output_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a folder to write into, created if missing; a file in the way is the user's error."""
    path = usable_dir(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, path / ".") from None
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync(path: Path) -> None:
    if path.is_file():
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write JSON atomically; dataclasses are written as their fields."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = dataclasses.asdict(data)
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(path: str | os.PathLike[str], header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Rewrite a whole CSV atomically (metrics files are small)."""
    lines = [",".join(header)]
    lines += [",".join(_csv_cell(value) for value in row) for row in rows]
    write_text(path, "\n".join(lines) + "\n")


def _csv_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def untaken(folder: Path, stem: str, suffix: str = "", taken: Callable[[Path], bool] = Path.exists) -> Path:
    """``folder/stem+suffix``, else ``stem-2``, ``stem-3``, ...: the first that ``taken`` does not claim.

    Default output names are numbered this way so that a user's earlier
    result is never replaced without ``--overwrite``.
    """
    candidate, number = folder / f"{stem}{suffix}", 2
    while taken(candidate):
        candidate, number = folder / f"{stem}-{number}{suffix}", number + 1
    return candidate


def slug(text: str) -> str:
    """A filesystem-safe short name: ``My Faces!`` -> ``my-faces``."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned[:40] or "run"


def _run_names(root: Path, description: str) -> Iterator[Path]:
    """``root/<description>-<YYYYmmdd-HHMMSS>``, then with ``-1``, ``-2``, ... for runs in the same second."""
    base = f"{slug(description)}-{time.strftime('%Y%m%d-%H%M%S')}"
    for attempt in range(1000):
        yield root / (base if attempt == 0 else f"{base}-{attempt}")


def new_run_dir(root: str | os.PathLike[str], description: str) -> Path:
    """Create a fresh ``root/<description>-<YYYYmmdd-HHMMSS>`` directory.

    A numeric suffix is added when two runs start in the same second, so a
    new run never writes into an old one.
    """
    root = output_dir(root)
    for candidate in _run_names(root, description):
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            raise write_error(exc, candidate / ".") from None
    raise RunDirError(f"could not create a new run directory under {root}")


def unused_run_dir(root: str | os.PathLike[str], description: str, taken: Collection[str] = ()) -> Path:
    """A name :func:`new_run_dir` could create, left uncreated: for a job's folder, chosen when queued.

    The engine makes the folder (:func:`open_run`) only once the job's inputs
    are valid, so a refused job leaves nothing behind; ``taken`` holds names
    already handed out and not yet made.
    """
    root = usable_dir(root)
    for candidate in _run_names(root, description):
        if not candidate.exists() and str(candidate) not in taken:
            return candidate
    raise RunDirError(f"could not choose a new run directory under {root}")


def clean_temporaries(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove the ``.tmp-*`` files a killed process left in ``run_dir``; only its lock holder may."""
    removed = []
    for path in sorted(Path(run_dir).rglob(f"{TMP_PREFIX}*")):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), so a reused PID is not mistaken for the holder."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rfind(")") + 2 :][:1] not in ("Z", "X")  # a zombie holds nothing
    except OSError:
        return True


def _holder() -> dict[str, Any]:
    pid = os.getpid()
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    program = "artgen" if program in ("__main__.py", "artgen") else program  # python -m artgen, too
    command = " ".join([program, *sys.argv[1:]])[:200]
    return {
        "pid": pid,
        "host": socket.gethostname(),
        "start": _process_start(pid),
        "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": command,
    }


def _stale(holder: dict[str, Any] | None, lock: Path) -> bool:
    """A lock whose holder is gone: dead PID (or a new process under it) on this host."""
    if holder is None:  # empty or unreadable: killed between creating and writing it
        try:
            return time.time() - lock.stat().st_mtime > 5
        except OSError:
            return True
    if holder.get("host") != socket.gethostname():
        return False  # cannot see another host's processes; the user removes it
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0 or not _alive(pid):
        return True
    start = holder.get("start")
    return start is not None and _process_start(pid) not in (None, start)


def _read_holder(lock: Path) -> dict[str, Any] | None:
    try:
        holder = json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def lock_holder(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Who holds (or, killed, last held) ``run_dir``: PID, host, since and command; None without a lock."""
    return _read_holder(Path(run_dir) / LOCK_NAME)


def holds_no_run(run_dir: str | os.PathLike[str]) -> bool:
    """Whether the folder ``run_dir`` holds nothing but what a run leaves as it starts (lock, temporaries)."""
    return all(entry.name.startswith((TMP_PREFIX, LOCK_NAME)) for entry in Path(run_dir).iterdir())


def check_free(run_dir: str | os.PathLike[str]) -> None:
    """Refuse at once (before any slow start-up) a run folder another live process holds."""
    run_dir = Path(run_dir)
    if run_dir.is_dir():
        _check_lock(run_dir)


def _check_lock(run_dir: Path) -> None:
    lock = run_dir / LOCK_NAME
    if lock.exists() and not _stale(holder := _read_holder(lock), lock):
        raise _in_use(run_dir, holder, lock)


def _in_use(run_dir: Path, other: dict[str, Any] | None, lock: Path) -> RunInUse:
    who = (
        f"process {other.get('pid')} on {other.get('host')} (since {other.get('since')}: "
        f"{other.get('command') or 'artgen'})"
        if other
        else "a process that is starting"
    )
    return RunInUse(
        f"{run_dir} is in use by {who}; wait for it to end or stop it "
        f"(if that process is gone, delete {lock})"
    )


@contextlib.contextmanager
def run_lock(run_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold ``run_dir`` for this process: a lock file with our PID and host, removed on exit.

    A second process (another ``train --resume``, the studio) is refused with
    who holds the run. A lock left by a killed process on this host is stale
    and taken over; one from another host (a shared disk) names its file.
    """
    run_dir = Path(run_dir)
    lock = run_dir / LOCK_NAME
    mine = _holder()
    for _attempt in range(3):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            other = _read_holder(lock)
            if _stale(other, lock):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            raise _in_use(run_dir, other, lock) from None
        except OSError as exc:
            raise write_error(exc, lock) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(mine, handle)
        except OSError as exc:
            lock.unlink(missing_ok=True)
            raise write_error(exc, lock) from None
        break
    else:
        raise RunInUse(f"{run_dir} is in use (its lock {lock} keeps coming back)")
    try:
        yield lock
    finally:
        if _read_holder(lock) == mine:
            lock.unlink(missing_ok=True)


def differing_settings(
    stored: dict[str, Any], current: dict[str, Any], may_change: Collection[str]
) -> list[str]:
    """``name: stored -> current`` for each setting both have that differs and may not change."""
    differ = []
    for name in sorted(stored.keys() & current.keys()):
        if name in may_change:
            continue
        old, new = stored[name], current[name]
        if isinstance(old, list):
            old = tuple(old)
        if isinstance(new, list):
            new = tuple(new)
        if old != new:
            differ.append(f"{name} {stored[name]!r} (now {current[name]!r})")
    return differ


@contextlib.contextmanager
def open_run(
    run_dir: str | os.PathLike[str] | None,
    runs_root: str | os.PathLike[str],
    description: str,
    settings: dict[str, Any],
    may_change: Collection[str] = (),
    lock: bool = True,
    resumable: bool = True,
) -> Iterator[Path]:
    """The directory of a run about to start, held by this process until the block ends.

    Every engine that writes a run directory opens it here. ``run_dir`` None
    makes a fresh one under ``runs_root``. An existing ``run_dir`` must be
    empty or, for an engine that can continue a run (``resumable``), hold a
    run with the same ``settings`` (``config.json``) apart from
    ``may_change``: a run is continued, never taken over by different
    settings or by a run that cannot continue it. Call it once inputs are
    valid, so a refused run leaves no empty folder behind. Holding the lock,
    it removes the temporaries a killed run left and, in a new run, writes
    ``settings`` as ``config.json`` before the engine's slow start, so a run
    killed at any moment after is one ``--resume`` continues. ``lock=False``
    does none of these.
    """
    check_run_dir(run_dir, runs_root, settings, may_change, resumable)
    path = new_run_dir(runs_root, description) if run_dir is None else output_dir(run_dir)
    if not lock:  # several processes share the folder (multi-worker): none may sweep the others' files
        yield path
        return
    with run_lock(path):
        clean_temporaries(path)
        if not (path / "config.json").exists():
            write_json(path / "config.json", settings)
        yield path


def check_run_dir(
    run_dir: str | os.PathLike[str] | None,
    runs_root: str | os.PathLike[str],
    settings: dict[str, Any],
    may_change: Collection[str] = (),
    resumable: bool = True,
) -> None:
    """What :func:`open_run` refuses, checked without creating anything: call it before slow work."""
    if run_dir is None:
        usable_dir(runs_root)
    else:
        path = usable_dir(run_dir)
        if not path.is_dir():
            return
        _check_lock(path)
        stored_path = path / "config.json"
        if stored_path.exists():
            held = stored.read_json(stored_path)
            if held.get("engine", settings.get("engine")) != settings.get("engine"):
                raise RunDirError(f"{path} holds a {held.get('engine')} run; choose another run directory")
            if not resumable:
                raise RunDirError(
                    f"{path} is not empty: it holds a {settings.get('engine')} run, "
                    "which cannot be continued; choose a new run directory"
                )
            differ = differing_settings(held, settings, may_change)
            if differ:
                more = f" (and {len(differ) - 1} more)" if len(differ) > 1 else ""
                raise RunDirError(
                    f"{path} holds a run with {differ[0]}{more}; resume it with its own settings "
                    "or choose another run directory"
                )
        elif not holds_no_run(path):
            raise RunDirError(f"{path} is not empty and is not an artgen run; choose another run directory")
