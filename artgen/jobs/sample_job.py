"""Sampling as a job: the ``artgen sample`` grid, with a config the runner can ship to a child."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from artgen.configs import ConfigDict, check_seed
from artgen.dcgan.config import MAX_SAMPLES
from artgen.errors import InputError
from artgen.events import Message, OnEvent, Preview, ShouldStop, ignore_events, never_stop
from artgen.generators.output import SampleFiles, plan_samples, write_samples

__all__ = ["SampleConfig", "sample_grid"]


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


def sample_grid(
    config: SampleConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> SampleFiles:
    """Write the grid PNG (as ``artgen sample`` does); refuses to replace a file unless ``overwrite``."""
    # The job's settings are ``artgen sample``'s options, by the same names.
    plan = plan_samples(**config.to_dict(), how_to_overwrite="tick 'overwrite'")
    written = write_samples(plan, on_event)
    for line in written.lines():
        on_event(Message(line))
    on_event(Preview(str(written.out), f"{written.count} samples"))
    return written
