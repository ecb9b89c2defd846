"""The projection configuration (``artgen project``).

Plain data without Keras: the command's options and the studio's form are
generated from the fields' settings (:mod:`artgen.schema`), and the job
runner stores a projection as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artgen.configs import MAX_SEED, ImageEngineConfig
from artgen.errors import InputError
from artgen.schema import check, setting

__all__ = ["ProjectConfig", "MAX_IMAGES", "picture_path"]

MAX_IMAGES = 10_000
EFFORT = "effort"  # --help section


def picture_path(out: str | Path) -> Path:
    """The side-by-side PNG written beside latents file ``out``: ``latents.npz`` -> ``latents.png``."""
    return Path(out).with_suffix(".png")


@dataclass(frozen=True)
class ProjectConfig(ImageEngineConfig):
    """Everything that determines a projection; the same config, pictures and model give the same latents.

    Each picture starts from the ``restarts`` latents, of ``candidates`` random
    ones, whose pictures are nearest it; each start is optimised ``steps``
    times, and the best latent any of them reached is kept.
    """

    images: tuple[str, ...] = setting(
        help="pictures to find in the generator",
        positional=True,
        metavar="IMAGE",
        widget="images",
        label="pictures",
    )
    out: str = setting(
        "latents.npz",
        help="latents file to write (.npz); OUT.png beside it shows each picture and its reconstruction",
        aliases=("-o",),
        metavar="OUT.npz",
        widget="output",
        label="output latents",
    )
    model: str | None = setting(
        None,
        help="generator .keras file or training run directory",
        unset="the bundled generator",
        widget="generator",
    )
    steps: int = setting(100, help="optimiser steps from each start", min=1, max=100_000, group=EFFORT)
    restarts: int = setting(
        4,
        help="starts per picture, optimised side by side; the best result is kept",
        min=1,
        max=64,
        group=EFFORT,
    )
    candidates: int = setting(
        128,
        help="random latents whose pictures are compared with each target to choose the starts",
        min=1,
        max=100_000,
        group=EFFORT,
        advanced=True,
    )
    learning_rate: float = setting(
        0.1, help="Adam's peak step size", min=0, above=True, max=10, group=EFFORT, advanced=True
    )
    pixel_weight: float = setting(
        1.0,
        help="weight of the plain pixel difference beside the perceptual distance (0: perceptual only)",
        min=0,
        max=1000,
        group=EFFORT,
        advanced=True,
    )
    noise: float = setting(
        0.05,
        help="noise added to the latents at first, shrinking to none at three quarters of the steps",
        min=0,
        max=10,
        group=EFFORT,
        advanced=True,
    )
    batch_size: int = setting(
        32,
        help="latents optimised together (pictures x restarts); bounds memory",
        min=1,
        max=4096,
        advanced=True,
    )
    seed: int = setting(0, help="seed of the candidates and the noise", min=0, max=MAX_SEED)
    overwrite: bool = setting(False, help="replace OUT.npz and OUT.png if they exist", negatable=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "images", tuple(self.images))
        if not self.images:
            raise InputError("give at least one picture to project")
        check(self)
        if len(self.images) > MAX_IMAGES:
            raise InputError(f"at most {MAX_IMAGES} pictures at a time, not {len(self.images)}")
        if Path(self.out).suffix.lower() != ".npz":
            raise InputError(f"{self.out}: the latents file must end in .npz")
        if self.candidates < self.restarts:
            raise InputError(
                f"--candidates ({self.candidates}) must be at least --restarts ({self.restarts})"
            )

    @property
    def picture(self) -> Path:
        return picture_path(self.out)

    @classmethod
    def tiny(cls, images: tuple[str, ...], out: str, **overrides: Any) -> ProjectConfig:
        """A projection that runs in seconds on a CPU, for tests."""
        return cls(images=images, out=out, **{"steps": 30, "restarts": 2, "candidates": 8, **overrides})
