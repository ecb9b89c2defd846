"""User-facing errors.

Every failure a user can cause by what they type or point artgen at is an
``ArtgenError``. The CLI turns one into a single line on stderr and exit
status 2; the job runner stores its message as the job's error. Anything
else escaping an engine is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "ArtgenError",
    "InputError",
    "ModelError",
    "RunDirError",
    "TrainingDiverged",
    "DependencyError",
    "OutOfMemory",
]


class ArtgenError(Exception):
    """Base class: the message is written for the user and fits on one line."""


class InputError(ArtgenError):
    """A file, folder or value the user gave cannot be used."""


class ModelError(ArtgenError):
    """A model file or run directory cannot be loaded."""


class RunDirError(ArtgenError):
    """A run directory is missing, incomplete or would be overwritten."""


class TrainingDiverged(ArtgenError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


class DependencyError(ArtgenError):
    """An optional package needed for the requested feature is not installed."""


class OutOfMemory(ArtgenError):
    """The device ran out of memory; the message says which option to lower."""
