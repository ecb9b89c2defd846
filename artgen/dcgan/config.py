"""The DCGAN training configuration.

Plain data with no TensorFlow import. Each field's setting (:mod:`artgen.schema`)
is the one description of it: ``artgen train``'s options and the studio's form
are generated from it. The run directory stores the config as ``config.json``,
and ``--resume`` rebuilds the exact same run from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from artgen.configs import MAX_SEED, ImageEngineConfig
from artgen.dcgan.schedule import AUTO_MIN_STEPS, EVAL_SHARE, FIRST_BY
from artgen.errors import InputError
from artgen.schema import check, resumable_fields, setting

__all__ = [
    "SIZES",
    "AUGMENTATIONS",
    "LR_DECAYS",
    "STRATEGIES",
    "PRECISIONS",
    "RESUMABLE",
    "MAX_SAMPLES",
    "RECIPES",
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
MAX_SAMPLES = 10_000  # images one ``artgen sample`` draws (a 128 px grid of them is already 0.5 GB)
LOSSES = ("ns", "hinge")
ON_COLLAPSE = ("warn", "rollback", "stop")
SAMPLE_UNITS = ("step", "epoch")
DEFAULT_EPOCHS = 20  # when neither epochs nor steps is set
# --help sections
QUALITY = "quality (FD/KID on VGG16 features; see artgen eval)"
DEVICES = "devices (see also: artgen --backend jax)"

# What a recipe sets. The dataclass defaults below are the "artgen" recipe (chosen by
# benchmarks/dcgan_quality.py, see docs/benchmarks.md's ablation table); "classic" is the plain
# DCGAN recipe that benchmark measures it against.
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
        "augment_below": 0,
        "spectral_norm": False,
    },
}


@dataclass(frozen=True)
class TrainConfig(ImageEngineConfig):
    """Everything that determines a DCGAN run; same config + same data = same losses."""

    data_dir: str = setting(
        help="folder of training images (searched recursively)",
        positional=True,
        metavar="DIR",
        widget="folder",
        label="image folder",
        resumable=True,
    )
    size: int = setting(64, help="image size in pixels", choices=SIZES, group="model")
    latent_dim: int = setting(
        100, help="latent vector length", min=1, max=4_096, group="model", advanced=True
    )
    # 32/32: 3x the steps of 64/64 in the same CPU time, and better FD there
    width: int = setting(
        32,
        help="base channel count; scales both networks, smaller trains faster",
        min=1,
        max=1_024,
        group="model",
    )
    batch_size: int = setting(32, help="images per step", min=1, max=65_536, group="training")
    epochs: int | None = setting(
        None,
        help="passes over the data",
        unset=f"{DEFAULT_EPOCHS} unless --steps",
        min=1,
        max=1_000_000,
        group="training",
        resumable=True,
    )
    steps: int | None = setting(
        None,
        help="train steps (overrides --epochs)",
        unset="set by --epochs",
        min=1,
        max=100_000_000,
        group="training",
        resumable=True,
    )
    learning_rate: float = setting(
        2e-4, help="Adam learning rate", aliases=("--lr",), min=0, above=True, max=1, group="training"
    )
    beta1: float = setting(0.5, help="Adam beta 1", min=0, max=1, below=True, group="training", advanced=True)
    beta2: float = setting(
        0.999, help="Adam beta 2", min=0, max=1, below=True, group="training", advanced=True
    )
    recipe: str = setting(
        "artgen",
        help="artgen: the measured best; classic: artgen 0.1's recipe, loss for loss",
        choices=("artgen", *RECIPES),
        group="training",
        advanced=True,
    )
    loss: str = setting(
        "ns", help="ns: non-saturating; hinge", choices=LOSSES, group="training", advanced=True
    )
    label_smoothing: float = setting(
        1.0,
        help="target for real images, 1 = off",
        min=0,
        above=True,
        max=1,
        group="training",
        advanced=True,
    )
    d_learning_rate: float | None = setting(
        None,
        help="the discriminator's learning rate, for two time-scale updates",
        unset="--learning-rate",
        aliases=("--d-lr",),
        min=0,
        above=True,
        max=1,
        group="training",
        advanced=True,
    )
    lr_decay: str = setting(
        "none",
        help="decay the learning rate to 0 over the run",
        choices=LR_DECAYS,
        group="training",
        label="lr decay",
    )
    augment: tuple[str, ...] = setting(
        (),
        help="differentiable augmentation for small datasets",
        label="augmentation",
        choices=AUGMENTATIONS,
        bare=AUGMENTATIONS,
        group="training",
    )
    augment_below: int = setting(
        0,
        help="without --augment: DiffAugment (all three) for datasets under this many images, 0 = never",
        min=0,
        max=100_000_000,
        group="training",
        advanced=True,
    )
    spectral_norm: bool = setting(
        False,
        help="spectral normalization in the discriminator (no batch norm there then)",
        group="model",
        advanced=True,
    )
    ema: bool = setting(
        True, help="sample from an exponential moving average of the generator", group="training"
    )
    ema_decay: float = setting(
        0.999, help="EMA decay", min=0, max=1, below=True, group="training", advanced=True
    )
    ema_bn: bool = setting(
        True,
        help="measure the EMA generator's batch-norm statistics again before sampling",
        group="training",
        advanced=True,
    )
    seed: int = setting(
        0, help="same seed and data give the same losses", min=0, max=MAX_SEED, group="training"
    )
    checkpoint_every: int = setting(
        500,
        help="steps between checkpoints",
        min=1,
        group="output",
        advanced=True,
        resumable=True,
    )
    keep_checkpoints: int = setting(
        2,
        help="newest checkpoints kept (--resume needs the newest)",
        min=1,
        group="output",
        advanced=True,
        resumable=True,
    )
    sample_every: int = setting(
        500,
        help="steps (epochs with --sample-unit epoch) between sample grids",
        min=1,
        group="output",
        advanced=True,
        resumable=True,
    )
    sample_unit: str = setting(
        "step",
        help="unit of --sample-every",
        choices=SAMPLE_UNITS,
        group="output",
        advanced=True,
        resumable=True,
    )
    keep_samples: int = setting(
        8,
        help="newest sample grids kept, plus every 10th; 0 keeps all",
        min=0,
        group="output",
        advanced=True,
        resumable=True,
    )
    eval_every: int | None = setting(
        None,
        help="steps between FD/KID evaluations, 0 = off; a run that evaluates also does at its end",
        unset=f"auto: first a quarter into the run (by step {FIRST_BY} at the latest), then whenever "
        f"training since the last one took {1 / EVAL_SHARE:.0f}x its time, never closer than the "
        f"first; runs under {AUTO_MIN_STEPS} steps only at the end",
        min=0,
        group=QUALITY,
        advanced=True,
        resumable=True,
    )
    eval_samples: int = setting(
        256,
        help="generated images per evaluation",
        min=8,
        group=QUALITY,
        advanced=True,
        resumable=True,
    )
    on_collapse: str = setting(
        "warn",
        help="when FD keeps rising or diversity collapses: warn, rollback to the best state with half "
        "the learning rate, or stop",
        choices=ON_COLLAPSE,
        group=QUALITY,
        advanced=True,
        resumable=True,
    )
    log_every: int = setting(
        10, help="steps between metrics rows", min=1, group="output", advanced=True, resumable=True
    )
    samples: int = setting(
        64,
        help="images in each sample grid",
        min=1,
        max=1_024,
        group="output",
        advanced=True,
        resumable=True,
    )
    background: str = setting("white", help="colour behind transparent images", group="output", advanced=True)
    run_dir: str | None = setting(
        None,
        help="where this run writes",
        unset="a new folder runs/<DIR name>-<time>/ under --runs-root",
        widget="outdir",
        group="output",
        advanced=True,
        resumable=True,
    )
    runs_root: str = setting(
        "runs",
        help="parent of new run directories",
        widget="outdir",
        label="runs folder",
        group="output",
        resumable=True,
    )
    precision: str = setting(
        "auto",
        help="mixed = float16 with loss scaling, bf16 = bfloat16; auto picks the fastest for the device",
        choices=PRECISIONS,
        group=DEVICES,
        advanced=True,
        resumable=True,
    )
    xla: bool = setting(
        False, help="compile the step with XLA (TensorFlow)", group=DEVICES, advanced=True, resumable=True
    )
    strategy: str = setting(
        "none",
        help="data parallelism: mirrored (one machine) or multi-worker (TF_CONFIG)",
        choices=STRATEGIES,
        group=DEVICES,
        advanced=True,
        resumable=True,
    )
    devices: int | None = setting(
        None,
        help="replicas for mirrored training (GPUs, or CPU slices)",
        unset="every GPU, else one",
        min=1,
        max=1_024,
        group=DEVICES,
        advanced=True,
        resumable=True,
    )

    def __post_init__(self) -> None:
        check(self)
        if self.strategy == "multi-worker" and self.run_dir is None:
            raise InputError("--strategy multi-worker needs --run-dir on a filesystem every worker shares")

    @classmethod
    def with_recipe(cls, recipe: str = "artgen", **values: Any) -> TrainConfig:
        """A config of ``recipe``; ``values`` (what the user typed) win over the recipe's."""
        if recipe != "artgen" and recipe not in RECIPES:
            raise InputError(f"--recipe must be one of artgen, {', '.join(RECIPES)}, not {recipe!r}")
        return cls(**{**RECIPES.get(recipe, {}), **values, "recipe": recipe})

    @classmethod
    def from_run(cls, stored: dict[str, Any], path: str | os.PathLike[str]) -> TrainConfig:
        """The config of a run directory's ``config.json`` at ``path``: every setting there, of its type
        and within its bounds, or one line naming the file (:meth:`ConfigDict.from_stored`)."""
        return cls.from_stored(stored, path)

    def total_steps(self, dataset_size: int) -> int:
        """Steps to train: ``steps`` if given, else ``epochs`` (or DEFAULT_EPOCHS) over the data."""
        if self.steps is not None:
            return self.steps
        return (self.epochs or DEFAULT_EPOCHS) * self.steps_per_epoch(dataset_size)

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


# What a stopped run may change when it continues (how long, how often, where, on what device);
# the rest define the model and its losses, and a run folder holding other values is refused.
RESUMABLE = resumable_fields(TrainConfig)
