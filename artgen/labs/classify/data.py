"""Class folders in, a stratified, seeded train/validation split out.

``DIR/<class>/...`` holds each class's images (searched recursively, like
``artgen train``); the class names are the sub-folder names, sorted. Every
class folder is decoded through :func:`artgen.images.load_folder`, so images
read the same everywhere, unreadable files are skipped and counted, and a
second run on the same folder starts at once from the cache.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from artgen import images as image_io
from artgen.errors import InputError
from artgen.events import Event, Message, OnEvent, Progress, ignore_events

__all__ = ["ClassData", "load_classes", "native_size", "stratified_split"]


@dataclass
class ClassData:
    """``images`` (N, size, size, 3) uint8 with ``labels`` (N,) indexing ``classes``."""

    images: np.ndarray
    labels: np.ndarray
    classes: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def load_classes(
    folder: str | os.PathLike[str],
    size: int,
    background: image_io.Background = (255, 255, 255),
    limit: int | None = None,
    on_event: OnEvent = ignore_events,
) -> ClassData:
    """Decode every class folder below ``folder``; at least two classes must have usable images."""
    root = _folder(folder)
    subfolders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = [p for p in root.iterdir() if p.is_file() and p.suffix.lower() in image_io.IMAGE_EXTENSIONS]
    if loose:
        note = f"ignored {len(loose)} images directly in {root}; only class folders are read"
        on_event(Message(note, "warning"))
    arrays, labels, classes, skipped = [], [], [], []
    for number, folder_path in enumerate(subfolders, start=1):
        stage = f"decoding {folder_path.name} (class {number}/{len(subfolders)})"

        def relabel(event: Event, stage: str = stage) -> None:
            on_event(dataclasses.replace(event, stage=stage) if isinstance(event, Progress) else event)

        try:
            data = image_io.load_folder(folder_path, size, background, relabel)
        except InputError as exc:
            on_event(Message(f"left out class {folder_path.name!r}: {exc}", "warning"))
            continue
        images = data.images if limit is None else data.images[:limit]
        arrays.append(images)
        labels.append(np.full(len(images), len(classes), dtype=np.int32))
        classes.append(folder_path.name)
        skipped += data.skipped
    if len(classes) < 2:
        found = f"found {len(classes)} ({classes[0]})" if classes else "found none"
        raise InputError(
            f"{root} needs at least two class folders with images (like rock/ paper/ scissors/); {found}"
        )
    return ClassData(np.concatenate(arrays), np.concatenate(labels), classes, skipped)


def _folder(folder: str | os.PathLike[str]) -> Path:
    """``folder`` if it is one; checked before anything is said about the run."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root} is not a folder" if root.exists() else f"{root} does not exist")
    return root


def native_size(folder: str | os.PathLike[str], largest: int, smallest: int = 16, sample: int = 256) -> int:
    """The images' own size (the median short side of an even sample), within [smallest, largest].

    Upscaling 28 px digits to 150 px gains nothing and makes a slower, larger
    model; only headers are read, so this costs a moment even on 60,000 files.
    """
    files = image_io.list_images(_folder(folder))
    sides = []
    for path in files[:: max(1, len(files) // sample)]:
        try:
            with image_io.open_image(path) as picture:
                sides.append(min(picture.size))
        except image_io.UnusableImage:
            continue  # unusable files are reported when the folder is decoded
    if not sides:
        return largest  # load_classes explains what is wrong with the folder
    return int(np.clip(np.median(sides), smallest, largest))


def stratified_split(labels: np.ndarray, val_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, validation) index arrays with every class in both, in proportion.

    The validation set has exactly ``round(len(labels) * val_split)`` items: each
    class gets the floor of its share, and the leftover places go to the classes
    with the largest fractions, so rounding never skews the total. Each class
    keeps at least one training and (given two images) one validation image.
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * val_split
    quota = np.floor(exact).astype(int)
    target = int(round(len(labels) * val_split))
    for index in np.argsort(-(exact - quota), kind="stable")[: max(0, target - quota.sum())]:
        quota[index] += 1
    quota = np.clip(quota, np.minimum(1, counts - 1), counts - 1)
    train, val = [], []
    for label, take in zip(classes, quota, strict=True):
        members = rng.permutation(np.flatnonzero(labels == label))
        val.append(members[:take])
        train.append(members[take:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))
