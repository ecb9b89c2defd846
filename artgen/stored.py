"""Files artgen wrote and reads back, checked whole before anything trusts them.

A run folder's ``config.json``, ``metrics.csv`` and ``quality.json``, a model's
sidecar ``.json``, the job history's records, the dataset cache: artgen wrote
each, but a user may edit one, a copy may be cut short, a disk may fail. Each
kind is read through one function here, which checks all of it against what
artgen writes and raises :class:`~artgen.errors.DamagedFile` naming the file
and what is wrong (exit status 2). So no value of the wrong type reaches an
engine, and a resumed run is refused before it has rewritten anything.
A cache is the exception: a damaged entry reads as none, and is built again.
Configs are checked by ``ConfigDict.from_stored`` with the same field types
(:func:`artgen.schema.type_problem`); checkpoints, arrays rather than JSON, by
``artgen.dcgan.checkpoint``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from artgen import files
from artgen.errors import DamagedFile, Fault, InputError
from artgen.schema import type_problem

__all__ = ["read_json", "record", "read_record", "Table", "read_table", "cached_array"]

R = TypeVar("R")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]*$")


def _read_text(path: Path) -> str:
    """The file's text; a missing, unreadable or non-UTF-8 file is one line naming it."""
    try:
        data = files.read_bytes(path)
    except FileNotFoundError:
        raise DamagedFile(f"{path} is missing") from None
    except OSError as exc:
        from artgen.errors import MACHINE_ERRNOS, os_error_reason

        code, reason = os_error_reason(exc)
        if code in MACHINE_ERRNOS:
            raise Fault(f"cannot read {path}: {reason}") from None
        raise InputError(f"cannot read {path}: {reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DamagedFile(f"{path} is damaged: byte {exc.start} is not UTF-8 text") from None


def read_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON object in ``path`` (every file artgen writes as JSON holds one)."""
    path = Path(path)
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DamagedFile(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if wrong := type_problem(dict[str, Any], data):
        raise DamagedFile(f"{path} is damaged: it {wrong.replace('must be', 'must hold', 1)}")
    return data


def record(cls: type[R], data: dict[str, Any], source: str, may_lack: frozenset[str] = frozenset()) -> R:
    """The dataclass ``cls`` from ``data`` (read from ``source``), each field of its declared type.

    Every field must be present but those in ``may_lack`` (which older files
    lack; they take their defaults), and no other key: what artgen did not
    write is damage, not something to guess about.
    """
    fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    lacking = [name for name in fields if name not in data and name not in may_lack]
    if lacking:
        raise DamagedFile(f"{source} lacks {', '.join(lacking)}")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise DamagedFile(f"{source} holds {', '.join(unknown)}, which artgen does not write there")
    for name, value in data.items():
        if wrong := type_problem(hints[name], value):
            raise DamagedFile(f"{source}: {name} {wrong}")
    try:
        return cls(**data)
    except InputError as exc:  # a record's own checks (__post_init__)
        raise DamagedFile(f"{source}: {exc}") from None


def read_record(cls: type[R], path: str | os.PathLike[str], may_lack: frozenset[str] = frozenset()) -> R:
    """:func:`record` of the JSON object in ``path``."""
    return record(cls, read_json(path), str(path), may_lack)


@dataclass(frozen=True)
class Table:
    """A ``metrics.csv``: its column names and its rows, every cell a number."""

    columns: tuple[str, ...]
    rows: list[list[float]]


def read_table(path: str | os.PathLike[str]) -> Table:
    """A ``metrics.csv`` as every engine writes it (``runs.write_csv``), checked line by line.

    The header is column names; every row has as many cells, each a number
    (``nan`` where nothing was measured); the first column (step or epoch) is
    a whole number. Blank lines are skipped.
    """
    path = Path(path)
    lines = _read_text(path).splitlines()
    columns = tuple(lines[0].split(",")) if lines else ()
    named = bool(columns) and all(_COLUMN.match(name) for name in columns)
    if not named or len(set(columns)) != len(columns):
        raise DamagedFile(f"{path} is damaged: its first line is not a header of column names")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) != len(columns):
            raise DamagedFile(
                f"{path} is damaged: line {number} has {len(cells)} values, not {len(columns)}; "
                "fix or remove that line"
            )
        row = []
        for name, cell in zip(columns, cells, strict=True):
            try:
                row.append(float(cell))
            except ValueError:
                raise DamagedFile(
                    f"{path} is damaged: line {number} has {_shown(cell)} for {name}, not a number; "
                    "fix or remove that line"
                ) from None
        if not (math.isfinite(row[0]) and row[0] >= 0 and row[0].is_integer()):
            raise DamagedFile(
                f"{path} is damaged: line {number} has {_shown(cells[0])} for {columns[0]}, "
                "not a whole number; fix or remove that line"
            )
        rows.append(row)
    return Table(columns, rows)


def _shown(cell: str) -> str:
    return repr(cell if len(cell) <= 30 else cell[:27] + "...")


def cached_array(
    path: str | os.PathLike[str], shape: tuple[int | None, ...], dtype: Any
) -> np.ndarray | None:
    """The array cached in ``path`` if it is one of ``shape`` (None: any length) and ``dtype``; else None.

    A cache is artgen's own and only saves time: one that is missing, cut
    short, or holds anything else reads as absent, and its caller builds it again.
    """
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(loaded, np.ndarray):  # an .npz archive under the .npy name
        getattr(loaded, "close", lambda: None)()
        return None
    if loaded.dtype != np.dtype(dtype) or len(loaded.shape) != len(shape):
        return None
    fits = all(want is None or have == want for have, want in zip(loaded.shape, shape, strict=True))
    return loaded if fits else None
