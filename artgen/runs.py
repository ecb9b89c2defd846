"""Run directories and atomic writes.

Everything a run produces lives in one directory, and every file in it is
written to a temporary name beside its destination and renamed into place,
so a kill at any moment leaves either the old file or the new one, never a
torn one. Temporary names start with ``.tmp-`` and are ignored by readers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from artgen.errors import RunDirError

__all__ = [
    "atomic_path",
    "write_bytes",
    "write_text",
    "write_json",
    "write_csv",
    "read_json",
    "new_run_dir",
    "slug",
]

TMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary keeps ``path``'s suffix (or ``suffix``) because some writers
    (Keras, imageio, Pillow) choose their format from it. On any exception
    the temporary is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f"{TMP_PREFIX}{path.stem}-", suffix=suffix or path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get a normal file's mode
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            if tmp.is_dir():
                import shutil

                shutil.rmtree(tmp)
            else:
                tmp.unlink()
        raise


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


def read_json(path: str | os.PathLike[str]) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunDirError(f"{path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{path} is not valid JSON ({exc})") from None


def write_csv(path: str | os.PathLike[str], header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Rewrite a whole CSV atomically (metrics files are small)."""
    lines = [",".join(header)]
    lines += [",".join(_csv_cell(value) for value in row) for row in rows]
    write_text(path, "\n".join(lines) + "\n")


def _csv_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def slug(text: str) -> str:
    """A filesystem-safe short name: ``My Faces!`` -> ``my-faces``."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned[:40] or "run"


def new_run_dir(root: str | os.PathLike[str], description: str) -> Path:
    """Create a fresh ``root/<description>-<YYYYmmdd-HHMMSS>`` directory.

    A numeric suffix is added when two runs start in the same second, so a
    new run never writes into an old one.
    """
    root = Path(root)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"{slug(description)}-{stamp}"
    for attempt in range(1000):
        candidate = root / (base if attempt == 0 else f"{base}-{attempt}")
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            continue
    raise RunDirError(f"could not create a new run directory under {root}")
