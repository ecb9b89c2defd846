"""The 1-D GAN lab's configuration: plain data, no Keras import.

The CLI's options and the studio's form are generated from the fields'
settings (:mod:`artgen.schema`), so every default, bound and explanation is
written once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from artgen.configs import MAX_SEED, EngineConfig, check_range
from artgen.errors import InputError
from artgen.schema import check, setting

__all__ = ["ToyConfig", "Component", "parse_mixture"]

Component = tuple[float, float, float]  # mean, std, weight (weights sum to 1)

MAX_COMPONENTS = 8
# The networks see the raw numbers: beyond these they cannot reach the data, and plots lose it.
MAX_MEAN = 1000.0
MIN_STD, MAX_STD = 1e-3, 1000.0
MAX_BATCH = 65_536


@dataclass(frozen=True)
class ToyConfig(EngineConfig):
    """Everything that determines a toy GAN run; same config = same numbers."""

    mean: float = setting(4.0, help="mean of the real normal distribution", min=-MAX_MEAN, max=MAX_MEAN)
    std: float = setting(
        1.25, help="standard deviation of the real normal distribution", min=MIN_STD, max=MAX_STD
    )
    mixture: str = setting(
        "", help="a mixture instead of --mean/--std: 'MEAN:STD[:WEIGHT],...', e.g. '-2:0.5,3:1'"
    )
    epochs: int = setting(40, help="epochs to train", min=1, max=100_000)
    steps_per_epoch: int = setting(50, help="train steps per epoch", min=1, max=100_000)
    batch_size: int = setting(256, help="numbers per train step", min=2, max=MAX_BATCH)
    latent_dim: int = setting(
        4, help="length of the generator's noise vector", min=1, max=1_024, advanced=True
    )
    hidden: int = setting(
        64, help="units in each hidden layer of both networks", min=1, max=4_096, advanced=True
    )
    learning_rate: float = setting(1e-3, help="Adam learning rate of both networks", min=0, above=True, max=1)
    beta1: float = setting(0.5, help="Adam beta 1", min=0, max=1, below=True, advanced=True)
    r1: float = setting(
        1.0,
        help="R1 penalty on the discriminator's slope at real data; training settles (0: off)",
        min=0,
        max=1000,
        advanced=True,
    )
    pack: int = setting(
        2,
        help="numbers the discriminator judges together (PacGAN), so it sees each peak's spread (1: off)",
        min=1,
        max=64,
        advanced=True,
    )
    lr_decay: bool = setting(
        True, help="decay the learning rate linearly to zero, so the two players settle", advanced=True
    )
    bins: int = setting(60, help="histogram bins in the plots", min=5, max=500, advanced=True)
    plot_every: int = setting(1, help="epochs between plots (0: only the final plot)", min=0, advanced=True)
    gif: bool = setting(False, help="also write an animated GIF of the whole training")
    eval_samples: int = setting(
        20_000, help="numbers drawn to measure mean, std and distance", min=1, max=10_000_000, advanced=True
    )
    seed: int = setting(0, help="random seed", min=0, max=MAX_SEED)
    run_dir: str | None = setting(
        None, help="where this run writes", unset="runs/toy-<time>/", widget="outdir", advanced=True
    )
    runs_root: str = setting(
        "runs", help="parent of new run directories", widget="outdir", label="runs folder"
    )

    def __post_init__(self) -> None:
        if self.mixture:
            parse_mixture(self.mixture)
        check(self)
        if self.batch_size % self.pack:
            raise InputError(f"--batch-size ({self.batch_size}) must be a multiple of --pack ({self.pack})")
        if self.gif and self.plot_every == 0:
            raise InputError("--gif animates the per-epoch plots; it needs --plot-every 1 or more")

    def components(self) -> list[Component]:
        """The real distribution as weighted normal components."""
        if self.mixture:
            return parse_mixture(self.mixture)
        return [(self.mean, self.std, 1.0)]

    def real_moments(self) -> tuple[float, float]:
        """The exact mean and standard deviation of the real distribution."""
        parts = self.components()
        mean = sum(w * m for m, _, w in parts)
        second = sum(w * (s * s + m * m) for m, s, w in parts)
        return mean, math.sqrt(max(second - mean * mean, 0.0))

    @classmethod
    def tiny(cls, **overrides: Any) -> ToyConfig:
        """A run of a second or two, for tests and CI."""
        values: dict[str, Any] = dict(
            epochs=3, steps_per_epoch=10, batch_size=64, hidden=8, eval_samples=2000, bins=20
        )
        values.update(overrides)
        return cls(**values)


def parse_mixture(text: str) -> list[Component]:
    """``'-2:0.5,3:1'`` -> [(-2, 0.5, 0.5), (3, 1, 0.5)]; weights default to equal and are normalised.

    Accepts the typographic minus (U+2212) people paste from documents.
    """
    cleaned = text.replace("\u2212", "-").replace(" ", "")
    parts = [part for part in cleaned.split(",") if part]
    if not parts:
        raise InputError("--mixture is empty; write it as MEAN:STD[:WEIGHT],... e.g. '-2:0.5,3:1'")
    if len(parts) > MAX_COMPONENTS:
        raise InputError(f"--mixture has {len(parts)} components; at most {MAX_COMPONENTS} are supported")
    raw: list[Component] = []
    for part in parts:
        pieces = part.split(":")
        try:
            numbers = [float(piece) for piece in pieces]
        except ValueError:
            numbers = []
        if len(numbers) not in (2, 3) or not all(math.isfinite(n) for n in numbers):
            raise InputError(f"--mixture component {part!r} is not MEAN:STD or MEAN:STD:WEIGHT, e.g. '3:1'")
        mean, std, weight = numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 1.0
        if std <= 0 or weight <= 0:
            raise InputError(f"--mixture component {part!r} needs a positive std and weight")
        check_range(mean, -MAX_MEAN, MAX_MEAN, f"--mixture component {part!r}: the mean")
        check_range(std, MIN_STD, MAX_STD, f"--mixture component {part!r}: the std")
        raw.append((mean, std, weight))
    total = sum(w for _, _, w in raw)
    return [(m, s, w / total) for m, s, w in raw]
