"""Sampling as a job: the ``artgen sample`` grid, with a config the runner can ship to a child."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artgen.configs import ConfigDict, check_seed
from artgen.dcgan.config import MAX_SAMPLES
from artgen.errors import InputError
from artgen.events import Message, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop

__all__ = ["SampleConfig", "SampleResult", "sample_grid"]


@dataclass(frozen=True)
class SampleConfig(ConfigDict):
    """A grid of ``count`` images from ``model`` (a .keras file, a run directory, or None: bundled)."""

    out: str = "samples.png"
    model: str | None = None
    count: int = 64
    seed: int = 0
    truncation: float | None = None
    columns: int | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        check_seed(self.seed)
        if not str(self.out).lower().endswith(".png"):
            raise InputError(f"{self.out} must end in .png")
        if not 1 <= self.count <= MAX_SAMPLES:
            raise InputError(f"count must be between 1 and {MAX_SAMPLES}, not {self.count}")
        if self.truncation is not None and not (math.isfinite(self.truncation) and self.truncation > 0):
            raise InputError("truncation must be positive")
        if self.columns is not None and not 1 <= self.columns <= self.count:
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
