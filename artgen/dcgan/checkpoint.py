"""DCGAN checkpoints: one ``.npz`` of every variable, written atomically.

NumPy archives hold plain arrays (loaded with ``allow_pickle=False``) and are
backend-neutral: a run checkpointed under TensorFlow resumes under JAX.
Files are ``checkpoints/step-NNNNNNNN.npz``; the newest complete one wins.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from artgen import runs
from artgen.dcgan.gan import GAN
from artgen.dcgan.locate import latest_checkpoint as latest
from artgen.errors import RunDirError

__all__ = ["save", "restore", "latest", "load_group"]


def _path(run_dir: Path, step: int) -> Path:
    return run_dir / "checkpoints" / f"step-{step:08d}.npz"


def save(gan: GAN, run_dir: Path, step: int, keep: int) -> Path:
    """Write the checkpoint for ``step`` and delete all but the newest ``keep``."""
    arrays = {"step": np.asarray(step, dtype=np.int64)}
    for group, variables in gan.state().items():
        for index, variable in enumerate(variables):
            arrays[f"{group}/{index:04d}"] = keras.ops.convert_to_numpy(variable)
    path = _path(run_dir, step)
    with runs.atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    for old in sorted((run_dir / "checkpoints").glob("step-*.npz"))[:-keep]:
        old.unlink(missing_ok=True)
    return path


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as exc:
        raise RunDirError(f"checkpoint {path} cannot be read ({exc})") from None


def load_group(path: Path, group: str) -> list[np.ndarray]:
    """The arrays of one group (e.g. ``ema_generator``) in variable order."""
    arrays = _read(path)
    keys = sorted(key for key in arrays if key.startswith(f"{group}/"))
    return [arrays[key] for key in keys]


def restore(gan: GAN, path: Path) -> int:
    """Load every variable of ``gan`` from ``path``; returns the step it was taken at."""
    arrays = _read(path)
    for group, variables in gan.state().items():
        for index, variable in enumerate(variables):
            key = f"{group}/{index:04d}"
            if key not in arrays or arrays[key].shape != tuple(variable.shape):
                raise RunDirError(
                    f"checkpoint {path} does not match this model ({key}); was config.json edited?"
                )
            variable.assign(arrays[key])
    return int(arrays["step"])
