"""Hooks the app runs around a job's form: before a job is queued, and when a form opens.

No engine imports here: these run in the studio's process.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from artgen import runs
from artgen.assets import asset

__all__ = [
    "fix_run_dir",
    "new_file",
    "next_free",
    "suggest_walk",
    "suggest_sample",
    "suggest_project",
    "suggest_style",
    "suggest_texture",
    "suggest_images",
    "suggest_predict",
]

BUNDLED_PHOTO = ("samples", "chelsea.jpg")
BUNDLED_PAINTING = ("styles", "starry_night.jpg")
BUNDLED_IMAGES = ("emoji",)  # a few hundred emoji in class folders (scripts/build_bundled_dataset.py)


def fix_run_dir(config: dict[str, Any]) -> dict[str, Any]:
    """Name a training run's directory now, so the job can be resumed even if the app is killed.

    Only the name: the engine makes the folder once the job's inputs are
    valid, so a refused job leaves no empty folder behind.
    """
    if not config.get("run_dir"):
        name = Path(config["data_dir"]).resolve().name if config.get("data_dir") else "run"
        path = runs.unused_run_dir(config.get("runs_root") or "runs", name, _named)
        _named.add(str(path))
        config["run_dir"] = str(path)
    return config


_named: set[str] = set()  # run directories named for queued jobs this session (not all made yet)


def new_file(stem: str, suffix: str, folder: Path | None = None) -> str:
    """The first of ``stem-1.suffix``, ``stem-2.suffix``, ... not yet in ``folder`` (default: here)."""
    folder = folder or Path.cwd()
    number = 1
    while (folder / f"{stem}-{number}{suffix}").exists():
        number += 1
    return str(folder / f"{stem}-{number}{suffix}")


def next_free(path: str, taken: Collection[str] = ()) -> str:
    """``path`` if neither on disk nor in ``taken``, else the next number after its own that is:
    ``walk-2.gif`` after ``walk-1.gif``, ``grid-2.png`` after ``grid.png``, ``run-3`` after ``run-2``."""
    given = Path(path)
    if not given.exists() and path not in taken:
        return path
    suffix = "".join(given.suffixes[-1:]) if given.suffix and not given.is_dir() else ""
    stem = given.name.removesuffix(suffix) if suffix else given.name
    base, dash, number = stem.rpartition("-")
    start = int(number) + 1 if dash and number.isdigit() and base else 2
    stem = base if dash and number.isdigit() and base else stem
    choice = given.with_name(f"{stem}-{start}{suffix}")
    while choice.exists() or str(choice) in taken:
        start += 1
        choice = given.with_name(f"{stem}-{start}{suffix}")
    return str(choice)


def suggest_walk(values: Mapping[str, Any]) -> dict[str, Any]:
    """A walk form starts with a new numbered GIF in the working folder: one key makes a walk; an MP4
    once a music track is chosen, the one kind that carries the sound."""
    return {"out": new_file("walk", ".mp4" if values.get("audio") else ".gif")}


def suggest_sample(values: Mapping[str, Any]) -> dict[str, Any]:
    return {"out": new_file("samples", ".png")}


def suggest_project(values: Mapping[str, Any]) -> dict[str, Any]:
    """A new numbered latents file here and one bundled emoji, so one key finds a picture."""
    values: dict[str, Any] = {"out": new_file("latents", ".npz")}
    folder = asset(*BUNDLED_IMAGES)
    found = sorted(folder.glob("*/*.png")) if folder.is_dir() else []
    return values | ({"images": (str(found[0]),)} if found else {})


def suggest_style(values: Mapping[str, Any]) -> dict[str, Any]:
    """The bundled photo and painting, so the style form works before the user has chosen their own."""
    photo, painting = asset(*BUNDLED_PHOTO), asset(*BUNDLED_PAINTING)
    if not (photo.is_file() and painting.is_file()):  # a partial checkout: the user must choose
        return {}
    return {"content": str(photo), "styles": (str(painting),)}


def suggest_images(values: Mapping[str, Any]) -> dict[str, Any]:
    """The bundled emoji, so training and the classifier lab start with one key before the user has
    a folder of their own (a DCGAN learns from them all; the classifier tells their classes apart)."""
    folder = asset(*BUNDLED_IMAGES)
    return {"data_dir": str(folder)} if folder.is_dir() else {}


def suggest_predict(values: Mapping[str, Any]) -> dict[str, Any]:
    """The newest classifier trained under ``runs/`` here, and one bundled emoji of each class."""
    models = sorted(Path("runs").glob("*/model.keras"), key=lambda path: path.stat().st_mtime)
    values: dict[str, Any] = {"model": str(models[-1].parent.resolve())} if models else {}
    folder = asset(*BUNDLED_IMAGES)
    if folder.is_dir():
        classes = sorted(path for path in folder.iterdir() if path.is_dir())
        values["images"] = tuple(str(min(path.glob("*.png"))) for path in classes if any(path.glob("*.png")))
    return values


def suggest_texture(values: Mapping[str, Any]) -> dict[str, Any]:
    """The bundled painting and a new numbered PNG here, so one key makes a texture."""
    painting = asset(*BUNDLED_PAINTING)
    return {
        "out": new_file("texture", ".png"),
        **({"styles": (str(painting),)} if painting.is_file() else {}),
    }
