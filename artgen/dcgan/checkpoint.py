"""DCGAN checkpoints: one ``.npz`` of every variable, written atomically.

NumPy archives hold plain arrays (loaded with ``allow_pickle=False``) and are
backend-neutral: a run checkpointed under TensorFlow resumes under JAX.
Files are ``checkpoints/step-NNNNNNNN.npz``. Each holds a SHA-256 digest of
its arrays, checked on every read with the type of every field: a truncated,
damaged or edited newest checkpoint (a copy cut short, a failing disk) is
skipped, named, and the newest good one is used instead. One that reads back
whole but does not fit the model ``config.json`` describes is refused naming
the first variable that differs, before anything is assigned.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import keras
import numpy as np

from artgen import files, runs
from artgen.dcgan.config import RESUMABLE
from artgen.dcgan.gan import GAN
from artgen.dcgan.run_files import CHECKPOINT_NAME, checkpoints
from artgen.dcgan.run_files import latest_checkpoint as latest
from artgen.errors import RunDirError
from artgen.events import Message, OnEvent, ignore_events

__all__ = ["save", "restore", "restore_latest", "latest", "newest_readable", "load_group", "group", "assign"]

STEP = "step"
DIGEST = "sha256"
CONFIG = "config"
VARIABLE = re.compile(r"^[a-z_]+/\d{4}$")  # <group>/<index>


class _Unreadable(Exception):
    """Why one checkpoint cannot be used."""


def _path(run_dir: Path, step: int) -> Path:
    return run_dir / "checkpoints" / f"step-{step:08d}.npz"


def _digest(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for key in sorted(arrays):
        if key == DIGEST:
            continue
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save(
    gan: GAN,
    run_dir: Path,
    step: int,
    keep: int,
    config: dict[str, Any] | None = None,
    root: Path | None = None,
) -> Path:
    """Write the checkpoint for ``step`` and delete all but the newest ``keep``.

    ``config`` (the run's settings) is stored beside the weights, so a
    checkpoint that no longer fits ``config.json`` can say which setting changed.
    Only files named as artgen names checkpoints are deleted, and only inside
    ``root`` (the run folder, ``run_dir`` unless given), never through a link:
    a user's ``step-00000020-mine.npz``, or an archive folder linked in as
    ``checkpoints/``, is kept.
    """
    arrays: dict[str, np.ndarray] = {STEP: np.asarray(step, dtype=np.int64)}
    if config is not None:
        arrays[CONFIG] = np.asarray(json.dumps(config, sort_keys=True, default=str))
    for group_name, variables in gan.state().items():
        for index, variable in enumerate(variables):
            arrays[f"{group_name}/{index:04d}"] = keras.ops.convert_to_numpy(variable)
    arrays[DIGEST] = np.asarray(_digest(arrays))
    path = _path(run_dir, step)
    with runs.atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, allow_pickle=False, **arrays)  # no object arrays: a checkpoint holds numbers only
    for old in checkpoints(run_dir)[:-keep]:
        runs.remove_own(old, root or run_dir, CHECKPOINT_NAME)
    return path


def _read(path: Path) -> dict[str, np.ndarray]:
    """Every array of ``path``, its digest checked; raises :class:`_Unreadable` with the reason."""
    try:
        with files.open_regular(path) as handle, np.load(handle, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        reason = "truncated or damaged" if not isinstance(exc, OSError) else str(exc.strerror or exc)
        raise _Unreadable(reason) from None
    _check_fields(arrays)
    if DIGEST in arrays and str(arrays[DIGEST]) != _digest(arrays):
        raise _Unreadable("its contents do not match their digest")
    return arrays


def _check_fields(arrays: dict[str, np.ndarray]) -> None:
    """Every array is what :func:`save` writes: a whole step, texts, variables of numbers."""
    if STEP not in arrays:
        raise _Unreadable("not an artgen checkpoint")
    step = arrays[STEP]
    if step.shape != () or step.dtype.kind not in "iu" or int(step) < 0:
        raise _Unreadable(f"its {STEP} is not a whole number")
    for key in (CONFIG, DIGEST):
        if key in arrays and (arrays[key].shape != () or arrays[key].dtype.kind != "U"):
            raise _Unreadable(f"its {key} is not text")
    if CONFIG in arrays:
        try:
            made = json.loads(str(arrays[CONFIG]))
        except ValueError:
            made = None
        if not isinstance(made, dict):
            raise _Unreadable(f"its {CONFIG} is not the run's settings")
    for key, array in arrays.items():
        if key in (STEP, CONFIG, DIGEST):
            continue
        if not VARIABLE.match(key):
            raise _Unreadable(f"it holds {key!r}, which artgen does not write")
        if array.dtype.kind not in "biuf":
            raise _Unreadable(f"its {key} holds {array.dtype} values, not numbers")


def newest_readable(
    run_dir: Path, on_event: OnEvent = ignore_events, newest: Path | None = None
) -> tuple[Path, dict[str, np.ndarray]] | None:
    """The newest checkpoint of ``run_dir`` that reads back intact (not newer than ``newest``).

    Each one skipped is named in a warning. None when the run has no
    checkpoint; :class:`RunDirError` when it has some but none is readable.
    """
    found = [path for path in checkpoints(run_dir) if newest is None or path.name <= newest.name]
    skipped = []
    for path in reversed(found):
        try:
            arrays = _read(path)
        except _Unreadable as exc:
            skipped.append(f"{path.name} ({exc})")
            continue
        if skipped:
            text = f"skipped checkpoint {', '.join(skipped)} in {run_dir}; using {path.name}"
            on_event(Message(text, "warning"))
        return path, arrays
    if skipped:
        raise RunDirError(f"no readable checkpoint in {run_dir}: {', '.join(skipped)}")
    return None


def group(arrays: dict[str, np.ndarray], name: str) -> list[np.ndarray]:
    """The arrays of one group (e.g. ``ema_generator``) in variable order."""
    keys = sorted(key for key in arrays if key.startswith(f"{name}/"))
    return [arrays[key] for key in keys]


def load_group(path: Path, name: str) -> list[np.ndarray]:
    """The arrays of one group of the checkpoint at ``path``."""
    try:
        return group(_read(path), name)
    except _Unreadable as exc:
        raise RunDirError(f"checkpoint {path} cannot be read ({exc})") from None


def assign(
    groups: dict[str, list], path: Path, arrays: dict[str, np.ndarray], config: dict[str, Any] | None
) -> None:
    """Load ``arrays`` (of the checkpoint at ``path``) into the variables of ``groups``, if they fit.

    Every variable is checked before any is assigned, so a checkpoint that does
    not fit the model built from ``config`` (config.json) changes nothing; the
    error names the checkpoint, the first variable that differs and, where the
    checkpoint recorded its settings, the setting that changed.
    """
    for group_name, variables in groups.items():
        wanted = [f"{group_name}/{index:04d}" for index in range(len(variables))]
        held = sorted(key for key in arrays if key.startswith(f"{group_name}/"))
        for key, variable in zip(wanted, variables, strict=True):
            if mismatch := _mismatch(key, variable, arrays.get(key)):
                raise _misfit(path, mismatch, arrays, config)
        if extra := sorted(set(held) - set(wanted)):
            raise _misfit(path, f"it holds {extra[0]}, which the model has no variable for", arrays, config)
    for group_name, variables in groups.items():
        for index, variable in enumerate(variables):
            variable.assign(arrays[f"{group_name}/{index:04d}"])


def _mismatch(key: str, variable: Any, array: np.ndarray | None) -> str | None:
    """How the checkpoint's ``array`` differs from the model's ``variable`` of that name, or None."""
    shape, name = tuple(variable.shape), getattr(variable, "path", variable.name)
    if array is None:
        return f"it has no {key} (the model's {name}, shape {shape})"
    if array.shape != shape:
        return f"{key} ({name}) has shape {array.shape} there and {shape} in the model"
    if _number_kind(array.dtype.name) != _number_kind(keras.backend.standardize_dtype(variable.dtype)):
        return f"{key} ({name}) holds {array.dtype} values there and {variable.dtype} in the model"
    return None


def _number_kind(dtype: str) -> str:
    return "float" if "float" in dtype else "bool" if dtype == "bool" else "integer"


def _misfit(
    path: Path, mismatch: str, arrays: dict[str, np.ndarray], config: dict[str, Any] | None
) -> RunDirError:
    return RunDirError(
        f"checkpoint {path} does not fit the model config.json describes: {mismatch}; "
        f"{_difference(arrays, config)}"
    )


def _difference(arrays: dict[str, np.ndarray], config: dict[str, Any] | None) -> str:
    """Which setting the checkpoint was made with differs from ``config`` (what config.json says)."""
    if CONFIG not in arrays or config is None:
        return "its model was built with other settings than config.json says"
    made = json.loads(str(arrays[CONFIG]))
    differ = runs.differing_settings(made, config, RESUMABLE)
    return f"it was made with {', '.join(differ)}" if differ else "its layout is from another version"


def restore(gan: GAN, path: Path, config: dict[str, Any] | None = None) -> int:
    """Load every variable of ``gan`` from ``path``; returns the step it was taken at."""
    try:
        arrays = _read(path)
    except _Unreadable as exc:
        raise RunDirError(f"checkpoint {path} cannot be read ({exc})") from None
    assign(gan.state(), path, arrays, config)
    return int(arrays[STEP])


def restore_latest(
    gan: GAN, run_dir: Path, on_event: OnEvent = ignore_events, config: dict[str, Any] | None = None
) -> int:
    """Continue from the newest intact checkpoint of ``run_dir``; 0 when there is none."""
    found = newest_readable(run_dir, on_event)
    if found is None:
        return 0
    path, arrays = found
    assign(gan.state(), path, arrays, config)
    return int(arrays[STEP])
