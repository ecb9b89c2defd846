"""Finding generators on disk, without loading Keras.

``artgen sample --info``, the job runner and the TUI's forms resolve model
paths too, and must not pay for a TensorFlow import to do it.
"""

from __future__ import annotations

import re
from pathlib import Path

from artgen.assets import asset
from artgen.errors import ModelError

__all__ = ["DEFAULT_GENERATOR", "checkpoints", "latest_checkpoint", "resolve_model"]

DEFAULT_GENERATOR = asset("generator", "emoji64.keras")
_CHECKPOINT = re.compile(r"^step-(\d{8})\.npz$")


def checkpoints(run_dir: Path) -> list[Path]:
    """A run's checkpoints, oldest first (temporaries are never matched)."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("step-*.npz") if _CHECKPOINT.match(path.name))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest checkpoint file of a run; reading it verifies it (see ``checkpoint.newest_readable``)."""
    found = checkpoints(run_dir)
    return found[-1] if found else None


def resolve_model(model: str | Path | None) -> Path:
    """A generator file for ``model``: a ``.keras`` path, a run directory, or None for the default.

    A run directory resolves to its final ``generator.keras`` or, for a run
    still training or stopped early, its newest checkpoint.
    """
    if model is None:
        if not DEFAULT_GENERATOR.exists():
            raise ModelError("no bundled generator in this installation; pass --model PATH_OR_RUN_DIR")
        return DEFAULT_GENERATOR
    path = Path(model)
    if path.is_dir():
        if (path / "generator.keras").exists():
            return path / "generator.keras"
        found = latest_checkpoint(path)
        if found is None:
            raise ModelError(f"{path} has no generator.keras and no checkpoint yet")
        return found
    if not path.exists():
        raise ModelError(f"model {path} does not exist")
    return path
