"""Run directories, atomic writes, reserved output names, and the only ways artgen deletes.

Everything a run produces lives in one directory, and every file in it is
written to a temporary name beside its destination and renamed into place,
so a kill at any moment leaves either the old file or the new one, never a
torn one. Temporary names start with ``.artgen-tmp-`` and are ignored by readers;
they name the process writing them, so the next write into that folder
removes those a killed process left (:func:`clear_stale_temporaries`).

A run directory belongs to one process at a time: :func:`open_run` takes a
lock file naming the holder (PID and host) for the run's life, refuses a
folder that holds a different run, and clears temporaries a killed run left.
Write failures leave as one-line errors that name the file: a full or failing
disk is a :class:`~artgen.errors.WriteFailed` fault, a bad path the user's.

An output a command writes outside a run directory (a grid, an animation, a
folder of frames) is reserved before the work starts (:func:`reserve`) and
put in place only when whole. artgen deletes only through
:func:`remove_own`, :func:`remove_empty_dir` and :func:`clean_temporaries`:
names it writes, matched in full, inside the folder it owns, never through a
symbolic link.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from artgen import files, stored
from artgen.errors import (
    MACHINE_ERRNOS,
    ArtgenError,
    InputError,
    RunDirError,
    RunInUse,
    WriteFailed,
    os_error_reason,
)

__all__ = [
    "TMP_PREFIX",
    "TEMPORARY",
    "LOCK_NAME",
    "atomic_path",
    "write_bytes",
    "write_text",
    "write_json",
    "write_csv",
    "new_run_dir",
    "reserve",
    "reserve_free",
    "check_output",
    "remove_own",
    "remove_empty_dir",
    "unused_run_dir",
    "slug",
    "output_dir",
    "write_error",
    "run_lock",
    "lock_holder",
    "holds_no_run",
    "clean_temporaries",
    "clear_stale_temporaries",
    "differing_settings",
    "open_run",
    "check_run_dir",
    "check_free",
    "usable_dir",
]

TMP_PREFIX = ".artgen-tmp-"
# A temporary's whole name, as tempfile names one for atomic_path: the prefix, the destination's
# stem, "-", eight random characters, the destination's suffix. Only these are ever swept.
TEMPORARY = re.compile(re.escape(TMP_PREFIX) + r".*-[a-z0-9_]{8}(?:\.[A-Za-z0-9]+)?")
LOCK_NAME = ".artgen-lock"


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], suffix: str | None = None, folder: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; put it at ``path`` on success.

    The temporary keeps ``path``'s suffix (or ``suffix``) because some writers
    (Keras, imageio, Pillow) choose their format from it; ``folder`` makes it
    an empty folder (frames). On any exception the temporary is removed and
    ``path`` is left untouched. A ``path`` this process holds with
    :func:`reserve` replaces only its own placeholder (or the old file
    ``--overwrite`` asked to replace); any other is renamed over.
    """
    path = Path(path)
    output_dir(path.parent)
    clear_stale_temporaries(path.parent)
    try:
        if folder:
            tmp = Path(tempfile.mkdtemp(prefix=f"{_own_prefix()}{path.name}-", dir=path.parent))
        else:
            fd, tmp_name = tempfile.mkstemp(
                prefix=f"{_own_prefix()}{path.stem}-", suffix=suffix or path.suffix, dir=path.parent
            )
            os.close(fd)
            tmp = Path(tmp_name)
    except OSError as exc:
        raise write_error(exc, path) from None
    os.chmod(tmp, (0o777 if folder else 0o666) & ~_umask())  # 0600/0700 as made: give the usual mode
    try:
        yield tmp
        _fsync(tmp)
        _place(tmp, path)
    except BaseException as exc:
        remove_own(tmp, path.parent, TEMPORARY)
        if isinstance(exc, OSError):
            raise write_error(exc, path) from None
        raise


def _own_prefix() -> str:
    """``.artgen-tmp-PID-HOST-``: a temporary's name says which process writes it, so that once that
    process is gone (killed with kill -9, a power cut) a later one can tell the file is abandoned."""
    return f"{TMP_PREFIX}{os.getpid()}-{_host_tag()}-"


