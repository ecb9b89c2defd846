"""``artgen walk OUT``: a looping animation through a generator's latent space."""

from __future__ import annotations

import argparse
from pathlib import Path

from artgen.cli import preflight
from artgen.cli.common import note, show_result
from artgen.cli.engine import run_engine
from artgen.cli.history import add_history_flag
from artgen.cli.options import add_options, typed
from artgen.errors import InputError
from artgen.generators.locate import WHICH
from artgen.schema import option
from artgen.walk.config import WalkConfig

NAME = "walk"
HELP = "render a looping walk through a generator's latent space"
DESCRIPTION = (
    "Pick --keyframes random latents from --seed and glide between them, returning to the first,\n"
    "so the animation loops without a jump. --keyframes FILE.npz... walks through latents files\n"
    "instead (from artgen project, or a walk's --save-latents), --keyframe-images through pictures\n"
    "found in the generator on the way. OUT's extension picks the format: .gif, .webp, .mp4, or\n"
    "a folder name for numbered PNG frames.\n"
    "--audio TRACK times the walk to music: as long as the track, faster on beats, drifting in\n"
    "quiet passages, with the track as the .mp4's sound.\n"
    "--model takes a .keras file or a training run directory; without it, the bundled generator."
    "\n\n"
    "Cost, measured on a 2-core CPU (docs/benchmarks.md): 120 frames of the bundled generator to a\n"
    "GIF, the whole command, 4.4-5.0 s (400-645 frames/s once loaded); a stylised walk of 48 frames\n"
    "at 128 px, 139 s on an idle machine (249 CPU-s). Not measured on a GPU."
)
_FPS = option(WalkConfig, "fps").default
EXAMPLES = (
    "Examples:\n"
    f"  artgen walk --frames 120 walk.gif                 {120 / _FPS:g} s at {_FPS:g} fps "
    "from the bundled generator\n"
    "  artgen walk --model runs/faces-20261123-101500 --seed 7 --ease smooth faces.mp4\n"
    "  artgen walk --grid 3x3 --size 128 --keyframes 6 mosaic.webp\n"
    "  artgen walk --frames 240 frames/                  frame-00000.png ... frame-00239.png\n"
    "  artgen walk --seed 7 --save-latents keys.npz a.gif  keep the keyframes of a walk you like\n"
    "  artgen walk --size 256 --frames 240 b.mp4 --keyframes keys.npz    ... and walk them again\n"
    "  artgen walk found.gif --keyframe-images smile.png heart.png star.png\n"
    "  artgen walk --frames 48 --size 128 --style starry_night.jpg painted.gif   a stylised loop\n"
    "  artgen walk --style scream.jpg --style-weight 30 --frame-iterations 20 strong.mp4\n"
    "  artgen walk --audio track.wav --keyframes 16 music.mp4    as long as the track, moving with it"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, WalkConfig, defaults=True)
    parser.add_argument(
        "--which",
        choices=WHICH,
        help="in a run directory: final generator, best (lowest FD) or latest checkpoint "
        "(default: final, else latest)",
    )
    add_history_flag(parser)


def run(args: argparse.Namespace) -> int:
    model = args.model
    if args.model is not None:
        from artgen.generators.locate import describe, resolve_model

        resolved = resolve_model(args.model, args.which)
        if Path(args.model).is_dir():  # a run holds several generators: say which one
            note(f"using {describe(resolved)}")
        model = str(resolved)
    elif args.which is not None:
        raise InputError("--which needs --model RUN_DIR (a training run directory)")
    config = WalkConfig(**{**typed(args, WalkConfig), "model": model})
    preflight.check(config)
    result = run_engine(args, "walk", config)
    if result.stopped:
        return 130
    flicker = ""
    if result.flicker is not None and result.seam_flicker is not None:
        flicker = f", flicker {result.flicker:.2f}, where the loop closes at most {result.seam_flicker:.2f}"
    music = f", moving with {Path(config.audio).name}" if config.audio is not None else ""
    show_result(f"wrote {result.out} ({result.frames} frames at {config.fps:g} fps{flicker}{music})")
    return 0
