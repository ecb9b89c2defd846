"""The 1-D GAN lab's configuration: plain data, no Keras import.

The CLI reads its defaults and help from here and the app builds its form
from the same fields (each field's ``metadata["help"]``), so every default
and every explanation is written once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from artgen.configs import ConfigDict, check_range, check_seed
from artgen.errors import InputError

__all__ = ["ToyConfig", "Component", "parse_mixture"]

Component = tuple[float, float, float]  # mean, std, weight (weights sum to 1)

MAX_COMPONENTS = 8
# The networks see the raw numbers: beyond these they cannot reach the data, and plots lose it.
MAX_MEAN = 1000.0
MIN_STD, MAX_STD = 1e-3, 1000.0
MAX_BATCH = 65_536
MAX_COUNTS = {
    "epochs": 100_000,
    "steps_per_epoch": 100_000,
    "latent_dim": 1_024,
    "hidden": 4_096,
    "eval_samples": 10_000_000,
    "pack": 64,
}


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ToyConfig(ConfigDict):
    """Everything that determines a toy GAN run; same config = same numbers."""

    mean: float = _opt(4.0, "mean of the real normal distribution")
    std: float = _opt(1.25, "standard deviation of the real normal distribution")
    mixture: str = _opt("", "a mixture instead of --mean/--std: 'MEAN:STD[:WEIGHT],...', e.g. '-2:0.5,3:1'")
    epochs: int = _opt(40, "epochs to train")
    steps_per_epoch: int = _opt(50, "train steps per epoch")
    batch_size: int = _opt(256, "numbers per train step")
    latent_dim: int = _opt(4, "length of the generator's noise vector")
    hidden: int = _opt(64, "units in each hidden layer of both networks")
    learning_rate: float = _opt(1e-3, "Adam learning rate of both networks")
    beta1: float = _opt(0.5, "Adam beta 1")
    r1: float = _opt(1.0, "R1 penalty on the discriminator's slope at real data; training settles (0: off)")
    pack: int = _opt(
        2, "numbers the discriminator judges together (PacGAN), so it sees each peak's spread (1: off)"
    )
    lr_decay: bool = _opt(True, "decay the learning rate linearly to zero, so the two players settle")
    bins: int = _opt(60, "histogram bins in the plots")
    plot_every: int = _opt(1, "epochs between plots (0: only the final plot)")
    gif: bool = _opt(False, "also write an animated GIF of the whole training")
    eval_samples: int = _opt(20_000, "numbers drawn to measure mean, std and distance")
    seed: int = _opt(0, "random seed")
    run_dir: str | None = _opt(None, "where this run writes (default runs/toy-<time>/)")
    runs_root: str = _opt("runs", "parent of new run directories")

    def __post_init__(self) -> None:
        if self.mixture:
            parse_mixture(self.mixture)
        else:
            check_range(self.mean, -MAX_MEAN, MAX_MEAN, "--mean")
            check_range(self.std, MIN_STD, MAX_STD, "--std")
        for name, high in MAX_COUNTS.items():
            if not 1 <= getattr(self, name) <= high:
                flag = name.replace("_", "-")
                raise InputError(f"--{flag} must be between 1 and {high}, not {getattr(self, name)}")
        if not 2 <= self.batch_size <= MAX_BATCH:
            raise InputError(f"--batch-size must be between 2 and {MAX_BATCH}, not {self.batch_size}")
        if self.batch_size % self.pack:
            raise InputError(f"--batch-size ({self.batch_size}) must be a multiple of --pack ({self.pack})")
        check_seed(self.seed)
        if not 5 <= self.bins <= 500:
            raise InputError(f"--bins must be between 5 and 500, not {self.bins}")
        if self.plot_every < 0:
            raise InputError("--plot-every must be 0 (final plot only) or more")
        if self.gif and self.plot_every == 0:
            raise InputError("--gif animates the per-epoch plots; it needs --plot-every 1 or more")
        if not (math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1):
            raise InputError(f"--learning-rate must be above 0 and at most 1, not {self.learning_rate}")
        check_range(self.r1, 0, 1000, "--r1")
        if not 0.0 <= self.beta1 < 1.0:
            raise InputError("--beta1 must be in [0, 1)")

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
