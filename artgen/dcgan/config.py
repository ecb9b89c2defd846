"""The DCGAN training configuration.

Plain data with no TensorFlow import: the CLI reads its defaults from here
(so each default is written once), the run directory stores it as
``config.json``, and ``--resume`` rebuilds the exact same run from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from artgen.configs import ConfigDict, check_seed
from artgen.errors import InputError

__all__ = [
    "SIZES",
    "AUGMENTATIONS",
    "LR_DECAYS",
    "STRATEGIES",
    "PRECISIONS",
    "RESUMABLE",
    "MAX_SAMPLES",
    "TrainConfig",
]

SIZES = (32, 64, 128)
AUGMENTATIONS = ("translation", "color", "cutout")
LR_DECAYS = ("none", "linear", "cosine")
STRATEGIES = ("none", "mirrored", "multi-worker")
PRECISIONS = ("auto", "float32", "mixed", "bf16")
# Settings a continued run may change (how long, how often, where, on what device); the rest
# define the model and its losses, and a run folder holding other values is refused.
RESUMABLE = frozenset(
    {"epochs", "steps", "checkpoint_every", "sample_every", "log_every", "keep_checkpoints", "samples"}
    | {"data_dir", "run_dir", "runs_root", "precision", "xla", "strategy", "devices"}
)
MAX_SAMPLES = 10_000  # images one ``artgen sample`` draws (a 128 px grid of them is already 0.5 GB)
# Upper bounds: far beyond any useful run, low enough that a typo fails here, not in the engine.
MAX_COUNTS = {
    "latent_dim": 4_096,
    "width": 1_024,
    "batch_size": 65_536,
    "epochs": 1_000_000,
    "steps": 100_000_000,
    "samples": 1_024,
    "devices": 1_024,
}


@dataclass(frozen=True)
class TrainConfig(ConfigDict):
    """Everything that determines a DCGAN run; same config + same data = same losses."""

    data_dir: str
    size: int = 64
    latent_dim: int = 100
    width: int = 64
    batch_size: int = 64
    epochs: int | None = None  # when neither epochs nor steps is set: 20 epochs
    steps: int | None = None
    learning_rate: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    label_smoothing: float = 0.9
    lr_decay: str = "none"
    augment: tuple[str, ...] = ()
    ema: bool = True
    ema_decay: float = 0.999
    seed: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    sample_every: int = 1
    log_every: int = 10
    samples: int = 64
    background: str = "white"
    run_dir: str | None = None
    runs_root: str = "runs"
    precision: str = "auto"  # resolved per device when a run starts; see steps.resolve_precision
    xla: bool = False
    strategy: str = "none"
    devices: int | None = None

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise InputError(f"--size must be one of {', '.join(map(str, SIZES))}, not {self.size}")
        for name in (
            "latent_dim",
            "width",
            "batch_size",
            "checkpoint_every",
            "sample_every",
            "log_every",
            "samples",
        ):
            if getattr(self, name) < 1:
                raise InputError(f"--{name.replace('_', '-')} must be at least 1")
        if self.epochs is not None and self.epochs < 1:
            raise InputError("--epochs must be at least 1")
        if self.steps is not None and self.steps < 1:
            raise InputError("--steps must be at least 1")
        if not 0.0 < self.label_smoothing <= 1.0:
            raise InputError("--label-smoothing must be in (0, 1]; 1 turns smoothing off")
        if not 0.0 <= self.ema_decay < 1.0:
            raise InputError("--ema-decay must be in [0, 1)")
        if self.lr_decay not in LR_DECAYS:
            raise InputError(f"--lr-decay must be one of {', '.join(LR_DECAYS)}")
        unknown = set(self.augment) - set(AUGMENTATIONS)
        if unknown:
            raise InputError(
                f"unknown augmentation {', '.join(sorted(unknown))}; choose from {', '.join(AUGMENTATIONS)}"
            )
        if self.strategy not in STRATEGIES:
            raise InputError(f"--strategy must be one of {', '.join(STRATEGIES)}")
        if self.precision not in PRECISIONS:
            raise InputError(f"--precision must be one of {', '.join(PRECISIONS)}")
        if self.strategy == "multi-worker" and self.run_dir is None:
            raise InputError("--strategy multi-worker needs --run-dir on a filesystem every worker shares")
        if self.devices is not None and self.devices < 1:
            raise InputError("--devices must be at least 1")
        if not (math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1):
            raise InputError(f"--learning-rate must be above 0 and at most 1, not {self.learning_rate}")
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise InputError(f"--{name} must be in [0, 1), not {getattr(self, name)}")
        for name, high in MAX_COUNTS.items():
            value = getattr(self, name)
            if value is not None and value > high:
                raise InputError(f"--{name.replace('_', '-')} must be at most {high}, not {value}")
        if self.keep_checkpoints < 1:
            raise InputError("--keep-checkpoints must be at least 1 (the newest is what --resume needs)")
        check_seed(self.seed)

    def total_steps(self, dataset_size: int) -> int:
        """Steps to train: ``steps`` if given, else ``epochs`` (default 20) over the data."""
        if self.steps is not None:
            return self.steps
        return (self.epochs or 20) * self.steps_per_epoch(dataset_size)

    def steps_per_epoch(self, dataset_size: int) -> int:
        return max(1, dataset_size // self.batch_size)

    @classmethod
    def tiny(cls, data_dir: str, **overrides: Any) -> TrainConfig:
        """A configuration small enough for tests and CI on a laptop CPU."""
        values: dict[str, Any] = dict(
            size=32,
            latent_dim=16,
            width=8,
            batch_size=8,
            steps=4,
            samples=4,
            checkpoint_every=2,
            log_every=1,
        )
        values.update(overrides)
        return cls(data_dir=data_dir, **values)
