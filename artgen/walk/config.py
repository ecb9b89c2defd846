"""The latent-walk configuration.

Plain data without Keras: ``artgen walk``'s options and the studio's form are
generated from the fields' settings (:mod:`artgen.schema`), and the job runner
stores a walk as JSON.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from artgen.configs import MAX_SEED, ImageEngineConfig
from artgen.errors import InputError
from artgen.schema import check, inherited, option, setting
from artgen.style.config import (
    MAX_ITERATIONS,
    MIN_SIZE,
    StyleConfig,
)

__all__ = [
    "INTERPS",
    "EASES",
    "RESAMPLES",
    "FORMATS",
    "WalkConfig",
    "output_format",
    "parse_grid",
    "format_grid",
    "parse_keyframes",
    "format_keyframes",
]

INTERPS = ("slerp", "lerp")
EASES = ("linear", "smooth")
RESAMPLES = ("auto", "nearest", "lanczos")
FORMATS = {".gif": "gif", ".webp": "webp", ".mp4": "mp4"}
MAX_GIF_FPS = 50  # GIF delays are in 1/100 s, and browsers slow delays under 2/100 s to 1/10 s
MIN_FPS, MAX_FPS = 0.1, 240.0  # 10 s a frame fits GIF's 16-bit delay; faster than 240 no screen shows
MAX_FRAMES = 100_000
MAX_KEYFRAMES = 1_000
MAX_BATCH = 4_096
LARGEST_GENERATOR = 128  # the largest DCGAN size; bounds the frame when --size is not given
GRID_PADDING = 2  # pixels between walks of a grid (images.grid's padding)
PALETTE_FRAMES = 16  # frames rendered up front to choose the GIF palette (engine.PALETTE_SAMPLE)
STYLE = "style (stylised walks)"  # --help section
MUSIC = "music (walks that move with a track)"  # --help section
# The first painted frame's steps per scale, and its scales: the rest start from it.
STYLE_ITERATIONS = 40
STYLE_SCALES = 2
# A walk morphs rather than moves, so its painter trusts every pixel (artgen.style.flow.still); held
# ten times as hard as a clip's frames, its loop measured seamless (docs/style.md, "Stylised walks").
TEMPORAL_WEIGHT = 3000.0
FRAME_SIDE_LIMITS = {"gif": 65_535, "webp": 16_383, "mp4": 16_384}  # the formats' own limits


def _memory_available() -> int:
    """Half the machine's memory: what one walk may fill while the system and model keep the rest."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, ValueError, OSError):
        return 8 * 2**30


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
        raise InputError(f"{text!r} is not ROWSxCOLUMNS, e.g. 3x3")
    return int(rows), int(cols)


def format_grid(grid: tuple[int, int]) -> str:
    """(3, 3) -> ``3x3``, as :func:`parse_grid` reads it."""
    return f"{grid[0]}x{grid[1]}"


def parse_keyframes(text: str) -> int | tuple[str, ...]:
    """``6`` -> 6 random keyframes; ``a.npz,b.npz`` -> the latents files to walk through."""
    try:
        return int(text)
    except ValueError:
        files = tuple(part.strip() for part in text.split(",") if part.strip())
    if not files:
        raise InputError("--keyframes needs a number or latents files (.npz)")
    return files


def format_keyframes(value: int | tuple[str, ...]) -> str:
    """The inverse of :func:`parse_keyframes`."""
    return str(value) if isinstance(value, int) else ",".join(value)


