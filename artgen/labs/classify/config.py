"""The image classifier's configuration: plain data, no Keras import.

Field names are the ``artgen classify train`` flags; each field's
``metadata["help"]`` is its help text, read by the CLI and the app's form,
so every default and explanation is written once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from artgen.configs import ConfigDict, check_seed
from artgen.errors import InputError

__all__ = ["ClassifyConfig", "FLIPS"]

FLIPS = ("horizontal", "vertical", "both", "none")


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


MAX_COUNTS = {"epochs": 100_000, "batch_size": 65_536, "patience": 100_000, "filters": 1_024, "dense": 65_536}


@dataclass(frozen=True)
class ClassifyConfig(ConfigDict):
    """Everything that determines a classifier run; same config + same folder = same split."""

    data_dir: str = field(metadata={"help": "folder with one sub-folder of images per class"})
    output: str | None = _opt(None, "also save the model here (.keras; class names go beside it)")
    overwrite: bool = _opt(False, "replace --output if it exists")
    size: int = _opt(150, "image size in pixels (images are centre-cropped to squares)")
    val_split: float = _opt(0.4, "share of each class held out for validation")
    epochs: int = _opt(20, "most epochs to train (callbacks may stop sooner)")
    batch_size: int = _opt(32, "images per train step")
    learning_rate: float = _opt(1e-3, "Adam learning rate")
    target_accuracy: float = _opt(0.98, "stop once accuracy and validation accuracy both reach this (1: off)")
    patience: int = _opt(5, "epochs without a better validation loss before stopping (best weights kept)")
    filters: int = _opt(32, "channels of the first convolution; later blocks double it")
    dense: int = _opt(512, "units of the hidden dense layer")
    dropout: float = _opt(0.5, "dropout before the dense layers")
    augment: bool = _opt(True, "augment the training split (rotation, shifts, shear, zoom, flips)")
    rotation: float = _opt(0.1, "largest rotation, as a fraction of a full turn")
    shift: float = _opt(0.2, "largest shift, as a fraction of the image size")
    shear: float = _opt(0.2, "largest shear, as a fraction of the image size")
    zoom: float = _opt(0.2, "largest zoom in or out, as a fraction")
    flip: str = _opt("horizontal", f"random flips: {', '.join(FLIPS)}")
    limit: int | None = _opt(None, "use at most this many images per class (quick experiments)")
    background: str = _opt("white", "colour behind transparent images")
    seed: int = _opt(0, "random seed for the split, the weights and the augmentation")
    run_dir: str | None = _opt(None, "where this run writes (default runs/classify-<DIR name>-<time>/)")
    runs_root: str = _opt("runs", "parent of new run directories")

    def __post_init__(self) -> None:
        check_seed(self.seed)
        if not self.data_dir:
            raise InputError("give a folder with one sub-folder of images per class")
        if not 16 <= self.size <= 512:
            raise InputError(f"--size must be between 16 and 512 pixels, not {self.size}")
        if not 0.0 < self.val_split < 1.0:
            raise InputError(f"--val-split must be between 0 and 1 (e.g. 0.2), not {self.val_split}")
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
        for name in ("rotation", "shift", "shear", "zoom"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise InputError(f"--{name} must be in [0, 1), not {getattr(self, name)}")
        if self.flip not in FLIPS:
            raise InputError(f"--flip must be one of {', '.join(FLIPS)}, not {self.flip!r}")
        if self.output is not None and not self.output.endswith(".keras"):
            raise InputError(f"-o/--output must end in .keras, not {self.output!r}")

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
            augment=False,
            learning_rate=3e-3,
            patience=6,
        )
        values.update(overrides)
        return cls(data_dir=data_dir, **values)
