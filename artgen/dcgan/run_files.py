"""Where a DCGAN run keeps its checkpoints, by name: read without Keras, so paths resolve fast.

The trainer writes and rotates these names (:mod:`artgen.dcgan.checkpoint`); sampling, the job
runner and the studio's forms find them (:mod:`artgen.generators.locate`).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["CHECKPOINT_NAME", "checkpoints", "latest_checkpoint"]

CHECKPOINT_NAME = re.compile(r"step-(\d{8})\.npz")  # a checkpoint's whole name, as artgen writes it


def checkpoints(run_dir: Path) -> list[Path]:
    """A run's checkpoints, oldest first (temporaries are never matched)."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("step-*.npz") if CHECKPOINT_NAME.fullmatch(path.name))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest checkpoint file of a run; reading it verifies it (see ``checkpoint.newest_readable``)."""
    found = checkpoints(run_dir)
    return found[-1] if found else None
