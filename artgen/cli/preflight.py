"""The paths a command is given, looked at before the backend loads: a typo costs a moment.

Importing Keras and TensorFlow takes from seconds to half a minute on a CPU;
an engine meets a missing photo or an output that is already there only
after it. So every command first looks at what it reads (there, of the
right kind, an image by its header) and what it writes (free, as
:func:`artgen.runs.check_output` sees it: not there unless ``--overwrite``,
held by no other artgen, its folder not a file), in the engines' own words,
and only then imports the engine. Nothing here decodes a whole image, loads
a model or takes a name: a truncated photo or a model of the wrong kind
stays the engine's to refuse, and the engine still holds its outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from artgen import images, runs
from artgen.dcgan.config import RESUMABLE, TrainConfig
from artgen.errors import InputError, os_error_reason
from artgen.files import regular_file
from artgen.generators.locate import resolve_model
from artgen.labs.classify.config import ClassifyConfig
from artgen.labs.toy_gan.config import ToyConfig
from artgen.project.config import ProjectConfig
from artgen.style.config import StyleConfig, TextureConfig
from artgen.walk.config import MAX_FRAMES, WalkConfig
from artgen.walk.rhythm import read_music

__all__ = ["check", "classifier", "image", "images_folder", "free_output", "model"]


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


def free_output(path: str | None, overwrite: bool, kind: str = "file") -> None:
    """An output name: what :func:`artgen.runs.reserve` will refuse when the engine takes it (a file
    there without ``overwrite``, a name another artgen holds, a folder where a file goes...)."""
    if path is not None:
        runs.check_output(path, kind=kind, overwrite=overwrite)


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
    if config.keyframe_files:
        from artgen.walk.keyframes import from_files

        from_files(config, resolve_model(config.model))  # each file, its generator and its count
    for picture in config.keyframe_images or ():
        image(picture, "--keyframe-images ")
    if config.keyframe_images is not None:
        from artgen.walk.keyframes import check_count

        check_count(len(config.keyframe_images), config.walks, "--keyframe-images")
    if config.style is not None:
        image(config.style, "--style ")
    if config.audio is not None:  # decoded whole, as the engine will: not a track, empty, too short...
        read_music(config.audio, config.fps, MAX_FRAMES)
    from artgen import media

    if config.format == "frames":  # as the engine holds it: a folder built whole, replacing frames only
        runs.check_output(config.out, kind="folder", replaces=media.FRAME_NAME, overwrite=config.overwrite)
    else:
        free_output(config.out, config.overwrite)
    free_output(config.save_latents, config.overwrite)
    if config.format == "mp4":
        media.require_ffmpeg()


def _project(config: ProjectConfig) -> None:
    model(config.model)
    for picture in config.images:
        image(picture)
    for path in (config.out, str(config.picture)):
        free_output(path, config.overwrite)


def _style(config: StyleConfig) -> None:
    content = Path(config.content)
    if content.is_dir():  # a batch's -o folder (a sequence's frames are for the clip reader to judge)
        if not config.sequence:
            free_output(config.out, config.overwrite, kind="into")
    elif content.suffix.lower() in images.VIDEO_SUFFIXES:  # read by ffmpeg, not Pillow
        try:
            regular_file(content)
        except OSError as exc:
            raise InputError(f"{content}: {os_error_reason(exc)[1]}") from None
    else:
        image(config.content, fit=config.size)
    _paintings(config.styles, config.size)
    for mask in config.masks or ():
        image(mask, "--mask ")
    if not content.is_dir():
        free_output(config.out, config.overwrite)


def _texture(config: TextureConfig) -> None:
    _paintings(config.styles, config.size)
    free_output(config.out, config.overwrite)


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
            free_output(path, config.overwrite)
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


_CHECKS: dict[type, Callable[[Any], None]] = {
    TrainConfig: _train,
    WalkConfig: _walk,
    ProjectConfig: _project,
    StyleConfig: _style,
    TextureConfig: _texture,
    ToyConfig: _toy,
    ClassifyConfig: _classify,
}
