"""The paths a command is given, looked at before the backend loads: a typo costs a moment.

Importing Keras and TensorFlow takes 10 to 25 s on a CPU; an engine meets a
missing photo or an output that is already there only after it. So every
command first looks at what it reads (there, of the right kind, an image
by its header) and what it writes (not there, unless ``--overwrite``; its
folder not a file), with the engines' own words, and only then imports
the engine. Nothing here decodes a whole image, loads a model or creates a
file: what needs those (a truncated photo, a held output name) stays the
engine's to refuse, as it is for the studio's jobs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from artgen import images, runs
from artgen.dcgan.config import RESUMABLE, TrainConfig
from artgen.errors import InputError
from artgen.generators.locate import resolve_model
from artgen.labs.classify.config import ClassifyConfig
from artgen.labs.toy_gan.config import ToyConfig
from artgen.style.config import StyleConfig
from artgen.style.texture_config import TextureConfig
from artgen.walk.config import WalkConfig

__all__ = ["check", "classifier", "image", "images_folder", "free_file", "model"]

_STYLE_OUT = (
    "{path} already exists; choose another -o or pass --overwrite",
    "{path} is a folder; -o must name a .png file",
)
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v")  # read through ffmpeg, not Pillow


def check(config: Any) -> None:
    """Refuse (``InputError``, one line) a path ``config``'s engine would refuse after its slow start."""
    checker = _CHECKS.get(type(config))
    if checker is not None:
        checker(config)


def image(path: str, role: str = "", fit: int | None = None) -> None:
    """An image Pillow can open, its size within bounds; only its header is read."""
    try:
        images.check_image(path, fit=fit)
    except images.UnusableImage as exc:
        raise InputError(f"{role}{path}: {exc}") from None


def images_folder(path: str) -> None:
    """A folder holding images (searched recursively)."""
    images.image_files(path)


def free_file(
    path: str | None,
    overwrite: bool,
    exists: str = "{path} exists; pass --overwrite to replace it",
    folder: str = "{path} is a folder; name a file to write",
) -> None:
    """A file name to write: its folder usable, and nothing there unless ``overwrite``.

    ``exists`` and ``folder``: the refusals in the words of the engine that writes it.
    """
    if path is None:
        return
    out = Path(path)
    runs.usable_dir(out.parent)
    if out.is_dir():
        raise InputError(folder.format(path=out))
    if out.exists() and not overwrite:
        raise InputError(exists.format(path=out))


def model(path: str | None, which: str | None = None) -> None:
    """A generator file or training run directory (None: the bundled generator)."""
    resolve_model(path, which)


def classifier(path: str, pictures: Sequence[str]) -> None:
    """What ``artgen classify predict`` reads: a classifier with its class names, and images."""
    from artgen.labs.classify.inference import classes_path, model_file

    names = classes_path(model_file(path))
    if not names.is_file():
        raise InputError(f"{names} is missing; it holds the class names of {model_file(path).name}")
    for picture in pictures:  # there (what is in them is for the engine to say, after the model)
        if not Path(picture).is_file():
            image(picture)


def _train(config: TrainConfig) -> None:
    images_folder(config.data_dir)
    data_dir = os.path.abspath(config.data_dir)  # as the engine records it
    settings = {"engine": "dcgan", **config.to_dict(), "data_dir": data_dir}
    runs.check_run_dir(config.run_dir, config.runs_root, settings, RESUMABLE)


def _walk(config: WalkConfig) -> None:
    model(config.model)
    if config.style is not None:
        image(config.style, "--style ")
    out = Path(config.out)
    runs.usable_dir(out.parent)
    if config.format == "frames":
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise InputError(f"{out} exists and is not an empty folder; choose a new folder for the frames")
    else:
        free_file(
            config.out,
            config.overwrite,
            folder=f"{{path}} is a folder; give a file name ending in .{config.format}",
        )
    if config.format == "mp4":
        from artgen.walk import writers

        writers.require_ffmpeg()


def _style(config: StyleConfig) -> None:
    content = Path(config.content)
    if content.is_dir():  # a batch's -o folder (a sequence's frames are for the clip reader to judge)
        batch_out = None if config.sequence or config.out is None else Path(config.out)
        if batch_out is not None and _holds_files(batch_out) and not config.overwrite:
            raise InputError(f"{batch_out} already has files in it; choose another -o or pass --overwrite")
    elif content.suffix.lower() in VIDEO_SUFFIXES:
        if not content.is_file():
            raise InputError(f"{content}: no such file")
    else:
        image(config.content, fit=config.size)
    _paintings(config.styles, config.size)
    for mask in config.masks or ():
        image(mask, "--mask ")
    if not content.is_dir():
        free_file(config.out, config.overwrite, *_STYLE_OUT)


def _texture(config: TextureConfig) -> None:
    _paintings(config.styles, config.size)
    free_file(config.out, config.overwrite, *_STYLE_OUT)


def _toy(config: ToyConfig) -> None:
    runs.check_run_dir(
        config.run_dir, config.runs_root, {"engine": "toy_gan", **config.to_dict()}, resumable=False
    )


def _classify(config: ClassifyConfig) -> None:
    folder = Path(config.data_dir)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder" if folder.exists() else f"{folder} does not exist")
    classes = [
        sub.name
        for sub in sorted(folder.iterdir())
        if sub.is_dir() and not sub.name.startswith(".") and _has_images(sub)
    ]
    if len(classes) < 2:
        found = f"found {len(classes)} ({classes[0]})" if classes else "found none"
        raise InputError(
            f"{folder} needs at least two class folders with images (like rock/ paper/ scissors/); {found}"
        )
    if config.output is not None:
        from artgen.labs.classify.inference import classes_path

        for path in (config.output, str(classes_path(config.output))):
            free_file(
                path,
                config.overwrite,
                "{path} exists; choose another -o or add --overwrite",
                "{path} is a folder; -o takes a file name ending in .keras",
            )
    settings = {"engine": "classify", **config.to_dict()}
    runs.check_run_dir(config.run_dir, config.runs_root, settings, resumable=False)


def _paintings(styles: Iterable[str], size: int) -> None:
    for style in styles:
        image(style, fit=size)


def _has_images(folder: Path) -> bool:
    """An image file somewhere below ``folder``, found without listing the rest."""
    for _, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        if any(
            not name.startswith(".") and Path(name).suffix.lower() in images.IMAGE_EXTENSIONS
            for name in names
        ):
            return True
    return False


def _holds_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


_CHECKS: dict[type, Callable[[Any], None]] = {
    TrainConfig: _train,
    WalkConfig: _walk,
    StyleConfig: _style,
    TextureConfig: _texture,
    ToyConfig: _toy,
    ClassifyConfig: _classify,
}
