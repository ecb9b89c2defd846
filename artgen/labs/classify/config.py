"""The image classifier's configuration: plain data, no Keras import.

The ``artgen classify train`` options and the studio's form are generated
from the fields' settings (:mod:`artgen.schema`), so every default, bound
and explanation is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from artgen.configs import MAX_SEED, ImageEngineConfig
from artgen.errors import InputError
from artgen.schema import check, setting

__all__ = ["ClassifyConfig", "FLIPS", "BASES", "PRESETS", "MAX_AUTO_SIZE", "MIN_TRANSFER_SIZE"]

FLIPS = ("horizontal", "vertical", "both", "none")
BASES = ("auto", "vgg16", "none")
# --size left empty: the images' own size, but never more than this (150 px was the fixed
# default before; upscaling small images only makes a slower, larger model).
MAX_AUTO_SIZE = 150
# --base auto picks the bundled VGG16 from this size up and the small CNN below it. VGG16
# pools five times: under ~64 px its last block sees a 4x4 map or less, and on 28 px
# Fashion-MNIST its frozen features lose to the small CNN (docs/benchmarks.md).
MIN_TRANSFER_SIZE = 64
# A preset sets the fields you leave at their defaults; flags you give still win.
PRESETS: dict[str, dict[str, Any]] = {
    # The seeds' rock-paper-scissors recipe: a left hand is as good as a right one, so flips are
    # safe there. Augmentation is on even with VGG16 (the base then runs every epoch: slow on a CPU).
    "rps": dict(
        size=150,
        val_split=0.4,
        augment=True,
        rotation=20 / 360,
        shift=0.2,
        shear=0.2,
        zoom=0.2,
        flip="horizontal",
    ),
}


COUNT = {"min": 1, "max": 100_000}  # epochs and patience: far beyond any useful run; a typo fails here
FRACTION = {"min": 0.0, "max": 1.0, "below": True}


@dataclass(frozen=True)
class ClassifyConfig(ImageEngineConfig):
    """Everything that determines a classifier run; same config + same folder = same split."""

    data_dir: str = setting(
        help="folder with one sub-folder of images per class",
        positional=True,
        metavar="DIR",
        widget="folder",
        label="image folder",
    )
    output: str | None = setting(
        None,
        help="also save the model here (.keras; class names go beside it)",
        aliases=("-o",),
        metavar="MODEL",
        widget="output",
        label="model file",
    )
    overwrite: bool = setting(False, help="replace --output if it exists", negatable=False, advanced=True)
    preset: str | None = setting(
        None,
        help="a named recipe for the options you leave at their defaults: rps (rock-paper-scissors)",
        choices=tuple(PRESETS),
    )
    size: int | None = setting(
        None,
        help="image size in pixels, centre-cropped squares",
        unset=f"the images' own, at most {MAX_AUTO_SIZE}",
        min=16,
        max=512,
    )
    base: str = setting(
        "auto",
        help="what the classifier is built on: vgg16 (the bundled ImageNet VGG16, frozen), "
        f"none (a small CNN trained from scratch), auto (vgg16 from {MIN_TRANSFER_SIZE} px up, none below)",
        choices=BASES,
    )
    fine_tune: bool = setting(
        False, help="with vgg16: once the head settles, train VGG16's last block too, at lr/10"
    )
    fine_tune_epochs: int = setting(
        5, help="epochs of --fine-tune after the head's epochs", **COUNT, advanced=True
    )
    val_split: float = setting(
        0.2, help="share of each class held out for validation", min=0, above=True, max=1, below=True
    )
    epochs: int = setting(30, help="most epochs to train (callbacks may stop sooner)", **COUNT)
    batch_size: int = setting(64, help="images per train step", min=1, max=65_536)
    learning_rate: float = setting(
        2e-3,
        help="peak AdamW learning rate (one-cycle: warm up, then cosine decay)",
        min=0,
        above=True,
        max=1,
    )
    weight_decay: float = setting(1e-4, help="AdamW weight decay", min=0, advanced=True)
    target_accuracy: float = setting(
        1.0,
        help="stop once accuracy and validation accuracy both reach this (1: off)",
        min=0,
        above=True,
        max=1,
        advanced=True,
    )
    patience: int = setting(
        8,
        help="epochs without a better validation loss before stopping (best weights kept)",
        **COUNT,
        advanced=True,
    )
    filters: int = setting(
        32,
        help="small CNN: channels of the first block; later blocks double it",
        min=1,
        max=1_024,
        advanced=True,
    )
    dense: int = setting(
        256, help="small CNN: units of the hidden dense layer", min=1, max=65_536, advanced=True
    )
    dropout: float = setting(
        0.3, help="dropout before the dense layers", min=0, max=1, below=True, advanced=True
    )
    augment: bool | None = setting(
        None,
        help="augment the training split",
        unset="on for the small CNN; off on a frozen VGG16, whose features are then computed once",
        widget="choice",
        choices=(True, False),
    )
    rotation: float = setting(0.0, help="largest rotation, as a fraction of a full turn", **FRACTION)
    shift: float = setting(0.1, help="largest shift, as a fraction of the image size", **FRACTION)
    shear: float = setting(
        0.0, help="largest shear, as a fraction of the image size", **FRACTION, advanced=True
    )
    zoom: float = setting(0.0, help="largest zoom in or out, as a fraction", **FRACTION)
    flip: str = setting("none", help="random flips, safe only for mirror-symmetric classes", choices=FLIPS)
    limit: int | None = setting(
        None, help="use at most this many images per class (quick experiments)", unset="all", min=2
    )
    background: str = setting(
        "white", help="colour behind transparent images", metavar="COLOUR", advanced=True
    )
    seed: int = setting(
        0, help="random seed for the split, the weights and the augmentation", min=0, max=MAX_SEED
    )
    run_dir: str | None = setting(
        None,
        help="where this run writes",
        unset="runs/classify-<DIR name>-<time>/",
        widget="outdir",
        metavar="RUN_DIR",
        advanced=True,
    )
    runs_root: str = setting(
        "runs", help="parent of new run directories", widget="outdir", label="runs folder"
    )

    def __post_init__(self) -> None:
        if not self.data_dir:
            raise InputError("give a folder with one sub-folder of images per class")
        if self.preset is not None:
            self._apply_preset()
        check(self)
        if self.output is not None and not self.output.endswith(".keras"):
            raise InputError(f"-o/--output must end in .keras, not {self.output!r}")

    @staticmethod
    def preset_values(name: str) -> dict[str, Any]:
        """The settings preset ``name`` stands for; the CLI lays typed flags over them."""
        if name not in PRESETS:
            raise InputError(f"--preset must be one of {', '.join(PRESETS)}, not {name!r}")
        return dict(PRESETS[name])

    def _apply_preset(self) -> None:
        """A form cannot tell an untouched field from one set to its default: fields at their
        defaults take the preset's value (the CLI, which knows what was typed, merges first)."""
        defaults = {field.name: field.default for field in fields(self)}
        for name, value in self.preset_values(self.preset).items():
            if getattr(self, name) == defaults[name]:
                object.__setattr__(self, name, value)  # frozen: set once, while being built

    @classmethod
    def tiny(cls, data_dir: str, **overrides: Any) -> ClassifyConfig:
        """A run of a few seconds, for tests and CI."""
        values: dict[str, Any] = dict(
            size=16,
            epochs=6,
            batch_size=16,
            filters=8,
            dense=32,
            dropout=0.2,
            base="none",
            augment=False,
            learning_rate=3e-3,
            patience=6,
        )
        values.update(overrides)
        return cls(data_dir=data_dir, **values)
