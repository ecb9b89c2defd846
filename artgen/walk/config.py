"""The latent-walk configuration.

Plain data without Keras, so the CLI reads its defaults from here and the job
runner can store a walk as JSON. Field names match the ``artgen walk`` flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from artgen.configs import ConfigDict
from artgen.errors import InputError

__all__ = ["INTERPS", "EASES", "RESAMPLES", "FORMATS", "WalkConfig", "output_format", "parse_grid"]

INTERPS = ("slerp", "lerp")
EASES = ("linear", "smooth")
RESAMPLES = ("auto", "nearest", "lanczos")
FORMATS = {".gif": "gif", ".webp": "webp", ".mp4": "mp4"}
MAX_GIF_FPS = 50  # GIF delays are in 1/100 s, and browsers slow delays under 2/100 s to 1/10 s


def output_format(out: str | Path) -> str:
    """``gif``, ``webp``, ``mp4``, or ``frames`` for a folder of PNGs (no extension, or a folder)."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if suffix == "" or path.is_dir() or str(out).endswith(("/", "\\")):
        return "frames"
    known = ", ".join(FORMATS)
    raise InputError(f"{path.name}: unknown extension {suffix}; use {known}, or a folder name for PNG frames")


def parse_grid(text: str) -> tuple[int, int]:
    """``3x3`` -> (3, 3)."""
    rows, sep, cols = text.lower().partition("x")
    if not sep or not rows.isdigit() or not cols.isdigit():
        raise InputError(f"--grid {text!r}: give ROWSxCOLUMNS, e.g. 3x3")
    return int(rows), int(cols)


@dataclass(frozen=True)
class WalkConfig(ConfigDict):
    """Everything that determines a walk; the same config and model give the same frames."""

    out: str
    model: str | None = None  # None: the generator bundled with artgen
    frames: int = 120
    fps: float = 24
    keyframes: int = 4
    seed: int = 0
    interp: str = "slerp"
    ease: str = "linear"
    size: int | None = None  # None: the generator's own size
    resample: str = "auto"  # auto: nearest for whole-number upscales (crisp pixels), else Lanczos
    grid: tuple[int, int] = (1, 1)
    batch_size: int = 64  # images per generator call: frames x grid cells; bounds memory
    overwrite: bool = False  # replace an existing OUT file

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid", tuple(self.grid))
        output_format(self.out)
        if self.frames < 2:
            raise InputError(f"--frames must be at least 2, not {self.frames}")
        if not self.fps > 0:
            raise InputError(f"--fps must be positive, not {self.fps}")
        if self.format == "gif" and self.fps > MAX_GIF_FPS:
            raise InputError(f"--fps above {MAX_GIF_FPS} plays slower in GIF viewers; use .webp or .mp4")
        if self.keyframes < 2:
            raise InputError(f"--keyframes must be at least 2, not {self.keyframes}")
        if self.interp not in INTERPS:
            raise InputError(f"--interp must be one of {', '.join(INTERPS)}, not {self.interp!r}")
        if self.ease not in EASES:
            raise InputError(f"--ease must be one of {', '.join(EASES)}, not {self.ease!r}")
        if self.resample not in RESAMPLES:
            raise InputError(f"--resample must be one of {', '.join(RESAMPLES)}, not {self.resample!r}")
        if self.size is not None and not 8 <= self.size <= 4096:
            raise InputError(f"--size must be between 8 and 4096 px, not {self.size}")
        if len(self.grid) != 2 or min(self.grid) < 1 or self.grid[0] * self.grid[1] > 256:
            raise InputError(f"--grid must be ROWSxCOLUMNS with 1 to 256 cells, not {self.grid}")
        if self.batch_size < 1:
            raise InputError("--batch-size must be at least 1")

    @property
    def format(self) -> str:
        return output_format(self.out)

    @property
    def walks(self) -> int:
        return self.grid[0] * self.grid[1]

    @classmethod
    def tiny(cls, out: str, model: str | None = None) -> WalkConfig:
        """A walk that renders in well under a second on a CPU, for tests."""
        return cls(out=out, model=model, frames=12, fps=10, keyframes=3, batch_size=5)