@dataclass(frozen=True)
class WalkConfig(ImageEngineConfig):
    """Everything that determines a walk; the same config and model give the same frames."""

    out: str = setting(
        help="output .gif, .webp, .mp4, or a folder for PNG frames",
        positional=True,
        metavar="OUT",
        widget="output",
        label="output",
    )
    model: str | None = setting(
        None,
        help="generator .keras file or training run directory",
        unset="the bundled generator",
        widget="generator",
    )
    frames: int = setting(120, help="frames in the loop", min=2, max=MAX_FRAMES)
    fps: float = setting(24, help="frames per second", min=MIN_FPS, max=MAX_FPS)
    keyframes: int | tuple[str, ...] = setting(
        4,
        help="how many random latents to visit, or latents files (.npz, from artgen project or "
        "--save-latents) whose latents are visited in order",
        min=2,
        max=MAX_KEYFRAMES,
        parse=parse_keyframes,
        format=format_keyframes,
        metavar="N|FILE.npz",
        widget="latents",
        many=True,
    )
    keyframe_images: tuple[str, ...] | None = setting(
        None,
        help="pictures to visit in order, each found in the generator first as artgen project finds it "
        "(its defaults: about 26 CPU-s a picture at 64 px)",
        unset="none",
        metavar="IMAGE",
        widget="images",
        many=True,
    )
    save_latents: str | None = setting(
        None,
        help="also write the walk's keyframes to this latents file (.npz), to walk them again with "
        "--keyframes, edited, reordered, or at another size or length",
        unset="not written",
        metavar="FILE.npz",
        widget="output",
    )
    seed: int = setting(0, help="seed of the random keyframes", min=0, max=MAX_SEED)
    interp: str = setting("slerp", help="path between keyframes", choices=INTERPS)
    ease: str = setting("linear", help="smooth: slow down at each keyframe", choices=EASES)
    size: int | None = setting(
        None, help="frame side in px per walk", unset="the generator's own size", min=8, max=4096
    )
    resample: str = setting(
        "auto",
        help="upscaling filter; auto: nearest for whole multiples (crisp pixels), else lanczos",
        choices=RESAMPLES,
        advanced=True,
    )
    grid: tuple[int, int] = setting(
        (1, 1),
        help="independent walks side by side, e.g. 3x3",
        parse=parse_grid,
        format=format_grid,
        metavar="RxC",
        widget="text",
        advanced=True,
    )
    # images per generator call: frames x grid cells; bounds memory
    batch_size: int = setting(64, help="images per generator call", min=1, max=MAX_BATCH, advanced=True)
    overwrite: bool = setting(False, help="replace OUT if it exists", negatable=False)
    audio: str | None = setting(
        None,
        help="a music track (.wav, .mp3, .flac, .ogg) the walk moves with: it lasts as long as the track "
        "at --fps (--frames is not used), beats push it on, quiet passages drift, and the .mp4 plays "
        "the track",
        unset="an even pace",
        metavar="TRACK",
        widget="audio",
        group=MUSIC,
    )
    # The music's defaults: on click tracks the picture's change follows the onsets at a correlation
    # of 0.59 to 0.70, against about 0 for an even pace, while a beat's push still fades over a few
    # frames (benchmarks/audio_walk.py: a release of 0.2 s blurs it to 0.45-0.51, 0.05 s 0.76-0.80).
    reactivity: float = setting(
        0.9,
        help="the music's share of the pace: 0 an even pace, 1 moving with the music alone",
        min=0.0,
        max=1.0,
        group=MUSIC,
    )
    beat_weight: float = setting(
        0.9,
        help="how much of the pace comes in pushes on beats (onset strength) rather than flowing with "
        "loudness; either way loud passages move and quiet ones drift",
        min=0.0,
        max=1.0,
        group=MUSIC,
        advanced=True,
    )
    release: float = setting(
        0.1,
        help="seconds a beat's push takes to fade (to 1/e); 0: a one-frame jolt",
        min=0.0,
        max=5.0,
        group=MUSIC,
        advanced=True,
    )
    style: str | None = setting(
        None,
        help="paint every frame in the style of this picture (a painting), each frame from the last "
        "one's result so the walk does not flicker and still loops",
        unset="frames as the generator draws them",
        metavar="PAINTING",
        widget="image",
        group=STYLE,
    )
    style_weight: float = inherited(
        StyleConfig, "style_weight", help="how strongly the painting's texture shows", group=STYLE
    )
    temporal_weight: float = inherited(
        StyleConfig,
        "temporal_weight",
        TEMPORAL_WEIGHT,
        help="keep the painting still where the walk stands still; 0 = paint each frame on its own",
        group=STYLE,
    )
    style_iterations: int = setting(
        STYLE_ITERATIONS,
        help="optimizer steps per scale for the first painted frame",
        min=1,
        max=MAX_ITERATIONS,
        group=STYLE,
        advanced=True,
    )
    frame_iterations: int = inherited(
        StyleConfig,
        "frame_iterations",
        help="optimizer steps for each later frame, which starts from the last one's result",
        group=STYLE,
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid", tuple(self.grid))
        if not isinstance(self.keyframes, int):
            object.__setattr__(self, "keyframes", tuple(self.keyframes))
        if self.keyframe_images is not None:
            object.__setattr__(self, "keyframe_images", tuple(self.keyframe_images))
        output_format(self.out)
        check(self)
        self._check_keyframes()
        if self.format == "gif" and self.fps > MAX_GIF_FPS:
            raise InputError(f"--fps above {MAX_GIF_FPS} plays slower in GIF viewers; use .webp or .mp4")
        if len(self.grid) != 2 or min(self.grid) < 1 or self.grid[0] * self.grid[1] > 256:
            raise InputError(f"--grid must be ROWSxCOLUMNS with 1 to 256 cells, not {self.grid}")
        self._check_memory()
        if self.audio is not None and self.format != "mp4":
            name = Path(self.out).name
            raise InputError(
                f"--audio plays only in an .mp4; name the output {Path(name).stem}.mp4, not {name}"
            )
        if self.style is not None and min(self.frame_side()) < MIN_SIZE:
            raise InputError(f"--style needs frames of at least {MIN_SIZE} px; raise --size")

    def _check_keyframes(self) -> None:
        if isinstance(self.keyframes, tuple) and not self.keyframes:
            raise InputError("--keyframes needs a number or latents files (.npz)")
        if self.keyframe_images is not None:
            if not self.keyframe_images:
                raise InputError("--keyframe-images needs pictures")
            if self.keyframes != option(type(self), "keyframes").default:
                raise InputError("--keyframe-images are the keyframes; leave out --keyframes")
            if len(self.keyframe_images) > MAX_KEYFRAMES * self.walks:
                raise InputError(f"at most {MAX_KEYFRAMES} --keyframe-images a walk")
        if self.save_latents is not None:
            if Path(self.save_latents).suffix.lower() != ".npz":
                raise InputError(f"--save-latents {self.save_latents}: a latents file ends in .npz")
            if Path(self.save_latents) == Path(self.out):
                raise InputError("--save-latents must name another file than OUT")

    @property
    def keyframe_files(self) -> tuple[str, ...]:
        """The latents files ``--keyframes`` names; none when it is a number."""
        return () if isinstance(self.keyframes, int) else self.keyframes

    def frame_side(self) -> tuple[int, int]:
        """(height, width) of one frame in pixels; a generator's own size is taken as its largest."""
        cell = self.size or LARGEST_GENERATOR
        rows, columns = self.grid
        if self.grid == (1, 1):
            return cell, cell
        return rows * (cell + GRID_PADDING) + GRID_PADDING, columns * (cell + GRID_PADDING) + GRID_PADDING

    def memory_needed(self) -> int:
        """Bytes of frames held at once: the palette sample and one batch, each as cells and tiled."""
        height, width = self.frame_side()
        per_batch = max(1, self.batch_size // self.walks)
        held = min(self.frames, PALETTE_FRAMES) + per_batch
        return 2 * held * height * width * 3

    def _check_memory(self) -> None:
        height, width = self.frame_side()
        asked = f"--grid {self.grid[0]}x{self.grid[1]} at --size {self.size or LARGEST_GENERATOR}"
        needed, available = self.memory_needed(), _memory_available()
        if needed > available:
            raise InputError(
                f"{asked} needs about {needed / 2**30:.1f} GiB of memory for its {width}x{height} px frames, "
                f"more than the "
                f"{available / 2**30:.1f} GiB this machine can give; lower --size, --grid or --batch-size"
            )
        limit = FRAME_SIDE_LIMITS.get(self.format)
        if limit is not None and max(height, width) > limit:
            raise InputError(
                f"{asked} makes {width}x{height} px frames; "
                f"{self.format.upper()} allows at most {limit} px a side: lower --size or --grid"
            )

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
