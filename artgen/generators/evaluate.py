"""Score a generator, a training run or a folder of images against a folder of real images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgen import images as image_io
from artgen.events import Message, OnEvent, ignore_events
from artgen.quality import distances, features

__all__ = ["Report", "evaluate", "is_generator"]


@dataclass(frozen=True)
class Report:
    score: distances.Score
    source: str  # what was scored, in words
    real: int  # real images used
    size: int

    def to_dict(self) -> dict:
        return {**self.score.to_dict(), "source": self.source, "real": self.real, "size": self.size}


def is_generator(path: Path) -> bool:
    """A model file or a training run directory (anything else must be a folder of images)."""
    return path.suffix in (".keras", ".h5", ".npz") or (path / "config.json").is_file()


def _first_side(folder: Path) -> int:
    files = image_io.list_images(folder)
    for path in files[:20]:
        try:
            return min(image_io.open_rgb(path).size)
        except image_io.UnusableImage:
            continue
    return 64


def evaluate(
    source: str | Path,
    real_dir: str | Path,
    count: int = 2000,
    size: int | None = None,
    which: str | None = None,
    seed: int = 0,
    on_event: OnEvent = ignore_events,
) -> Report:
    """FD/KID of ``count`` images from ``source`` against up to ``count`` images of ``real_dir``."""
    source = Path(source)
    if is_generator(source) or source.suffix:
        from artgen.generators import locate, sampling

        path = locate.resolve_model(source, which)
        generator = sampling.load_generator(path, on_event=on_event)
        on_event(Message(f"drawing {count} images from {locate.describe(path)}"))
        made = sampling.sample(generator, count, seed, on_event=on_event)
        size = size or made.shape[1]
        description = locate.describe(path)
    else:
        side = size or _first_side(source)
        made = features.pick(image_io.load_folder(source, side, on_event=on_event).images, count, seed)
        size, description = side, f"{len(made)} images of {source}"
    real = image_io.load_folder(real_dir, size, on_event=on_event).images
    on_event(Message(f"scoring {description} against {min(count, len(real))} images of {real_dir}"))
    real_features = features.real_features(real, count, on_event)
    if made.shape[1] != size:
        made = np.stack([np.asarray(image_io.square_resize(image_io.Image.fromarray(m), size)) for m in made])
    score = distances.score(
        features.extract(made, on_event=on_event, stage="VGG16 features of the scored images"), real_features
    )
    return Report(score, description, len(real_features), size)
