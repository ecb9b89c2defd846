"""Sampling as a job: the ``artgen sample`` grid, with a config the runner can ship to a child."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artgen.configs import MAX_SEED, EngineConfig
from artgen.dcgan.config import MAX_SAMPLES
from artgen.errors import InputError
from artgen.events import Message, OnEvent, Preview, ShouldStop, ignore_events, never_stop
from artgen.generators.output import SampleFiles, plan_samples, write_samples
from artgen.schema import check, setting

__all__ = ["SampleConfig", "sample_grid", "MIN_SELECT"]

MIN_SELECT = 0.25  # --select draws at most 4x the candidates (0.3 already scored worse than 0.5)


@dataclass(frozen=True)
class SampleConfig(EngineConfig):
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
        None, help="generator .keras file or run directory", unset="the bundled generator", widget="generator"
    )
    count: int = setting(64, help="number of images", flag="-n", aliases=("--count",), min=1, max=MAX_SAMPLES)
    seed: int = setting(0, help="latent seed", min=0, max=MAX_SEED)
    select: float = setting(
        1.0,
        help="draw count/SHARE candidates and keep the SHARE of them that the training run's "
        "discriminator rates most real: more realistic, a little less varied (0.5: twice the "
        "candidates, the better half); 1 = off; needs --model RUN_DIR",
        min=MIN_SELECT,
        max=1,
        metavar="SHARE",
    )
    latents: str | None = setting(
        None,
        help="draw the latents of this file (from artgen project or walk --save-latents), all of them, "
        "instead of -n random ones",
        unset="random latents from --seed",
        metavar="FILE.npz",
        widget="latents",
    )
    columns: int | None = setting(None, help="grid columns", unset="square", min=1, advanced=True)
    overwrite: bool = setting(False, help="replace files that exist", negatable=False)

    def __post_init__(self) -> None:
        if not str(self.out).lower().endswith(".png"):
            raise InputError(f"{self.out} must end in .png")
        check(self)
        if self.latents is not None and self.select < 1:
            raise InputError("--select chooses among random latents; leave it out with --latents")
        if self.columns is not None and self.columns > self.count and self.latents is None:
            raise InputError(f"columns must be between 1 and the count ({self.count}), not {self.columns}")

    @classmethod
    def tiny(cls, out: str, **overrides: Any) -> SampleConfig:
        return cls(out=out, **{"count": 4, **overrides})


def sample_grid(
    config: SampleConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> SampleFiles:
    """Write the grid PNG (as ``artgen sample`` does); refuses to replace a file unless ``overwrite``."""
    # The job's settings are ``artgen sample``'s options, by the same names; the backend is the process's.
    settings = {name: value for name, value in config.to_dict().items() if name != "backend"}
    plan = plan_samples(**settings, how_to_overwrite="tick 'overwrite'")
    written = write_samples(plan, on_event)
    for line in written.lines():
        on_event(Message(line))
    on_event(Preview(str(written.out), f"{written.count} samples"))
    return written