@functools.cache
def _host_tag() -> str:
    """This host, in six characters: on a shared disk, another host's live PIDs are not ours to judge."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


_swept: set[Path] = set()


def clear_stale_temporaries(folder: Path) -> None:
    """Remove the temporaries that artgen processes on this host left in ``folder`` and did not live
    to remove: their names hold a PID no process has any more. Once per folder and process."""
    try:
        folder = folder.resolve()
        if folder in _swept:
            return
        _swept.add(folder)
        names = os.listdir(folder)
    except OSError:
        return  # an unreadable folder: writing into it will say why
    stale = re.compile(rf"{re.escape(TMP_PREFIX)}(\d+)-{_host_tag()}-")
    for name in names:
        if (found := stale.match(name)) and not _alive(int(found[1])):
            remove_own(folder / name, folder, TEMPORARY)


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


# -- output names, held from the start of a command to its end ------------------------------------------

OUTPUT_KINDS = ("file", "folder", "into")
LOCK_WAIT = 0.5  # seconds a held name is retried: another artgen may only be looking at it


class _Occupied(InputError):
    """The name is there already, or held, or of another kind: refused, or skipped for the next free one."""


@dataclasses.dataclass
class _Held:
    """An output name this process holds: its placeholder, or what was there, open and locked."""

    path: Path
    fd: int
    identity: tuple[int, int]  # (device, inode) of what ``fd`` holds
    created: bool  # an empty placeholder this reservation made: removed again if nothing is placed
    kind: str
    replaces: re.Pattern[str] | None
    placed: bool = False


_held: dict[str, _Held] = {}
_held_lock = threading.Lock()


@contextlib.contextmanager
def reserve(
    path: str | os.PathLike[str],
    *,
    kind: str = "file",
    overwrite: bool = False,
    replaces: re.Pattern[str] | None = None,
    how: str = "pass --overwrite",
) -> Iterator[Path]:
    """Hold the output ``path`` for the block: a second writer is refused, and nothing is lost.

    ``kind``: a ``"file"``; a ``"folder"`` built whole under a temporary
    name and renamed into place (:func:`atomic_path` with ``folder=True``),
    whose old contents ``--overwrite`` may replace only if every name in it
    is one ``replaces`` matches (what artgen writes there); or a folder
    artgen writes files ``"into"`` one by one. A missing name is taken at
    once with an empty placeholder (created exclusively), a name held by
    another artgen (a lock on its placeholder) is refused as being written,
    one that exists as refused unless ``overwrite`` (``how`` says how to
    ask). Then :func:`atomic_path` puts the result there, replacing only
    this placeholder or the old file it locked; if the block ends without
    it, the placeholder is removed, if it still is the empty one made here.
    """
    path = Path(path)
    with _holding(_claim(path, kind, overwrite, replaces, how)):
        yield path


@contextlib.contextmanager
def reserve_free(
    folder: str | os.PathLike[str],
    stem: str,
    suffix: str = "",
    *,
    kind: str = "file",
    taken: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """Hold the first free one of ``folder/stem+suffix``, ``stem-2``, ``stem-3``...: an output artgen names.

    Free: nothing there (an empty folder, for ``"into"``), held by no other
    artgen, and not claimed by ``taken`` (a clip's figures file beside it).
    So a user's earlier result is never replaced, and two commands started
    together write two files.
    """
    folder = output_dir(folder)
    for number in itertools.count(1):
        candidate = folder / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
        if taken is not None and taken(candidate):
            continue
        try:
            held = _claim(candidate, kind, False, None, "")
        except _Occupied:
            continue
        with _holding(held):
            yield candidate
        return


def check_output(
    path: str | os.PathLike[str],
    *,
    kind: str = "file",
    overwrite: bool = False,
    replaces: re.Pattern[str] | None = None,
    how: str = "pass --overwrite",
) -> Path:
    """What :func:`reserve` would refuse, checked without taking the name: before a slow start-up."""
    path = Path(path)
    usable_dir(path.parent)
    fd = _open_existing(path, kind)
    if fd is not None:
        try:
            if not _lock(fd):
                raise _busy(path)
            _check_existing(path, kind, overwrite, replaces, how)
        finally:
            os.close(fd)
    return path


@contextlib.contextmanager
def _holding(held: _Held) -> Iterator[None]:
    key = _key(held.path)
    with _held_lock:
        _held[key] = held
    try:
        yield
    finally:
        with _held_lock:
            _held.pop(key, None)
        _release(held)


def _key(path: Path) -> str:
    return os.path.join(os.path.realpath(path.parent), path.name)


def _claim(path: Path, kind: str, overwrite: bool, replaces: re.Pattern[str] | None, how: str) -> _Held:
    if kind not in OUTPUT_KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    output_dir(path.parent)
    for _attempt in range(5):  # the name may come and go while we look
        try:
            fd, created = _create(path, kind), True
        except FileExistsError:
            existing = _open_existing(path, kind)
            if existing is None:
                continue
            fd, created = existing, False
        try:
            if not _lock(fd):  # another artgen holds it (or took our fresh placeholder to overwrite it)
                raise _busy(path)
            if not created:
                _check_existing(path, kind, overwrite, replaces, how)
            info = os.fstat(fd)
            return _Held(path, fd, (info.st_dev, info.st_ino), created, kind, replaces)
        except BaseException:
            os.close(fd)  # the lock goes with it; a placeholder that is now another's stays
            raise
    raise _busy(path)


def _busy(path: Path) -> _Occupied:
    return _Occupied(
        f"{path} is being written by another artgen; wait for it to finish or choose another name"
    )


def _create(path: Path, kind: str) -> int:
    """An empty placeholder at ``path``, made only if nothing is there, opened; FileExistsError if taken."""
    try:
        if kind == "file":
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        os.mkdir(path)
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileExistsError:
        raise
    except OSError as exc:
        raise write_error(exc, path) from None


def _open_existing(path: Path, kind: str) -> int | None:
    """What is at ``path``, opened without following a link or blocking on a pipe; None if nothing is."""
    folder = kind != "file"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise write_error(exc, path) from None
    if stat.S_ISLNK(info.st_mode):
        raise _Occupied(
            f"{path} is a symbolic link; name the {'folder' if folder else 'file'} itself or another"
        )
    if folder and not stat.S_ISDIR(info.st_mode):
        raise _Occupied(f"{path} is a file, not a folder; choose another place to write")
    if not folder and stat.S_ISDIR(info.st_mode):
        raise _Occupied(f"{path} is a folder; name a file to write")
    if not folder and not stat.S_ISREG(info.st_mode):
        raise _Occupied(f"{path} is not a regular file; choose another name")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_DIRECTORY if folder else os.O_NONBLOCK)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise write_error(exc, path) from None
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):  # replaced as we looked: look again
        os.close(fd)
        return None
    return fd


def _check_existing(
    path: Path, kind: str, overwrite: bool, replaces: re.Pattern[str] | None, how: str
) -> None:
    """Refuse to take over what is at ``path`` unless ``overwrite`` allows it."""
    if kind == "file":
        if not overwrite:
            raise _Occupied(f"{path} exists; {how} to replace it")
        return
    names = sorted(os.listdir(path))
    if not names:
        return
    if not overwrite:
        raise _Occupied(f"{path} already has files in it; choose another folder or {how}")
    foreign = [name for name in names if replaces is None or not replaces.fullmatch(name)]
    if kind == "folder" and foreign:
        raise _Occupied(f"{path} holds {foreign[0]}, which artgen did not write; choose another folder")


def _lock(fd: int) -> bool:
    """Lock ``fd`` for this process; False if another process holds it past :data:`LOCK_WAIT`.

    An advisory lock (flock) the kernel drops when its holder ends, however
    it ends: a name held by a killed artgen is free again at once.
    """
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        except OSError:  # a filesystem without locks: the placeholder alone keeps the name
            return True


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _place(tmp: Path, path: Path) -> None:
    """Put the finished temporary at ``path``: a held name only over what this process holds there.

    Why a checked replace and not a no-replace rename: the held name is
    taken by its placeholder (which every program sees, and whose lock
    other artgens see), so a no-replace rename would first have to remove
    it, freeing the name for an instant to another writer. Renaming over
    the placeholder once it is seen to be still ours (same inode; still
    empty, for a file; a folder is replaced by rename(2) only while empty)
    is one atomic step that replaces nothing else. Only if the placeholder
    is gone is the result linked in, which fails rather than replace a name
    taken meanwhile.
    """
    with _held_lock:
        held = _held.get(_key(path))
    if held is None:
        os.replace(tmp, path)
        return
    now = _identity(path)
    if now is None:  # the placeholder was removed meanwhile: take the name again, replacing nothing
        if held.kind == "file":
            os.link(tmp, path)
            remove_own(tmp, path.parent, TEMPORARY)
        else:
            os.rename(tmp, path)
    elif now != held.identity or _filled(held):
        raise WriteFailed(f"{path} was changed by another program while artgen wrote it; it is left as it is")
    elif held.kind == "folder" and held.replaces is not None and os.listdir(path):
        _replace_folder(held, held.replaces, tmp)
    else:
        os.replace(tmp, path)  # atomic: readers see the placeholder or old file, then the whole result
    held.placed = True


def _filled(held: _Held) -> bool:
    """Something was put in what this process holds, other than the old contents it may replace."""
    if held.kind == "file":
        return held.created and os.lstat(held.path).st_size > 0
    return (held.created or held.replaces is None) and bool(os.listdir(held.path))


def _replace_folder(held: _Held, replaces: re.Pattern[str], tmp: Path) -> None:
    """The old folder of frames ``--overwrite`` replaces: set aside whole, then its frames removed."""
    path = held.path
    aside = Path(tempfile.mkdtemp(prefix=f"{_own_prefix()}{path.name}-", dir=path.parent))
    os.rename(path, aside)  # over the empty folder just made
    try:
        os.rename(tmp, path)
    except OSError:
        os.rename(aside, path)
        raise
    for name in os.listdir(aside):
        remove_own(aside / name, aside, replaces)
    remove_empty_dir(aside, path.parent)


def _release(held: _Held) -> None:
    """Remove the placeholder nothing was put in, if it still is the empty one made here; unlock."""
    try:
        if held.created and not held.placed and _identity(held.path) == held.identity:
            if held.kind != "file":
                remove_empty_dir(held.path, held.path.parent)
            elif os.lstat(held.path).st_size == 0:
                remove_own(held.path, held.path.parent, held.path.name)
    except OSError:
        pass
    finally:
        os.close(held.fd)


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
    """Remove the temporaries a killed process left in ``run_dir``; only its lock holder may.

    Only names :data:`TEMPORARY` matches in full (a user's ``.tmp-notes.txt``
    stays), and never below a symbolic link (an archive linked into the run).
    """
    removed = []
    for folder, dirs, names in os.walk(run_dir):  # does not follow links to folders
        for name in sorted(dirs + names):
            path = Path(folder) / name
            if TEMPORARY.fullmatch(name) and remove_own(path, run_dir, TEMPORARY):
                removed.append(path)
        dirs[:] = [name for name in dirs if not TEMPORARY.fullmatch(name)]
    return removed


def _inside(path: Path, root: Path) -> bool:
    """``path``'s folder is ``root`` or below it, and no folder between them is a symbolic link.

    ``root`` itself may be reached through links (a runs folder on another
    disk); what is below it must be its own folders, not an archive linked in.
    """
    folder, base = os.path.abspath(path.parent), os.path.abspath(root)
    relative = os.path.relpath(folder, base)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return False
    return os.path.realpath(folder) == os.path.normpath(os.path.join(os.path.realpath(base), relative))


def remove_own(
    path: str | os.PathLike[str], root: str | os.PathLike[str], name: re.Pattern[str] | str
) -> bool:
    """Delete ``path`` if it is one artgen wrote; False, touching nothing, where it may not be.

    It must be named as artgen names it (``name``, a pattern matched in full
    or an exact name), lie in ``root`` with no symbolic link between, and be
    a regular file, or a folder under a temporary name (frames being
    written). A link, a user's file with a similar name, or anything in an
    archive linked into a run is left alone.
    """
    path, pattern = Path(path), re.compile(re.escape(name)) if isinstance(name, str) else name
    if not pattern.fullmatch(path.name) or not _inside(path, Path(root)):
        return False
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISREG(mode):
            os.unlink(path)
        elif stat.S_ISDIR(mode) and TEMPORARY.fullmatch(path.name):
            shutil.rmtree(path)
        else:
            return False
    except OSError:
        return False
    return True


def remove_empty_dir(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Remove ``path`` if it is an empty folder (not a link) in ``root``: what a user put there keeps it."""
    path = Path(path)
    if not _inside(path, Path(root)):
        return False
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return False
        os.rmdir(path)
    except OSError:
        return False
    return True


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
        holder = json.loads(files.read_text(lock))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def lock_holder(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Who holds (or, killed, last held) ``run_dir``: PID, host, since and command; None without a lock."""
    return _read_holder(Path(run_dir) / LOCK_NAME)


def holds_no_run(run_dir: str | os.PathLike[str]) -> bool:
    """Whether the folder ``run_dir`` holds nothing but what a run leaves as it starts (lock, temporaries)."""
    return all(
        entry.name == LOCK_NAME or TEMPORARY.fullmatch(entry.name) for entry in Path(run_dir).iterdir()
    )


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
                remove_own(lock, run_dir, LOCK_NAME)
                continue
            raise _in_use(run_dir, other, lock) from None
        except OSError as exc:
            raise write_error(exc, lock) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(mine, handle)
        except OSError as exc:
            remove_own(lock, run_dir, LOCK_NAME)
            raise write_error(exc, lock) from None
        break
    else:
        raise RunInUse(f"{run_dir} is in use (its lock {lock} keeps coming back)")
    try:
        yield lock
    finally:
        if _read_holder(lock) == mine:
            remove_own(lock, run_dir, LOCK_NAME)


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
