"""The image classifier's configuration: plain data, no Keras import.

Field names are the ``artgen classify train`` flags; each field's
``metadata["help"]`` is its help text, read by the CLI and the app's form,
so every default and explanation is written once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from artgen.configs import ConfigDict, check_seed
from artgen.errors import InputError

__all__ = ["ClassifyConfig", "FLIPS", "BASES", "PRESETS", "MAX_AUTO_SIZE", "MIN_TRANSFER_SIZE"]

FLIPS = ("horizontal", "vertical", "both", "none")
BASES = ("auto", "vgg16", "none")
# --size left empty: the images' own size, but never more than this (150 px was the fixed
# default before; upscaling small images only makes a slower, larger model).
MAX_AUTO_SIZE = 150
# --base auto picks the bundled VGG16 from this size up and the small CNN below it. VGG16
# pools five times: under ~64 px its last block sees a 4x4 map or less, and on 28 px
# Fashion-MNIST its frozen features lose to the small CNN (README, benchmarks/classify_quality.py).
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


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


MAX_COUNTS = {
    "epochs": 100_000,
    "fine_tune_epochs": 100_000,
    "batch_size": 65_536,
    "patience": 100_000,
    "filters": 1_024,
    "dense": 65_536,
}


@dataclass(frozen=True)
class ClassifyConfig(ConfigDict):
    """Everything that determines a classifier run; same config + same folder = same split."""

    data_dir: str = field(metadata={"help": "folder with one sub-folder of images per class"})
    output: str | None = _opt(None, "also save the model here (.keras; class names go beside it)")
    overwrite: bool = _opt(False, "replace --output if it exists")
    preset: str | None = _opt(
        None, "a named recipe for the options you leave at their defaults: rps (rock-paper-scissors)"
    )
    size: int | None = _opt(
        None,
        f"image size in pixels, centre-cropped squares (default: the images' own, at most {MAX_AUTO_SIZE})",
    )
    base: str = _opt(
        "auto",
        f"what the classifier is built on: vgg16 (the bundled ImageNet VGG16, frozen), none (a small CNN "
        f"trained from scratch), auto (vgg16 from {MIN_TRANSFER_SIZE} px up, none below)",
    )
    fine_tune: bool = _opt(False, "with vgg16: once the head settles, train VGG16's last block too, at lr/10")
    fine_tune_epochs: int = _opt(5, "epochs of --fine-tune after the head's epochs")
    val_split: float = _opt(0.2, "share of each class held out for validation")
    epochs: int = _opt(30, "most epochs to train (callbacks may stop sooner)")
    batch_size: int = _opt(64, "images per train step")
    learning_rate: float = _opt(2e-3, "peak AdamW learning rate (one-cycle: warm up, then cosine decay)")
    weight_decay: float = _opt(1e-4, "AdamW weight decay")
    target_accuracy: float = _opt(1.0, "stop once accuracy and validation accuracy both reach this (1: off)")
    patience: int = _opt(8, "epochs without a better validation loss before stopping (best weights kept)")
    filters: int = _opt(32, "small CNN: channels of the first block; later blocks double it")
    dense: int = _opt(256, "small CNN: units of the hidden dense layer")
    dropout: float = _opt(0.3, "dropout before the dense layers")
    augment: bool | None = _opt(
        None,
        "augment the training split (default: on for the small CNN; off on a frozen VGG16, "
        "whose features are then computed once)",
    )
    rotation: float = _opt(0.0, "largest rotation, as a fraction of a full turn")
    shift: float = _opt(0.1, "largest shift, as a fraction of the image size")
    shear: float = _opt(0.0, "largest shear, as a fraction of the image size")
    zoom: float = _opt(0.0, "largest zoom in or out, as a fraction")
    flip: str = _opt("none", f"random flips, safe only for mirror-symmetric classes: {', '.join(FLIPS)}")
    limit: int | None = _opt(None, "use at most this many images per class (quick experiments)")
    background: str = _opt("white", "colour behind transparent images")
    seed: int = _opt(0, "random seed for the split, the weights and the augmentation")
    run_dir: str | None = _opt(None, "where this run writes (default runs/classify-<DIR name>-<time>/)")
    runs_root: str = _opt("runs", "parent of new run directories")

    def __post_init__(self) -> None:
        check_seed(self.seed)
        if not self.data_dir:
            raise InputError("give a folder with one sub-folder of images per class")
        if self.preset is not None:
            self._apply_preset()
        if self.size is not None and not 16 <= self.size <= 512:
            raise InputError(f"--size must be between 16 and 512 pixels, not {self.size}")
        if not 0.0 < self.val_split < 1.0:
            raise InputError(f"--val-split must be between 0 and 1 (e.g. 0.2), not {self.val_split}")
        if self.base not in BASES:
            raise InputError(f"--base must be one of {', '.join(BASES)}, not {self.base!r}")
        for name, high in MAX_COUNTS.items():  # far beyond any useful run; a typo fails here, not in Keras
            value = getattr(self, name)
            if not 1 <= value <= high:
                raise InputError(f"--{name.replace('_', '-')} must be between 1 and {high}, not {value}")
        if self.limit is not None and self.limit < 2:
            raise InputError("--limit must be at least 2 images per class")
        if not 0.0 < self.target_accuracy <= 1.0:
            raise InputError("--target-accuracy must be in (0, 1]; 1 turns the early stop off")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError("--dropout must be in [0, 1)")
        if not (math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1):
            raise InputError(f"--learning-rate must be above 0 and at most 1, not {self.learning_rate}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise InputError("--weight-decay must be zero or more")
        for name in ("rotation", "shift", "shear", "zoom"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise InputError(f"--{name} must be in [0, 1), not {getattr(self, name)}")
        if self.flip not in FLIPS:
            raise InputError(f"--flip must be one of {', '.join(FLIPS)}, not {self.flip!r}")
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
