"""A walk's keyframes: random latents from a seed, latents files, or pictures found in the generator.

Whatever their source, they come out as one (walks, keyframes, dim) array
for :class:`artgen.walk.path.KeyframePath`, with a name for each (what
``--save-latents`` writes beside it). Keyframes given as files or pictures
are shared out among a grid's walks in order: the first walk takes the
first K, and so on, as ``--save-latents`` wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgen.errors import InputError
from artgen.events import OnEvent, ShouldStop
from artgen.generators.latents_file import read_latents
from artgen.walk.config import WalkConfig

__all__ = ["Keyframes", "random_keyframes", "from_files", "from_pictures", "check_count", "split"]


@dataclass(frozen=True)
class Keyframes:
    """(walks, keyframes, dim) latents and a name for each, walk after walk."""

    keys: np.ndarray
    names: tuple[str, ...]

    @property
    def flat(self) -> np.ndarray:
        """(walks * keyframes, dim), walk after walk: how a latents file holds them."""
        return self.keys.reshape(-1, self.keys.shape[-1])


def random_keyframes(config: WalkConfig, dim: int) -> Keyframes:
    """``--keyframes N`` random latents a walk from ``--seed`` (the first are ``artgen sample``'s)."""
    from artgen.generators import sampling

    count = int(config.keyframes)  # type: ignore[arg-type]  # a number here: files come from from_files
    keys = sampling.latents(config.walks * count, dim, config.seed).reshape(config.walks, count, dim)
    names = tuple(f"seed {config.seed} keyframe {index}" for index in range(config.walks * count))
    return Keyframes(keys, names)


def from_files(config: WalkConfig, model: Path) -> Keyframes:
    """The latents of ``--keyframes`` files, in order, checked against generator file ``model``."""
    latents, names = [], []
    for path in config.keyframe_files:
        found = read_latents(path, model, "--keyframes")
        latents.append(found.latents)
        names += found.names
    return split(np.concatenate(latents), tuple(names), config.walks, "--keyframes")


def check_count(count: int, walks: int, given: str) -> None:
    """Refuse ``count`` keyframes for ``walks`` walks unless each walk gets as many, and at least 2."""
    if count % walks or count // walks < 2:
        if walks > 1:
            raise InputError(
                f"{given} gives {count} keyframes for {walks} walks (--grid); each walk needs as many, "
                "and at least 2"
            )
        raise InputError(f"{given} gives {count} keyframe; a walk needs at least 2 to move between")


def split(latents: np.ndarray, names: tuple[str, ...], walks: int, given: str) -> Keyframes:
    """(N, dim) latents shared out among ``walks`` walks in order (see :func:`check_count`)."""
    check_count(len(latents), walks, given)
    return Keyframes(latents.reshape(walks, len(latents) // walks, latents.shape[1]), names)


def from_pictures(
    config: WalkConfig, generator: object, on_event: OnEvent, should_stop: ShouldStop
) -> Keyframes | None:
    """``--keyframe-images`` found in ``generator`` with ``artgen project``'s defaults; None if stopped."""
    from artgen.project import ProjectConfig, find_latents
    from artgen.project.engine import read_pictures

    paths = config.keyframe_images or ()
    check_count(len(paths), config.walks, "--keyframe-images")
    pictures = read_pictures(paths, int(generator.output_shape[1]))  # type: ignore[attr-defined]
    found = find_latents(generator, pictures, ProjectConfig(images=paths), on_event, should_stop)
    if found is None:
        return None
    return split(found.latents, tuple(Path(path).name for path in paths), config.walks, "--keyframe-images")
