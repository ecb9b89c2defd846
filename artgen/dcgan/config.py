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
    "RECIPES",
    "ADDED_LATER",
    "LOSSES",
    "ON_COLLAPSE",
    "SAMPLE_UNITS",
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
    | {"eval_every", "eval_samples", "on_collapse", "sample_unit", "keep_samples"}
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
    "augment_below": 100_000_000,
}
LOSSES = ("ns", "hinge")
ON_COLLAPSE = ("warn", "rollback", "stop")
SAMPLE_UNITS = ("step", "epoch")

# Settings added after recipes existed, with the values that reproduce the code before them: a
# config.json without one of these keys was written by that code and resumes with this value.
ADDED_LATER: dict[str, Any] = {"augment_below": 0, "spectral_norm": False}

# What a recipe sets. The dataclass defaults below are the "artgen" recipe (chosen by
# benchmarks/dcgan_quality.py, see the README's ablation table); "classic" is the recipe
# of artgen before quality was measured, kept so its runs stay reproducible. A
# config.json without a "recipe" key was written by that code and is read as classic.
RECIPES: dict[str, dict[str, Any]] = {
    "classic": {
        "width": 64,
        "batch_size": 64,
        "loss": "ns",
        "label_smoothing": 0.9,
        "d_learning_rate": None,
        "ema_bn": False,
        "eval_every": 0,
        "sample_unit": "epoch",
        "sample_every": 1,
        "keep_samples": 0,
        **ADDED_LATER,
    },
}


@dataclass(frozen=True)
class TrainConfig(ConfigDict):
    """Everything that determines a DCGAN run; same config + same data = same losses."""

    data_dir: str
    size: int = 64
    latent_dim: int = 100
    width: int = 32  # 32/32: 3x the steps of 64/64 in the same CPU time, and better FD there
    batch_size: int = 32
    epochs: int | None = None  # when neither epochs nor steps is set: 20 epochs
    steps: int | None = None
    learning_rate: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    recipe: str = "artgen"
    loss: str = "ns"
    label_smoothing: float = 1.0
    d_learning_rate: float | None = None  # None: --learning-rate for both networks
    lr_decay: str = "none"
    augment: tuple[str, ...] = ()
    augment_below: int = 0  # without --augment: DiffAugment (all three) for datasets under this many images
    spectral_norm: bool = False  # spectral normalization in the discriminator (no batch norm there then)
    ema: bool = True
    ema_decay: float = 0.999
    ema_bn: bool = True  # recompute the EMA generator's batch-norm statistics before sampling
    seed: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    sample_every: int = 500
    sample_unit: str = "step"
    keep_samples: int = 8  # newest grids kept, plus every 10th; 0 keeps all
    eval_every: int = 2000  # steps between FD/KID evaluations (about 6% of the time at 32 px); 0: off
    eval_samples: int = 256
    on_collapse: str = "warn"
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
            "eval_samples",
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
        if self.d_learning_rate is not None and not (
            math.isfinite(self.d_learning_rate) and 0 < self.d_learning_rate <= 1
        ):
            raise InputError(f"--d-learning-rate must be above 0 and at most 1, not {self.d_learning_rate}")
        for name, value, choices in (
            ("recipe", self.recipe, ("artgen", *RECIPES)),
            ("loss", self.loss, LOSSES),
            ("on-collapse", self.on_collapse, ON_COLLAPSE),
            ("sample-unit", self.sample_unit, SAMPLE_UNITS),
        ):
            if value not in choices:
                raise InputError(f"--{name} must be one of {', '.join(choices)}, not {value!r}")
        if self.eval_every < 0 or self.keep_samples < 0:
            raise InputError("--eval-every and --keep-samples must be 0 (off) or more")
        if self.augment_below < 0:
            raise InputError(f"--augment-below must be 0 (off) or more, not {self.augment_below}")
        if self.eval_samples < 8:
            raise InputError("--eval-samples must be at least 8")
        check_seed(self.seed)

    @classmethod
    def with_recipe(cls, recipe: str = "artgen", **values: Any) -> TrainConfig:
        """A config of ``recipe``; ``values`` (what the user typed) win over the recipe's."""
        if recipe != "artgen" and recipe not in RECIPES:
            raise InputError(f"--recipe must be one of artgen, {', '.join(RECIPES)}, not {recipe!r}")
        return cls(**{**RECIPES.get(recipe, {}), **values, "recipe": recipe})

    @classmethod
    def from_run(cls, stored: dict[str, Any]) -> TrainConfig:
        """The config of a run directory's ``config.json``, as the code that wrote it meant it.

        Files written before recipes existed have no ``recipe`` key: their missing
        settings take the classic recipe's values, so such a run resumes exactly as before.
        Settings added later (``ADDED_LATER``) take the values of the code before them.
        """
        if "recipe" not in stored:
            stored = {**RECIPES["classic"], **stored, "recipe": "classic"}
        return cls.from_dict({**ADDED_LATER, **stored})

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
            eval_every=0,
            eval_samples=8,
        )
        values.update(overrides)
        return cls.with_recipe(values.pop("recipe", "artgen"), data_dir=data_dir, **values)
