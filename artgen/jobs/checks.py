"""What a form can know of a model path as it is typed, without loading Keras or TensorFlow.

A wrong pick then fails in the form, not in the queue minutes later. The studio calls these;
they read only names, folders and zip headers.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from artgen.errors import ModelError
from artgen.generators.locate import resolve_model
from artgen.labs.classify.inference import MODEL_NAME, classes_path

__all__ = ["check_generator_path", "check_classifier_path"]


def check_generator_path(path: Path) -> str | None:
    """What can be known of a generator without loading it: a run folder with its config.json and a
    generator or checkpoint, or a ``.keras`` file (a zip archive); so a wrong pick fails here, not in
    the queue minutes later."""
    if path.is_dir() and not (path / "config.json").is_file():
        try:
            inside = sorted(child.name for child in path.iterdir() if (child / "config.json").is_file())
        except OSError:  # unreadable: no runs to name
            inside = []
        hint = (
            f"; the runs in it: {', '.join(inside[:3])}{', ...' if len(inside) > 3 else ''}" if inside else ""
        )
        return f"{path} is not a training run (no config.json){hint}"
    try:
        resolved = resolve_model(path)
    except ModelError as exc:
        return str(exc)
    if resolved.suffix.lower() not in (".keras", ".npz"):
        return f"{path.name} is not a generator: give a .keras file or a training run's folder"
    if not zipfile.is_zipfile(resolved):
        return f"{resolved.name} is not a whole .keras file (not a zip archive)"
    return None


def check_classifier_path(path: Path) -> str | None:
    """A classify run's folder, or its ``.keras`` file with the class names beside it."""
    model = path / MODEL_NAME if path.is_dir() else path
    if path.is_dir() and not model.is_file():
        return f"{path} is not a classifier's run (no {MODEL_NAME})"
    if not model.is_file():
        return f"no file or folder {path}"
    if not zipfile.is_zipfile(model):
        return f"{model.name} is not a whole .keras file (not a zip archive)"
    if not classes_path(model).is_file():
        return f"{classes_path(model).name} is missing beside {model.name}: it names the classes"
    return None
