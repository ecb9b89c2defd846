"""Sampling as a job: the ``artgen sample`` grid, with a config the runner can ship to a child."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artgen.configs import MAX_SEED, ConfigDict
from artgen.dcgan.config import MAX_SAMPLES
from artgen.errors import InputError
from artgen.events import Message, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.schema import check, setting

__all__ = ["SampleConfig", "SampleResult", "sample_grid"]


@dataclass(frozen=True)
class SampleConfig(ConfigDict):
    """A grid of ``count`` images from ``model`` (a .keras file, a run directory, or None: bundled)."""

    out: str = setting(
        "samples.png",
        help="grid image to write",
        positional=True,
        metavar="OUT.png",
        widget="output",
        label="output PNG",
    )
    model: str | None = setting(
        None, help="generator .keras file or run directory", unset="the bundled generator", widget="file"
    )
    count: int = setting(64, help="number of images", flag="-n", aliases=("--count",), min=1, max=MAX_SAMPLES)
    seed: int = setting(0, help="latent seed", min=0, max=MAX_SEED)
    truncation: float | None = setting(
        None,
        help="redraw latent values beyond ±T: less variety, more typical (e.g. 1.5)",
        unset="off",
        min=0,
        above=True,
        metavar="T",
    )
    columns: int | None = setting(None, help="grid columns", unset="square", min=1, advanced=True)
    overwrite: bool = setting(
        False, help="replace files that exist", negatable=False, hidden_aliases=("--force",)
    )

    def __post_init__(self) -> None:
        if not str(self.out).lower().endswith(".png"):
            raise InputError(f"{self.out} must end in .png")
        check(self)
        if self.columns is not None and self.columns > self.count:
            raise InputError(f"columns must be between 1 and the count ({self.count}), not {self.columns}")

    @classmethod
    def tiny(cls, out: str, **overrides: Any) -> SampleConfig:
        return cls(out=out, **{"count": 4, **overrides})


@dataclass(frozen=True)
class SampleResult:
    out: Path
    count: int


def sample_grid(
    config: SampleConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> SampleResult:
    """Write the grid PNG; refuses to replace an existing file unless ``overwrite``."""
    out = Path(config.out)
    if out.exists() and not config.overwrite:
        raise InputError(f"{out} exists; tick 'overwrite' to replace it")
    from artgen import images
    from artgen.dcgan import sampling

    on_event(Progress(0, 1, unit="grid"))
    pictures = sampling.sample(config.model, config.count, config.seed, config.truncation)
    images.save_png(out, images.grid(pictures, config.columns))
    on_event(Progress(1, 1, unit="grid"))
    on_event(Message(f"wrote {out} ({len(pictures)} images, {pictures.shape[1]} px)"))
    on_event(Preview(str(out), f"{len(pictures)} samples"))
    return SampleResult(out, len(pictures))
